// Whether to grant a vote or a pre-vote. Pure: the caller has already passed the message through
// the term gate, so a real vote request here always carries our current term.
import type { NodeId } from '../types.ts';

export interface VoterView {
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly leader: NodeId | null;
  /** Heard from a live leader within the minimum election timeout. */
  readonly inLease: boolean;
}

export interface VoteAsk {
  readonly from: NodeId;
  readonly term: number;
  readonly pre: boolean;
  /** Campaign started by the leader's TimeoutNow: allowed to break a lease. */
  readonly transfer: boolean;
  readonly logUpToDate: boolean;
}

export function shouldGrantVote(me: VoterView, ask: VoteAsk): boolean {
  if (!ask.logUpToDate) return false;
  if (ask.pre) {
    // A pre-vote asks "would you vote for me at term+1?": never for a term we have passed, and
    // never while we still hear from a leader (that is what stops a partitioned node disrupting).
    return ask.term > me.term && (!me.inLease || ask.transfer);
  }
  if (ask.term !== me.term) return false;
  return me.votedFor === ask.from || (me.votedFor === null && me.leader === null);
}
