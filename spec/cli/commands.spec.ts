// The whole CLI in-process against fake nodes (a fetch that routes by URL): which node is asked,
// fallback when one does not answer, the idempotent retry of a payment, one-line errors with their
// exit codes, --json, the merged event timeline, and what `start`/`node`/`bench` would run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FetchLike } from '../../cli/client.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delegationFor, type Delegation } from '../../cli/delegate.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, runCli, type CliIo } from '../../cli/main.ts';

type Handler = (method: string, path: string, body: unknown) => { status: number; body: unknown } | 'refuse' | 'hang';

interface Call { url: string; method: string; path: string; body: unknown; headers: Record<string, string> }

const CONFIG = JSON.stringify({
  cluster: { nodes: [1, 2, 3].map((i) => ({ id: `node${i}`, host: '127.0.0.1', apiPort: 5000 + i - 1, peerPort: 5100 + i - 1 })) },
});

function harness(nodes: Record<string, Handler>, options: { config?: string | null; env?: Record<string, string>; stopped?: () => boolean; newId?: () => string } = {}) {
  const calls: Call[] = [];
  const out: string[] = [];
  const err: string[] = [];
  const delegated: Delegation[] = [];
  let ids = 0;
  let clockMs = 0;
  const sleeps: number[] = [];
  const fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    const handler = nodes[u.origin];
    const body = init.body === undefined ? undefined : JSON.parse(init.body);
    calls.push({ url, method: init.method, path: u.pathname + u.search, body, headers: init.headers });
    const answer = handler === undefined ? 'refuse' : handler(init.method, u.pathname + u.search, body);
    if (answer === 'refuse') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    if (answer === 'hang') throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    return { status: answer.status, text: async () => JSON.stringify(answer.body) };
  };
  const io: CliIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    fetch,
    env: options.env ?? {},
    cwd: '/work/cluster',
    readFile: (path) => (path === '/work/cluster/cluster.config.json' ? (options.config === undefined ? CONFIG : options.config) : null),
    sleep: async (ms) => {
      sleeps.push(ms);
      clockMs += ms;
    },
    now: () => clockMs,
    newId: options.newId ?? (() => `gen-${++ids}`),
    delegate: async (d) => {
      delegated.push(d);
      return 0;
    },
    stopped: options.stopped ?? (() => true),
  };
  return {
    calls, delegated, sleeps,
    run: (argv: string[]) => runCli(argv, io),
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

const N1 = 'http://127.0.0.1:5000';
const N2 = 'http://127.0.0.1:5001';
const N3 = 'http://127.0.0.1:5002';

function transferEcho(via: string): Handler {
  return (method, path, body) => {
    if (method === 'POST' && path === '/v1/transfers') {
      const b = body as Record<string, string>;
      return { status: 201, body: { id: b['id'], debit_account_id: b['debit_account_id'], credit_account_id: b['credit_account_id'], amount: b['amount'], currency: b['currency'] ?? 'USD', status: 'posted', hlc: '001795687768057.000000', via } };
    }
    return { status: 404, body: { code: 'SYNCPAY_ERR_NOT_FOUND', detail: `no route ${method} ${path}` } };
  };
}

test('pay posts one transfer with a client-chosen id to the first configured node', async () => {
  const h = harness({ [N1]: transferEcho('node1') });
  assert.is(await h.run(['pay', 'alice', 'bob', '150.75']), EXIT_OK);
  assert.is(h.calls.length, 1);
  assert.equal(h.calls[0]!.body, { id: 'gen-1', debit_account_id: 'alice', credit_account_id: 'bob', amount: '150.75' });
  assert.is(h.calls[0]!.url, `${N1}/v1/transfers`);
  assert.match(h.out(), /paid 150\.75 USD from alice to bob +\(transfer gen-1/);
});

test('a node that refuses or times out is skipped, and the retry carries the same transfer id', async () => {
  const h = harness({ [N1]: () => 'refuse', [N2]: () => 'hang', [N3]: transferEcho('node3') });
  assert.is(await h.run(['pay', 'alice', 'bob', '2', '--currency', 'EUR']), EXIT_OK);
  assert.equal(h.calls.map((c) => c.url), [`${N1}/v1/transfers`, `${N2}/v1/transfers`, `${N3}/v1/transfers`]);
  assert.equal(new Set(h.calls.map((c) => (c.body as { id: string }).id)), new Set(['gen-1']), 'one id across retries');
  assert.match(h.out(), /via node3/);
});

test('--node is asked first; the other configured nodes are its fallbacks', async () => {
  const h = harness({ [N2]: () => 'refuse', [N1]: transferEcho('node1') });
  assert.is(await h.run(['--node', N2, 'pay', 'a', 'b', '1', '--id', 'mine']), EXIT_OK);
  assert.equal(h.calls.map((c) => c.url), [`${N2}/v1/transfers`, `${N1}/v1/transfers`]);
  assert.is((h.calls[1]!.body as { id: string }).id, 'mine');
});

test('a --node outside the configuration is asked alone', async () => {
  const h = harness({ [N1]: transferEcho('node1') });
  assert.is(await h.run(['--node', 'http://10.9.9.9:5000', 'pay', 'a', 'b', '1']), EXIT_UNREACHABLE);
  assert.equal(h.calls.map((c) => c.url), ['http://10.9.9.9:5000/v1/transfers']);
  assert.match(h.err(), /^syncpay pay: no node answered \(http:\/\/10\.9\.9\.9:5000: ECONNREFUSED\)\n$/);
});

test('several --node URLs outside the configuration are asked in order, and nothing else', async () => {
  const P1 = 'https://pay1.example.com';
  const P2 = 'https://pay2.example.com';
  const h = harness({ [P1]: () => 'refuse', [P2]: transferEcho('node2'), [N1]: transferEcho('node1') });
  assert.is(await h.run(['--node', `${P1},${P2}`, 'pay', 'a', 'b', '1']), EXIT_OK);
  assert.equal(h.calls.map((c) => new URL(c.url).origin), [P1, P2]);
});

test('status through a proxy: nodes reporting addresses we did not reach them at are not used', async () => {
  // The node behind https://pay1.example.com reports its internal address, unreachable from here.
  const behindProxy: Handler = (m, path, b) => path === '/config'
    ? { status: 200, body: { config: { config: { cluster: { nodes: { value: [{ id: 'node1', host: '10.0.0.11', apiPort: 5000 }] } } } } } }
    : statusNode('node1', 'leader')(m, path, b);
  const h = harness({ 'https://pay1.example.com': behindProxy });
  assert.is(await h.run(['--node', 'https://pay1.example.com', 'status']), EXIT_OK);
  assert.equal(h.calls.filter((c) => c.path === '/status').map((c) => new URL(c.url).origin), ['https://pay1.example.com']);
  assert.match(h.out(), /^node1 +leader/m);
});

test('without a configuration file the default nodes are 127.0.0.1:5000-5002', async () => {
  const h = harness({ [N3]: transferEcho('node3') }, { config: null });
  assert.is(await h.run(['pay', 'a', 'b', '1']), EXIT_OK);
  assert.equal(h.calls.map((c) => new URL(c.url).origin), [N1, N2, N3]);
});

test('a ledger refusal is one line on stderr and exit 1; no other node is tried', async () => {
  const refuse: Handler = () => ({ status: 422, body: { code: 'exceeds_credits', detail: 'insufficient funds', transaction_id: 'x' } });
  const h = harness({ [N1]: refuse, [N2]: transferEcho('node2') });
  assert.is(await h.run(['pay', 'carol', 'bob', '5']), EXIT_FAILED);
  assert.is(h.err(), 'syncpay pay: 422 exceeds_credits: insufficient funds\n');
  assert.is(h.out(), '');
  assert.is(h.calls.length, 1);
});

const noLeader: Handler = () => ({ status: 503, body: { code: 'SYNCPAY_ERR_NO_LEADER', detail: 'no leader is known', leader: null } });

test('while nodes answer 503 (an election) the CLI keeps asking, within a bounded window', async () => {
  // node2 learns of its election on the third pass over the nodes.
  let asked = 0;
  const node2: Handler = (m, p, b) => (++asked >= 3 ? transferEcho('node2')(m, p, b) : noLeader(m, p, b));
  const h = harness({ [N1]: () => 'refuse', [N2]: node2, [N3]: noLeader });
  assert.is(await h.run(['pay', 'a', 'b', '1']), EXIT_OK, h.err());
  assert.equal(h.sleeps, [250, 250]);
  assert.match(h.out(), /via node2/);
  assert.equal(new Set(h.calls.map((c) => (c.body as { id: string }).id)), new Set(['gen-1']), 'one id across every pass');
});

test('when every node keeps saying 503 the last answer is the error, after the window', async () => {
  const h = harness({ [N1]: noLeader, [N2]: noLeader, [N3]: noLeader });
  assert.is(await h.run(['pay', 'a', 'b', '1']), EXIT_FAILED);
  assert.is(h.sleeps.reduce((a, b) => a + b, 0), 5000, 'retried for the whole window, no longer');
  assert.is(h.calls.length, 3 * (1 + 5000 / 250));
  assert.match(h.err(), /^syncpay pay: 503 SYNCPAY_ERR_NO_LEADER: no leader is known \(from node3; tried 3 node\(s\)\)\n$/);
});

test('nodes that time out are asked again within the window, never beyond it', async () => {
  let passes = 0;
  const slowThenOk: Handler = (m, p, b) => (++passes >= 2 ? transferEcho('node1')(m, p, b) : 'hang');
  const ok = harness({ [N1]: slowThenOk, [N2]: () => 'hang', [N3]: () => 'refuse' });
  assert.is(await ok.run(['pay', 'a', 'b', '1']), EXIT_OK);
  assert.equal(ok.sleeps, [250]);
  const never = harness({ [N1]: () => 'hang', [N2]: () => 'hang', [N3]: () => 'hang' });
  assert.is(await never.run(['pay', 'a', 'b', '1']), EXIT_UNREACHABLE);
  assert.is(never.sleeps.reduce((a, b) => a + b, 0), 5000);
  assert.match(never.err(), /timed out after 5000 ms/);
});

test('when no node answers at all the CLI does not wait', async () => {
  const h = harness({});
  assert.is(await h.run(['pay', 'a', 'b', '1']), EXIT_UNREACHABLE);
  assert.equal(h.sleeps, []);
  assert.match(h.err(), /no node answered \(http:\/\/127\.0\.0\.1:5000: ECONNREFUSED; http:\/\/127\.0\.0\.1:5001: ECONNREFUSED; http:\/\/127\.0\.0\.1:5002: ECONNREFUSED\)/);
});

test('an unexpected failure inside the CLI is still one line and exit 1', async () => {
  const h = harness({ [N1]: transferEcho('node1') }, { newId: () => { throw new RangeError('boom'); } });
  assert.is(await h.run(['pay', 'a', 'b', '1']), EXIT_FAILED);
  assert.match(h.err(), /^syncpay pay: internal error: boom \(at .*\)\n$/);
});

test('a bad argument prints the usage of that subcommand and exits 2, without any request', async () => {
  const h = harness({});
  assert.is(await h.run(['pay', 'alice', 'bob', '12.5.0']), EXIT_USAGE);
  assert.match(h.err(), /^syncpay pay: <amount> "12\.5\.0" is not a positive decimal such as 150\.75\nusage: syncpay pay <from> <to> <amount>/);
  assert.is(h.calls.length, 0);
});

test('writes carry the bearer token from --token or SYNCPAY_API_TOKENS; reads carry none', async () => {
  const h = harness({ [N1]: transferEcho('node1') }, { env: { SYNCPAY_API_TOKENS: ' first , second' } });
  await h.run(['pay', 'a', 'b', '1']);
  assert.is(h.calls[0]!.headers['authorization'], 'Bearer first');
  await h.run(['pay', 'a', 'b', '1', '--token', 'override']);
  assert.is(h.calls[1]!.headers['authorization'], 'Bearer override');
  await h.run(['account', 'show', 'a']);
  assert.is(h.calls[2]!.headers['authorization'], undefined);
});

test('account open sends the overdraft flag; account show and transfers read with the options given', async () => {
  const account = { id: 'carol', currency: 'EUR', balance: '0.00', balances: {}, flags: { debits_must_not_exceed_credits: true }, timestamp: 1 };
  const h = harness({
    [N1]: (method, path) => {
      if (method === 'POST' && path === '/v1/accounts') return { status: 201, body: account };
      if (path.startsWith('/v1/accounts/carol')) return { status: 200, body: account };
      if (path.startsWith('/transactions')) return { status: 200, body: { node_id: 'node1', total_count: 0, transactions: [], next_cursor: null } };
      return { status: 404, body: {} };
    },
  });
  assert.is(await h.run(['account', 'open', 'carol', '--currency', 'EUR', '--no-overdraft']), EXIT_OK);
  assert.equal(h.calls[0]!.body, { id: 'carol', currency: 'EUR', flags: { debits_must_not_exceed_credits: true } });
  assert.match(h.out(), /^opened: carol/);
  assert.is(await h.run(['account', 'show', 'carol', '--local']), EXIT_OK);
  assert.is(h.calls[1]!.path, '/v1/accounts/carol?consistency=local');
  assert.is(await h.run(['transfers', '--account', 'carol', '--limit', '5']), EXIT_OK);
  assert.is(h.calls[2]!.path, '/transactions?limit=5&account=carol');
});

/** A node that answers /config (the cluster's node list) and /status. */
function statusNode(id: string, role: string, extra: Record<string, unknown> = {}): Handler {
  return (_method, path) => {
    if (path === '/config') {
      return { status: 200, body: { node_id: id, config: { config: { cluster: { nodes: { source: 'file', value: [0, 1, 2].map((i) => ({ id: `node${i + 1}`, host: '127.0.0.1', apiPort: 5000 + i, peerPort: 5100 + i })) } } } } } };
    }
    if (path === '/status') return { status: 200, body: { node_id: id, role, leader: 'node2', term: 5, commit_index: 40, applied_index: 40, peer_health: {}, time_offset: 0, clock_fenced: false, ...extra } };
    return { status: 404, body: { code: 'SYNCPAY_ERR_NOT_FOUND', detail: `no route GET ${path}` } };
  };
}

test('status asks every node of the running cluster and shows the unreachable one', async () => {
  const h = harness({ [N1]: statusNode('node1', 'follower', { applied_index: 38 }), [N2]: statusNode('node2', 'leader'), [N3]: () => 'refuse' });
  assert.is(await h.run(['status']), EXIT_OK);
  const lines = h.out().split('\n');
  assert.match(lines[1]!, /^node1 +follower +5 +node2 +40 +38 +2 /);
  assert.match(lines[2]!, /^node2 +leader +5 +node2 +40 +40 +0 /);
  assert.match(lines[3]!, /^node3 +unreachable/);
  assert.match(h.out(), /node3 \(http:\/\/127\.0\.0\.1:5002\): ECONNREFUSED/);
});

test('status --json prints the leader and every node report', async () => {
  const h = harness({ [N1]: statusNode('node1', 'follower'), [N2]: statusNode('node2', 'leader'), [N3]: statusNode('node3', 'follower') });
  assert.is(await h.run(['status', '--json']), EXIT_OK);
  const parsed = JSON.parse(h.out()) as { leader: string; nodes: Array<{ id: string; status: { role: string } }> };
  assert.is(parsed.leader, 'node2');
  assert.equal(parsed.nodes.map((n) => [n.id, n.status.role]), [['node1', 'follower'], ['node2', 'leader'], ['node3', 'follower']]);
});

test('status discovers nodes from GET /config, so a five-node cluster is seen whole', async () => {
  const five: Handler = (_m, path) => path === '/config'
    ? { status: 200, body: { config: { config: { cluster: { nodes: { value: [0, 1, 2, 3, 4].map((i) => ({ id: `node${i + 1}`, host: '0.0.0.0', apiPort: 5000 + i })) } } } } } }
    : { status: 200, body: { node_id: 'nodeX', role: 'follower' } };
  const h = harness({ [N1]: five });
  await h.run(['status']);
  const asked = h.calls.filter((c) => c.path === '/status').map((c) => new URL(c.url).origin).sort();
  assert.equal(asked, [0, 1, 2, 3, 4].map((i) => `http://127.0.0.1:${5000 + i}`), 'wildcard hosts are reached over loopback');
});

test('status with no node answering exits 3', async () => {
  const h = harness({});
  assert.is(await h.run(['status']), EXIT_UNREACHABLE);
  assert.match(h.out(), /node1 +unreachable/);
});

test('leader prints the id; leader transfer asks the leader on the admin route', async () => {
  const seen: string[] = [];
  const withAdmin = (id: string, role: string): Handler => (method, path, body) => {
    if (method === 'POST' && path === '/v1/admin/leader-transfer') {
      seen.push(`${id}:${JSON.stringify(body)}`);
      return { status: 200, body: { ok: true, leader: 'node3' } };
    }
    return statusNode(id, role)(method, path, body);
  };
  const h = harness({ [N1]: withAdmin('node1', 'follower'), [N2]: withAdmin('node2', 'leader'), [N3]: withAdmin('node3', 'follower') });
  assert.is(await h.run(['leader']), EXIT_OK);
  assert.is(h.out(), 'node2\n');
  assert.is(await h.run(['leader', 'transfer', 'node3']), EXIT_OK);
  assert.equal(seen, ['node2:{"target":"node3"}']);
  assert.match(h.out(), /leader is now node3 \(was node2\)/);
  assert.is(await h.run(['leader', 'transfer', 'node9']), EXIT_USAGE);
  assert.match(h.err(), /node9 is not a node of this cluster \(node1, node2, node3\)/);
});

test('leader transfer on nodes without the admin route says which route is missing', async () => {
  const h = harness({ [N1]: statusNode('node1', 'leader'), [N2]: statusNode('node2', 'follower'), [N3]: statusNode('node3', 'follower') });
  assert.is(await h.run(['leader', 'transfer', 'node2']), EXIT_FAILED);
  assert.match(h.err(), /does not serve leader transfer \(POST \/v1\/admin\/leader-transfer\)/);
});

test('events merges every node in HLC order, whatever order the nodes answer in', async () => {
  const ev = (node: string, hlc: string, type: string) => ({ hlc, node, actor: 'leader-election', type });
  const lists: Record<string, unknown[]> = {
    node1: [ev('node1', '001795687768010.000000', 'a'), ev('node1', '001795687768030.000000', 'd')],
    node2: [ev('node2', '001795687768020.000001', 'c')],
    node3: [ev('node3', '001795687768020.000000', 'b'), { hlc: 'bad', node: 'node3', type: 'x' }],
  };
  const eventsNode = (id: string): Handler => (m, path, b) => path.startsWith('/v1/events') ? { status: 200, body: { node_id: id, events: lists[id] } } : statusNode(id, 'follower')(m, path, b);
  const h = harness({ [N1]: eventsNode('node1'), [N2]: eventsNode('node2'), [N3]: eventsNode('node3') });
  assert.is(await h.run(['events', '--json']), EXIT_OK);
  const parsed = JSON.parse(h.out()) as { events: Array<{ type: string }> };
  assert.equal(parsed.events.map((e) => e.type), ['a', 'b', 'c', 'd'], 'HLC order; a malformed stamp is left out');
  const h2 = harness({ [N1]: eventsNode('node1'), [N2]: eventsNode('node2'), [N3]: eventsNode('node3') });
  assert.is(await h2.run(['events', '--limit', '2', '--since', '001795687768000.000000']), EXIT_OK);
  assert.equal(h2.out().trim().split('\n').slice(1).map((l) => l.split(/\s+/)[4]), ['c', 'd'], 'the newest two');
  assert.ok(h2.calls.some((c) => c.path === '/v1/events?since=001795687768000.000000&limit=2'));
});

test('events --follow prints late events too, marked, and advances each node\'s cursor', async () => {
  let round = 0;
  const ev = (node: string, hlc: string, type: string) => ({ hlc, node, actor: 'clock', type });
  const node1: Handler = (m, path, b) => {
    if (!path.startsWith('/v1/events')) return statusNode('node1', 'leader')(m, path, b);
    round++;
    return { status: 200, body: { events: round === 1 ? [ev('node1', '001795687768050.000000', 'first')] : round === 2 ? [ev('node1', '001795687768060.000000', 'second')] : [] } };
  };
  let node2Round = 0;
  const node2: Handler = (m, path, b) => {
    if (!path.startsWith('/v1/events')) return statusNode('node2', 'follower')(m, path, b);
    node2Round++;
    // Its event is older than node1's second one but is only fetched in round 3.
    return { status: 200, body: { events: node2Round === 3 ? [ev('node2', '001795687768055.000000', 'late')] : [] } };
  };
  // Stop after the first fetch and three follow rounds (stopped() is asked twice per round).
  let asks = 0;
  const h = harness({ [N1]: node1, [N2]: node2, [N3]: () => 'refuse' }, { stopped: () => ++asks > 6 });
  assert.is(await h.run(['events', '--follow', '--json']), EXIT_OK);
  const printed = h.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string; late?: boolean });
  assert.equal(printed.map((e) => [e.type, e.late === true]), [['first', false], ['second', false], ['late', true]]);
  assert.ok(h.calls.some((c) => c.url.startsWith(N1) && c.path.includes('since=001795687768060.000000')), 'cursor advanced');
});

