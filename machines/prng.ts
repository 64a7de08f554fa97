// A small seeded pseudo-random generator (SplitMix32-style mixing of a Weyl sequence). The node's
// election jitter and every simulator decision draw from one of these, so a run is a pure function
// of its seed. Not for secrets: nonces and keys come from node:crypto in runtime/.

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** An independent generator derived from this one (for per-node streams). */
  fork(): Prng;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const nextU32 = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const prng: Prng = {
    next: () => nextU32() / 4294967296,
    int: (lo, hi) => lo + Math.floor(prng.next() * (hi - lo + 1)),
    chance: (p) => prng.next() < p,
    pick: (items) => {
      const item = items[Math.floor(prng.next() * items.length)];
      if (item === undefined) throw new Error('SYNCPAY_ERR_ASSERTION: pick from an empty list');
      return item;
    },
    fork: () => createPrng(nextU32()),
  };
  return prng;
}
