// The fault schedule: a pure function of the seed, the run length, the cluster size and the
// enabled fault kinds. It says what happens when ("pause the leader at 12.4 s for 2.1 s"); who
// the leader is gets resolved only when the fault fires. Faults do not overlap, each is followed
// by a quiet spell so the cluster can show it recovers, and kinds and variants rotate so a short
// run still covers each one.
import { createPrng } from '../machines/prng.ts';
import type { FaultKind } from './history.ts';

export type Target = 'leader' | 'follower' | 'any';
export type PartitionShape = 'leader-isolated' | 'majority-minority' | 'bridge' | 'one-way-out' | 'one-way-in' | 'leader-slow';

export type PlannedFault =
  | { readonly kind: 'kill'; readonly atMs: number; readonly durationMs: number; readonly target: Target }
  | { readonly kind: 'pause'; readonly atMs: number; readonly durationMs: number; readonly target: Target }
  | { readonly kind: 'partition'; readonly atMs: number; readonly durationMs: number; readonly shape: PartitionShape; readonly style: 'drop' | 'reset'; readonly leaderInMinority: boolean; readonly delayMs: number }
  | { readonly kind: 'clock'; readonly atMs: number; readonly durationMs: number; readonly target: Target; readonly offsetMs: number };

export interface ScheduleOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly kinds: readonly FaultKind[];
  /** Quiet time before the first fault (the workload warms up). */
  readonly warmupMs?: number;
  /** Every fault is healed at least this long before the run ends. */
  readonly cooldownMs?: number;
  /** Longer than the election timeout, so pauses and partitions force elections. */
  readonly electionTimeoutMsMax: number;
}

const SHAPES: readonly PartitionShape[] = ['leader-isolated', 'majority-minority', 'bridge', 'one-way-out', 'one-way-in', 'leader-slow'];

export function planFaults(options: ScheduleOptions): PlannedFault[] {
  const rng = createPrng(options.seed ^ 0x5eed);
  const warmup = options.warmupMs ?? 3000;
  const cooldown = options.cooldownMs ?? 3000;
  const end = options.durationMs - cooldown;
  const minFault = Math.max(1000, options.electionTimeoutMsMax * 2);
  const plan: PlannedFault[] = [];
  if (options.kinds.length === 0) return plan;
  const kinds = shuffle([...options.kinds], rng);
  const shapes = shuffle([...SHAPES], rng);
  let at = warmup;
  let n = 0;
  let killLeader = rng.chance(0.5);
  for (;;) {
    const kind = kinds[n % kinds.length]!;
    const durationMs = rng.int(minFault, minFault + 3000);
    if (at + durationMs > end) break;
    switch (kind) {
      case 'kill':
        plan.push({ kind, atMs: at, durationMs, target: killLeader ? 'leader' : 'follower' });
        killLeader = !killLeader;
        break;
      case 'pause':
        // Pausing the leader is the interesting case (a stale leader waking up); mostly do that.
        plan.push({ kind, atMs: at, durationMs, target: rng.chance(0.7) ? 'leader' : 'follower' });
        break;
      case 'partition': {
        const shape = shapes[Math.floor(n / kinds.length) % shapes.length]!;
        plan.push({ kind, atMs: at, durationMs: durationMs + 1000, shape, style: rng.chance(0.5) ? 'drop' : 'reset', leaderInMinority: rng.chance(0.5), delayMs: rng.int(100, 400) });
        break;
      }
      case 'clock': {
        const magnitude = rng.int(1000, 3000);
        plan.push({ kind, atMs: at, durationMs: durationMs + 2000, target: rng.chance(0.5) ? 'leader' : 'any', offsetMs: rng.chance(0.5) ? magnitude : -magnitude });
        break;
      }
    }
    const last = plan[plan.length - 1]!;
    at = last.atMs + last.durationMs + rng.int(2000, 4000);
    n++;
  }
  return plan;
}

function shuffle<T>(items: T[], rng: { int(lo: number, hi: number): number }): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** Groups of nodes that can talk to each other, for the symmetric shapes (pure, for specs). */
export function partitionGroups(shape: 'leader-isolated' | 'majority-minority' | 'bridge', ids: readonly string[], leader: string, leaderInMinority: boolean): string[][] {
  const others = ids.filter((id) => id !== leader);
  const minoritySize = Math.floor((ids.length - 1) / 2);
  switch (shape) {
    case 'leader-isolated':
      return [[leader], others];
    case 'majority-minority': {
      if (leaderInMinority) {
        const minority = [leader, ...others.slice(0, minoritySize - 1)];
        return [minority, ids.filter((id) => !minority.includes(id))];
      }
      const minority = others.slice(0, minoritySize);
      return [minority, ids.filter((id) => !minority.includes(id))];
    }
    case 'bridge': {
      // One node sees both halves; the halves cannot see each other. The leader sits in a half.
      const bridge = others[0]!;
      const rest = ids.filter((id) => id !== bridge);
      const half = Math.ceil(rest.length / 2);
      return [[...rest.slice(0, half), bridge], [bridge, ...rest.slice(half)]];
    }
  }
}
