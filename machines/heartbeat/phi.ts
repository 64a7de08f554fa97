// Phi-accrual failure detection (Hayashibara et al., as in Akka). It owns the per-peer history of
// heartbeat inter-arrival times and the suspicion level derived from it. Instead of a fixed
// timeout, phi says how unlikely the current silence is given the intervals seen so far, so the
// detector adapts to each link's own rhythm and jitter. Pure: every time is an argument.
//
// phi = -log10(P(a heartbeat arrives later than now)), with arrival times modelled as a normal
// distribution of mean (mean interval + acceptablePauseMs) and standard deviation
// max(observed std dev, minStdDevMs). The normal CDF uses the logistic approximation
// 1 / (1 + exp(-y (1.5976 + 0.070566 y^2))), y = (t - mean) / stdDev.
//
// Levels: alive below threshold / 2, suspect from threshold / 2, down from the threshold. The
// halfway point gives operators (and /status) a warning well before a peer is declared down, at
// a silence where the odds of a false alarm are still about the square root of the down level's.

export type PeerLevel = 'alive' | 'suspect' | 'down';

export interface PhiOptions {
  /** Phi at or above which a peer is down. */
  readonly threshold: number;
  readonly minStdDevMs: number;
  readonly acceptablePauseMs: number;
  /** Intervals kept. */
  readonly windowSize: number;
}

export interface PhiHistory {
  /** Recent inter-arrival intervals (ms), oldest first. */
  readonly intervals: readonly number[];
  /** Monotonic time of the last heartbeat (or of the seed, before the first one). */
  readonly lastArrivalMono: number;
}

/**
 * A history for a peer not yet heard from, as if it had sent a heartbeat at `atMono`: two
 * intervals of expectedIntervalMs ∓ a quarter (Akka's first-heartbeat estimate). A peer that
 * never answers is thus declared down on the same schedule as one that stops answering.
 */
export function phiSeed(atMono: number, expectedIntervalMs: number): PhiHistory {
  const spread = expectedIntervalMs / 4;
  return { intervals: [expectedIntervalMs - spread, expectedIntervalMs + spread], lastArrivalMono: atMono };
}

/** A heartbeat at `arrivalMono`: its interval since the previous one joins the window. */
export function phiRecord(h: PhiHistory, arrivalMono: number, windowSize: number): PhiHistory {
  const interval = arrivalMono - h.lastArrivalMono;
  if (!(interval >= 0)) return { intervals: h.intervals, lastArrivalMono: Math.max(h.lastArrivalMono, arrivalMono) };
  const intervals = [...h.intervals, interval];
  return { intervals: intervals.slice(Math.max(0, intervals.length - Math.max(1, windowSize))), lastArrivalMono: arrivalMono };
}

/**
 * A heartbeat from a peer that was down: the silence before it was a failure, not a sample of
 * the link's rhythm, so it restarts the clock without entering the window. (Recording it would
 * inflate the mean and make the next failure take much longer to detect.)
 */
export function phiResume(h: PhiHistory, arrivalMono: number): PhiHistory {
  return { intervals: h.intervals, lastArrivalMono: Math.max(h.lastArrivalMono, arrivalMono) };
}

export function intervalStats(intervals: readonly number[]): { mean: number; stdDev: number } {
  const n = intervals.length;
  if (n === 0) return { mean: 0, stdDev: 0 };
  const mean = intervals.reduce((a, x) => a + x, 0) / n;
  const variance = intervals.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
  return { mean, stdDev: Math.sqrt(variance) };
}

/** Phi after `elapsedMs` of silence, for a given arrival distribution. Never infinite. */
export function phiOf(elapsedMs: number, meanMs: number, stdDevMs: number): number {
  const y = (elapsedMs - meanMs) / stdDevMs;
  // -log10(1 - CDF) = log10(1 + exp(x)) with x = y (1.5976 + 0.070566 y^2); written so that
  // neither a long silence (x large) nor a fresh heartbeat (x very negative) overflows.
  const x = y * (1.5976 + 0.070566 * y * y);
  const ln = x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
  return ln / Math.LN10;
}

/** The suspicion level of a peer at `nowMono`. */
export function phiAt(h: PhiHistory, nowMono: number, o: PhiOptions): number {
  const { mean, stdDev } = intervalStats(h.intervals);
  const elapsed = Math.max(0, nowMono - h.lastArrivalMono);
  return phiOf(elapsed, mean + o.acceptablePauseMs, Math.max(stdDev, o.minStdDevMs));
}

export function suspectThreshold(threshold: number): number {
  return threshold / 2;
}

export function phiLevel(phi: number, threshold: number): PeerLevel {
  if (phi >= threshold) return 'down';
  if (phi >= suspectThreshold(threshold)) return 'suspect';
  return 'alive';
}

/**
 * How long a silence after the last heartbeat takes to reach `phi` with this history (ms, to
 * 0.01 ms): what bounds detection time. Found by bisection, since phi grows with silence.
 */
export function silenceToReachMs(h: PhiHistory, phi: number, o: PhiOptions): number {
  let lo = 0;
  let hi = 1;
  const at = (ms: number) => phiAt(h, h.lastArrivalMono + ms, o);
  while (at(hi) < phi && hi < 1e12) hi *= 2;
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (at(mid) < phi) lo = mid;
    else hi = mid;
  }
  return hi;
}
