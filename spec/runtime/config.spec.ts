// Configuration loading and validation: one row per validation rule, the precedence of flags over
// environment over file over defaults (with `sources`), secrets, the security checks, redaction,
// and the exit code and single stderr line of the check CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import {
  ConfigError, LEAF_RULES, LOOSE, PASSTHROUGH_ENV, checkSecurity, configWarnings, describeKeys, envName,
  inferRule, isLoopbackHost, loadConfig,
  redactedConfig, validateConfig, type LeafRule, type LoadedConfig,
} from '../../runtime/config.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIX = join(ROOT, 'spec/fixtures/config');
const SECRET = 'spec-secret-value-0123456789';
const TOKEN = 'spec-token-abcdefghijklmnop';

type Env = Record<string, string | undefined>;
/** Load with cwd in the fixture folder, which holds no cluster.config.json: defaults unless told. */
function load(argv: string[], env: Env = {}, cwd = FIX): LoadedConfig {
  return loadConfig({ argv, env, cwd });
}

function throwsConfig(fn: () => unknown, key: string, rule: string): ConfigError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    assert.is(err.key, key, `key of: ${err.message}`);
    assert.ok(err.rule.includes(rule), `rule "${rule}" not in: ${err.message}`);
    assert.ok(err.message.startsWith(`config: ${key} ${err.rule}`), err.message);
    assert.not.match(err.message, /\n/);
    return err;
  }
  return assert.unreachable(`expected ConfigError ${key} ${rule}`) as never;
}

const withRaft = (raft: object): object => ({ raft });
const nodes = (...list: object[]): object => ({ cluster: { nodes: list } });
const n = (id: string, host: string, apiPort: number, peerPort: number): object => ({ id, host, apiPort, peerPort });

// ---- validateConfig: one row per rule ------------------------------------------------------------

