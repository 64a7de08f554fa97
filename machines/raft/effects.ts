// What one step of the Raft core asks the world to do, in the order it asked. The shell carries
// them out in a fixed order: persist (and wait for fsync), then send, then apply, then reply. A
// send marked `early` promises nothing durable (a leader's appends and heartbeats) and may leave
// before the fsync completes: that is how the leader writes to its disk in parallel with sending.
import type { Failure, RaftMessage } from '../raft-events.ts';
import type { HardState, LogEntry, NodeId, SnapshotMeta } from '../types.ts';

export type { Failure };
export type ProposeResult = { readonly ok: true; readonly index: number; readonly term: number; readonly hlc: string } | Failure;
export type ReadResult = { readonly ok: true; readonly index: number } | Failure;
export type TransferResult = { readonly ok: true; readonly leader: NodeId } | Failure;
export type ReplyResult = ProposeResult | ReadResult | TransferResult;

export type Effect =
  | { readonly type: 'persist.hardState'; readonly hardState: HardState }
  | { readonly type: 'persist.entries'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'persist.truncate'; readonly index: number }
  | { readonly type: 'persist.snapshot'; readonly meta: SnapshotMeta; readonly data: string }
  | { readonly type: 'send'; readonly to: NodeId; readonly message: RaftMessage; readonly early: boolean }
  | { readonly type: 'apply'; readonly entries: readonly LogEntry[] }
  | { readonly type: 'restore'; readonly index: number; readonly term: number; readonly data: string }
  | { readonly type: 'reply'; readonly reqId: string; readonly result: ReplyResult }
  | { readonly type: 'trace'; readonly event: { readonly type: string; readonly term: number; readonly [k: string]: unknown } };

export function isPersist(e: Effect): boolean {
  return e.type.startsWith('persist.');
}

export const ERR = {
  noLeader: 'SYNCPAY_ERR_NO_LEADER',
  notLeader: 'SYNCPAY_ERR_NOT_LEADER',
  overloaded: 'SYNCPAY_ERR_OVERLOADED',
  timeout: 'SYNCPAY_ERR_TIMEOUT',
  leaderChanged: 'SYNCPAY_ERR_LEADER_CHANGED',
  transferring: 'SYNCPAY_ERR_TRANSFERRING',
  stopped: 'SYNCPAY_ERR_STOPPED',
} as const;

export function failure(code: string, detail: string, leader: NodeId | null, retryAfterMs: number): Failure {
  return { ok: false, code, detail, leader, retryAfterMs };
}
