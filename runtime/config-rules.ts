// What a valid configuration is: one rule per key (type and bounds) plus the rules that tie keys
// together. Kept pure (no files, no env) so the simulator, the HTTP layer and tests can validate a
// config object directly; runtime/config.ts layers file, environment and flags on top of it.
// The key set comes from DEFAULT_CONFIG, so a key added to machines/config.ts is known (settable from
// file, env and flags) at once; its bounds come from the table below or, failing that, its unit.
import { DEFAULT_CONFIG, type Config, type NodeAddress } from '../machines/config.ts';

/** A bad configuration. The message is one line naming the key and the rule it broke. */
export class ConfigError extends Error {
  readonly key: string;
  readonly rule: string;
  readonly detail: string | undefined;

  constructor(key: string, rule: string, detail?: string) {
    super(oneLine(`config: ${key} ${rule}${detail === undefined ? '' : ` (${detail})`}`));
    this.name = 'ConfigError';
    this.key = key;
    this.rule = rule;
    this.detail = detail;
  }
}

/** How one leaf key is checked, and how its text form (env, flags) is read. */
export type LeafRule =
  | { readonly type: 'integer'; readonly min: number; readonly max: number; readonly nullable?: true }
  | { readonly type: 'number'; readonly min: number; readonly max: number }
  | { readonly type: 'boolean' }
  | { readonly type: 'string'; readonly nullable?: true }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  /** A positive decimal string (money in major units): never a float. */
  | { readonly type: 'decimal' }
  /** A structured value (array or object); env and flags give it as JSON text. */
  | { readonly type: 'json'; readonly check: (key: string, value: unknown) => unknown };

// Optional per key: a key without an entry gets a rule inferred from its unit (see inferRule), so a
// field another engineer adds to machines/config.ts is validated, and settable, at once.
type Rules = { readonly [S in keyof Config]?: { readonly [K in keyof Config[S]]?: LeafRule } };

export const PINO_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const CLUSTER_SIZE_MAX = 7;
const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;
const EXPONENT_MAX = 4;

// Bounds are generous on purpose: they refuse values that cannot be meant (zero, negative, a timeout
// past an hour, a size past 2 GiB) rather than encode tuning advice.
const ms = (min = 1, max = 3_600_000): LeafRule => ({ type: 'integer', min, max });
const bytes = (min = 1): LeafRule => ({ type: 'integer', min, max: 2 ** 31 });
const count = (max: number, min = 1): LeafRule => ({ type: 'integer', min, max });
const bool: LeafRule = { type: 'boolean' };
const THIRTY_DAYS_MS = 30 * 24 * 3_600_000;

