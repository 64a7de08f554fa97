// Turning `process.argv` into one chosen subcommand with checked arguments. Pure (no I/O), so
// every rule of the command line is a table test. Global options may appear anywhere; a bad
// argument yields an error that names the subcommand, so the caller can print its usage.
import { COMMANDS, GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './commands.ts';

export interface GlobalOptions {
  /** `--node`: the nodes to ask first, in order (a comma-separated list on the command line). */
  readonly nodes: readonly string[];
  readonly config: string | null;
  readonly json: boolean;
  readonly token: string | null;
  readonly timeoutMs: number;
}

export interface ParsedCommand {
  readonly kind: 'command';
  readonly spec: CommandSpec;
  /** `pay`, `account open`, ... */
  readonly name: string;
  readonly positionals: Readonly<Record<string, string>>;
  /** Option name -> value (`true` for a switch). */
  readonly options: Readonly<Record<string, string | true>>;
  /** Untouched arguments for passthrough commands. */
  readonly rest: readonly string[];
  readonly globals: GlobalOptions;
}

export interface HelpRequest {
  readonly kind: 'help';
  /** The subcommand asked about, or null for the general help. */
  readonly spec: CommandSpec | null;
}

export interface UsageError {
  readonly kind: 'error';
  readonly message: string;
  /** The subcommand whose usage to show, or null when none was recognised. */
  readonly spec: CommandSpec | null;
  /** For `account` or `leader` without a known subcommand: the subcommands of that group. */
  readonly group?: readonly CommandSpec[];
}

export type ParseResult = ParsedCommand | HelpRequest | UsageError;

export const DEFAULT_TIMEOUT_MS = 5000;

export function parseArgs(argv: readonly string[]): ParseResult {
  const globals: Record<string, string | true> = {};
  const words: string[] = [];
  // Split off the global options first (wherever they are), but never inside the arguments of a
  // passthrough command: `syncpay node --id node1 --config x` hands --config to the node.
  let spec: CommandSpec | null = null;
  let i = 0;
  const rest: string[] = [];
  for (; i < argv.length; i++) {
    const arg = argv[i] === '-h' ? '--help' : (argv[i] as string);
    if (spec?.passthrough) {
      rest.push(...argv.slice(i));
      break;
    }
    const global = matchOption(arg, GLOBAL_OPTIONS);
    if (global !== null) {
      const taken = takeValue(global, arg, argv[i + 1]);
      if ('error' in taken) return { kind: 'error', message: taken.error, spec };
      if (taken.consumedNext) i++;
      globals[global.name] = taken.value;
      continue;
    }
    words.push(arg);
    if (spec === null) spec = findCommand(words.filter((w) => !w.startsWith('-')));
  }

  if (globals['help'] === true && spec === null && words.length === 0) return { kind: 'help', spec: null };
  if (words.length === 0) return { kind: 'error', message: 'no command given', spec: null };
  if (words[0] === 'help') {
    const about = findCommand(words.slice(1));
    return { kind: 'help', spec: about };
  }
  if (spec === null) {
    const group = COMMANDS.find((c) => c.words.length > 1 && c.words[0] === words[0]);
    if (group !== undefined && words.length === 1 && words[0] === 'leader') {
      spec = COMMANDS.find((c) => c.words.join(' ') === 'leader show') ?? null;
    } else if (group !== undefined) {
      const members = COMMANDS.filter((c) => c.words[0] === words[0]);
      const choices = members.map((c) => c.words[1]).join('|');
      const what = words.length === 1 ? 'needs a subcommand' : `has no subcommand ${JSON.stringify(words[1])}`;
      return { kind: 'error', message: `${what}: ${choices}`, spec: null, group: members };
    } else {
      return { kind: 'error', message: `unknown command ${JSON.stringify(words[0])}`, spec: null };
    }
  }
  if (spec === null) return { kind: 'error', message: 'no command given', spec: null };
  if (globals['help'] === true) return { kind: 'help', spec };

  const globalOptions = toGlobals(globals, spec);
  if ('error' in globalOptions) return { kind: 'error', message: globalOptions.error, spec };
  // `syncpay leader` alone is `leader show`: only one word to skip then.
  const own = words.slice(Math.min(spec.words.length, words.length));
  if (spec.passthrough) {
    return { kind: 'command', spec, name: spec.words.join(' '), positionals: {}, options: {}, rest: [...own, ...rest], globals: globalOptions };
  }
  return parseOwn(spec, own, globalOptions);
}

function parseOwn(spec: CommandSpec, args: readonly string[], globals: GlobalOptions): ParsedCommand | UsageError {
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg.startsWith('--')) {
      const option = matchOption(arg, spec.options);
      if (option === null) return { kind: 'error', message: `unknown option ${arg.split('=')[0]}`, spec };
      if (options[option.name] !== undefined) return { kind: 'error', message: `--${option.name} is given more than once`, spec };
      const taken = takeValue(option, arg, args[i + 1]);
      if ('error' in taken) return { kind: 'error', message: taken.error, spec };
      if (taken.consumedNext) i++;
      options[option.name] = taken.value;
    } else {
      positionals.push(arg);
    }
  }
  if (positionals.length < spec.positionals.length) {
    const missing = spec.positionals[positionals.length];
    return { kind: 'error', message: `missing <${missing?.name}>`, spec };
  }
  if (positionals.length > spec.positionals.length) {
    return { kind: 'error', message: `unexpected argument ${JSON.stringify(positionals[spec.positionals.length])}`, spec };
  }
  const named: Record<string, string> = {};
  for (const [index, p] of spec.positionals.entries()) {
    const value = positionals[index] as string;
    if (p.pattern !== undefined && !p.pattern.test(value)) {
      return { kind: 'error', message: `<${p.name}> ${JSON.stringify(value)} is not ${p.patternHelp ?? 'valid'}`, spec };
    }
    named[p.name] = value;
  }
  if (spec.words[0] === 'pay' && named['from'] === named['to']) {
    return { kind: 'error', message: '<from> and <to> must be different accounts', spec };
  }
  return { kind: 'command', spec, name: spec.words.join(' '), positionals: named, options, rest: [], globals };
}