const rules: [name: string, input: unknown, key: string, rule: string][] = [
  ['root must be an object', [1], '<root>', 'must be a JSON object'],
  ['unknown section', { rafts: {} }, 'rafts', 'is not a known key'],
  ['unknown key in a section', withRaft({ electionTimeoutMx: 1 }), 'raft.electionTimeoutMx', 'is not a known key'],
  ['unknown key in a node', nodes({ ...n('a', '127.0.0.1', 1, 2), prt: 3 }), 'cluster.nodes[0].prt', 'is not a known key'],
  ['section must be an object', { raft: 5 }, 'raft', 'must be an object'],
  ['integer given as string', withRaft({ heartbeatIntervalMs: '50' }), 'raft.heartbeatIntervalMs', 'expected integer'],
  ['integer given as fraction', withRaft({ heartbeatIntervalMs: 50.5 }), 'raft.heartbeatIntervalMs', 'expected integer'],
  ['boolean given as string', withRaft({ preVote: 'yes' }), 'raft.preVote', 'expected boolean'],
  ['number given as string', { heartbeat: { phiThreshold: 'x' } }, 'heartbeat.phiThreshold', 'expected number'],
  ['string given as number', { node: { dataDir: 7 } }, 'node.dataDir', 'expected string'],
  ['empty string', { node: { dataDir: '' } }, 'node.dataDir', 'must not be empty'],
  ['nullable integer', { node: { randomSeed: 'abc' } }, 'node.randomSeed', 'expected integer or null'],
  ['timeout below 1', withRaft({ heartbeatIntervalMs: 0 }), 'raft.heartbeatIntervalMs', 'must be between 1 and 3600000'],
  ['timeout above an hour', { link: { handshakeTimeoutMs: 3_600_001 } }, 'link.handshakeTimeoutMs', 'must be between 1 and 3600000'],
  ['bytes above 2^31', { http: { bodyBytesMax: 2 ** 31 + 1 } }, 'http.bodyBytesMax', 'must be between 1 and 2147483648'],
  ['negative count', { supervisor: { restartsMax: -1 } }, 'supervisor.restartsMax', 'must be between 0 and 1000'],
  ['port 0', nodes(n('a', '127.0.0.1', 0, 2)), 'cluster.nodes[0].apiPort', 'must be between 1 and 65535'],
  ['port 65536', nodes(n('a', '127.0.0.1', 1, 65_536)), 'cluster.nodes[0].peerPort', 'must be between 1 and 65535'],
  ['node field missing', nodes({ id: 'a', host: 'h', apiPort: 1 }), 'cluster.nodes[0].peerPort', 'is required'],
  ['election min under 2x heartbeat', withRaft({ heartbeatIntervalMs: 50, electionTimeoutMsMin: 99 }),
    'raft.electionTimeoutMsMin', 'must be at least twice raft.heartbeatIntervalMs'],
  ['election max equal to min', withRaft({ electionTimeoutMsMin: 300, electionTimeoutMsMax: 300 }),
    'raft.electionTimeoutMsMax', 'must be greater than raft.electionTimeoutMsMin'],
  ['backoff max below min', { link: { reconnectBackoffMsMin: 500, reconnectBackoffMsMax: 499 } },
    'link.reconnectBackoffMsMax', 'must be at least link.reconnectBackoffMsMin'],
  ['duplicate node ids', nodes(n('a', 'h1', 1, 2), n('a', 'h2', 1, 2)), 'cluster.nodes[1].id', 'must be unique'],
  ['node id with a space', nodes(n('node 1', 'h', 1, 2)), 'cluster.nodes[0].id', 'must match'],
  ['node id too long', nodes(n('x'.repeat(65), 'h', 1, 2)), 'cluster.nodes[0].id', 'must match'],
  ['api port reused on a host', nodes(n('a', '127.0.0.1', 5000, 5100), n('b', '127.0.0.1', 5000, 5101)),
    'cluster.nodes[1].apiPort', 'must be unique on its host'],
  ['api port equals peer port', nodes(n('a', 'h', 5000, 5000)), 'cluster.nodes[0].peerPort', 'must be unique on its host'],
  ['localhost and 127.0.0.1 share ports', nodes(n('a', 'localhost', 5000, 5100), n('b', '127.0.0.1', 5001, 5100)),
    'cluster.nodes[1].peerPort', 'must be unique on its host'],
  ['no nodes', nodes(), 'cluster.nodes', 'must list 1 to 7 nodes'],
  ['eight nodes', nodes(...Array.from({ length: 8 }, (_, i) => n(`n${i}`, 'h', 1000 + i, 2000 + i))),
    'cluster.nodes', 'must list 1 to 7 nodes'],
  ['nodes not an array', { cluster: { nodes: {} } }, 'cluster.nodes', 'expected array of nodes'],
  ['default currency not listed', { ledger: { defaultCurrency: 'SEK' } }, 'ledger.defaultCurrency', 'must be one of ledger.currencies'],
  ['lower-case currency code', { ledger: { currencies: { usd: 2 } } }, 'ledger.currencies.usd', 'three-letter upper-case'],
  ['currency exponent 5', { ledger: { currencies: { USD: 5 } } }, 'ledger.currencies.USD', 'exponent between 0 and 4'],
  ['no currencies', { ledger: { currencies: {} } }, 'ledger.currencies', 'at least one currency'],
  ['amountMax negative', { ledger: { amountMax: '-1.00' } }, 'ledger.amountMax', 'positive decimal string'],
  ['amountMax zero', { ledger: { amountMax: '0.00' } }, 'ledger.amountMax', 'positive decimal string'],
  ['amountMax in exponent form', { ledger: { amountMax: '1e6' } }, 'ledger.amountMax', 'positive decimal string'],
  ['amountMax as a number', { ledger: { amountMax: 1000 } }, 'ledger.amountMax', 'positive decimal string'],
  ['log level not pino', { log: { level: 'verbose' } }, 'log.level', 'must be one of trace, debug, info'],
  ['actor log level not pino', { log: { actorLevels: { ledger: 'loud' } } }, 'log.actorLevels.ledger', 'must be one of'],
  ['append bytes over message bytes', { raft: { appendBytesMax: 2048 }, link: { messageBytesMax: 1024 } },
    'raft.appendBytesMax', 'must be at most link.messageBytesMax'],
  ['snapshot chunk over message bytes',
    { raft: { appendBytesMax: 1024, snapshotChunkBytes: 4096 }, link: { messageBytesMax: 1024 } },
    'raft.snapshotChunkBytes', 'must be at most link.messageBytesMax'],
  ['body bytes over message bytes', { http: { bodyBytesMax: 9 * 1024 * 1024 } }, 'http.bodyBytesMax', 'must be at most link.messageBytesMax'],
  ['message bytes over send buffer', { link: { sendBufferBytesMax: 1024 * 1024 } }, 'link.messageBytesMax', 'must be at most link.sendBufferBytesMax'],
  ['clock offset over auth skew', { clock: { maxClockOffsetMs: 40_000 } }, 'clock.maxClockOffsetMs', 'must be at most link.authSkewMsMax'],
];

