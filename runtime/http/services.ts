// What the HTTP layer may touch of a running node. Getters return the current actor instance's
// API (undefined while that actor restarts), so routes never hold a stale reference.
import type { ClockApi, ConsensusApi, HeartbeatApi } from '../../actors/apis.ts';
import type { LedgerActorApi } from '../../actors/ledger.actor.ts';
import type { SupervisionTree } from '../../actors/supervisor.ts';
import type { Logger } from '../../actors/ports.ts';
import type { Config } from '../../machines/config.ts';
import type { NodeId } from '../../machines/types.ts';

export interface NodeServices {
  readonly nodeId: NodeId;
  readonly config: Config;
  readonly logger: Logger;
  /** Bearer tokens that mutating routes require; empty: no authentication configured. */
  readonly apiTokens: readonly string[];
  consensus(): ConsensusApi | undefined;
  /** The ledger actor's API: LedgerApi plus its queries. */
  ledger(): LedgerActorApi | undefined;
  clock(): ClockApi | undefined;
  heartbeat(): HeartbeatApi | undefined;
  supervision(): SupervisionTree;
  /** Wall-clock ms (the injected clock), for response timestamps. */
  now(): number;
  /** Crash an actor on purpose (only routed when config.node.faultInjection is on). */
  injectCrash(actorId: string): boolean;
  /** True once shutdown began: new requests get 503. */
  draining(): boolean;
}
