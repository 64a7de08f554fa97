// Percentiles and medians for benchmark numbers. Nearest-rank percentiles over every sample (no
// interpolation, no sampling): a p99 read from here is a latency some request really had, which is
// what a reader of the table assumes it is.
import type { LatencySummary } from '../types.ts';

/** Nearest-rank percentile of ascending `sorted`; q in (0, 1]. null when there are no samples. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile wants 0 < q <= 1, got ${q}`);
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** Summary of latencies in milliseconds; the input is not modified. */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  if (sorted.length === 0) return { count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0] ?? null,
    mean: sum / sorted.length,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? null,
  };
}

/** Median of the non-null values (mean of the middle two for an even count); null if none. */
export function median(values: ReadonlyArray<number | null>): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  if (xs.length % 2 === 1) return xs[mid] ?? null;
  return ((xs[mid - 1] ?? 0) + (xs[mid] ?? 0)) / 2;
}

/**
 * Latencies of one run, kept in a growable typed array: a closed loop at a few tens of thousands of
 * requests per second for a few seconds fits easily, and no boxing per sample.
 */
export class LatencyRecorder {
  private data = new Float64Array(1024);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  summary(): LatencySummary {
    return summarize(this.data.subarray(0, this.size));
  }
}
