// Ports: the only way actors reach the world. `runtime/` provides the real ones (sockets,
// files with fsync, the system clock); `spec/harness/` provides simulated ones. Actors and
// machines run unchanged on both, which is what makes the simulator's verdicts mean something.
import type { HardState, LogEntry, NodeId, PeerMessage, SnapshotMeta } from '../machines/types.ts';
import type { SnapshotText } from '../machines/snapshot-text.ts';

export type TimerId = unknown;

export interface Clock {
  /** Wall-clock milliseconds since the epoch. May be skewed or jump: never use it for durations. */
  now(): number;
  /** Milliseconds from an arbitrary origin; never goes backwards. Use it for timeouts and durations. */
  monotonicNow(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  /**
   * Runs `fn` once the I/O callbacks already due have run (the next turn of the event loop, not a
   * timer): work started this way sees every input that arrived in the same turn.
   */
  defer(fn: () => void): void;
}

/** A seeded pseudo-random source, uniform in [0, 1). */
export interface Random {
  next(): number;
}

export interface Transport {
  readonly self: NodeId;
  /** Queue a message for a peer. Returns false when it was dropped (link down or send buffer full). */
  send(to: NodeId, message: PeerMessage): boolean;
  /** Messages from authenticated peers; `from` is the id bound to the link, never a claimed one. */
  subscribe(handler: (from: NodeId, message: PeerMessage) => void): () => void;
  /** Link up/down changes. */
  onLinkState(handler: (peer: NodeId, up: boolean) => void): () => void;
  /** Peers whose link is up now. */
  connectedPeers(): NodeId[];
}

export interface RecoveredLog {
  readonly hardState: HardState;
  readonly snapshot: { readonly meta: SnapshotMeta; readonly data: SnapshotText } | null;
  /** Entries after the snapshot, contiguous, in index order. */
  readonly entries: readonly LogEntry[];
}

/**
 * Durable consensus state. Every returned promise resolves only once what it wrote is on disk
 * (fsync); implementations may share one fsync among concurrent writes (group commit).
 * Callers serialise calls: truncateFrom then append, never interleaved.
 */
export interface LogStore {
  load(): Promise<RecoveredLog>;
  saveHardState(hardState: HardState): Promise<void>;
  /** `entries[0].index` is one past the last stored index. */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Drop every entry with index >= `index` (a follower's conflicting suffix). */
  truncateFrom(index: number): Promise<void>;
  /** Store a snapshot, then drop entries it covers. A snapshot past the log's end replaces the log. */
  saveSnapshot(meta: SnapshotMeta, data: SnapshotText): Promise<void>;
  close(): Promise<void>;
}

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Cluster events for the timeline and the visualiser (election started, leader elected, ...). */
export interface TraceEvent {
  readonly actor: string;
  readonly type: string;
  readonly [field: string]: unknown;
}
export type Trace = (event: TraceEvent) => void;

/** Consensus measurements the runtime exports (Prometheus); the simulator passes none. */
export interface ConsensusMetrics {
  observeCommit(seconds: number): void;
  countAppend(direction: 'sent' | 'received', entries: number): void;
  observeSnapshot(seconds: number): void;
}

export interface Ports {
  readonly transport: Transport;
  readonly logStore: LogStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly trace: Trace;
  readonly metrics?: ConsensusMetrics;
}
