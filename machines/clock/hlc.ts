// Hybrid logical clock (Kulkarni et al.): physical milliseconds plus a logical counter. It owns
// the one stamp format the cluster orders by, so log entries and timeline events stay in causal
// order even when wall clocks disagree or jump backwards.
//
// Stamp format (fixed; other modules rely on it): "PPPPPPPPPPPPPPP.LLLLLL", physical milliseconds
// zero-padded to 15 digits, a dot, the logical counter zero-padded to 6 digits. Fixed widths make
// plain string comparison agree with HLC order.
//
// Counter overflow: the counter has six digits. When it would pass 999999 the physical part is
// bumped by one millisecond and the counter restarts at 0. This keeps stamps strictly increasing and
// the format fixed; the price is that the HLC may run up to 1 ms ahead of physical time per million
// events issued within one millisecond, which it gives back as soon as physical time catches up.

export interface Hlc {
  readonly physicalMs: number;
  readonly logical: number;
}

export const HLC_PHYSICAL_MAX = 999_999_999_999_999;
export const HLC_LOGICAL_MAX = 999_999;
export const HLC_ZERO: Hlc = { physicalMs: 0, logical: 0 };

const STAMP = /^(\d{15})\.(\d{6})$/;

/** Physical time as the HLC sees it: whole, non-negative milliseconds. */
function wholeMs(physicalMs: number): number {
  if (!Number.isFinite(physicalMs)) throw new RangeError(`SYNCPAY_ERR_BAD_TIME: ${physicalMs}`);
  return Math.min(HLC_PHYSICAL_MAX, Math.max(0, Math.floor(physicalMs)));
}

/** The successor of (physical, logical), carrying counter overflow into the physical part. */
function bump(physicalMs: number, logical: number): Hlc {
  if (logical < HLC_LOGICAL_MAX) return { physicalMs, logical: logical + 1 };
  if (physicalMs >= HLC_PHYSICAL_MAX) throw new RangeError('SYNCPAY_ERR_HLC_EXHAUSTED');
  return { physicalMs: physicalMs + 1, logical: 0 };
}

/** A local or send event: a stamp strictly greater than `state` and not behind `physicalMs`. */
export function hlcNow(state: Hlc, physicalMs: number): Hlc {
  const pt = wholeMs(physicalMs);
  if (pt > state.physicalMs) return { physicalMs: pt, logical: 0 };
  return bump(state.physicalMs, state.logical);
}

/**
 * A receive event: a stamp strictly greater than both `state` and the observed `stamp`, and not
 * behind `physicalMs`. A malformed stamp string throws (callers validate peer input first).
 */
export function hlcObserve(state: Hlc, stamp: Hlc | string, physicalMs: number): Hlc {
  const seen = typeof stamp === 'string' ? parseHlcOrThrow(stamp) : stamp;
  const pt = wholeMs(physicalMs);
  const top = compareHlc(state, seen) >= 0 ? state : seen;
  if (pt > top.physicalMs) return { physicalMs: pt, logical: 0 };
  return bump(top.physicalMs, top.logical);
}

export function formatHlc(h: Hlc): string {
  return `${String(h.physicalMs).padStart(15, '0')}.${String(h.logical).padStart(6, '0')}`;
}

/** The stamp's value, or null when the string is not a well-formed stamp. */
export function parseHlc(stamp: string): Hlc | null {
  const m = STAMP.exec(stamp);
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return { physicalMs: Number(m[1]), logical: Number(m[2]) };
}

function parseHlcOrThrow(stamp: string): Hlc {
  const h = parseHlc(stamp);
  if (!h) throw new RangeError(`SYNCPAY_ERR_BAD_HLC: ${JSON.stringify(stamp)}`);
  return h;
}

/**
 * Negative, zero or positive as `a` is before, equal to or after `b`. Accepts stamps or values; a
 * malformed stamp throws rather than sorting somewhere arbitrary.
 */
export function compareHlc(a: Hlc | string, b: Hlc | string): number {
  const x = typeof a === 'string' ? parseHlcOrThrow(a) : a;
  const y = typeof b === 'string' ? parseHlcOrThrow(b) : b;
  if (x.physicalMs !== y.physicalMs) return x.physicalMs < y.physicalMs ? -1 : 1;
  return x.logical < y.logical ? -1 : x.logical > y.logical ? 1 : 0;
}
