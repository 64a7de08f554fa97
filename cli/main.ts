// The `syncpay` command: parse the arguments, run one subcommand, return the exit code. Usage
// errors print the subcommand's usage; every other failure is one line on stderr. The outside
// world comes in through `CliIo` (context.ts), so the specs drive the whole CLI in-process against
// fake nodes, and runtime/cli.js passes the real one (`systemIo`).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs, type ParsedCommand } from './args.ts';
import { NoNodeAnswered, problemText } from './client.ts';
import { leaderShow, leaderTransfer, status } from './cluster-commands.ts';
import { commandHelp, generalHelp, usageLine } from './commands.ts';
import { CliFailure, Context, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, type CliIo } from './context.ts';
import { delegationFor, runDelegation } from './delegate.ts';
import { events } from './events-command.ts';
import { accountOpen, accountShow, pay, transfers } from './ledger-commands.ts';
import { isObject } from './views.ts';

export { EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, RETRY_WINDOW_MS, type CliIo } from './context.ts';
export { LEADER_TRANSFER_PATH } from './cluster-commands.ts';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout(`${parsed.spec === null ? generalHelp() : commandHelp(parsed.spec)}\n`);
    return EXIT_OK;
  }
  if (parsed.kind === 'error') {
    const group = parsed.group ?? [];
    const where = parsed.spec !== null ? `syncpay ${parsed.spec.words.join(' ')}` : group[0] !== undefined ? `syncpay ${group[0].words[0]}` : 'syncpay';
    const usage = parsed.spec !== null
      ? commandHelp(parsed.spec)
      : group.length > 0 ? group.map((g) => `usage: ${usageLine(g)}`).join('\n') : 'run syncpay --help for the commands';
    io.stderr(`${where}: ${parsed.message}\n${usage}\n`);
    return EXIT_USAGE;
  }
  try {
    return await dispatch(parsed, io);
  } catch (error) {
    if (error instanceof CliFailure) {
      io.stderr(`syncpay ${parsed.name}: ${error.message}\n`);
      return error.code;
    }
    if (error instanceof NoNodeAnswered) {
      io.stderr(`syncpay ${parsed.name}: ${unreachableText(error)}\n`);
      return error.last === null ? EXIT_UNREACHABLE : EXIT_FAILED;
    }
    // A bug in the CLI itself: still one line, with enough to report it.
    const where = error instanceof Error && error.stack !== undefined ? ` (${error.stack.split('\n')[1]?.trim() ?? ''})` : '';
    io.stderr(`syncpay ${parsed.name}: internal error: ${error instanceof Error ? error.message : String(error)}${where}\n`);
    return EXIT_FAILED;
  }
}

function unreachableText(error: NoNodeAnswered): string {
  if (error.last !== null) return `${error.last.status} ${problemText(error.last)} (from ${error.last.node.id}; tried ${error.attempts.length} node(s))`;
  return error.message;
}

async function dispatch(cmd: ParsedCommand, io: CliIo): Promise<number> {
  if (cmd.spec.passthrough) {
    const delegation = delegationFor(cmd.name, cmd.rest);
    if (delegation.unavailable !== undefined) throw new CliFailure(delegation.unavailable, cmd.name === 'node' ? EXIT_USAGE : EXIT_FAILED);
    return io.delegate(delegation, io.cwd);
  }
  const ctx = new Context(cmd.globals, io);
  switch (cmd.name) {
    case 'pay':
      return pay(cmd, ctx);
    case 'account open':
      return accountOpen(cmd, ctx);
    case 'account show':
      return accountShow(cmd, ctx);
    case 'transfers':
      return transfers(cmd, ctx);
    case 'status':
      return status(ctx);
    case 'events':
      return events(cmd, ctx);
    case 'leader show':
      return leaderShow(ctx);
    case 'leader transfer':
      return leaderTransfer(cmd, ctx);
    default:
      throw new CliFailure(`${cmd.name} is not implemented`, EXIT_FAILED);
  }
}

// ---- the real world ------------------------------------------------------------------------------

export function systemIo(): CliIo {
  let stop = false;
  let armed = false;
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    fetch: (url, init) => fetch(url, init),
    env: process.env,
    cwd: process.cwd(),
    readFile: (path) => {
      try {
        return readFileSync(path, 'utf8');
      } catch (error) {
        if (isObject(error) && error['code'] === 'ENOENT') return null;
        throw error;
      }
    },
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    now: () => performance.now(),
    newId: () => `cli-${randomBytes(12).toString('base64url')}`,
    delegate: runDelegation,
    // Ctrl-C is caught only once a long-running command (--follow) first asks, so that it can end
    // cleanly; every other command keeps the default (Ctrl-C ends it at once).
    stopped: () => {
      if (!armed) {
        armed = true;
        process.once('SIGINT', () => (stop = true));
      }
      return stop;
    },
  };
}