export const CONFIG_RULES: Rules = {
  cluster: {
    nodes: { type: 'json', check: checkNodes },
    secretFile: { type: 'string', nullable: true },
  },
  node: {
    dataDir: { type: 'string' },
    randomSeed: { type: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, nullable: true },
    faultInjection: bool,
  },
  raft: {
    electionTimeoutMsMin: ms(),
    electionTimeoutMsMax: ms(),
    heartbeatIntervalMs: ms(),
    preVote: bool,
    checkQuorum: bool,
    entriesPerAppendMax: count(1_000_000),
    appendBytesMax: bytes(),
    appendsInFlightMax: count(1024),
    pendingProposalsMax: count(10_000_000),
    uncommittedBytesMax: bytes(),
    proposalTimeoutMs: ms(),
    proposalWaitForLeaderMs: ms(0),
    snapshotEntriesThreshold: count(1_000_000_000),
    snapshotAfterLogBytes: bytes(),
    snapshotChunkBytes: bytes(),
    leaderTransferTimeoutMs: ms(),
    logSegmentBytesMax: bytes(),
    snapshotSyncBytes: bytes(),
    inboxEventsMax: count(10_000_000),
    writeBatchesInFlightMax: count(4096),
  },
  link: {
    messageBytesMax: bytes(),
    sendBufferBytesMax: bytes(),
    coalesceBytesMax: bytes(),
    pingIntervalMs: ms(),
    reconnectBackoffMsMin: ms(),
    reconnectBackoffMsMax: ms(),
    authSkewMsMax: ms(),
    handshakeTimeoutMs: ms(),
    authNonceEntriesMax: count(10_000_000),
  },
  heartbeat: {
    intervalMs: ms(),
    phiThreshold: { type: 'number', min: 0.5, max: 100 },
    phiMinStdDevMs: ms(),
    acceptablePauseMs: ms(0),
    sampleWindowSize: count(100_000),
  },
  clock: {
    maxClockOffsetMs: ms(),
    sampleWindowSize: count(100_000),
    sampleMaxAgeMs: ms(),
  },
  ledger: {
    autoOpenAccounts: bool,
    defaultCurrency: { type: 'string' },
    currencies: { type: 'json', check: checkCurrencies },
    amountMax: { type: 'decimal' },
    referenceBytesMax: count(65_536),
    batchTransfersMax: count(1_000_000),
    idempotencyRetentionMs: ms(1, THIRTY_DAYS_MS),
    recentOutcomesMax: count(10_000_000),
    applySliceMs: ms(),
  },
  http: {
    bodyBytesMax: bytes(),
    pendingRequestsMax: count(10_000_000),
    requestTimeoutMs: ms(),
    requestSliceMs: ms(),
    groupBytesMax: bytes(),
    transactionsPageMax: count(1_000_000),
    uiUpdateIntervalMs: ms(10, 60_000),
    uiStreamClientsMax: count(1000),
    uiClientBufferBytesMax: bytes(),
    uiEventsPerTickMax: count(100_000),
  },
  supervisor: {
    // 0 is meaningful: never restart, escalate at the first crash.
    restartsMax: count(1000, 0),
    restartPeriodMs: ms(),
    shutdownTimeoutMs: ms(),
  },
  log: {
    level: { type: 'enum', values: PINO_LEVELS },
    actorLevels: { type: 'json', check: checkActorLevels },
  },
};

/** JSON has no comments: this key is accepted (and ignored) at the top level and in every section. */
export const COMMENT_KEY = '$comment';

export const SECTIONS = Object.keys(DEFAULT_CONFIG) as (keyof Config)[];

/**
 * The rule for a key with no entry in CONFIG_RULES, from the project's naming convention (unit last
 * in the name): `...Ms...` is a duration, `...Bytes...` a size, any other number a count. A default
 * whose type says nothing (null, an object) gets LOOSE, which accepts any JSON and which
 * spec/runtime/config.spec.ts refuses: such a key needs an explicit rule.
 */
export function inferRule(key: string, defaultValue: unknown): LeafRule {
  const words = key.split(/(?=[A-Z])/);
  if (typeof defaultValue === 'boolean') return bool;
  if (typeof defaultValue === 'string') return { type: 'string' };
  if (typeof defaultValue === 'number' && Number.isSafeInteger(defaultValue)) {
    if (words.includes('Ms')) return ms(0);
    if (words.includes('Bytes')) return bytes();
    return count(2 ** 31, 0);
  }
  if (typeof defaultValue === 'number') return { type: 'number', min: 0, max: Number.MAX_VALUE };
  return LOOSE;
}

/** Accepts any JSON value: only for keys whose default gives no type to infer. */
export const LOOSE: LeafRule = { type: 'json', check: (_key, value) => structuredClone(value) };

/** Every leaf key path (`raft.electionTimeoutMsMin`) with its rule, in the order of DEFAULT_CONFIG. */
export const LEAF_RULES: ReadonlyMap<string, LeafRule> = new Map(
  SECTIONS.flatMap((section) => {
    const rules = (CONFIG_RULES[section] ?? {}) as Record<string, LeafRule | undefined>;
    return Object.entries(DEFAULT_CONFIG[section]).map(
      ([key, value]) => [`${section}.${key}`, rules[key] ?? inferRule(key, value)] as const,
    );
  }),
);

