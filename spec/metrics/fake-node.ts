// A node without actors, for the metrics specs: NodeServices backed by a plain mutable object
// (so a spec can move the term, the leader or a peer's phi and scrape again), a real Timeline,
// and the real HTTP server with the metrics routes and hook installed.
import type { LedgerActorApi } from '../../actors/ledger.actor.ts';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { ConsensusStatus, PeerHealth } from '../../actors/apis.ts';
import type { SupervisionTree } from '../../actors/supervisor.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { ACTOR_IDS } from '../../machines/types.ts';
import { httpMetricsHook, metricsRoutes } from '../../runtime/http/metrics-routes.ts';
import { buildHttpServer } from '../../runtime/http/server.ts';
import type { NodeServices } from '../../runtime/http/services.ts';
import { createNodeMetrics, type NodeMetrics } from '../../runtime/metrics/registry.ts';
import { Timeline } from '../../runtime/timeline.ts';
import { captureLogger } from '../support/quiet-ports.ts';

export interface FakeState {
  status: ConsensusStatus;
  appliedIndex: number;
  peerHealth: Record<string, PeerHealth>;
  peerOffsets: Record<string, { offsetMs: number; rttMs: number }>;
  offsetMs: number | null;
  fenced: boolean;
  restarts: Record<string, number>;
  logBytes: number;
  nowMs: number;
}

export function initialState(): FakeState {
  return {
    status: {
      role: 'leader',
      term: 7,
      leader: 'node1',
      votedFor: 'node1',
      commitIndex: 120,
      lastIndex: 125,
      snapshotIndex: 100,
      progress: {
        node2: { matchIndex: 125, nextIndex: 126, state: 'replicating', inFlight: 1 },
        node3: { matchIndex: 110, nextIndex: 111, state: 'probing', inFlight: 0 },
      },
    },
    appliedIndex: 118,
    peerHealth: {
      node2: { healthy: true, state: 'alive', phi: 0.5, rttMs: 2, lastSeenMsAgo: 40, downAfterMs: null },
      node3: { healthy: false, state: 'down', phi: Number.POSITIVE_INFINITY, rttMs: null, lastSeenMsAgo: 9000, downAfterMs: 1200 },
    },
    peerOffsets: { node2: { offsetMs: 3, rttMs: 2 }, node3: { offsetMs: -12, rttMs: 5 } },
    offsetMs: 1.5,
    fenced: false,
    restarts: { clock: 0, heartbeat: 2, ledger: 1, 'log-replication': 0, 'leader-election': 0 },
    logBytes: 65536,
    nowMs: Date.UTC(2026, 10, 26, 10, 0, 0),
  };
}

export function fakeServices(state: FakeState, apiTokens: readonly string[] = []): NodeServices {
  return {
    nodeId: 'node1',
    config: DEFAULT_CONFIG,
    logger: captureLogger(),
    apiTokens,
    consensus: () => ({
      propose: async () => ({ ok: false, code: 'SYNCPAY_ERR_NO_LEADER', detail: 'fake', leader: null, retryAfterMs: 100 }),
      readIndex: async () => ({ ok: true, index: state.status.commitIndex }),
      transferLeadership: async () => ({ ok: true, leader: 'node1' }),
      status: () => state.status,
      leader: () => state.status.leader,
      committedHistory: () => ({ snapshot: null, entries: [] }),
    }),
    ledger: () => ({
      appliedIndex: () => state.appliedIndex,
      waitApplied: async () => true,
      outcomeAt: () => undefined,
      ledgerHash: () => ({ hash: 'abc', appliedIndex: state.appliedIndex }),
      snapshotData: () => ({ appliedIndex: state.appliedIndex, data: [] }),
      restoring: () => false,
      transferCount: () => 0,
    }) as unknown as LedgerActorApi,
    clock: () => ({
      hlcNow: () => '000000000000001.000000',
      hlcObserve: () => {},
      offsetMs: () => state.offsetMs,
      peerOffsets: () => state.peerOffsets,
      fenced: () => state.fenced,
      clusterNow: () => state.nowMs,
    }),
    heartbeat: () => ({ peerHealth: () => state.peerHealth }),
    supervision: (): SupervisionTree => ({
      node_id: 'node1',
      supervisor: { state: 'running', restarts_total: Object.values(state.restarts).reduce((a, b) => a + b, 0), exit_reason: null },
      actors: ACTOR_IDS.map((id) => ({ id, status: 'running' as const, restarts: state.restarts[id] ?? 0, state: 'idle' })),
    }),
    now: () => state.nowMs,
    injectCrash: () => false,
    draining: () => false,
  };
}

export interface FakeNode {
  readonly state: FakeState;
  readonly timeline: Timeline;
  readonly metrics: NodeMetrics;
  readonly app: FastifyInstance;
}

export async function fakeNode(options: { processMetrics?: boolean } = {}): Promise<FakeNode> {
  const state = initialState();
  const services = fakeServices(state);
  const timeline = new Timeline('node1', 100);
  const metrics = createNodeMetrics({
    nodeId: 'node1',
    services,
    timeline,
    logStats: () => ({ logBytes: state.logBytes }),
    processMetrics: options.processMetrics,
  });
  const app = await buildHttpServer({
    services,
    logger: pino({ level: 'silent' }),
    plugins: [httpMetricsHook(metrics), metricsRoutes(metrics)],
  });
  await app.ready();
  return { state, timeline, metrics, app };
}
