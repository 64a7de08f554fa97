// Reconnect delays: full-jitter exponential backoff (delay drawn uniformly from
// [0, min(max, base * 2^attempt))). Jitter spreads the redials of a cluster that lost a node at
// once, so a restarting peer is not hit by every other node in the same millisecond.

/** Past this exponent the cap always wins; stopping here keeps 2^attempt finite. */
const EXPONENT_MAX = 30;

/** `random01` is uniform in [0, 1); `attempt` counts failures since the last successful open. */
export function fullJitterDelayMs(attempt: number, baseMs: number, maxMs: number, random01: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt, 0), EXPONENT_MAX));
  return Math.floor(random01 * ceiling);
}
