// The table of `syncpay` subcommands: their words, positional arguments, options and one-line
// usage. Parsing, help text and dispatch all read this one table, so a subcommand's usage line
// can never disagree with what the parser accepts.

export interface OptionSpec {
  /** Long name without dashes, e.g. `currency`. */
  readonly name: string;
  /** Placeholder of the value (`<code>`); absent for a switch such as `--follow`. */
  readonly value?: string;
  readonly help: string;
  /** When set, the value must match (checked by the parser, so the usage is shown on a mismatch). */
  readonly pattern?: RegExp;
  readonly patternHelp?: string;
}

export interface PositionalSpec {
  readonly name: string;
  readonly pattern?: RegExp;
  readonly patternHelp?: string;
}

export interface CommandSpec {
  /** The words that select it: `['account', 'open']`. */
  readonly words: readonly string[];
  readonly summary: string;
  readonly positionals: readonly PositionalSpec[];
  readonly options: readonly OptionSpec[];
  /** Arguments after the words go untouched to another program (start, node, bench, chaos). */
  readonly passthrough?: boolean;
}

/** Account and transfer ids as the ledger accepts them (1-128 of letters, digits and `._:@-`). */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
const ID_HELP = '1-128 letters, digits or ._:@-';
/** A positive decimal in major units; the node checks the currency's decimals and the maximum. */
export const AMOUNT_PATTERN = /^(?!0+(?:\.0+)?$)(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,18})?$/;
const COUNT_PATTERN = /^[1-9][0-9]{0,5}$/;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { name: 'node', value: '<url>', help: 'node(s) to ask first, comma-separated (default: the configured nodes, first http://127.0.0.1:5000)' },
  { name: 'config', value: '<path>', help: 'cluster configuration that lists the nodes (default ./cluster.config.json)' },
  { name: 'json', help: 'print JSON for scripts instead of tables' },
  { name: 'token', value: '<token>', help: 'API bearer token for writes (default: the first of SYNCPAY_API_TOKENS)' },
  { name: 'timeout-ms', value: '<ms>', help: 'give up on a node after this long and try the next (default 5000)', pattern: COUNT_PATTERN, patternHelp: 'a whole number of milliseconds' },
  { name: 'help', help: 'show usage' },
];

const CURRENCY: OptionSpec = { name: 'currency', value: '<code>', help: 'ISO 4217 code (default: the ledger default, USD)', pattern: /^[A-Z]{3}$/, patternHelp: 'three capital letters' };
const LOCAL: OptionSpec = { name: 'local', help: "read this node's applied state (faster, may be stale) instead of a linearizable read" };

export const COMMANDS: readonly CommandSpec[] = [
  { words: ['start'], summary: 'run a local cluster, one process per node (like npm start)', positionals: [], options: [], passthrough: true },
  { words: ['node'], summary: 'run one node: syncpay node --id node1 [--config <path>] [--<section>.<key> <value>]', positionals: [], options: [], passthrough: true },
  {
    words: ['pay'],
    summary: 'move <amount> from <from> to <to> (accounts are opened on demand by default)',
    positionals: [
      { name: 'from', pattern: ID_PATTERN, patternHelp: ID_HELP },
      { name: 'to', pattern: ID_PATTERN, patternHelp: ID_HELP },
      { name: 'amount', pattern: AMOUNT_PATTERN, patternHelp: 'a positive decimal such as 150.75' },
    ],
    options: [
      CURRENCY,
      { name: 'id', value: '<id>', help: 'transfer id, the idempotency key (default: a new random id)', pattern: ID_PATTERN, patternHelp: ID_HELP },
      { name: 'reference', value: '<text>', help: 'free text stored with the transfer' },
    ],
  },
  {
    words: ['account', 'open'],
    summary: 'open an account',
    positionals: [{ name: 'id', pattern: ID_PATTERN, patternHelp: ID_HELP }],
    options: [CURRENCY, { name: 'no-overdraft', help: 'refuse transfers that would take the balance below zero' }],
  },
  { words: ['account', 'show'], summary: "an account's balances", positionals: [{ name: 'id', pattern: ID_PATTERN, patternHelp: ID_HELP }], options: [LOCAL] },
  {
    words: ['transfers'],
    summary: 'recent transfers, newest first',
    positionals: [],
    options: [
      { name: 'account', value: '<id>', help: 'only transfers of this account', pattern: ID_PATTERN, patternHelp: ID_HELP },
      { name: 'limit', value: '<n>', help: 'at most this many (default 20)', pattern: COUNT_PATTERN, patternHelp: 'a positive whole number' },
      LOCAL,
    ],
  },
  { words: ['status'], summary: 'every node: role, term, commit and applied index, lag, peer health, clock offset', positionals: [], options: [] },
  {
    words: ['events'],
    summary: "the cluster timeline: every node's events merged in HLC order",
    positionals: [],
    options: [
      { name: 'since', value: '<hlc>', help: 'only events after this stamp', pattern: /^[0-9]{15}\.[0-9]{6}$/, patternHelp: 'an HLC stamp such as 001795687768057.000000' },
      { name: 'limit', value: '<n>', help: 'the newest n events (default 50)', pattern: COUNT_PATTERN, patternHelp: 'a positive whole number' },
      { name: 'follow', help: 'keep polling and print new events as they arrive (Ctrl-C stops)' },
    ],
  },
  { words: ['leader', 'show'], summary: 'print the id of the current leader', positionals: [], options: [] },
  { words: ['leader', 'transfer'], summary: 'hand leadership to <id> (for a planned restart of the leader)', positionals: [{ name: 'id', pattern: ID_PATTERN, patternHelp: ID_HELP }], options: [] },
  { words: ['bench'], summary: 'the benchmark (npm run bench); arguments go to it', positionals: [], options: [], passthrough: true },
  { words: ['chaos'], summary: 'the fault-injection suite (npm run chaos); arguments go to it', positionals: [], options: [], passthrough: true },
];

/** `syncpay pay <from> <to> <amount> [--currency <code>] ...` */
export function usageLine(spec: CommandSpec): string {
  const parts = ['syncpay', ...spec.words, ...spec.positionals.map((p) => `<${p.name}>`)];
  for (const o of spec.options) parts.push(o.value === undefined ? `[--${o.name}]` : `[--${o.name} ${o.value}]`);
  if (spec.passthrough) parts.push('[args...]');
  return parts.join(' ');
}

/** Usage of one subcommand, with its options explained. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: ${usageLine(spec)}`, `  ${spec.summary}`];
  for (const o of spec.options) lines.push(`  ${`--${o.name}${o.value === undefined ? '' : ` ${o.value}`}`.padEnd(22)} ${o.help}`);
  return lines.join('\n');
}

export function generalHelp(): string {
  const lines = ['usage: syncpay <command> [options]', '', 'commands:'];
  for (const spec of COMMANDS) lines.push(`  ${spec.words.join(' ').padEnd(16)} ${spec.summary}`);
  lines.push('', 'options for every command:');
  for (const o of GLOBAL_OPTIONS) lines.push(`  ${`--${o.name}${o.value === undefined ? '' : ` ${o.value}`}`.padEnd(22)} ${o.help}`);
  lines.push('', 'exit codes: 0 done, 1 refused or failed, 2 bad usage, 3 no node answered');
  return lines.join('\n');
}