test('start, node, bench and chaos hand their arguments to the program that does the work', async () => {
  const h = harness({});
  assert.is(await h.run(['start', '--nodes', '5']), EXIT_OK);
  assert.match(h.delegated[0]!.args[0]!, /runtime\/cluster\.js$/);
  assert.equal(h.delegated[0]!.args.slice(1), ['--nodes', '5']);
  assert.is(await h.run(['node', '--id', 'node2', '--config', 'c.json']), EXIT_OK);
  assert.match(h.delegated[1]!.args[0]!, /runtime\/start\.js$/);
  assert.equal(h.delegated[1]!.args.slice(1), ['--node', 'node2', '--config', 'c.json']);
  assert.is(await h.run(['node']), EXIT_USAGE);
  assert.match(h.err(), /syncpay node: missing --id <node id>/);
});

test('bench and chaos run their npm scripts, and say so in one line when the script is missing', () => {
  const root = mkdtempSync(join(tmpdir(), 'syncpay-cli-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts: { bench: 'node --import tsx scripts/bench.ts' } }));
    assert.is(delegationFor('bench', ['--quick'], root).unavailable, 'npm run bench is not available yet (scripts/bench.ts does not exist in this checkout)');
    assert.is(delegationFor('chaos', [], root).unavailable, 'package.json has no "chaos" script');
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts', 'bench.ts'), '');
    const ready = delegationFor('bench', ['--compare', 'etcd'], root);
    assert.is(ready.unavailable, undefined);
    assert.equal([ready.command, ...ready.args], ['npm', 'run', '--silent', 'bench', '--', '--compare', 'etcd']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
