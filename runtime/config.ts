// Loading a node's configuration at boot: defaults, then cluster.config.json, then SYNCPAY_*
// environment variables, then command-line flags, each overriding the one before key by key. It
// remembers where every value came from (for /config and for error messages), reads the cluster
// secret and API tokens, and refuses insecure exposure. Validation rules live in config-rules.ts.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CONFIG, type Config } from '../machines/config.ts';
import {
  ConfigError, LEAF_RULES, SECTIONS, closest, isPlainObject, show, validateConfig,
  type LeafRule,
} from './config-rules.ts';

export {
  ConfigError, validateConfig, configWarnings, inferRule, CONFIG_RULES, COMMENT_KEY, LEAF_RULES, LOOSE,
  type LeafRule,
} from './config-rules.ts';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  config: Config;
  /** Every leaf key path (`raft.electionTimeoutMsMin`) -> where its value came from. */
  sources: Record<string, ConfigSource>;
  nodeId: string;
  secret: string | null;
  apiTokens: string[];
  insecure: boolean;
  /** Absolute path of the config file read (or looked for, when the default one is absent). */
  configPath: string;
}

export interface LoadOptions {
  argv: string[];
  env: Record<string, string | undefined>;
  cwd: string;
}

export const DEFAULT_CONFIG_FILE = 'cluster.config.json';
/** Environment variables that are not config keys. */
export const ENV_NODE = 'SYNCPAY_NODE';
export const ENV_SECRET = 'SYNCPAY_CLUSTER_SECRET';
export const ENV_API_TOKENS = 'SYNCPAY_API_TOKENS';
/** Read elsewhere (runtime/logger.ts), not config keys: accepted here so typo protection spares them. */
export const PASSTHROUGH_ENV: readonly string[] = ['SYNCPAY_LOG_PRETTY'];
const SPECIAL_ENV = [ENV_NODE, ENV_SECRET, ENV_API_TOKENS, ...PASSTHROUGH_ENV];
export const SECRET_LENGTH_MIN = 16;
const REDACTED = '[redacted]';

/** `raft.electionTimeoutMsMin` -> `SYNCPAY_RAFT_ELECTION_TIMEOUT_MS_MIN`. */
export function envName(path: string): string {
  const snake = path.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace('.', '_').toUpperCase();
  return `SYNCPAY_${snake}`;
}

const ENV_TO_PATH: ReadonlyMap<string, string> = new Map([...LEAF_RULES.keys()].map((p) => [envName(p), p]));

interface Override { readonly value: unknown; readonly origin: string }

interface ParsedArgs {
  nodeId: string | undefined;
  configPath: string | undefined;
  insecure: boolean;
  overrides: Map<string, Override>;
}