/**
 * Validate a (possibly partial) configuration and fill what it leaves out from DEFAULT_CONFIG.
 * Merging is by section and key: a present key replaces its default whole (so `cluster.nodes` and
 * `ledger.currencies` are replaced, never merged). Throws the first ConfigError found.
 */
export function validateConfig(raw: unknown): Config {
  if (!isPlainObject(raw)) throw new ConfigError('<root>', 'must be a JSON object', `got ${show(raw)}`);
  for (const key of Object.keys(raw)) {
    if (key === COMMENT_KEY) continue;
    if (!(SECTIONS as string[]).includes(key)) throw unknownKey(key, [...SECTIONS]);
  }
  const out: Record<string, Record<string, unknown>> = {};
  for (const section of SECTIONS) {
    const sectionValue = raw[section];
    if (sectionValue !== undefined && !isPlainObject(sectionValue)) {
      throw new ConfigError(section, 'must be an object', `got ${show(sectionValue)}`);
    }
    const given: Record<string, unknown> | undefined = sectionValue;
    const defaults = DEFAULT_CONFIG[section] as Record<string, unknown>;
    const known = Object.keys(defaults);
    for (const key of Object.keys(given ?? {})) {
      if (key === COMMENT_KEY) continue;
      if (!known.includes(key)) throw unknownKey(`${section}.${key}`, [...LEAF_RULES.keys()]);
    }
    const values: Record<string, unknown> = {};
    for (const key of known) {
      const value = given !== undefined && given[key] !== undefined ? given[key] : structuredClone(defaults[key]);
      values[key] = checkLeaf(`${section}.${key}`, LEAF_RULES.get(`${section}.${key}`) as LeafRule, value);
    }
    out[section] = values;
  }
  const config = out as unknown as Config;
  checkRelations(config);
  return deepFreeze(config);
}

/** Check one leaf's type and range; returns the value to keep (structured values are copied). */
export function checkLeaf(key: string, rule: LeafRule, value: unknown): unknown {
  switch (rule.type) {
    case 'integer': {
      if (value === null && rule.nullable) return null;
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new ConfigError(key, rule.nullable ? 'expected integer or null' : 'expected integer', `got ${show(value)}`);
      }
      return inRange(key, value, rule.min, rule.max);
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new ConfigError(key, 'expected number', `got ${show(value)}`);
      }
      return inRange(key, value, rule.min, rule.max);
    }
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(key, 'expected boolean', `got ${show(value)}`);
      return value;
    case 'string':
      if (value === null && rule.nullable) return null;
      if (typeof value !== 'string') {
        throw new ConfigError(key, rule.nullable ? 'expected string or null' : 'expected string', `got ${show(value)}`);
      }
      if (value.length === 0) throw new ConfigError(key, 'must not be empty');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !rule.values.includes(value)) {
        throw new ConfigError(key, `must be one of ${rule.values.join(', ')}`, `got ${show(value)}`);
      }
      return value;
    case 'decimal':
      if (typeof value !== 'string' || !isPositiveDecimal(value)) {
        throw new ConfigError(key, 'must be a positive decimal string such as "1000000.00"', `got ${show(value)}`);
      }
      return value;
    case 'json':
      return rule.check(key, value);
  }
}

function inRange(key: string, value: number, min: number, max: number): number {
  if (value < min || value > max) throw new ConfigError(key, `must be between ${min} and ${max}`, `got ${value}`);
  return value;
}

function isPositiveDecimal(text: string): boolean {
  // Digits only, an optional fraction, no sign or exponent; the length cap keeps bigint math cheap.
  return text.length <= 40 && /^(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text) && /[1-9]/.test(text);
}

// ---- structured values -------------------------------------------------------------------------

const NODE_FIELDS = ['id', 'host', 'apiPort', 'peerPort'] as const;

