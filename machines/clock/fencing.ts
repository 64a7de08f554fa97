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
//
// Hysteresis: a fenced node unfences only once a majority lies within 90% of the bound
// (UNFENCE_FRACTION). A clock sitting right at the bound would otherwise flap between fenced and
// synced on every sample's jitter, and each flap costs a leadership change and a log line.
//
// Cluster time: Marzullo's algorithm over every source's interval widened by maxClockOffsetMs / 2
// on each side (this node being [0, 0] before widening). Unwidened, the sub-millisecond intervals
// of healthy clocks a few milliseconds apart would never intersect and there would never be an
// agreement; widened, overlapping means "within maxClockOffsetMs of each other", the same tolerance
// the fencing rule uses. Widening every interval by the same amount leaves the midpoint of an
// intersection where it was, so the precision of the estimates is kept.
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
  /** Sources within maxClockOffsetMs (while fenced: the unfence bound) of this node, this node included. */
  readonly agreeing: number;
  readonly majority: number;
  /** Marzullo's best intersection over all sources' widened intervals (this node as [0, 0]). */
  readonly agreement: Agreement | null;
  /**
   * Cluster time minus this node's clock (ms): the midpoint of the agreed interval when a majority
   * of the cluster agrees on it, else null (no correction is better than a minority's).
   */
  readonly clusterOffsetMs: number | null;
}

/** While fenced, peers must come within this fraction of maxClockOffsetMs to count as agreeing. */
export const UNFENCE_FRACTION = 0.9;

export function majorityOf(clusterSize: number): number {
  return Math.floor(clusterSize / 2) + 1;
}

export function assessClock(
  peers: readonly SourceOffset[],
  clusterSize: number,
  maxClockOffsetMs: number,
  fencedNow = false,
): ClockAssessment {
  const majority = majorityOf(clusterSize);
  const sources = 1 + peers.length;
  const bound = fencedNow ? maxClockOffsetMs * UNFENCE_FRACTION : maxClockOffsetMs;
  const agreeing = 1 + peers.filter((p) => Math.abs(p.offsetMs) - p.errorMs <= bound).length;
  const w = maxClockOffsetMs / 2;
  const agreement = marzullo([
    { lo: -w, hi: w },
    ...peers.map((p) => ({ lo: p.offsetMs - p.errorMs - w, hi: p.offsetMs + p.errorMs + w })),
  ]);
  const clusterOffsetMs = agreement !== null && agreement.count >= majority ? midpoint(agreement) : null;
  const verdict: ClockVerdict = sources < majority ? 'unsynced' : agreeing >= majority ? 'synced' : 'fenced';
  return { verdict, sources, agreeing, majority, agreement, clusterOffsetMs };
}
