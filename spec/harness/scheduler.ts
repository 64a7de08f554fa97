// A discrete-event queue: simulated time only moves when the next event is taken, so hours of
// cluster time run in seconds and a run is reproducible. Events at the same instant run in the
// order they were scheduled. Between events the driver lets every pending promise settle, so
// async code (the actors' loops) behaves exactly as it does on a real event loop.
export interface ScheduledEvent {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  private time = 0;
  eventsRun = 0;

  now(): number {
    return this.time;
  }

  at(at: number, fn: () => void): ScheduledEvent {
    const ev: ScheduledEvent = { at: Math.max(at, this.time), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(delayMs: number, fn: () => void): ScheduledEvent {
    return this.at(this.time + Math.max(0, delayMs), fn);
  }

  cancel(ev: ScheduledEvent): void {
    ev.cancelled = true;
  }

  pendingCount(): number {
    return this.heap.length;
  }

  /**
   * Run events until simulated time passes `until` or none remain. `afterEach` runs once the
   * microtasks an event started have settled; returning false stops the run early.
   */
  async runUntil(until: number, afterEach: () => boolean): Promise<boolean> {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > until) break;
      this.pop();
      if (top.cancelled) continue;
      this.time = top.at;
      this.eventsRun++;
      top.fn();
      await settle();
      if (!afterEach()) return false;
    }
    this.time = Math.max(this.time, until);
    return true;
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Resolves once every microtask queued so far (and those they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
