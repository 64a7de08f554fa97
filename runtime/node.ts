// Boot and graceful close of one node process. Order matters: configuration is validated
// before anything binds; durable state is opened before the actors start; the client API binds
// last, when the node can serve. Shutdown runs in reverse within `supervisor.shutdownTimeoutMs`:
// drain the API (in-flight requests finish or fail), hand over leadership, stop the actors,
// close links and files, flush logs, exit 0. Escalation from the supervisor exits 1.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { ClockApi, ConsensusApi, HeartbeatApi } from '../actors/apis.ts';
import type { LedgerActorApi } from '../actors/ledger.actor.ts';
import type { ActorFactory, NodeActor } from '../actors/actor.ts';
import type { Logger, LogStore, Ports, RecoveredLog, TraceEvent } from '../actors/ports.ts';
import { Supervisor } from '../actors/supervisor.ts';
import { defaultFactories } from '../actors/factories.ts';
import { ACTOR_IDS, type ActorId } from '../machines/types.ts';
import { formatHlc } from '../machines/clock/hlc.ts';
import { checkSecurity, ConfigError, loadConfig, type LoadedConfig } from './config.ts';
import { buildHttpServer, type RoutePlugin } from './http/server.ts';
import type { NodeServices } from './http/services.ts';
import { actorLogger, createRootLogger } from './logger.ts';
import { openFileLogStore, type FileLogStore } from './storage/index.ts';
import { systemClock, systemRandom } from './system-ports.ts';
import { Timeline } from './timeline.ts';
import { watchStalls } from './stall-watch.ts';
import { createPeerTransport } from './transport/index.ts';
import { routePlugins } from './http/plugins.ts';
import { httpMetricsHook, metricsRoutes } from './http/metrics-routes.ts';
import { paymentMetricsHook } from './http/payment-metrics.ts';
import { createNodeMetrics, type NodeMetrics } from './metrics/registry.ts';

/** How often the stall watch looks: well under a heartbeat interval, one timer per node. */
const STALL_SAMPLE_MS = 10;

/** A stamp of wall time alone, for the moments no clock actor runs (boot, its restart). */
const wallStamp = (): string => formatHlc({ physicalMs: Math.floor(systemClock.now()), logical: 0 });

export const EXIT_OK = 0;
export const EXIT_ESCALATED = 1;
export const EXIT_CONFIG = 2;
export const EXIT_STORAGE = 3;

export interface RunningNode {
  readonly loaded: LoadedConfig;
  readonly supervisor: Supervisor;
  readonly http: FastifyInstance;
  readonly timeline: Timeline;
  shutdown(code: number, reason: string): Promise<void>;
}

