// Majority arithmetic, kept in one place so every rule that counts (votes, commit, check-quorum,
// ReadIndex confirmations) agrees on what "a majority" is.
import type { NodeId } from '../types.ts';

export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The highest index held by a majority, given each voter's match index (self included). */
export function quorumIndex(matches: readonly number[]): number {
  const sorted = [...matches].sort((a, b) => b - a);
  return sorted[majority(matches.length) - 1] ?? 0;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Outcome of an election among `voters`, given the answers received so far. */
export function voteResult(voters: readonly NodeId[], votes: Readonly<Record<NodeId, boolean>>): VoteResult {
  const need = majority(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const answer = votes[v];
    if (answer === true) granted++;
    else if (answer === false) rejected++;
  }
  if (granted >= need) return 'won';
  if (rejected > voters.length - need) return 'lost';
  return 'pending';
}
