// The command line as a table: each row an argv and what the parser must make of it (the chosen
// subcommand and its checked arguments, a help request, or a usage error naming the subcommand).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_TIMEOUT_MS, parseArgs, type ParsedCommand } from '../../cli/args.ts';
import { COMMANDS, commandHelp, usageLine } from '../../cli/commands.ts';

function command(argv: string[]): ParsedCommand {
  const r = parseArgs(argv);
  if (r.kind !== 'command') throw new Error(`expected a command from ${JSON.stringify(argv)}, got ${JSON.stringify(r)}`);
  return r;
}

function usageError(argv: string[]): { message: string; spec: string | null } {
  const r = parseArgs(argv);
  if (r.kind !== 'error') throw new Error(`expected a usage error from ${JSON.stringify(argv)}, got ${r.kind}`);
  return { message: r.message, spec: r.spec === null ? null : r.spec.words.join(' ') };
}

test('pay takes from, to and amount, and its options', () => {
  const c = command(['pay', 'alice', 'bob', '150.75', '--currency', 'EUR', '--id=t-1', '--reference', 'rent']);
  assert.is(c.name, 'pay');
  assert.equal(c.positionals, { from: 'alice', to: 'bob', amount: '150.75' });
  assert.equal(c.options, { currency: 'EUR', id: 't-1', reference: 'rent' });
});

test('global options are accepted before and after the subcommand', () => {
  const before = command(['--json', '--node', 'http://10.0.0.5:5000/', 'status']);
  const after = command(['status', '--node=http://10.0.0.5:5000', '--json']);
  for (const c of [before, after]) {
    assert.is(c.name, 'status');
    assert.is(c.globals.json, true);
    assert.equal(c.globals.nodes, ['http://10.0.0.5:5000'], 'trailing slash dropped');
    assert.is(c.globals.timeoutMs, DEFAULT_TIMEOUT_MS);
  }
  assert.is(command(['status', '--timeout-ms', '250']).globals.timeoutMs, 250);
  assert.equal(command(['status', '--node', 'https://pay1.example.com, https://pay2.example.com/']).globals.nodes, ['https://pay1.example.com', 'https://pay2.example.com']);
  assert.equal(command(['status']).globals.nodes, []);
  assert.is(command(['status', '--token', 's3cret']).globals.token, 's3cret');
});

test('two-word subcommands and the leader shorthand', () => {
  assert.is(command(['account', 'open', 'carol', '--no-overdraft']).options['no-overdraft'], true);
  assert.equal(command(['account', 'show', 'carol', '--local']).positionals, { id: 'carol' });
  assert.is(command(['leader']).name, 'leader show');
  assert.is(command(['leader', 'show']).name, 'leader show');
  assert.equal(command(['leader', 'transfer', 'node2']).positionals, { id: 'node2' });
  assert.equal(command(['events', '--since', '001795687768057.000003', '--follow']).options, { since: '001795687768057.000003', follow: true });
  assert.equal(command(['transfers', '--account', 'bob', '--limit', '5']).options, { account: 'bob', limit: '5' });
});

test('passthrough subcommands hand every later argument to their program untouched', () => {
  const node = command(['node', '--id', 'node2', '--config', 'c.json', '--raft.heartbeatIntervalMs=20', '--json']);
  assert.is(node.name, 'node');
  assert.equal(node.rest, ['--id', 'node2', '--config', 'c.json', '--raft.heartbeatIntervalMs=20', '--json']);
  assert.is(node.globals.json, false, '--json after `node` belongs to the node');
  assert.equal(command(['start', '--nodes', '5']).rest, ['--nodes', '5']);
  assert.equal(command(['bench', '--compare', 'etcd']).rest, ['--compare', 'etcd']);
  assert.equal(command(['chaos', '--duration', '60', '--faults', 'kill']).rest, ['--duration', '60', '--faults', 'kill']);
});

