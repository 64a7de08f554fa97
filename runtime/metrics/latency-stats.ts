// Exact summary statistics for one latency (or size) family, for the seed's JSON and text formats.
// Prometheus histograms only give bucket bounds, so the node also keeps what the seed reported:
// count, min, max and mean over its whole life, and p50/p95/p99 over the most recent samples. The
// recent samples live in a fixed ring, so memory stays bounded however long the node runs.

export interface StatsView {
  readonly count: number;
  /** null while nothing was observed: the JSON format must never carry NaN. */
  readonly min: number | null;
  readonly max: number | null;
  readonly avg: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

export const RECENT_SAMPLES_DEFAULT = 4096;

export class LatencyStats {
  private readonly ring: Float64Array;
  private next = 0;
  private filled = 0;
  private total = 0;
  private sum = 0;
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;

  constructor(capacity: number = RECENT_SAMPLES_DEFAULT) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.ring = new Float64Array(capacity);
  }

  observe(value: number): void {
    // A non-finite sample (a clock that jumped, a bug upstream) would poison every statistic.
    if (!Number.isFinite(value)) return;
    this.total += 1;
    this.sum += value;
    if (value < this.low) this.low = value;
    if (value > this.high) this.high = value;
    this.ring[this.next] = value;
    this.next = (this.next + 1) % this.ring.length;
    if (this.filled < this.ring.length) this.filled += 1;
  }

  view(): StatsView {
    if (this.total === 0) return { count: 0, min: null, max: null, avg: null, p50: null, p95: null, p99: null };
    // A typed array sorts numerically without a comparator call per comparison.
    const recent = this.ring.slice(0, this.filled).sort();
    return {
      count: this.total,
      min: this.low,
      max: this.high,
      avg: this.sum / this.total,
      p50: nearestRank(recent, 0.5),
      p95: nearestRank(recent, 0.95),
      p99: nearestRank(recent, 0.99),
    };
  }
}

/**
 * The nearest-rank percentile: always one of the observed samples, and monotone in `q`, so
 * p50 <= p95 <= p99 holds by construction rather than by luck of interpolation.
 */
export function nearestRank(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? null;
}
