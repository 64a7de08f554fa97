// What one step of the Raft core asks the world to do, in the order it asked. The shell
// (actors/consensus-engine.ts) starts the writes in that order; a send marked `early` promises
// nothing durable (a leader's appends and heartbeats) and leaves at once, any other send only once
// the writes of its step and of every earlier step are on disk (except this node's own compaction,
// `persist.snapshot` with `local`, which nothing waits for). Applies and replies follow commits,
// which are durable on a majority already, and go out at once.
import type { Failure, RaftMessage } from '../raft-events.ts';
import type { HardState, LogEntry, NodeId, SnapshotMeta } from '../types.ts';
import type { SnapshotText } from '../snapshot-text.ts';

export type { Failure };
/**
 * A failed proposal that had been appended at (index, term): NOT_COMMITTED (another entry
 * committed there, so it never will) or OUTCOME_UNKNOWN. The position lets a caller, or a
 * checker, hold the answer to what the log later shows.
 */
export interface PlacedFailure extends Failure {
  readonly index: number;
  readonly term: number;
}
export type ProposeResult = { readonly ok: true; readonly index: number; readonly term: number; readonly hlc: string } | Failure | PlacedFailure;
export type ReadResult = { readonly ok: true; readonly index: number } | Failure;
export type TransferResult = { readonly ok: true; readonly leader: NodeId } | Failure;
export type ReplyResult = ProposeResult | ReadResult | TransferResult;

export type Effect =
  | { readonly type: 'persist.hardState'; readonly hardState: HardState }
  | { readonly type: 'persist.entries'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'persist.truncate'; readonly index: number }
  /**
   * `local`: this node's own compaction of entries it already applied, which promises nothing to
   * anyone; otherwise a snapshot from the leader that replaces the log, which an acknowledgement
   * depends on.
   */
  | { readonly type: 'persist.snapshot'; readonly meta: SnapshotMeta; readonly data: SnapshotText; readonly local: boolean }
  | { readonly type: 'send'; readonly to: NodeId; readonly message: RaftMessage; readonly early: boolean }
  | { readonly type: 'apply'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'restore'; readonly index: number; readonly term: number; readonly data: SnapshotText }
  | { readonly type: 'reply'; readonly reqId: string; readonly result: ReplyResult }
  | { readonly type: 'trace'; readonly event: { readonly type: string; readonly term: number; readonly [k: string]: unknown } };

export const ERR = {
  noLeader: 'SYNCPAY_ERR_NO_LEADER',
  notLeader: 'SYNCPAY_ERR_NOT_LEADER',
  overloaded: 'SYNCPAY_ERR_OVERLOADED',
  timeout: 'SYNCPAY_ERR_TIMEOUT',
  /** A read whose leader changed before it was confirmed (a read changes nothing: retry). */
  leaderChanged: 'SYNCPAY_ERR_LEADER_CHANGED',
  /** The proposal's entry was replaced by another committed entry: it never commits; retry. */
  notCommitted: 'SYNCPAY_ERR_NOT_COMMITTED',
  /** It may or may not commit: retry only under the same transfer id or Idempotency-Key. */
  outcomeUnknown: 'SYNCPAY_ERR_OUTCOME_UNKNOWN',
  transferring: 'SYNCPAY_ERR_TRANSFERRING',
  stopped: 'SYNCPAY_ERR_STOPPED',
} as const;

export function failure(code: string, detail: string, leader: NodeId | null, retryAfterMs: number): Failure {
  return { ok: false, code, detail, leader, retryAfterMs };
}

export function placedFailure(code: string, detail: string, leader: NodeId | null, retryAfterMs: number, index: number, term: number): PlacedFailure {
  return { ok: false, code, detail, leader, retryAfterMs, index, term };
}

/**
 * The leader's notice to a follower that forwarded a proposal: "appended at (index, term)". It
 * travels as a `peer.proposeReply` whose result has this code (the message vocabulary has no
 * message of its own for it); it is not an answer, and the follower keeps waiting, now able to
 * decide the outcome from its own commit index if the leader goes away.
 */
export const APPENDED_NOTICE = 'SYNCPAY_PROPOSAL_APPENDED';

export function appendedNotice(leader: NodeId, index: number, term: number, hlc: string): PlacedFailure & { readonly hlc: string } {
  return { ok: false, code: APPENDED_NOTICE, detail: `appended at ${index} in term ${term}; the answer follows`, leader, retryAfterMs: 0, index, term, hlc };
}

/** The position an appended notice carries, or null when `result` is not a well-formed notice. */
export function readAppendedNotice(result: unknown): { index: number; term: number; hlc: string } | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  if (r.ok !== false || r.code !== APPENDED_NOTICE) return null;
  const { index, term, hlc } = r;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1) return null;
  if (typeof term !== 'number' || !Number.isSafeInteger(term) || term < 0 || typeof hlc !== 'string') return null;
  return { index, term, hlc };
}

/** The position a failure carries when the proposal had been appended (a PlacedFailure). */
export function placementOf(result: unknown): { index: number; term: number } | null {
  if (typeof result !== 'object' || result === null) return null;
  const r = result as Record<string, unknown>;
  return typeof r.index === 'number' && typeof r.term === 'number' ? { index: r.index, term: r.term } : null;
}
