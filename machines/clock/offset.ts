// Per-peer clock offset estimation from NTP's four timestamps. It owns the sliding window of
// samples for one peer and the rule that turns it into an estimate: the minimum-delay sample wins,
// because the true offset is guaranteed to lie within half that sample's round trip, and a short
// round trip leaves the least room for asymmetric network delay to distort it.
//
// Timestamps (wall-clock ms): t0 ping sent by us, t1 received by the peer, t2 pong sent by the
// peer, t3 pong received by us. offset = ((t1 - t0) + (t2 - t3)) / 2 is the peer's clock minus
// ours; delay = (t3 - t0) - (t2 - t1) is the round trip without the peer's processing time.
// Whatever the split of `delay` between the two directions, the true offset lies in
// [offset - delay/2, offset + delay/2]: that interval is what Marzullo's algorithm consumes.

/** Whole-millisecond clocks: every reading may be up to this far off, so comparisons allow it. */
export const TIMESTAMP_RESOLUTION_MS = 1;
/** A sample whose delay exceeds this multiple of the window's minimum is an outlier. */
export const OUTLIER_DELAY_FACTOR = 3;

export interface OffsetSample {
  readonly offsetMs: number;
  readonly delayMs: number;
  /** Our monotonic time when the pong arrived: ages samples without trusting the wall clock. */
  readonly atMono: number;
}

export interface OffsetWindow {
  /** Oldest first; at most the configured window size. */
  readonly samples: readonly OffsetSample[];
}

export interface OffsetEstimate {
  /** Peer clock minus ours, ms. */
  readonly offsetMs: number;
  /** Round trip of the chosen sample, ms. */
  readonly delayMs: number;
  /** Half the round trip: the true offset is within offsetMs ± errorMs. */
  readonly errorMs: number;
  readonly atMono: number;
  /** Fresh samples the estimate was chosen from. */
  readonly samples: number;
}

export const EMPTY_WINDOW: OffsetWindow = { samples: [] };

/**
 * One exchange's sample, or null when the timestamps are impossible (not finite, or a negative
 * round trip: one of the clocks was stepped during the exchange, so the sample means nothing).
 */
export function ntpSample(t0: number, t1: number, t2: number, t3: number, atMono: number): OffsetSample | null {
  if (![t0, t1, t2, t3, atMono].every(Number.isFinite)) return null;
  const delayMs = t3 - t0 - (t2 - t1);
  if (delayMs < 0 || t2 < t1) return null;
  return { offsetMs: (t1 - t0 + (t2 - t3)) / 2, delayMs, atMono };
}

function disjoint(a: OffsetSample, b: OffsetSample): boolean {
  const slack = a.delayMs / 2 + b.delayMs / 2 + 2 * TIMESTAMP_RESOLUTION_MS;
  return Math.abs(a.offsetMs - b.offsetMs) > slack;
}

/**
 * The window after one more sample. Older samples whose offset interval cannot overlap the new
 * one's are dropped: both intervals are guaranteed to contain the true offset at their time, so
 * disjoint intervals prove a clock was stepped since, and the old samples describe a clock that no
 * longer exists. Without this a stepped clock would keep its stale estimate for a whole window.
 */
export function addSample(window: OffsetWindow, sample: OffsetSample, windowSize: number): OffsetWindow {
  const kept = window.samples.filter((old) => !disjoint(old, sample));
  kept.push(sample);
  return { samples: kept.slice(Math.max(0, kept.length - Math.max(1, windowSize))) };
}

function freshSamples(window: OffsetWindow, nowMono: number, maxAgeMs: number): OffsetSample[] {
  return window.samples.filter((s) => nowMono - s.atMono <= maxAgeMs);
}

/** The minimum-delay fresh sample (the newest among equals), or null when none is fresh. */
export function estimateOffset(window: OffsetWindow, nowMono: number, maxAgeMs: number): OffsetEstimate | null {
  const fresh = freshSamples(window, nowMono, maxAgeMs);
  let best: OffsetSample | undefined;
  for (const s of fresh) if (best === undefined || s.delayMs <= best.delayMs) best = s;
  if (best === undefined) return null;
  return {
    offsetMs: best.offsetMs,
    delayMs: best.delayMs,
    errorMs: best.delayMs / 2,
    atMono: best.atMono,
    samples: fresh.length,
  };
}

/** Fresh samples that are not delay outliers: what drift and jitter are computed from. */
export function inlierSamples(window: OffsetWindow, nowMono: number, maxAgeMs: number): OffsetSample[] {
  const fresh = freshSamples(window, nowMono, maxAgeMs);
  if (fresh.length === 0) return [];
  const minDelay = Math.min(...fresh.map((s) => s.delayMs));
  const bound = OUTLIER_DELAY_FACTOR * minDelay + 2 * TIMESTAMP_RESOLUTION_MS;
  return fresh.filter((s) => s.delayMs <= bound);
}

/**
 * Drift of the peer's clock relative to ours in parts per million: the least-squares slope of
 * offset over our monotonic time. Null until three inlier samples span at least `minSpanMs`,
 * because a slope over a short span is dominated by each sample's ±delay/2 noise.
 */
export function estimateDriftPpm(
  window: OffsetWindow,
  nowMono: number,
  maxAgeMs: number,
  minSpanMs: number,
): number | null {
  const pts = inlierSamples(window, nowMono, maxAgeMs);
  if (pts.length < 3) return null;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!first || !last || last.atMono - first.atMono < minSpanMs) return null;
  const n = pts.length;
  const mx = pts.reduce((a, s) => a + s.atMono, 0) / n;
  const my = pts.reduce((a, s) => a + s.offsetMs, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of pts) {
    sxy += (s.atMono - mx) * (s.offsetMs - my);
    sxx += (s.atMono - mx) ** 2;
  }
  if (sxx === 0) return null;
  return (sxy / sxx) * 1e6;
}