/** Read the configuration this process should run with. Synchronous: it runs once, before anything starts. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const args = parseArgv(options.argv);
  const env = parseEnv(options.env);
  const configPath = resolve(options.cwd, args.configPath ?? DEFAULT_CONFIG_FILE);
  const file = readConfigFile(configPath, args.configPath !== undefined);

  const raw: Record<string, unknown> = { ...(file ?? {}) };
  const sources: Record<string, ConfigSource> = {};
  const origins = new Map<string, string>();
  for (const path of LEAF_RULES.keys()) {
    const [section, key] = splitPath(path);
    const fileSection = raw[section];
    if (fileSection !== undefined && !isPlainObject(fileSection)) {
      throw new ConfigError(section, 'must be an object', `got ${show(fileSection)} from ${configPath}`);
    }
    const layer = args.overrides.get(path) ?? env.overrides.get(path);
    if (layer !== undefined) {
      raw[section] = { ...(fileSection ?? {}), [key]: layer.value };
      sources[path] = args.overrides.has(path) ? 'flag' : 'env';
      origins.set(path, layer.origin);
    } else if (fileSection !== undefined && fileSection[key] !== undefined) {
      sources[path] = 'file';
      origins.set(path, configPath);
    } else {
      sources[path] = 'default';
    }
  }

  let config: Config;
  try {
    config = validateConfig(raw);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A key that is no leaf (a typo, a misspelt section) can only have come from the file.
    const leaf = leafOf(err.key);
    if (file !== null && (leaf === undefined || !LEAF_RULES.has(leaf))) origins.set(err.key, configPath);
    throw withOrigin(err, origins);
  }

  const nodeId = args.nodeId ?? env.nodeId;
  if (nodeId === undefined) {
    throw new ConfigError('--node', 'is required', `give --node <id> or ${ENV_NODE}; known: ${nodeIds(config)}`);
  }
  if (!config.cluster.nodes.some((n) => n.id === nodeId)) {
    throw new ConfigError('--node', 'must name a node in cluster.nodes', `got ${show(nodeId)}; known: ${nodeIds(config)}`);
  }

  return {
    config,
    sources,
    nodeId,
    secret: env.secret ?? readSecretFile(config, configPath),
    apiTokens: env.apiTokens,
    insecure: args.insecure,
    configPath,
  };
}

// ---- flags -------------------------------------------------------------------------------------

function parseArgv(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { nodeId: undefined, configPath: undefined, insecure: false, overrides: new Map() };
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--') || arg === '--') {
      throw new ConfigError(show(arg), 'is not a flag', 'flags look like --node node1 or --raft.heartbeatIntervalMs=20');
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const flag = `--${name}`;
    const rule = LEAF_RULES.get(name);
    if (name !== 'node' && name !== 'config' && name !== 'insecure' && rule === undefined) {
      const hint = closest(name, ['node', 'config', 'insecure', ...LEAF_RULES.keys()]);
      throw new ConfigError(flag, 'is not a known flag', hint === null ? undefined : `did you mean --${hint}?`);
    }
    if (seen.has(name)) throw new ConfigError(flag, 'is given more than once');
    seen.add(name);
    if (name === 'insecure') {
      if (inline !== undefined) throw new ConfigError(flag, 'takes no value', `got ${show(inline)}`);
      out.insecure = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new ConfigError(flag, 'needs a value');
      i++;
    }
    if (name === 'node') out.nodeId = value;
    else if (name === 'config') out.configPath = value;
    else out.overrides.set(name, { value: parseText(name, rule as LeafRule, value, flag), origin: flag });
  }
  return out;
}

// ---- environment -------------------------------------------------------------------------------

interface ParsedEnv {
  nodeId: string | undefined;
  secret: string | null;
  apiTokens: string[];
  overrides: Map<string, Override>;
}

function parseEnv(env: Record<string, string | undefined>): ParsedEnv {
  const out: ParsedEnv = { nodeId: undefined, secret: null, apiTokens: [], overrides: new Map() };
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith('SYNCPAY_') || text === undefined || PASSTHROUGH_ENV.includes(name)) continue;
    if (name === ENV_NODE) out.nodeId = text;
    else if (name === ENV_SECRET) out.secret = text;
    else if (name === ENV_API_TOKENS) out.apiTokens = [...new Set(text.split(',').map((t) => t.trim()).filter((t) => t !== ''))];
    else {
      const path = ENV_TO_PATH.get(name);
      if (path === undefined) {
        // A misspelt variable would otherwise be ignored in silence, and the default used instead.
        const hint = closest(name, [...ENV_TO_PATH.keys(), ...SPECIAL_ENV]);
        throw new ConfigError(name, 'is not a known SYNCPAY_ variable', hint === null ? undefined : `did you mean ${hint}?`);
      }
      out.overrides.set(path, { value: parseText(path, LEAF_RULES.get(path) as LeafRule, text, name), origin: name });
    }
  }
  return out;
}

/** Turn the text of an env var or flag into a value of the key's type; validation follows later. */
function parseText(path: string, rule: LeafRule, text: string, origin: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError(path, expected, `got ${show(text)} from ${origin}`);
  };
  const nullable = (rule.type === 'integer' || rule.type === 'string') && rule.nullable === true;
  if (nullable && text === 'null') return null;
  switch (rule.type) {
    case 'integer':
      return /^-?[0-9]+$/.test(text) ? Number(text) : fail(nullable ? 'expected integer or null' : 'expected integer');
    case 'number':
      return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : fail('expected number');
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : fail('expected boolean (true or false)');
    case 'string':
    case 'enum':
    case 'decimal':
      return text;
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return fail('expected JSON');
      }
  }
}

// ---- files -------------------------------------------------------------------------------------