function findCommand(words: readonly string[]): CommandSpec | null {
  return COMMANDS.find((c) => c.words.every((w, i) => words[i] === w)) ?? null;
}

/** `--name`, `--name=value`; null when `arg` is not one of `options`. */
function matchOption(arg: string, options: readonly OptionSpec[]): OptionSpec | null {
  if (!arg.startsWith('--')) return null;
  const name = arg.slice(2).split('=')[0];
  return options.find((o) => o.name === name) ?? null;
}

function takeValue(option: OptionSpec, arg: string, next: string | undefined): { value: string | true; consumedNext: boolean } | { error: string } {
  const eq = arg.indexOf('=');
  if (option.value === undefined) {
    return eq === -1 ? { value: true, consumedNext: false } : { error: `--${option.name} takes no value` };
  }
  const inline = eq === -1 ? undefined : arg.slice(eq + 1);
  const value = inline ?? next;
  if (value === undefined || (inline === undefined && value.startsWith('--'))) return { error: `--${option.name} needs a value ${option.value}` };
  if (option.pattern !== undefined && !option.pattern.test(value)) {
    return { error: `--${option.name} ${JSON.stringify(value)} is not ${option.patternHelp ?? 'valid'}` };
  }
  return { value, consumedNext: inline === undefined };
}

function toGlobals(raw: Record<string, string | true>, spec: CommandSpec): GlobalOptions | { error: string } {
  const given = typeof raw['node'] === 'string' ? raw['node'].split(',').map((u) => u.trim()).filter((u) => u !== '') : [];
  if (!spec.passthrough) {
    for (const node of given) {
      let url: URL;
      try {
        url = new URL(node);
      } catch {
        return { error: `--node ${JSON.stringify(node)} is not a URL such as http://127.0.0.1:5000` };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: `--node must be an http:// or https:// URL, got ${node}` };
    }
  }
  return {
    nodes: given.map((u) => u.replace(/\/+$/, '')),
    config: typeof raw['config'] === 'string' ? raw['config'] : null,
    json: raw['json'] === true,
    token: typeof raw['token'] === 'string' ? raw['token'] : null,
    timeoutMs: typeof raw['timeout-ms'] === 'string' ? Number(raw['timeout-ms']) : DEFAULT_TIMEOUT_MS,
  };
}
