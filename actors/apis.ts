// Public faces of the actors, as the rest of the node (HTTP API, siblings, the simulator's
// checkers) sees them. Each actor exposes its face as `actor.api`; callers obtain the current
// instance through the supervisor, so a restarted actor is picked up without re-wiring.
import type { LogEntry, NodeId, PeerMessage } from '../machines/types.ts';
import type { SnapshotText } from '../machines/snapshot-text.ts';

/** A failure the client may retry (HTTP 503 + Retry-After), with what the node knows. */
export interface RetryableFailure {
  readonly ok: false;
  /** Stable code, e.g. SYNCPAY_ERR_NO_LEADER, SYNCPAY_ERR_OVERLOADED, SYNCPAY_ERR_TIMEOUT. */
  readonly code: string;
  readonly detail: string;
  readonly leader: NodeId | null;
  readonly retryAfterMs: number;
}

export interface ProposeSuccess {
  readonly ok: true;
  /** Log position of the committed entry; the ledger applies it in this order. */
  readonly index: number;
  readonly term: number;
  readonly hlc: string;
}

export interface PeerProgress {
  readonly matchIndex: number;
  readonly nextIndex: number;
  /** probing | replicating | snapshotting */
  readonly state: string;
  readonly inFlight: number;
}

export interface ConsensusStatus {
  readonly role: 'follower' | 'preCandidate' | 'candidate' | 'leader';
  readonly term: number;
  readonly leader: NodeId | null;
  readonly votedFor: NodeId | null;
  readonly commitIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  /** Only on the leader: progress of each follower. */
  readonly progress: Readonly<Record<NodeId, PeerProgress>>;
}

/** Exposed by the log-replication actor. */
export interface ConsensusApi {
  /**
   * Replicate `data` as one log entry. On the leader: append, replicate, resolve once committed
   * (durable on a majority). On a follower: forward to the leader over the peer link. Resolves
   * (never rejects) with the committed position or a retryable failure.
   */
  propose(data: string): Promise<ProposeSuccess | RetryableFailure>;
  /** Linearizable read barrier (ReadIndex): an index the local ledger must reach before reading. */
  readIndex(): Promise<{ readonly ok: true; readonly index: number } | RetryableFailure>;
  /** Hand leadership to `target` (or the most up-to-date follower). */
  transferLeadership(target?: NodeId): Promise<{ readonly ok: true; readonly leader: NodeId } | RetryableFailure>;
  status(): ConsensusStatus;
  /** The leader this node knows of: what `status().leader` says, without building the rest of it (every write asks). */
  leader(): NodeId | null;
  /**
   * What a (re)started ledger needs to rebuild its state: the newest snapshot and every committed
   * entry after it, in order.
   */
  committedHistory(): {
    readonly snapshot: { readonly index: number; readonly term: number; readonly data: SnapshotText } | null;
    readonly entries: readonly LogEntry[];
  };
}

/**
 * Events the ledger actor receives from log-replication (through ActorEnv.send):
 * - `{ type: 'log.committed', entries: LogEntry[] }`: newly committed entries, in order, contiguous;
 *   entries at or below the applied index are ignored (re-delivery is harmless).
 * - `{ type: 'ledger.restore', index: number, term: number, data: SnapshotText }`: replace the whole state with a
 *   snapshot (InstallSnapshot on a lagging follower, or boot from the newest snapshot).
 */
export type LedgerInbound =
  | { readonly type: 'log.committed'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'ledger.restore'; readonly index: number; readonly term: number; readonly data: SnapshotText };

/** Exposed by the ledger actor. The ledger applies committed entries strictly in log order. */
export interface LedgerApi {
  readonly appliedIndex: () => number;
  /** Resolves once the ledger has applied `index` (immediately if it already has). */
  waitApplied(index: number, timeoutMs: number): Promise<boolean>;
  /**
   * The outcome the ledger recorded when it applied the entry at `index`, if that entry had term
   * `term` (otherwise the proposal was overwritten by another leader: undefined).
   */
  outcomeAt(index: number, term: number): unknown;
  /** Deterministic hash of the whole ledger state, with the applied index it belongs to. */
  ledgerHash(): { readonly hash: string; readonly appliedIndex: number };
  /** The whole ledger state at the applied index, serialised deterministically (for snapshots). */
  snapshotData(): { readonly appliedIndex: number; readonly data: SnapshotText };
  /** True while a snapshot is being restored in steps (the state served is the one from before it). */
  restoring(): boolean;
}

export interface PeerHealth {
  readonly healthy: boolean;
  readonly state: 'alive' | 'suspect' | 'down';
  readonly phi: number;
  readonly rttMs: number | null;
  readonly lastSeenMsAgo: number | null;
  /** The silence (ms) after which the peer was last declared down; null if it never was. */
  readonly downAfterMs: number | null;
}

/** Exposed by the heartbeat actor. */
export interface HeartbeatApi {
  peerHealth(): Readonly<Record<NodeId, PeerHealth>>;
}

/** Exposed by the clock actor. */
export interface ClockApi {
  /** A new hybrid-logical-clock stamp, strictly greater than every stamp seen or issued. */
  hlcNow(): string;
  /** Merge a stamp seen elsewhere (a committed entry, a peer message) into the local HLC. */
  hlcObserve(stamp: string): void;
  /** Estimated offset (ms) of this node's clock from cluster time; null until synchronised. */
  offsetMs(): number | null;
  /** Per-peer offset estimates (ms, peer minus self) and round trips. */
  peerOffsets(): Readonly<Record<NodeId, { readonly offsetMs: number; readonly rttMs: number }>>;
  /** True while this node's clock is too far from a majority's: no leadership, no lease reads. */
  fenced(): boolean;
  /** Cluster time in ms since the epoch (local clock corrected by the offset estimate). */
  clusterNow(): number;
}

/** Typed peer message helper for senders that know what they build. */
export type PeerMessageOf<T extends string, B extends object> = PeerMessage & { readonly type: T } & B;
