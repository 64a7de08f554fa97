// The contract between the supervisor and the actors it runs. An actor is a thin shell: it
// holds an XState machine's snapshot, feeds it events, and carries out its effects through
// ports. It reports a crash through `env.fail`; the supervisor then builds a fresh instance
// from durable state. Sibling actors reach each other only through `env.send` and `env.lookup`.
import type { AnyStateMachine } from 'xstate';
import type { Config } from '../machines/config.ts';
import type { ActorId, NodeId } from '../machines/types.ts';
import type { Logger, Ports } from './ports.ts';

export interface ActorEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

export interface ActorDescription {
  /** The machine's current state value (as XState reports it). */
  readonly state: unknown;
  /** Per-peer (or other) child machines, e.g. replication progress per follower. */
  readonly children?: ReadonlyArray<{ readonly id: string; readonly state: unknown }>;
  /** A few numbers worth showing in /actors and the visualiser (term, commit index, ...). */
  readonly summary?: Readonly<Record<string, unknown>>;
}

export interface ActorEnv {
  readonly nodeId: NodeId;
  /** Every other node of the cluster. */
  readonly peers: readonly NodeId[];
  readonly config: Config;
  readonly ports: Ports;
  /** This actor's logger (a child with `actor` bound). */
  readonly logger: Logger;
  /** Deliver an event to a sibling actor of this node (queued, in order, never re-entrant). */
  send(to: ActorId, event: ActorEvent): void;
  /** The current instance of a sibling, or undefined while it is restarting. */
  lookup<A extends NodeActor = NodeActor>(id: ActorId): A | undefined;
  /** Report an unrecoverable fault (a failed assertion): the supervisor restarts this actor. */
  fail(error: unknown): void;
}

export interface NodeActor {
  readonly id: ActorId;
  /** The machine that defines this actor's behaviour (drawn by the visualiser). */
  readonly machine: AnyStateMachine;
  /** Load durable state and begin. Resolves once the actor can take events. */
  start(): Promise<void>;
  /** Stop timers and in-flight work. Never throws. */
  stop(): Promise<void>;
  /** Handle an event from a sibling (see ActorEnv.send). */
  receive(event: ActorEvent): void;
  describe(): ActorDescription;
}

export type ActorFactory = (env: ActorEnv) => NodeActor;

export { assert } from '../machines/assert.ts';
