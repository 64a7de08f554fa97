// Subcommands that run another program of this package rather than talk to a node: `start` (the
// local cluster launcher, runtime/cluster.js), `node` (one node, runtime/start.js), and `bench` /
// `chaos` (the npm scripts of the benchmark and the fault-injection suite). The child shares the
// terminal; the CLI passes stop signals on, waits for it, and exits with its code.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (where package.json and runtime/ live), wherever the CLI is run from. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface Delegation {
  readonly command: string;
  readonly args: readonly string[];
  /** Set when the program is missing: the one-line reason, and nothing is run. */
  readonly unavailable?: string;
}

/** `syncpay node --id node1 ...` speaks `--id`; the node itself takes `--node`. */
export function nodeArgs(rest: readonly string[]): string[] {
  return rest.map((arg) => (arg === '--id' ? '--node' : arg.startsWith('--id=') ? `--node=${arg.slice(5)}` : arg));
}

function npmScript(name: 'bench' | 'chaos', rest: readonly string[], root: string): Delegation {
  let scripts: Record<string, unknown> = {};
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    scripts = pkg.scripts ?? {};
  } catch {
    // no package.json: reported below as a missing script
  }
  const script = scripts[name];
  if (typeof script !== 'string') return { command: 'npm', args: [], unavailable: `package.json has no "${name}" script` };
  // The scripts run a TypeScript file; say which one is missing rather than let npm print a stack.
  const file = /\b(scripts\/[\w./-]+\.ts)\b/.exec(script)?.[1];
  if (file !== undefined && !existsSync(join(root, file))) {
    return { command: 'npm', args: [], unavailable: `npm run ${name} is not available yet (${file} does not exist in this checkout)` };
  }
  return { command: 'npm', args: ['run', '--silent', name, '--', ...rest] };
}

export function delegationFor(name: string, rest: readonly string[], root: string = PACKAGE_ROOT): Delegation {
  switch (name) {
    case 'start':
      return { command: process.execPath, args: [join(root, 'runtime', 'cluster.js'), ...rest] };
    case 'node':
      if (!rest.some((a) => a === '--id' || a.startsWith('--id=') || a === '--node' || a.startsWith('--node='))) {
        return { command: process.execPath, args: [], unavailable: 'missing --id <node id>' };
      }
      return { command: process.execPath, args: [join(root, 'runtime', 'start.js'), ...nodeArgs(rest)] };
    case 'bench':
    case 'chaos':
      return npmScript(name, rest, root);
    default:
      return { command: name, args: [], unavailable: `${name} is not a program the CLI runs` };
  }
}

/** Run the child on this terminal and resolve with its exit code (128 + signal number if killed). */
export function runDelegation(delegation: Delegation, cwd: string): Promise<number> {
  return new Promise((done) => {
    const child = spawn(delegation.command, [...delegation.args], { cwd: delegation.command === 'npm' ? PACKAGE_ROOT : cwd, stdio: 'inherit' });
    // A terminal's Ctrl-C reaches the child directly (same process group); a signal sent to this
    // process alone is passed on. Both paths may deliver it twice: the launcher and the node treat
    // a second stop request as the first.
    const forwardInt = (): void => void child.kill('SIGINT');
    const forwardTerm = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', forwardInt);
    process.on('SIGTERM', forwardTerm);
    const release = (): void => {
      process.off('SIGINT', forwardInt);
      process.off('SIGTERM', forwardTerm);
    };
    child.on('error', (error) => {
      release();
      process.stderr.write(`syncpay: cannot run ${delegation.command}: ${error.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      release();
      done(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGKILL' ? 137 : 143));
    });
  });
}