function checkNodes(key: string, value: unknown): NodeAddress[] {
  if (!Array.isArray(value)) throw new ConfigError(key, 'expected array of nodes', `got ${show(value)}`);
  if (value.length < 1 || value.length > CLUSTER_SIZE_MAX) {
    throw new ConfigError(key, `must list 1 to ${CLUSTER_SIZE_MAX} nodes`, `got ${value.length}`);
  }
  const nodes = value.map((node, i) => checkNode(`${key}[${i}]`, node));
  nodes.forEach((node, i) => {
    const first = nodes.findIndex((other) => other.id === node.id);
    if (first !== i) throw new ConfigError(`${key}[${i}].id`, 'must be unique', `got ${show(node.id)}, also ${key}[${first}].id`);
  });
  // Two listeners on one host and port cannot both bind; catch it here, not as EADDRINUSE at boot.
  const listeners = nodes.flatMap((node, i) => [
    { name: `${key}[${i}].apiPort`, host: node.host, port: node.apiPort },
    { name: `${key}[${i}].peerPort`, host: node.host, port: node.peerPort },
  ]);
  listeners.forEach((l, i) => {
    const clash = listeners.slice(0, i).find((o) => o.port === l.port && sameBindHost(o.host, l.host));
    if (clash) {
      throw new ConfigError(l.name, 'must be unique on its host', `got ${l.port} on ${l.host}, also ${clash.name}`);
    }
  });
  return nodes;
}

function checkNode(key: string, value: unknown): NodeAddress {
  if (!isPlainObject(value)) throw new ConfigError(key, 'expected object { id, host, apiPort, peerPort }', `got ${show(value)}`);
  for (const field of Object.keys(value)) {
    if (!(NODE_FIELDS as readonly string[]).includes(field)) throw unknownKey(`${key}.${field}`, NODE_FIELDS.map((f) => `${key}.${f}`));
  }
  for (const field of NODE_FIELDS) {
    if (value[field] === undefined) throw new ConfigError(`${key}.${field}`, 'is required');
  }
  const { id, host, apiPort, peerPort } = value;
  if (typeof id !== 'string' || !NODE_ID.test(id)) {
    throw new ConfigError(`${key}.id`, 'must match /^[A-Za-z0-9_-]{1,64}$/', `got ${show(id)}`);
  }
  if (typeof host !== 'string' || host.length === 0 || host.length > 253 || /\s/.test(host)) {
    throw new ConfigError(`${key}.host`, 'must be a host name or IP address', `got ${show(host)}`);
  }
  const port = (name: string, v: unknown): number =>
    checkLeaf(`${key}.${name}`, { type: 'integer', min: 1, max: 65_535 }, v) as number;
  return { id, host, apiPort: port('apiPort', apiPort), peerPort: port('peerPort', peerPort) };
}

function sameBindHost(a: string, b: string): boolean {
  const norm = (h: string): string => {
    const x = h.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return x === 'localhost' ? '127.0.0.1' : x;
  };
  const wildcard = (h: string): boolean => h === '0.0.0.0' || h === '::';
  const [x, y] = [norm(a), norm(b)];
  return x === y || wildcard(x) || wildcard(y);
}

function checkCurrencies(key: string, value: unknown): Record<string, number> {
  if (!isPlainObject(value)) throw new ConfigError(key, 'expected object of currency code -> exponent', `got ${show(value)}`);
  const codes = Object.keys(value);
  if (codes.length === 0) throw new ConfigError(key, 'must list at least one currency');
  const out: Record<string, number> = {};
  for (const code of codes) {
    if (!CURRENCY_CODE.test(code)) throw new ConfigError(`${key}.${code}`, 'must be a three-letter upper-case code (ISO 4217)');
    const exponent = value[code];
    if (typeof exponent !== 'number' || !Number.isSafeInteger(exponent) || exponent < 0 || exponent > EXPONENT_MAX) {
      throw new ConfigError(`${key}.${code}`, `must be an integer exponent between 0 and ${EXPONENT_MAX}`, `got ${show(exponent)}`);
    }
    out[code] = exponent;
  }
  return out;
}

