// A node's clock in the simulator: wall time with a per-node offset that can jump, monotonic
// time that runs at a per-node rate (drift), and timers on the shared event queue. It implements
// the Clock port, and its setTimeout/clearTimeout pair also fits XState's `clock` option. A clock
// belongs to one incarnation of a node: killing it silences every timer it armed.
import type { Clock, TimerId } from '../../actors/ports.ts';
import type { Scheduler, ScheduledEvent } from './scheduler.ts';

export const SIM_EPOCH_MS = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export class SimClock implements Clock {
  private dead = false;
  private readonly timers = new Set<ScheduledEvent>();

  constructor(
    private readonly sched: Scheduler,
    /** Monotonic ms per simulated ms (1 = perfect; 1.01 runs 1 % fast). */
    private readonly rate: number,
    /** Wall-clock offset from true time, ms; `jump` moves it. */
    private offsetMs: number,
  ) {}

  now(): number {
    return SIM_EPOCH_MS + this.sched.now() + this.offsetMs;
  }

  monotonicNow(): number {
    return this.sched.now() * this.rate;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const ev = this.sched.after(Math.max(0, ms) / this.rate, () => {
      this.timers.delete(ev);
      if (!this.dead) fn();
    });
    this.timers.add(ev);
    return ev;
  }

  clearTimeout(id: TimerId): void {
    const ev = id as ScheduledEvent;
    if (!ev || !this.timers.has(ev)) return;
    this.timers.delete(ev);
    this.sched.cancel(ev);
  }

  defer(fn: () => void): void {
    this.setTimeout(fn, 0);
  }

  jump(deltaMs: number): void {
    this.offsetMs += deltaMs;
  }

  offset(): number {
    return this.offsetMs;
  }

  kill(): void {
    this.dead = true;
    for (const ev of this.timers) this.sched.cancel(ev);
    this.timers.clear();
  }
}