function readConfigFile(path: string, explicit: boolean): Record<string, unknown> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = errorCode(err);
    // Without --config, no file means "all defaults": handy for a one-node dev run and for tests.
    if (code === 'ENOENT' && !explicit) return null;
    throw new ConfigError('--config', 'names a file that cannot be read', `${code} ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, 'is not valid JSON', err instanceof Error ? err.message : String(err));
  }
  if (!isPlainObject(parsed)) throw new ConfigError(path, 'must hold a JSON object', `got ${show(parsed)}`);
  return parsed;
}

function readSecretFile(config: Config, configPath: string): string | null {
  const name = config.cluster.secretFile;
  if (name === null) return null;
  // Relative to the config file, so a cluster directory can be moved or mounted anywhere.
  const path = resolve(dirname(configPath), name);
  try {
    return readFileSync(path, 'utf8').replace(/\s+$/, '');
  } catch (err) {
    throw new ConfigError('cluster.secretFile', 'names a file that cannot be read', `${errorCode(err)} ${path}`);
  }
}

function errorCode(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
}

// ---- security ----------------------------------------------------------------------------------

/**
 * Refuse configurations that expose the cluster: peer links beyond this machine without a shared
 * secret, a weak secret, a client API beyond this machine without tokens or with fault injection
 * on (either allowed by --insecure).
 */
export function checkSecurity(loaded: LoadedConfig): void {
  const { config, secret, apiTokens, insecure, nodeId } = loaded;
  const remote = config.cluster.nodes.find((n) => !isLoopbackHost(n.host));
  if (remote !== undefined && secret === null) {
    throw new ConfigError('clusterSecret', 'is required when a peer listens on a non-loopback host',
      `${remote.id} on ${remote.host}; set ${ENV_SECRET} or cluster.secretFile`);
  }
  if (secret !== null && secret.length < SECRET_LENGTH_MIN) {
    throw new ConfigError('clusterSecret', `must be at least ${SECRET_LENGTH_MIN} characters`, `got ${secret.length}`);
  }
  const self = config.cluster.nodes.find((n) => n.id === nodeId);
  if (self !== undefined && !isLoopbackHost(self.host) && apiTokens.length === 0 && !insecure) {
    throw new ConfigError('apiTokens', 'are required when the client API listens on a non-loopback host',
      `${self.id} on ${self.host}; set ${ENV_API_TOKENS} or pass --insecure`);
  }
  // The crash endpoint is a test tool; reachable from the network it is a denial-of-service switch.
  if (config.node.faultInjection && self !== undefined && !isLoopbackHost(self.host) && !insecure) {
    throw new ConfigError('node.faultInjection', 'must be false when the client API listens on a non-loopback host',
      `${self.id} on ${self.host}; pass --insecure to allow it`);
  }
}

/** 127.0.0.0/8, ::1 (also bracketed or IPv4-mapped) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice('::ffff:'.length) : h;
  const octets = v4.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255);
}

// ---- reporting ---------------------------------------------------------------------------------

export interface RedactedConfig {
  nodeId: string;
  configPath: string;
  insecure: boolean;
  /** section -> key -> { value, source } */
  config: Record<string, Record<string, { value: unknown; source: ConfigSource }>>;
  clusterSecret: typeof REDACTED | null;
  apiTokens: typeof REDACTED | null;
}

/** What `/config` shows: every value with its source; the secret and tokens only as "[redacted]". */
export function redactedConfig(loaded: LoadedConfig): RedactedConfig {
  const config: RedactedConfig['config'] = {};
  for (const section of SECTIONS) {
    const values = loaded.config[section] as Record<string, unknown>;
    const entries: Record<string, { value: unknown; source: ConfigSource }> = {};
    for (const key of Object.keys(values)) {
      entries[key] = { value: structuredClone(values[key]), source: loaded.sources[`${section}.${key}`] ?? 'default' };
    }
    config[section] = entries;
  }
  return {
    nodeId: loaded.nodeId,
    configPath: loaded.configPath,
    insecure: loaded.insecure,
    config,
    clusterSecret: loaded.secret === null ? null : REDACTED,
    apiTokens: loaded.apiTokens.length === 0 ? null : REDACTED,
  };
}

/** One line per key: path, type and bounds, default, env variable. For `config-check --keys`. */
export function describeKeys(): string[] {
  return [...LEAF_RULES].map(([path, rule]) => {
    const [section, key] = splitPath(path);
    const fallback = JSON.stringify((DEFAULT_CONFIG[section] as Record<string, unknown>)[key]);
    return `${path}  ${describeRule(rule)}  default ${fallback}  env ${envName(path)}`;
  });
}

function describeRule(rule: LeafRule): string {
  switch (rule.type) {
    case 'integer': return `integer ${rule.min}..${rule.max}${rule.nullable ? ' or null' : ''}`;
    case 'number': return `number ${rule.min}..${rule.max}`;
    case 'string': return `string${rule.nullable ? ' or null' : ''}`;
    case 'enum': return rule.values.join('|');
    case 'decimal': return 'positive decimal string';
    case 'boolean': return 'true|false';
    case 'json': return 'JSON';
  }
}

// ---- helpers -----------------------------------------------------------------------------------

function splitPath(path: string): [keyof Config, string] {
  const dot = path.indexOf('.');
  return [path.slice(0, dot) as keyof Config, path.slice(dot + 1)];
}

function nodeIds(config: Config): string {
  return config.cluster.nodes.map((n) => n.id).join(', ');
}

/** `cluster.nodes[1].id` -> `cluster.nodes`; `raft` -> undefined. */
function leafOf(key: string): string | undefined {
  return /^[a-z]+\.[A-Za-z$]+/.exec(key)?.[0];
}

/** Say which layer set the offending key, so the operator knows whether to fix the file, env or flags. */
function withOrigin(err: ConfigError, origins: ReadonlyMap<string, string>): ConfigError {
  const leaf = leafOf(err.key);
  const origin = origins.get(err.key) ?? (leaf === undefined ? undefined : origins.get(leaf));
  const notes = origin === undefined ? [] : [`from ${origin}`];
  // A rule across keys may be broken by the other key: name where that one came from too.
  for (const [other, otherOrigin] of origins) {
    if (other !== leaf && new RegExp(`\\b${other.replace('.', '\\.')}\\b`).test(err.rule)) {
      notes.push(`${other} from ${otherOrigin}`);
    }
  }
  if (notes.length === 0) return err;
  const detail = [...(err.detail === undefined ? [] : [err.detail]), ...notes].join('; ');
  return new ConfigError(err.key, err.rule, detail);
}
