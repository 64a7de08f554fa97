// The real actor for each role of a node. The runtime and the simulator both build nodes from
// this table, so the simulator exercises exactly the code that runs in production.
import type { ActorFactory } from './actor.ts';
import type { ActorId } from '../machines/types.ts';
import { createClockActor } from './clock.actor.ts';
import { createHeartbeatActor } from './heartbeat.actor.ts';
import { createLeaderElectionActor } from './leader-election.actor.ts';
import { createLedgerActor } from './ledger.actor.ts';
import { createLogReplicationActor } from './log-replication.actor.ts';

export const defaultFactories: Readonly<Record<ActorId, ActorFactory>> = {
  clock: createClockActor,
  heartbeat: createHeartbeatActor,
  ledger: createLedgerActor,
  'log-replication': createLogReplicationActor,
  'leader-election': createLeaderElectionActor,
};