const validation = suite('config: validateConfig rules');
for (const [name, input, key, rule] of rules) {
  validation(name, () => {
    throwsConfig(() => validateConfig(input), key, rule);
  });
}

validation('the example message shape: key, rule and the values compared', () => {
  const err = throwsConfig(() => validateConfig(withRaft({ heartbeatIntervalMs: 50, electionTimeoutMsMin: 80 })),
    'raft.electionTimeoutMsMin', 'twice');
  assert.is(err.message, 'config: raft.electionTimeoutMsMin must be at least twice raft.heartbeatIntervalMs (got 80 < 2 * 50)');
});

validation('a typo names the key it probably meant', () => {
  const err = throwsConfig(() => validateConfig(withRaft({ electionTimeoutMx: 1 })), 'raft.electionTimeoutMx', 'is not a known key');
  assert.match(err.message, /did you mean raft\.electionTimeoutMs(Max|Min)\?/);
});

validation('an empty object is exactly the defaults, frozen', () => {
  const config = validateConfig({});
  assert.equal(config, DEFAULT_CONFIG);
  assert.ok(Object.isFrozen(config.raft) && Object.isFrozen(config.cluster.nodes[0]));
  assert.ok(!Object.isFrozen(DEFAULT_CONFIG.raft), 'defaults must not be frozen through the result');
});

validation('partial sections merge key by key; nodes and currencies replace whole', () => {
  const config = validateConfig({
    $comment: 'allowed',
    raft: { $comment: 'allowed too', heartbeatIntervalMs: 20 },
    cluster: { nodes: [n('solo', '127.0.0.1', 7000, 7100)] },
    ledger: { currencies: { USD: 2 } },
  });
  assert.is(config.raft.heartbeatIntervalMs, 20);
  assert.is(config.raft.electionTimeoutMsMin, DEFAULT_CONFIG.raft.electionTimeoutMsMin);
  assert.equal(config.cluster.nodes, [n('solo', '127.0.0.1', 7000, 7100)]);
  assert.equal(config.ledger.currencies, { USD: 2 });
  assert.is(config.ledger.defaultCurrency, 'USD');
});

validation('accepted edge values', () => {
  assert.is(validateConfig({ node: { randomSeed: 42 } }).node.randomSeed, 42);
  assert.is(validateConfig(withRaft({ heartbeatIntervalMs: 50, electionTimeoutMsMin: 100, electionTimeoutMsMax: 101 }))
    .raft.electionTimeoutMsMin, 100);
  assert.is(validateConfig({ link: { reconnectBackoffMsMin: 500, reconnectBackoffMsMax: 500 } }).link.reconnectBackoffMsMax, 500);
  // The same port on two different hosts is fine.
  assert.is(validateConfig(nodes(n('a', '10.0.0.1', 5000, 5100), n('b', '10.0.0.2', 5000, 5100))).cluster.nodes.length, 2);
  assert.is(validateConfig({ ledger: { amountMax: '0.01', currencies: { JPY: 0, KWD: 3 }, defaultCurrency: 'JPY' } }).ledger.amountMax, '0.01');
  assert.is(validateConfig({ log: { level: 'silent', actorLevels: { 'log-replication': 'debug' } } }).log.level, 'silent');
});

validation('a cluster of one is allowed; even sizes only warn', () => {
  assert.equal(configWarnings(validateConfig(nodes(n('a', '127.0.0.1', 1, 2)))), []);
  assert.equal(configWarnings(DEFAULT_CONFIG), []);
  const four = validateConfig(nodes(...[0, 1, 2, 3].map((i) => n(`n${i}`, '127.0.0.1', 1000 + i, 2000 + i))));
  assert.is(configWarnings(four).length, 1);
  assert.match(configWarnings(four)[0] ?? '', /cluster\.nodes has 4 nodes/);
});

validation('every default key has a typed rule', () => {
  const leaves = Object.entries(DEFAULT_CONFIG).flatMap(([s, v]) => Object.keys(v).map((k) => `${s}.${k}`));
  assert.equal([...LEAF_RULES.keys()].sort(), leaves.sort());
  const loose = [...LEAF_RULES].filter(([, rule]) => rule === LOOSE).map(([path]) => path);
  assert.equal(loose, [], `add these keys to CONFIG_RULES in runtime/config-rules.ts: ${loose.join(', ')}`);
});