function checkActorLevels(key: string, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new ConfigError(key, 'expected object of actor -> log level', `got ${show(value)}`);
  const out: Record<string, string> = {};
  // Names are not limited to the five actors: runtime components (transport, http) log too.
  for (const [name, level] of Object.entries(value)) {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) {
      throw new ConfigError(`${key}.${name}`, 'must be a lower-case component name such as "log-replication"');
    }
    if (typeof level !== 'string' || !(PINO_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(`${key}.${name}`, `must be one of ${PINO_LEVELS.join(', ')}`, `got ${show(level)}`);
    }
    out[name] = level;
  }
  return out;
}

// ---- rules across keys -------------------------------------------------------------------------

/**
 * Keys that only make sense together. electionTimeoutMsMin must be at least twice the heartbeat
 * interval: with only 1x, a single late or lost heartbeat starts an election, and Raft wants the
 * election timeout well above the broadcast time. Twice is the floor we enforce; the default is 6x.
 */
function checkRelations(c: Config): void {
  const { raft, link, http, clock, ledger } = c;
  if (raft.electionTimeoutMsMin < 2 * raft.heartbeatIntervalMs) {
    throw new ConfigError('raft.electionTimeoutMsMin', 'must be at least twice raft.heartbeatIntervalMs',
      `got ${raft.electionTimeoutMsMin} < 2 * ${raft.heartbeatIntervalMs}`);
  }
  if (raft.electionTimeoutMsMax <= raft.electionTimeoutMsMin) {
    // Equal bounds would remove the randomisation that breaks split votes.
    throw new ConfigError('raft.electionTimeoutMsMax', 'must be greater than raft.electionTimeoutMsMin',
      `got ${raft.electionTimeoutMsMax} <= ${raft.electionTimeoutMsMin}`);
  }
  if (link.reconnectBackoffMsMax < link.reconnectBackoffMsMin) {
    throw new ConfigError('link.reconnectBackoffMsMax', 'must be at least link.reconnectBackoffMsMin',
      `got ${link.reconnectBackoffMsMax} < ${link.reconnectBackoffMsMin}`);
  }
  // Anything that travels as one peer message must fit in one.
  atMost('raft.appendBytesMax', raft.appendBytesMax, 'link.messageBytesMax', link.messageBytesMax);
  atMost('raft.snapshotChunkBytes', raft.snapshotChunkBytes, 'link.messageBytesMax', link.messageBytesMax);
  // A follower forwards a client write to the leader over its peer link.
  atMost('http.bodyBytesMax', http.bodyBytesMax, 'link.messageBytesMax', link.messageBytesMax);
  atMost('link.messageBytesMax', link.messageBytesMax, 'link.sendBufferBytesMax', link.sendBufferBytesMax);
  // Peers whose clocks differ by an offset we tolerate must still pass the handshake's skew check.
  atMost('clock.maxClockOffsetMs', clock.maxClockOffsetMs, 'link.authSkewMsMax', link.authSkewMsMax);
  if (!Object.hasOwn(ledger.currencies, ledger.defaultCurrency)) {
    throw new ConfigError('ledger.defaultCurrency', 'must be one of ledger.currencies',
      `got ${show(ledger.defaultCurrency)}; known: ${Object.keys(ledger.currencies).join(', ')}`);
  }
}

function atMost(key: string, value: number, limitKey: string, limit: number): void {
  if (value > limit) throw new ConfigError(key, `must be at most ${limitKey}`, `got ${value} > ${limit}`);
}

/** Advice that does not stop a node: returned as lines for the boot log. */
export function configWarnings(config: Config): string[] {
  const out: string[] = [];
  const size = config.cluster.nodes.length;
  if (size % 2 === 0) {
    out.push(`config: cluster.nodes has ${size} nodes; an even size tolerates no more failures than ${size - 1} (use 3 or 5)`);
  }
  return out;
}

// ---- helpers -----------------------------------------------------------------------------------

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, single-line rendering of a bad value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ');
}

export function unknownKey(key: string, known: readonly string[]): ConfigError {
  const hint = closest(key, known);
  return new ConfigError(key, 'is not a known key', hint === null ? undefined : `did you mean ${hint}?`);
}

/** The candidate nearest to a typo, if it is near enough to be a plausible intent. */
export function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
