// Phi-accrual failure detection (Hayashibara et al., as in Akka). It owns the per-peer history of
// heartbeat inter-arrival times and the suspicion level derived from it. Instead of a fixed
// timeout, phi says how unlikely the current silence is given the intervals seen so far, so the
// detector adapts to each link's own rhythm and jitter. Pure: every time is an argument.
//
// phi = -log10(P(a heartbeat arrives later than now)), with arrival times modelled as a normal
// distribution of mean (mean interval + acceptablePauseMs) and standard deviation
// max(observed spread, minStdDevMs). The normal CDF uses the logistic approximation
// 1 / (1 + exp(-y (1.5976 + 0.070566 y^2))), y = (t - mean) / stdDev. So a silent peer reaches
// phi T at mean + acceptablePauseMs + k(T) std devs: k(8) = 5.23, k(4) = 3.64 (phiStdDevs).
//
// One departure from Akka: the spread is a robust estimate (median absolute deviation) rather
// than the plain standard deviation, so that stalls, which the acceptable pause already pays
// for, are not paid for a second time, five times over, in k std devs (see intervalStats).
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

export interface IntervalStats {
  readonly mean: number;
  readonly stdDev: number;
  readonly spread: number;
}

// Histories are immutable (every heartbeat makes a new array), so stats can be remembered per
// array: phi is asked about the same history many times between two heartbeats.
const statsOf = new WeakMap<readonly number[], IntervalStats>();

/**
 * Mean and spread of the intervals. `stdDev` is the plain population standard deviation;
 * `spread` is the robust one phi uses: 1.4826 x the median absolute deviation, which equals the
 * standard deviation for normal jitter but ignores the few long gaps an event-loop stall leaves.
 * Those gaps are what acceptablePauseMs is for; counted in the spread as well, one 600 ms stall
 * in the window added some 80 ms to the std dev and 400 ms (5 std devs) to detection.
 */
export function intervalStats(intervals: readonly number[]): IntervalStats {
  let stats = statsOf.get(intervals);
  if (stats === undefined) {
    stats = computeStats(intervals);
    statsOf.set(intervals, stats);
  }
  return stats;
}

function computeStats(intervals: readonly number[]): IntervalStats {
  const n = intervals.length;
  if (n === 0) return { mean: 0, stdDev: 0, spread: 0 };
  const mean = intervals.reduce((a, x) => a + x, 0) / n;
  const variance = intervals.reduce((a, x) => a + (x - mean) ** 2, 0) / n;
  const median = medianOf(intervals);
  const spread = 1.4826 * medianOf(intervals.map((x) => Math.abs(x - median)));
  return { mean, stdDev: Math.sqrt(variance), spread };
}

function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
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
  const { mean, spread } = intervalStats(h.intervals);
  const elapsed = Math.max(0, nowMono - h.lastArrivalMono);
  return phiOf(elapsed, mean + o.acceptablePauseMs, Math.max(spread, o.minStdDevMs));
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
 * The standardised silence y at which phi reaches `phi`: the root of
 * y (1.5976 + 0.070566 y^2) = ln(10^phi - 1), a cubic with one real root (Cardano's formula).
 * It is the k of "phi crosses the threshold k standard deviations past the expected arrival":
 * 5.23 for phi 8, 3.64 for phi 4.
 */
export function phiStdDevs(phi: number): number {
  // ln(10^phi - 1), written so that a large phi neither overflows nor loses the -1.
  const x = phi > 15 ? phi * Math.LN10 + Math.log1p(-(10 ** -phi)) : Math.log(Math.expm1(phi * Math.LN10));
  const a = 0.070566;
  const b = 1.5976;
  const p = x / (2 * a);
  const q = Math.sqrt(p * p + (b / (3 * a)) ** 3);
  return Math.cbrt(p + q) + Math.cbrt(p - q);
}

/**
 * How long a silence after the last heartbeat takes to reach `phi` with this history (ms): what
 * bounds detection time. Closed form: mean interval + acceptable pause + phiStdDevs(phi) spreads
 * (the spread floored at minStdDevMs), never negative.
 */
export function silenceToReachMs(h: PhiHistory, phi: number, o: PhiOptions): number {
  const { mean, spread } = intervalStats(h.intervals);
  return Math.max(0, mean + o.acceptablePauseMs + phiStdDevs(phi) * Math.max(spread, o.minStdDevMs));
}