/** Loads configuration or exits 2 with one line naming the key and the rule. */
export function loadOrExit(argv: readonly string[], env: NodeJS.ProcessEnv): LoadedConfig {
  try {
    const loaded = loadConfig({ argv: [...argv], env, cwd: process.cwd() });
    checkSecurity(loaded);
    return loaded;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

/** A secret for a cluster that lives entirely on loopback and was given none (dev only). */
function loopbackSecret(loaded: LoadedConfig): string {
  const digest = createHash('sha256').update(JSON.stringify(loaded.config.cluster.nodes)).digest('hex');
  return `syncpay-loopback-${digest}`;
}

export async function runNode(argv: readonly string[], env: NodeJS.ProcessEnv, factories: Readonly<Record<ActorId, ActorFactory>> = defaultFactories): Promise<RunningNode> {
  const loaded = loadOrExit(argv, env);
  const { config, nodeId } = loaded;
  let supervisor: Supervisor | undefined;
  const clockApi = (): ClockApi | undefined => supervisor?.lookup<NodeActor & { api: ClockApi }>('clock')?.api;
  /** The clock actor's HLC, or a wall-clock stamp while it is not running. */
  const stampNow = (): string => clockApi()?.hlcNow() ?? wallStamp();
  const root = createRootLogger({
    nodeId,
    level: config.log.level,
    pretty: env['SYNCPAY_LOG_PRETTY'] === '1',
    hlc: stampNow,
  });
  const self = config.cluster.nodes.find((n) => n.id === nodeId);
  if (!self) throw new Error(`node ${nodeId} is not in cluster.nodes`);

  let secret = loaded.secret;
  if (!secret) {
    secret = loopbackSecret(loaded);
    root.warn('no cluster secret configured: peer links use a secret derived from the configuration (loopback only)');
  }

  let metrics: NodeMetrics | undefined;
  const dataDir = resolve(process.cwd(), config.node.dataDir.replace('{id}', nodeId));
  let logStore: FileLogStore;
  let recovered: RecoveredLog;
  try {
    logStore = await openFileLogStore({ dir: dataDir, logger: root.child({ actor: 'storage' }) as unknown as Logger,
      segmentBytesMax: config.raft.logSegmentBytesMax,
      snapshotSyncBytes: config.raft.snapshotSyncBytes,
      onFsync: (ms, records) => metrics?.observeFsync(ms, records),
    });
    // Read the whole directory once before any actor starts: corruption stops the node here with
    // the file and offset, instead of crashing the consensus actor until restart intensity runs out.
    recovered = await logStore.load();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    root.fatal({ err: message }, 'cannot open the data directory');
    process.stderr.write(`${message}\n`);
    await flush(root);
    process.exit(EXIT_STORAGE);
  }

  const transport = createPeerTransport({
    self: nodeId,
    nodes: config.cluster.nodes,
    secret,
    link: config.link,
    logger: root.child({ actor: 'transport' }) as unknown as Logger,
    onCounter: (name, labels) => metrics?.countLink(name, labels),
  });

  const timeline = new Timeline(nodeId, 2000);
  const trace = (event: TraceEvent): void => {
    const stamped = timeline.push(event, stampNow());
    root.info(stamped, event.type);
  };
  // A turn longer than a heartbeat interval is one in which this node sent and heard nothing.
  const stalls = watchStalls(config.raft.heartbeatIntervalMs, STALL_SAMPLE_MS, (ms) => trace({ actor: 'node', type: 'node.stalled', ms }));

  const { random, seed } = systemRandom(config.node.randomSeed);
  const ports: Ports = {
    transport,
    logStore: reuseFirstLoad(logStore, recovered),
    clock: systemClock,
    random,
    logger: root as unknown as Logger,
    trace,
    metrics: {
      observeCommit: (seconds) => metrics?.observeCommit(seconds),
      countAppend: (direction, entries) => metrics?.countAppend(direction, entries),
      observeSnapshot: (seconds) => metrics?.observeSnapshot(seconds),
    },
  };

  let shuttingDown = false;
  let shutdownPromise: Promise<void> | null = null;
  let http: FastifyInstance | undefined;

  supervisor = new Supervisor({
    nodeId,
    config,
    ports,
    factories,
    order: ACTOR_IDS,
    loggerFor: (id) => actorLogger(root, id, config.log.actorLevels) as unknown as Logger,
    onEscalate: (reason) => void shutdown(EXIT_ESCALATED, reason),
  });
  const sup = supervisor;
  const apiOf = <T>(id: ActorId): T | undefined => sup.lookup<NodeActor & { api: T }>(id)?.api;

  const services: NodeServices = {
    nodeId,
    config,
    logger: root as unknown as Logger,
    apiTokens: loaded.apiTokens,
    consensus: () => apiOf<ConsensusApi>('log-replication'),
    ledger: () => apiOf<LedgerActorApi>('ledger'),
    clock: clockApi,
    heartbeat: () => apiOf<HeartbeatApi>('heartbeat'),
    supervision: () => sup.describe(),
    injectCrash: (id) => (ACTOR_IDS as readonly string[]).includes(id) && sup.crash(id as ActorId, 'POST /debug/actors/:id/crash'),
    now: () => systemClock.now(),
    draining: () => shuttingDown,
  };

  async function shutdown(code: number, reason: string): Promise<void> {
    if (shutdownPromise) return shutdownPromise;
    shuttingDown = true;
    const bound = setTimeout(() => {
      process.stderr.write(`shutdown took longer than ${config.supervisor.shutdownTimeoutMs} ms: exiting\n`);
      process.exit(code === EXIT_OK ? EXIT_ESCALATED : code);
    }, config.supervisor.shutdownTimeoutMs);
    bound.unref();
    shutdownPromise = (async () => {
      root.info({ reason, code }, 'node shutting down');
      const consensus = services.consensus();
      if (code === EXIT_OK && consensus?.status().role === 'leader' && config.cluster.nodes.length > 1) {
        const moved = await consensus.transferLeadership().catch(() => null);
        root.info({ moved }, 'leadership handed over before shutdown');
      }
      await http?.close().catch(() => undefined);
      await sup.stop(reason);
      await transport.close().catch(() => undefined);
      await logStore.close().catch(() => undefined);
      metrics?.close();
      stalls.stop();
      root.info({ code }, 'node stopped');
      await flush(root);
      process.exit(code);
    })();
    return shutdownPromise;
  }

  process.on('SIGTERM', () => void shutdown(EXIT_OK, 'SIGTERM'));
  process.on('SIGINT', () => void shutdown(EXIT_OK, 'SIGINT'));

  root.info({ seed, dataDir, peers: config.cluster.nodes.length - 1 }, 'node starting');
  await sup.start();
  await transport.listen();
  metrics = createNodeMetrics({ nodeId, services, timeline, logStats: () => logStore.stats() });
  const plugins: RoutePlugin[] = [httpMetricsHook(metrics), paymentMetricsHook(metrics), metricsRoutes(metrics), ...routePlugins({ loaded, timeline, supervisor: sup })];
  http = await buildHttpServer({ services, logger: root, plugins });
  await http.listen({ host: self.host, port: self.apiPort });
  root.info({ api: `http://${self.host}:${self.apiPort}`, peer: `ws://${self.host}:${self.peerPort}` }, 'node ready');
  return { loaded, supervisor: sup, http, timeline, shutdown };
}

/**
 * The consensus actor's first load() gets the read made at boot instead of scanning the whole log
 * a second time; any write, or a later load() (an actor restart), goes to the disk.
 */
function reuseFirstLoad(store: LogStore, first: RecoveredLog): LogStore {
  let cached: RecoveredLog | null = first;
  const writing = <A extends unknown[]>(op: (...args: A) => Promise<void>) => (...args: A): Promise<void> => {
    cached = null;
    return op(...args);
  };
  return {
    load: () => {
      const reuse = cached;
      cached = null;
      return reuse ? Promise.resolve(reuse) : store.load();
    },
    saveHardState: writing((h) => store.saveHardState(h)),
    append: writing((entries) => store.append(entries)),
    truncateFrom: writing((index) => store.truncateFrom(index)),
    saveSnapshot: writing((meta, data) => store.saveSnapshot(meta, data)),
    close: () => store.close(),
  };
}

function flush(logger: PinoLogger): Promise<void> {
  return new Promise((done) => {
    try {
      logger.flush(() => done());
    } catch {
      done();
    }
    setTimeout(done, 200).unref();
  });
}
