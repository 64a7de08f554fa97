// The leader-election actor: the role half of consensus. It owns the node's sense of time for
// Raft (election and heartbeat timers flow only while it runs) and reports the role machine
// (follower, preCandidate, candidate, leader) and the durable {term, votedFor}. The state itself
// lives in the shared consensus engine hosted by log-replication, so that one serial loop orders
// every term change against every log change.
import type { ActorDescription, ActorEnv, ActorEvent, NodeActor } from './actor.ts';
import type { LogReplicationActor } from './log-replication.actor.ts';
import { leaderElectionMachine } from '../machines/leader-election.machine.ts';

export class LeaderElectionActor implements NodeActor {
  readonly id = 'leader-election' as const;
  readonly machine = leaderElectionMachine;
  private readonly env: ActorEnv;

  constructor(env: ActorEnv) {
    this.env = env;
  }

  private engine() {
    return this.env.lookup<LogReplicationActor>('log-replication')?.engine;
  }

  async start(): Promise<void> {
    this.engine()?.setTicking(true);
  }

  async stop(): Promise<void> {
    this.engine()?.setTicking(false);
  }

  /** `{type: 'leader-election.transfer', target?}` hands leadership over (e.g. before a planned stop). */
  receive(event: ActorEvent): void {
    if (event.type === 'leader-election.transfer') {
      const target = typeof event.target === 'string' ? event.target : undefined;
      void this.env.lookup<LogReplicationActor>('log-replication')?.api.transferLeadership(target);
      return;
    }
    this.env.logger.debug({ type: event.type }, 'leader-election ignores sibling event');
  }

  describe(): ActorDescription {
    const core = this.engine()?.raft();
    if (!core) return { state: 'waiting for log-replication' };
    return {
      state: core.electionState().value,
      summary: { term: core.term(), votedFor: core.votedFor(), leader: core.leader(), role: core.role() },
    };
  }
}

export function createLeaderElectionActor(env: ActorEnv): LeaderElectionActor {
  return new LeaderElectionActor(env);
}
