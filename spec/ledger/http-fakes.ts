// A node for the ledger route specs without consensus: the real HTTP server and ledger routes,
// the real ledger actor, and a fake consensus whose propose "commits" at once by feeding the
// entry to every attached ledger (so two fake nodes can share one log and a leader can "die").
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { ConsensusApi, ProposeSuccess, RetryableFailure } from '../../actors/apis.ts';
import { createLedgerActor, type LedgerActor } from '../../actors/ledger.actor.ts';
import type { SupervisionTree } from '../../actors/supervisor.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { ACTOR_IDS, type LogEntry } from '../../machines/types.ts';
import { registerLedgerRoutes } from '../../runtime/http/ledger-routes.ts';
import { buildHttpServer, type RoutePlugin } from '../../runtime/http/server.ts';
import type { NodeServices } from '../../runtime/http/services.ts';
import { fakeEnv, type FakeEnv } from './fake-env.ts';
import { T0, stamp } from './helpers.ts';

/** One replicated log shared by the fake nodes; committing delivers to every live ledger. */
export class FakeLog {
  readonly entries: LogEntry[] = [];
  readonly ledgers = new Set<LedgerActor>();
  term = 1;
  ms = T0;
  leader: string | null = 'node1';
  /** When set, the next proposals fail with it (no leader, overload...). */
  failWith: RetryableFailure | null = null;
  /** When set, the next proposal's entry is replaced by another leader's entry at the same index. */
  overwriteNext = false;
  /** When false, entries are appended but not delivered (a follower that lags). */
  deliver = true;
  proposals = 0;
  readIndexCalls = 0;
  /** Turns of the event loop a proposal takes to commit (0: at once), as a real round takes time. */
  proposeTurns = 0;

  append(data: string): ProposeSuccess {
    this.ms += 1;
    const index = this.entries.length + 1;
    const entry: LogEntry = { index, term: this.term, kind: 'command', hlc: stamp(this.ms), data };
    this.entries.push(entry);
    if (this.deliver) for (const l of this.ledgers) l.receive({ type: 'log.committed', entries: [entry] });
    return { ok: true, index, term: this.term, hlc: entry.hlc };
  }

  catchUp(ledger: LedgerActor): void {
    ledger.receive({ type: 'log.committed', entries: this.entries });
  }

  consensus(self: string): ConsensusApi {
    return {
      propose: async (data) => {
        this.proposals++;
        for (let turn = 0; turn < this.proposeTurns; turn++) await new Promise((resolve) => setImmediate(resolve));
        if (this.failWith !== null) return this.failWith;
        if (this.overwriteNext) {
          this.overwriteNext = false;
          const ours = this.append(data);
          // Our entry is replaced by a new leader's noop at the same index in a later term.
          this.entries.pop();
          return { ...ours, term: ours.term - 1 };
        }
        return this.append(data);
      },
      readIndex: async () => {
        this.readIndexCalls++;
        return this.failWith ?? { ok: true, index: this.entries.length };
      },
      transferLeadership: async () => ({ ok: true, leader: self }),
      status: () => ({
        role: this.leader === self ? 'leader' : 'follower', term: this.term, leader: this.leader, votedFor: null,
        commitIndex: this.entries.length, lastIndex: this.entries.length, snapshotIndex: 0, progress: {},
      }),
      leader: () => this.leader,
      committedHistory: () => ({ snapshot: null, entries: this.entries }),
    };
  }
}

export interface FakeNode {
  readonly app: FastifyInstance;
  readonly ledger: LedgerActor;
  /** The ledger's environment (its clock, to hold deferred work back). */
  readonly env: FakeEnv;
  readonly log: FakeLog;
  readonly services: NodeServices;
  close(): Promise<void>;
}

export async function fakeNode(options: {
  log?: FakeLog; nodeId?: string; config?: Config; apiTokens?: string[];
  /** The server's plugins, given the node's services (default: the ledger routes alone). */
  plugins?: (services: NodeServices) => RoutePlugin[];
} = {}): Promise<FakeNode> {
  const log = options.log ?? new FakeLog();
  const nodeId = options.nodeId ?? 'node1';
  const config = options.config ?? DEFAULT_CONFIG;
  const env = fakeEnv({ config });
  // The ledger's log-replication sibling serves this log's committed history (gap filling).
  env.history = { snapshot: null, entries: log.entries };
  const ledger = createLedgerActor(env) as LedgerActor;
  await ledger.start();
  log.catchUp(ledger);
  log.ledgers.add(ledger);
  const consensus = log.consensus(nodeId);
  const services: NodeServices = {
    nodeId,
    config,
    logger: env.logger,
    apiTokens: options.apiTokens ?? [],
    consensus: () => consensus,
    ledger: () => ledger.api as unknown as ReturnType<NodeServices['ledger']>,
    clock: () => undefined,
    heartbeat: () => undefined,
    supervision: (): SupervisionTree => ({
      node_id: nodeId,
      supervisor: { state: 'running', restarts_total: 0, exit_reason: null },
      actors: ACTOR_IDS.map((id) => ({ id, status: 'running' as const, restarts: 0, state: id === 'ledger' ? ledger.describe().state : 'idle' })),
    }),
    now: () => log.ms,
    injectCrash: () => false,
    draining: () => false,
  };
  const app = await buildHttpServer({ services, logger: pino({ level: 'silent' }), plugins: options.plugins?.(services) ?? [registerLedgerRoutes] });
  return {
    app, ledger, env, log, services,
    close: async () => {
      log.ledgers.delete(ledger);
      await app.close();
      await ledger.stop();
    },
  };
}

export function json(body: unknown): { payload: string; headers: Record<string, string> } {
  return { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}