validation('keys without an explicit rule get one from their unit', () => {
  assert.equal(inferRule('drainTimeoutMs', 10), { type: 'integer', min: 0, max: 3_600_000 });
  assert.equal(inferRule('frameBytesMax', 10), { type: 'integer', min: 1, max: 2 ** 31 });
  assert.equal(inferRule('queueEntriesMax', 10), { type: 'integer', min: 0, max: 2 ** 31 });
  assert.equal(inferRule('strict', false), { type: 'boolean' });
  assert.equal(inferRule('name', 'x'), { type: 'string' });
  assert.is(inferRule('path', null), LOOSE);
});

validation('cluster.config.json holds exactly the defaults', () => {
  const file = JSON.parse(readFileSync(join(ROOT, 'cluster.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  delete file.$comment;
  for (const path of LEAF_RULES.keys()) {
    const [section, key] = path.split('.') as [string, string];
    const want = JSON.stringify((DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>)[section]?.[key]);
    assert.is(JSON.stringify(file[section]?.[key]), want, `cluster.config.json: set ${path} to its default ${want}`);
  }
  assert.equal(file, JSON.parse(JSON.stringify(DEFAULT_CONFIG)));
  assert.equal(validateConfig(file), DEFAULT_CONFIG);
});

validation.run();

// ---- loadConfig: precedence, env, flags --------------------------------------------------------

const loading = suite('config: loadConfig');

loading('flag beats env beats file beats default, and sources say so', () => {
  const loaded = load(
    ['--node', 'node2', '--config', 'partial.json', '--raft.heartbeatIntervalMs', '20'],
    { SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS: '30', SYNCPAY_RAFT_PROPOSAL_TIMEOUT_MS: '7000' },
  );
  assert.is(loaded.config.raft.heartbeatIntervalMs, 20);
  assert.is(loaded.sources['raft.heartbeatIntervalMs'], 'flag');
  assert.is(loaded.config.raft.proposalTimeoutMs, 7000);
  assert.is(loaded.sources['raft.proposalTimeoutMs'], 'env');
  assert.is(loaded.config.raft.electionTimeoutMsMin, 400);
  assert.is(loaded.sources['raft.electionTimeoutMsMin'], 'file');
  assert.equal(loaded.config.ledger.currencies, { USD: 2, EUR: 2 });
  assert.is(loaded.sources['ledger.currencies'], 'file');
  assert.is(loaded.config.raft.electionTimeoutMsMax, DEFAULT_CONFIG.raft.electionTimeoutMsMax);
  assert.is(loaded.sources['raft.electionTimeoutMsMax'], 'default');
  assert.equal(Object.keys(loaded.sources).sort(), [...LEAF_RULES.keys()].sort());
  assert.is(loaded.nodeId, 'node2');
  assert.is(loaded.configPath, join(FIX, 'partial.json'));
});

loading('env beats file when no flag is given', () => {
  const loaded = load(['--node', 'node1', '--config', 'partial.json'], { SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS: '30' });
  assert.is(loaded.config.raft.heartbeatIntervalMs, 30);
  assert.is(loaded.sources['raft.heartbeatIntervalMs'], 'env');
});

loading('no file given and none in cwd: all defaults', () => {
  const loaded = load(['--node', 'node3']);
  assert.equal(loaded.config, DEFAULT_CONFIG);
  assert.ok(Object.values(loaded.sources).every((s) => s === 'default'));
  assert.is(loaded.configPath, join(FIX, 'cluster.config.json'));
  assert.is(loaded.insecure, false);
  assert.is(loaded.secret, null);
  assert.equal(loaded.apiTokens, []);
});

loading('the repository file is found in cwd by default', () => {
  const loaded = load(['--node', 'node1'], {}, ROOT);
  assert.is(loaded.configPath, join(ROOT, 'cluster.config.json'));
  assert.ok(Object.values(loaded.sources).every((s) => s === 'file'));
});

loading('env values are parsed by the key type', () => {
  const loaded = load(['--node', 'node1'], {
    SYNCPAY_RAFT_PRE_VOTE: 'false',
    SYNCPAY_LEDGER_CURRENCIES: '{"USD":2,"SEK":2}',
    SYNCPAY_LEDGER_DEFAULT_CURRENCY: 'SEK',
    SYNCPAY_LEDGER_AMOUNT_MAX: '500.50',
    SYNCPAY_NODE_RANDOM_SEED: '7',
    SYNCPAY_NODE_DATA_DIR: '/var/lib/syncpay/{id}',
    SYNCPAY_HEARTBEAT_PHI_THRESHOLD: '9.5',
    SYNCPAY_LOG_LEVEL: 'debug',
    SYNCPAY_CLUSTER_NODES: JSON.stringify([n('node1', '127.0.0.1', 6000, 6100)]),
    PATH: '/usr/bin',
    SYNCPAY_LOG_PRETTY: '1',
    SYNCPAY_SUPERVISOR_RESTARTS_MAX: undefined,
  });
  const c = loaded.config;
  assert.is(c.raft.preVote, false);
  assert.equal(c.ledger.currencies, { USD: 2, SEK: 2 });
  assert.is(c.ledger.defaultCurrency, 'SEK');
  assert.is(c.ledger.amountMax, '500.50');
  assert.is(c.node.randomSeed, 7);
  assert.is(c.node.dataDir, '/var/lib/syncpay/{id}');
  assert.is(c.heartbeat.phiThreshold, 9.5);
  assert.is(c.log.level, 'debug');
  assert.is(c.cluster.nodes.length, 1);
  assert.is(c.supervisor.restartsMax, DEFAULT_CONFIG.supervisor.restartsMax);
  assert.is(load(['--node', 'node1'], { SYNCPAY_NODE_RANDOM_SEED: 'null' }).config.node.randomSeed, null);
});

loading('env names are upper snake case of section and key', () => {
  assert.is(envName('raft.electionTimeoutMsMin'), 'SYNCPAY_RAFT_ELECTION_TIMEOUT_MS_MIN');
  assert.is(envName('heartbeat.phiMinStdDevMs'), 'SYNCPAY_HEARTBEAT_PHI_MIN_STD_DEV_MS');
  const names = [...LEAF_RULES.keys()].map(envName);
  assert.is(new Set(names).size, names.length, 'two keys map to one env name');
  for (const special of ['SYNCPAY_NODE', 'SYNCPAY_CLUSTER_SECRET', 'SYNCPAY_API_TOKENS', ...PASSTHROUGH_ENV]) {
    assert.not.ok(names.includes(special), `${special} collides with a key`);
  }
});

loading('describeKeys lists each key once with its bounds, default and env name', () => {
  const lines = describeKeys();
  assert.is(lines.length, LEAF_RULES.size);
  assert.ok(lines.includes('raft.heartbeatIntervalMs  integer 1..3600000  default 50  env SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS'));
  assert.ok(lines.includes('log.level  trace|debug|info|warn|error|fatal|silent  default "info"  env SYNCPAY_LOG_LEVEL'));
});

loading('bad env values name the key and the variable', () => {
  const err = throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS: '5O' }),
    'raft.heartbeatIntervalMs', 'expected integer');
  assert.match(err.message, /SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS/);
  throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_RAFT_PRE_VOTE: 'yes' }), 'raft.preVote', 'expected boolean');
  throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_LEDGER_CURRENCIES: '{USD:2}' }), 'ledger.currencies', 'expected JSON');
  // Parsed fine, but out of range: the error still says where the value came from.
  const range = throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS: '0' }),
    'raft.heartbeatIntervalMs', 'must be between');
  assert.match(range.message, /from SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS\)$/);
});

