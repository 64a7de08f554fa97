// The term gate: the one pure function every inbound peer message passes before any role logic
// sees it. It decides from terms alone: a newer term makes us a follower (and must be persisted
// before we answer anything), an older one is refused with the reply Raft requires so a stale
// leader or candidate learns the newer term, and a vote request that would only disrupt a live
// leader (check-quorum lease) is dropped without touching our term.
import { FORWARDED_TYPES, type RaftMessage } from '../raft-events.ts';
import type { NodeId } from '../types.ts';

export interface GateView {
  readonly term: number;
  /** Heard from a live leader within the minimum election timeout (or we are that leader). */
  readonly inLease: boolean;
}

export type GateVerdict =
  /** Same term (or a message the gate does not judge): hand it to role logic. */
  | { readonly kind: 'accept' }
  /** Newer term: become follower at `term` (persist), then hand the message on. */
  | { readonly kind: 'stepDown'; readonly term: number; readonly leader: NodeId | null }
  /** Older term: answer with `reply` (if any) carrying our term; role logic never sees it. */
  | { readonly kind: 'reject'; readonly reply: RaftMessage | null }
  /** Drop silently. */
  | { readonly kind: 'ignore'; readonly reason: string };

const LEADER_MESSAGES = new Set(['peer.appendEntries', 'peer.heartbeat', 'peer.installSnapshot', 'peer.timeoutNow']);

export function termGate(me: GateView, from: NodeId, msg: RaftMessage): GateVerdict {
  if (FORWARDED_TYPES.has(msg.type)) return { kind: 'accept' };
  if (msg.term > me.term) {
    if (msg.type === 'peer.requestVote') {
      // A pre-vote never moves our term: the asker has not moved its own.
      if (msg.pre) return { kind: 'accept' };
      if (me.inLease && !msg.transfer) return { kind: 'ignore', reason: 'vote request inside leader lease' };
      return { kind: 'stepDown', term: msg.term, leader: null };
    }
    // A granted pre-vote carries the term we asked for, which nobody has entered yet.
    if (msg.type === 'peer.requestVoteReply' && msg.pre && msg.granted) return { kind: 'accept' };
    return { kind: 'stepDown', term: msg.term, leader: LEADER_MESSAGES.has(msg.type) ? from : null };
  }
  if (msg.term < me.term) return { kind: 'reject', reply: staleReply(me.term, msg) };
  return { kind: 'accept' };
}

/** What Raft answers to a message from an older term, so its sender learns ours. */
function staleReply(term: number, msg: RaftMessage): RaftMessage | null {
  switch (msg.type) {
    case 'peer.appendEntries':
      return { type: 'peer.appendEntriesReply', term, success: false, index: msg.prevIndex, conflictTerm: 0, conflictIndex: 0, lastIndex: 0 };
    case 'peer.heartbeat':
      return { type: 'peer.heartbeatReply', term, ctx: 0, lastIndex: 0 };
    case 'peer.installSnapshot':
      return { type: 'peer.installSnapshotReply', term, index: msg.index, nextOffset: 0, done: false };
    case 'peer.requestVote':
      return { type: 'peer.requestVoteReply', term, granted: false, pre: msg.pre };
    default:
      return null;
  }
}
