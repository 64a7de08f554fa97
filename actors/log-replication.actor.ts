// The log-replication actor: hosts the node's consensus engine (the Raft core and its serial
// loop) and exposes ConsensusApi as `api`. It owns the log, the commit index and per-follower
// progress; its machine (drawn by the visualiser) is the log-replication machine, with one
// peer-progress machine per follower reported as children.
import type { ActorEnv, ActorEvent, NodeActor, ActorDescription } from './actor.ts';
import type { ConsensusApi } from './apis.ts';
import { ConsensusEngine } from './consensus-engine.ts';
import { logReplicationMachine } from '../machines/log-replication.machine.ts';

export class LogReplicationActor implements NodeActor {
  readonly id = 'log-replication' as const;
  readonly machine = logReplicationMachine;
  readonly engine: ConsensusEngine;
  readonly api: ConsensusApi;
  private readonly env: ActorEnv;

  constructor(env: ActorEnv) {
    this.env = env;
    this.engine = new ConsensusEngine(env);
    this.api = this.engine.api;
  }

  start(): Promise<void> {
    return this.engine.start();
  }

  stop(): Promise<void> {
    return this.engine.stop();
  }

  receive(event: ActorEvent): void {
    this.env.logger.debug({ type: event.type }, 'log-replication ignores sibling event');
  }

  describe(): ActorDescription {
    const core = this.engine.raft();
    if (!core) return { state: 'starting' };
    const children = core.peers.flatMap((peer) => {
      const p = core.progressOf(peer);
      return p ? [{ id: peer, state: p.mode }] : [];
    });
    return {
      state: core.replicationState().value,
      children,
      summary: {
        term: core.term(),
        commitIndex: core.commitIndex(),
        appliedIndex: core.appliedIndex(),
        lastIndex: core.log.lastIndex(),
        persistedIndex: core.persistedIndex(),
        snapshotIndex: core.log.snapshotIndex(),
      },
    };
  }
}

export function createLogReplicationActor(env: ActorEnv): LogReplicationActor {
  return new LogReplicationActor(env);
}
