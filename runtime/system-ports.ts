// Real implementations of the Clock and Random ports for a node process. The simulator's
// counterparts live in spec/harness/.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Clock, Random } from '../actors/ports.ts';
import { createPrng } from '../machines/prng.ts';

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
  defer: (fn) => void setImmediate(fn),
};

/** A seeded generator: the config's seed when given (reproducible jitter), else one from the OS. */
export function systemRandom(seed: number | null): { random: Random; seed: number } {
  const chosen = seed ?? randomBytes(4).readUInt32LE(0);
  return { random: createPrng(chosen), seed: chosen };
}
