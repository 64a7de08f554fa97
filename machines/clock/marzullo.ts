// Marzullo's algorithm: the smallest interval consistent with the largest number of sources. It
// owns how the cluster agrees on time: each source (every peer's offset estimate, and this node
// itself as [0, 0]) says "true time is within this interval of my clock"; the point most sources
// agree on is cluster time, and sources outside it are the ones whose clocks are wrong.

export interface OffsetInterval {
  readonly lo: number;
  readonly hi: number;
}

export interface Agreement {
  /** How many sources contain the whole agreed interval. */
  readonly count: number;
  readonly lo: number;
  readonly hi: number;
}

/**
 * The best intersection, or null for no sources. Intervals that merely touch count as overlapping
 * (a start sorts before an end at the same offset). Among equally supported intersections the
 * lowest one wins, so the result depends only on the set of intervals, not their order.
 */
export function marzullo(intervals: readonly OffsetInterval[]): Agreement | null {
  const edges: Array<{ at: number; start: boolean }> = [];
  for (const iv of intervals) {
    if (!(iv.lo <= iv.hi)) throw new RangeError(`SYNCPAY_ERR_BAD_INTERVAL: [${iv.lo}, ${iv.hi}]`);
    edges.push({ at: iv.lo, start: true }, { at: iv.hi, start: false });
  }
  edges.sort((a, b) => a.at - b.at || (a.start === b.start ? 0 : a.start ? -1 : 1));
  let count = 0;
  let best: Agreement | null = null;
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i];
    if (edge === undefined) break;
    if (!edge.start) {
      count--;
      continue;
    }
    count++;
    const next = edges[i + 1];
    if ((best === null || count > best.count) && next !== undefined) best = { count, lo: edge.at, hi: next.at };
  }
  return best;
}

/** The agreed interval's midpoint: the correction that takes this node's clock to cluster time. */
export function midpoint(a: Agreement): number {
  return (a.lo + a.hi) / 2;
}