loading('an unknown SYNCPAY_ variable is an error, with a suggestion', () => {
  const err = throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_RAFT_HEARTBEAT_INTERVAL: '20' }),
    'SYNCPAY_RAFT_HEARTBEAT_INTERVAL', 'is not a known SYNCPAY_ variable');
  assert.match(err.message, /did you mean SYNCPAY_RAFT_HEARTBEAT_INTERVAL_MS\?/);
});

loading('flags: both spellings, --node=, --insecure', () => {
  const loaded = load(['--node=node3', '--raft.heartbeatIntervalMs=25', '--raft.preVote', 'false', '--insecure']);
  assert.is(loaded.nodeId, 'node3');
  assert.is(loaded.config.raft.heartbeatIntervalMs, 25);
  assert.is(loaded.config.raft.preVote, false);
  assert.is(loaded.sources['raft.preVote'], 'flag');
  assert.is(loaded.insecure, true);
  const json = load(['--node', 'a', '--cluster.nodes', JSON.stringify([n('a', '127.0.0.1', 1, 2)])]);
  assert.equal(json.config.cluster.nodes, [n('a', '127.0.0.1', 1, 2)]);
});

loading('flag mistakes', () => {
  const typo = throwsConfig(() => load(['--node', 'node1', '--raft.heartbeatInterval', '20']),
    '--raft.heartbeatInterval', 'is not a known flag');
  assert.match(typo.message, /did you mean --raft\.heartbeatIntervalMs\?/);
  throwsConfig(() => load(['--node', 'node1', '--verbose']), '--verbose', 'is not a known flag');
  throwsConfig(() => load(['--node', 'node1', '--raft.heartbeatIntervalMs']), '--raft.heartbeatIntervalMs', 'needs a value');
  throwsConfig(() => load(['--node']), '--node', 'needs a value');
  throwsConfig(() => load(['node1']), '"node1"', 'is not a flag');
  throwsConfig(() => load(['--node', 'node1', '--node', 'node2']), '--node', 'is given more than once');
  throwsConfig(() => load(['--node', 'node1', '--insecure=yes']), '--insecure', 'takes no value');
  throwsConfig(() => load(['--node', 'node1', '--raft.heartbeatIntervalMs', 'fast']), 'raft.heartbeatIntervalMs', 'expected integer');
});

