// Shared vocabulary of the cluster: node and actor ids, log entries, hard state. Every layer
// speaks these types; they carry no behaviour.

export type NodeId = string;

/** The five actors a node supervises, in start order (each may depend on those before it). */
export const ACTOR_IDS = ['clock', 'heartbeat', 'ledger', 'log-replication', 'leader-election'] as const;
export type ActorId = (typeof ACTOR_IDS)[number];

/** One replicated log entry. `data` is opaque to consensus: the ledger owns its meaning. */
export interface LogEntry {
  readonly index: number;
  readonly term: number;
  /** `noop` is appended by each new leader; `command` carries a ledger command. */
  readonly kind: 'noop' | 'command';
  /** Hybrid-logical-clock stamp assigned by the leader (see machines/clock/hlc.ts). */
  readonly hlc: string;
  readonly data: string;
}

/** Durable election state; written (fsync) before any vote or reply that depends on it. */
export interface HardState {
  readonly term: number;
  readonly votedFor: NodeId | null;
}

export interface SnapshotMeta {
  /** Last log index the snapshot covers. */
  readonly index: number;
  readonly term: number;
}

/** Every message between nodes: `type` names it (`peer.appendEntries`), the rest is its body. */
export interface PeerMessage {
  readonly type: `peer.${string}`;
  readonly [field: string]: unknown;
}