const BAD: Array<[string[], string | null, RegExp]> = [
  [[], null, /no command/],
  [['frobnicate'], null, /unknown command "frobnicate"/],
  [['pay', 'alice', 'bob'], 'pay', /missing <amount>/],
  [['pay', 'alice', 'bob', '1', 'extra'], 'pay', /unexpected argument "extra"/],
  [['pay', 'alice', 'alice', '1'], 'pay', /must be different/],
  [['pay', 'alice', 'bob', '-5'], 'pay', /unknown option -5|<amount>/],
  [['pay', 'alice', 'bob', '1e3'], 'pay', /<amount> "1e3" is not a positive decimal/],
  [['pay', 'alice', 'bob', 'NaN'], 'pay', /<amount> "NaN"/],
  [['pay', 'alice', 'bob', '0.00'], 'pay', /<amount> "0.00"/],
  [['pay', 'alice', 'bob', '1,5'], 'pay', /<amount> "1,5"/],
  [['pay', 'al ice', 'bob', '1'], 'pay', /<from> "al ice" is not 1-128 letters/],
  [['pay', 'alice', 'bob', '1', '--currency', 'usd'], 'pay', /--currency "usd" is not three capital letters/],
  [['pay', 'alice', 'bob', '1', '--currency'], 'pay', /--currency needs a value/],
  [['pay', 'alice', 'bob', '1', '--colour', 'red'], 'pay', /unknown option --colour/],
  [['pay', 'alice', 'bob', '1', '--id', 'a', '--id', 'b'], 'pay', /given more than once/],
  [['account', 'open'], 'account open', /missing <id>/],
  [['transfers', '--limit', '0'], 'transfers', /--limit "0" is not a positive whole number/],
  [['events', '--since', 'yesterday'], 'events', /--since "yesterday" is not an HLC stamp/],
  [['events', '--follow=yes'], 'events', /--follow takes no value/],
  [['status', '--node', 'localhost:5000'], 'status', /--node must be an http/],
  [['status', '--node', 'not a url'], 'status', /is not a URL/],
  [['status', '--node', 'http://a:5000,ftp://b'], 'status', /--node must be an http/],
  [['status', '--timeout-ms', 'soon'], 'status', /--timeout-ms "soon"/],
];

test('bad arguments give a usage error that names the subcommand', () => {
  for (const [argv, spec, message] of BAD) {
    const e = usageError(argv);
    assert.is(e.spec, spec, `subcommand of ${JSON.stringify(argv)}`);
    assert.match(e.message, message, JSON.stringify(argv));
  }
});

test('a group word without a known subcommand lists the group', () => {
  const r = parseArgs(['account']);
  assert.is(r.kind, 'error');
  if (r.kind !== 'error') return;
  assert.match(r.message, /needs a subcommand: open\|show/);
  assert.equal(r.group?.map((g) => g.words.join(' ')), ['account open', 'account show']);
  const other = parseArgs(['leader', 'elect']);
  assert.ok(other.kind === 'error' && /no subcommand "elect": show\|transfer/.test(other.message));
});

test('help: general, per subcommand, and through `help <command>`', () => {
  assert.equal(parseArgs(['--help']), { kind: 'help', spec: null });
  assert.equal(parseArgs(['-h']), { kind: 'help', spec: null });
  const pay = COMMANDS.find((c) => c.words[0] === 'pay')!;
  assert.equal(parseArgs(['pay', '--help']), { kind: 'help', spec: pay });
  assert.equal(parseArgs(['help', 'pay']), { kind: 'help', spec: pay });
});

test('usage lines are generated from the same table the parser reads', () => {
  const pay = COMMANDS.find((c) => c.words[0] === 'pay')!;
  assert.is(usageLine(pay), 'syncpay pay <from> <to> <amount> [--currency <code>] [--id <id>] [--reference <text>]');
  assert.match(commandHelp(pay), /--currency <code> +ISO 4217/);
  for (const spec of COMMANDS) {
    // Every documented option parses.
    const positionals = spec.positionals.map((p, i) => (p.name === 'amount' ? '1.00' : `x${i}`));
    const options = spec.passthrough ? [] : spec.options.flatMap((o) => (o.value === undefined ? [`--${o.name}`] : [`--${o.name}`, sample(o.name)]));
    const r = parseArgs([...spec.words, ...positionals, ...options]);
    assert.is(r.kind, 'command', usageLine(spec));
  }
});

function sample(name: string): string {
  return { currency: 'EUR', limit: '3', since: '001795687768057.000000' }[name] ?? 'abc';
}

test.run();