loading('--node is required and must name a node; SYNCPAY_NODE can give it; the flag wins', () => {
  throwsConfig(() => load([]), '--node', 'is required');
  const err = throwsConfig(() => load(['--node', 'node9']), '--node', 'must name a node in cluster.nodes');
  assert.match(err.message, /known: node1, node2, node3/);
  assert.is(load([], { SYNCPAY_NODE: 'node2' }).nodeId, 'node2');
  assert.is(load(['--node', 'node3'], { SYNCPAY_NODE: 'node2' }).nodeId, 'node3');
});

loading('config file problems', () => {
  throwsConfig(() => load(['--node', 'node1', '--config', 'nope.json']), '--config', 'names a file that cannot be read');
  throwsConfig(() => load(['--node', 'node1', '--config', 'not-json.json']), join(FIX, 'not-json.json'), 'is not valid JSON');
  throwsConfig(() => load(['--node', 'node1', '--config', 'array.json']), join(FIX, 'array.json'), 'must hold a JSON object');
  const bad = throwsConfig(() => load(['--node', 'node1', '--config', 'bad-election.json']), 'raft.electionTimeoutMsMin', 'twice');
  assert.match(bad.message, /from .*bad-election\.json\)$/);
  const typo = throwsConfig(() => load(['--node', 'node1', '--config', 'typo.json']), 'raft.electionTimeoutMx', 'is not a known key');
  assert.match(typo.message, /from .*typo\.json\)$/);
  const nested = throwsConfig(() => load(['--node', 'node1'], { SYNCPAY_CLUSTER_NODES: '[{"id":"a b","host":"h","apiPort":1,"peerPort":2}]' }),
    'cluster.nodes[0].id', 'must match');
  assert.match(nested.message, /from SYNCPAY_CLUSTER_NODES\)$/);
  const cross = throwsConfig(() => load(['--node', 'node1', '--raft.heartbeatIntervalMs', '400']), 'raft.electionTimeoutMsMin', 'twice');
  assert.match(cross.message, /raft\.heartbeatIntervalMs from --raft\.heartbeatIntervalMs\)$/);
  // An override can repair what the file alone gets wrong: rules apply to the merged result.
  assert.is(load(['--node', 'node1', '--config', 'bad-election.json', '--raft.heartbeatIntervalMs', '40'])
    .config.raft.electionTimeoutMsMin, 80);
});

loading('secret from env, from a file relative to the config file, env first; tokens from env', () => {
  assert.is(load(['--node', 'node1'], { SYNCPAY_CLUSTER_SECRET: SECRET }).secret, SECRET);
  // cwd is the repository root: the secret file is still found next to the config file.
  const fromFile = load(['--node', 'node1', '--config', 'spec/fixtures/config/with-secret-file.json'], {}, ROOT);
  assert.is(fromFile.secret, 'fixture-secret-0123456789');
  assert.is(fromFile.sources['cluster.secretFile'], 'file');
  const both = load(['--node', 'node1', '--config', 'with-secret-file.json'], { SYNCPAY_CLUSTER_SECRET: SECRET });
  assert.is(both.secret, SECRET);
  throwsConfig(() => load(['--node', 'node1', '--config', 'missing-secret-file.json']), 'cluster.secretFile', 'cannot be read');
  const tokens = load(['--node', 'node1'], { SYNCPAY_API_TOKENS: ` ${TOKEN} ,second-token-0123456789,,${TOKEN}` });
  assert.equal(tokens.apiTokens, [TOKEN, 'second-token-0123456789']);
});

