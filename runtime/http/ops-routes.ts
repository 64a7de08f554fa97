// Operational routes shared by every node: liveness (/ping, the seed's shape), the supervision
// tree (/actors), readiness (/health, 503 with a reason when the node cannot serve) and the
// consensus view (/status, the seed's shape extended with replication progress).
import type { FastifyInstance } from 'fastify';
import { bearerAuth } from './bearer-auth.ts';
import { sendProblem } from './problem.ts';
import type { NodeServices } from './services.ts';

export function registerOpsRoutes(app: FastifyInstance, services: NodeServices): void {
  app.get('/ping', async () => ({ status: 'ok', node_id: services.nodeId }));

  app.get('/actors', async () => services.supervision());

  // Planned maintenance: hand leadership to `target` (or the most up-to-date follower) without an
  // election gap. Any node accepts it and acts only if it leads; otherwise it names the leader.
  app.post<{ Body: { target?: string } | undefined }>(
    '/v1/admin/leader-transfer',
    {
      onRequest: bearerAuth(services.apiTokens),
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { target: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    async (request, reply) => {
      const consensus = services.consensus();
      const target = request.body?.target;
      if (target !== undefined && !services.config.cluster.nodes.some((n) => n.id === target)) {
        return sendProblem(reply, { status: 400, code: 'SYNCPAY_ERR_UNKNOWN_NODE', detail: `no node ${target} in the cluster` });
      }
      if (!consensus) return sendProblem(reply, { status: 503, code: 'SYNCPAY_ERR_RECOVERING', detail: 'consensus is restarting' }, 1000);
      const status = consensus.status();
      if (status.role !== 'leader') {
        return sendProblem(reply, {
          status: 409,
          code: 'SYNCPAY_ERR_NOT_LEADER',
          detail: `${services.nodeId} is not the leader; ask ${status.leader ?? 'the leader once one is elected'}`,
          leader: status.leader,
        });
      }
      if (target === services.nodeId) return { leader: services.nodeId, moved: false };
      const result = await consensus.transferLeadership(target);
      if (!result.ok) return sendProblem(reply, { status: 503, code: result.code, detail: result.detail, leader: result.leader }, result.retryAfterMs);
      return { leader: result.leader, moved: true };
    },
  );

  if (services.config.node.faultInjection) {
    app.post<{ Params: { id: string } }>('/debug/actors/:id/crash', async (request, reply) => {
      const crashed = services.injectCrash(request.params.id);
      return reply.code(crashed ? 202 : 404).send({ crashed, actor: request.params.id });
    });
  }

  app.get('/health', async (_request, reply) => {
    const consensus = services.consensus()?.status();
    const fenced = services.clock()?.fenced() ?? false;
    const tree = services.supervision();
    const recovering = tree.actors.some((a) => a.status !== 'running');
    // A ledger restoring a snapshot serves the state from before it (an empty one at boot).
    const restoring = tree.actors.some((a) => a.id === 'ledger' && a.state === 'restoring');
    const reason = recovering ? 'recovering' : restoring ? 'restoring' : fenced ? 'clock_unsynchronized' : !consensus?.leader ? 'no_leader' : null;
    const body = {
      node_id: services.nodeId,
      status: reason === null ? 'healthy' : reason === 'recovering' || reason === 'restoring' ? 'unavailable' : 'degraded',
      is_leader: consensus?.role === 'leader',
      leader: consensus?.leader ?? null,
      timestamp: (services.clock()?.clusterNow() ?? services.now()) / 1000,
      transaction_count: services.ledger()?.transferCount() ?? 0,
      ...(reason ? { reason } : {}),
    };
    return reply.code(reason === null ? 200 : 503).send(body);
  });

  app.get('/status', async () => {
    const consensus = services.consensus()?.status();
    const ledger = services.ledger();
    const clock = services.clock();
    const health = services.heartbeat()?.peerHealth() ?? {};
    const offsets = clock?.peerOffsets() ?? {};
    const peerHealth = Object.fromEntries(
      Object.entries(health).map(([peer, h]) => [
        peer,
        {
          healthy: h.healthy,
          state: h.state,
          phi: Number.isFinite(h.phi) ? h.phi : null,
          rtt_ms: h.rttMs,
          last_seen_ms_ago: h.lastSeenMsAgo,
          down_after_ms: h.downAfterMs,
          clock_offset_ms: offsets[peer]?.offsetMs ?? null,
        },
      ]),
    );
    const commitIndex = consensus?.commitIndex ?? 0;
    const replication = Object.fromEntries(
      Object.entries(consensus?.progress ?? {}).map(([peer, p]) => [
        peer,
        { match_index: p.matchIndex, next_index: p.nextIndex, state: p.state, in_flight: p.inFlight, lag: Math.max(0, (consensus?.lastIndex ?? 0) - p.matchIndex) },
      ]),
    );
    const hash = ledger?.ledgerHash();
    return {
      node_id: services.nodeId,
      is_leader: consensus?.role === 'leader',
      role: consensus?.role ?? 'unknown',
      leader: consensus?.leader ?? null,
      term: consensus?.term ?? 0,
      commit_index: commitIndex,
      last_index: consensus?.lastIndex ?? 0,
      applied_index: ledger?.appliedIndex() ?? 0,
      snapshot_index: consensus?.snapshotIndex ?? 0,
      peer_health: peerHealth,
      replication_status: replication,
      time_offset: clock?.offsetMs() ?? null,
      clock_fenced: clock?.fenced() ?? false,
      ledger_hash: hash?.hash ?? null,
      ledger_hash_index: hash?.appliedIndex ?? null,
    };
  });
}

