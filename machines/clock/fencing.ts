// The clock verdict: synced, fenced or unsynced. It owns the self-fencing rule and the choice of
// cluster time, so the clock machine's guards, the actor's API and the tests all read one rule.
//
// Fencing rule: this node is fenced while fewer than a majority of the cluster (counting itself)
// lie within maxClockOffsetMs of its clock. A peer counts as within when its offset interval
// [offset - error, offset + error] comes within the bound: fencing stops a node from leading, so
// it needs evidence, and a wide interval is not evidence of a bad clock.
//
// Unsynced: while fewer than a majority of the cluster have a fresh estimate (this node counts
// itself) there is no majority to compare with, and the node is `unsynced`, not fenced. A fresh
// cluster must be able to elect its first leader before the first ping round completes, and a node
// cut off from the majority cannot win an election or serve a lease anyway, so fencing on missing
// data would add nothing but a way to deadlock a cluster whose links are still coming up.
import { marzullo, midpoint, type Agreement } from './marzullo.ts';

export type ClockVerdict = 'unsynced' | 'synced' | 'fenced';

export interface SourceOffset {
  /** Source clock minus ours, ms. */
  readonly offsetMs: number;
  /** The true offset lies within offsetMs ± errorMs. */
  readonly errorMs: number;
}

export interface ClockAssessment {
  readonly verdict: ClockVerdict;
  /** Sources with a fresh estimate, this node included. */
  readonly sources: number;
  /** Sources within maxClockOffsetMs of this node, this node included. */
  readonly agreeing: number;
  readonly majority: number;
  /** Marzullo's best intersection over all sources (this node as [0, 0]). */
  readonly agreement: Agreement | null;
  /**
   * Cluster time minus this node's clock (ms): the midpoint of the agreed interval when a majority
   * of the cluster agrees on it, else null (no correction is better than a minority's).
   */
  readonly clusterOffsetMs: number | null;
}

export function majorityOf(clusterSize: number): number {
  return Math.floor(clusterSize / 2) + 1;
}

export function assessClock(
  peers: readonly SourceOffset[],
  clusterSize: number,
  maxClockOffsetMs: number,
): ClockAssessment {
  const majority = majorityOf(clusterSize);
  const sources = 1 + peers.length;
  const agreeing = 1 + peers.filter((p) => Math.abs(p.offsetMs) - p.errorMs <= maxClockOffsetMs).length;
  const agreement = marzullo([{ lo: 0, hi: 0 }, ...peers.map((p) => ({ lo: p.offsetMs - p.errorMs, hi: p.offsetMs + p.errorMs }))]);
  const clusterOffsetMs = agreement !== null && agreement.count >= majority ? midpoint(agreement) : null;
  const verdict: ClockVerdict = sources < majority ? 'unsynced' : agreeing >= majority ? 'synced' : 'fenced';
  return { verdict, sources, agreeing, majority, agreement, clusterOffsetMs };
}