// Seeded: SEED=<n> replays a run. Any scalar value must mean the same whether it arrives through the
// file (JSON), the environment or a flag (text parsed by the key's type): same config or same error.
const SEED = Number(process.env['SEED'] ?? 20261126);
loading('file, env and flags agree on every scalar value (seeded property)', () => {
  console.log(`config.spec seed=${SEED}`);
  const scalar = [...LEAF_RULES].filter(([path, r]) => r.type !== 'json' && path !== 'cluster.secretFile');
  const valueFor = (rule: LeafRule): fc.Arbitrary<unknown> => {
    switch (rule.type) {
      case 'integer': return fc.oneof(fc.integer({ min: rule.min, max: rule.max }), fc.constantFrom(rule.min - 1, rule.max + 1, rule.min, rule.max));
      case 'number': return fc.integer({ min: rule.min * 100 - 100, max: Math.min(rule.max, 1e6) * 100 + 100 }).map((x) => x / 100);
      case 'boolean': return fc.boolean();
      case 'enum': return fc.oneof(fc.constantFrom(...rule.values), fc.constant('verbose'));
      case 'decimal': return fc.constantFrom('1', '0.01', '250000.50', '0', '-5', '1e3', '12.');
      default: return fc.string({ maxLength: 12 }).filter((t) => t !== 'null');
    }
  };
  const change = fc.constantFrom(...scalar).chain(([path, rule]) => valueFor(rule).map((value) => ({ path, value })));
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-config-'));
  const outcome = (fn: () => LoadedConfig): { config?: unknown; error?: string; sources?: Record<string, string> } => {
    try {
      const loaded = fn();
      return { config: loaded.config, sources: loaded.sources };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return { error: `${err.key} ${err.rule}` };
    }
  };
  const sourcesAs = (sources: Record<string, string> | undefined, from: string, to: string) =>
    sources && Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v === from ? to : v]));
  fc.assert(fc.property(fc.uniqueArray(change, { minLength: 1, maxLength: 4, selector: (c) => c.path }), (changes) => {
    const file: Record<string, Record<string, unknown>> = {};
    const env: Env = {};
    const argv = ['--node', 'node1'];
    for (const { path, value } of changes) {
      const [section, key] = path.split('.') as [string, string];
      (file[section] ??= {})[key] = value;
      env[envName(path)] = String(value);
      argv.push(`--${path}=${String(value)}`);
    }
    writeFileSync(join(dir, 'c.json'), JSON.stringify(file));
    const viaFile = outcome(() => load(['--node', 'node1', '--config', 'c.json'], {}, dir));
    const viaEnv = outcome(() => load(['--node', 'node1'], env, dir));
    const viaFlags = outcome(() => load(argv, {}, dir));
    assert.equal(viaEnv.config, viaFile.config);
    assert.equal(viaFlags.config, viaFile.config);
    assert.is(viaEnv.error, viaFile.error);
    assert.is(viaFlags.error, viaFile.error);
    assert.equal(sourcesAs(viaEnv.sources, 'env', 'file'), viaFile.sources);
    assert.equal(sourcesAs(viaFlags.sources, 'flag', 'file'), viaFile.sources);
  }), { seed: SEED, numRuns: 200 });
});

loading.run();

// ---- security and redaction --------------------------------------------------------------------

const security = suite('config: checkSecurity and redactedConfig');

security('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LocalHost', '::1', '[::1]', '::ffff:127.0.0.1']) {
    assert.ok(isLoopbackHost(h), h);
  }
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0.256', '127.evil.example', 'example.com', '1.127.0.0.1']) {
    assert.not.ok(isLoopbackHost(h), h);
  }
});

security('all on loopback: no secret or token needed', () => {
  checkSecurity(load(['--node', 'node1']));
});

security('peers off loopback need a secret, even with --insecure', () => {
  throwsConfig(() => checkSecurity(load(['--node', 'node3', '--config', 'remote.json', '--insecure'])),
    'clusterSecret', 'is required when a peer listens on a non-loopback host');
  checkSecurity(load(['--node', 'node3', '--config', 'remote.json'], { SYNCPAY_CLUSTER_SECRET: SECRET }));
});

security('a secret shorter than 16 characters is refused', () => {
  throwsConfig(() => checkSecurity(load(['--node', 'node1'], { SYNCPAY_CLUSTER_SECRET: 'x'.repeat(15) })),
    'clusterSecret', 'must be at least 16 characters');
  checkSecurity(load(['--node', 'node1'], { SYNCPAY_CLUSTER_SECRET: 'x'.repeat(16) }));
});

security('a client API off loopback needs tokens or --insecure', () => {
  const env = { SYNCPAY_CLUSTER_SECRET: SECRET };
  throwsConfig(() => checkSecurity(load(['--node', 'node1', '--config', 'remote.json'], env)),
    'apiTokens', 'are required when the client API listens on a non-loopback host');
  checkSecurity(load(['--node', 'node1', '--config', 'remote.json'], { ...env, SYNCPAY_API_TOKENS: TOKEN }));
  checkSecurity(load(['--node', 'node1', '--config', 'remote.json', '--insecure'], env));
});

security('fault injection off loopback is refused unless --insecure', () => {
  const env = { SYNCPAY_CLUSTER_SECRET: SECRET, SYNCPAY_API_TOKENS: TOKEN, SYNCPAY_NODE_FAULT_INJECTION: 'true' };
  throwsConfig(() => checkSecurity(load(['--node', 'node1', '--config', 'remote.json'], env)),
    'node.faultInjection', 'must be false');
  checkSecurity(load(['--node', 'node1', '--config', 'remote.json', '--insecure'], env));
  checkSecurity(load(['--node', 'node1'], { SYNCPAY_NODE_FAULT_INJECTION: 'true' }));
});

security('redactedConfig: every leaf with its source, never the secret or a token', () => {
  const loaded = load(['--node', 'node2', '--config', 'with-secret-file.json', '--raft.heartbeatIntervalMs', '20'],
    { SYNCPAY_API_TOKENS: `${TOKEN},other-token-0123456789`, SYNCPAY_LOG_LEVEL: 'warn' });
  const shown = redactedConfig(loaded);
  const text = JSON.stringify(shown);
  assert.ok(loaded.secret !== null);
  for (const hidden of [loaded.secret ?? '', TOKEN, 'other-token-0123456789']) {
    assert.not.ok(text.includes(hidden), 'a secret value leaked into /config');
  }
  assert.is(shown.clusterSecret, '[redacted]');
  assert.is(shown.apiTokens, '[redacted]');
  assert.equal(shown.config.raft?.heartbeatIntervalMs, { value: 20, source: 'flag' });
  assert.equal(shown.config.log?.level, { value: 'warn', source: 'env' });
  assert.equal(shown.config.cluster?.secretFile, { value: 'secret.txt', source: 'file' });
  assert.equal(shown.config.raft?.preVote, { value: true, source: 'default' });
  const leaves = Object.entries(shown.config).flatMap(([s, v]) => Object.keys(v).map((k) => `${s}.${k}`));
  assert.equal(leaves.sort(), [...LEAF_RULES.keys()].sort());
  const none = redactedConfig(load(['--node', 'node1']));
  assert.is(none.clusterSecret, null);
  assert.is(none.apiTokens, null);
});

security.run();

// ---- the check CLI as a process -----------------------------------------------------------------

const cli = suite('config: config-check process');
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SYNCPAY_')));
const runCheck = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'runtime/config-check.ts', ...args],
  { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });

cli('a bad file: exit 2 and exactly one stderr line naming the key', () => {
  const r = runCheck(['--node', 'node1', '--config', 'spec/fixtures/config/bad-election.json']);
  assert.is(r.status, 2, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /^config: raft\.electionTimeoutMsMin must be at least twice raft\.heartbeatIntervalMs/);
  assert.is(r.stdout, '');
});

cli('a good configuration: exit 0 and the redacted config on stdout', () => {
  const r = runCheck(['--node', 'node2']);
  assert.is(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as { nodeId: string; config: { raft: { heartbeatIntervalMs: { source: string } } } };
  assert.is(shown.nodeId, 'node2');
  assert.is(shown.config.raft.heartbeatIntervalMs.source, 'file');
});

cli.run();

