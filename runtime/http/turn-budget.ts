// Bounds how much of one event-loop turn request handling may take. Request bodies are parsed,
// validated and encoded synchronously, and after any stall the sockets hold a request from every
// waiting client at once: a few hundred batches of a thousand transfers, handled in one go, keep
// the loop busy for over a second, so the leader's heartbeats stop and the followers elect another
// leader (a stall that then repeats with the next burst). With the budget, a request that finds the
// current slice used up waits for a later turn, and timers (heartbeats, elections) and I/O run in
// between. A quiet node pays one clock read per request.
import { performance } from 'node:perf_hooks';

export class TurnBudget {
  /** When the current slice started, or -1 when none is open. */
  private sliceStart = -1;

  constructor(private readonly sliceMs: number) {}

  /**
   * null when the current slice still has room (go on at once), else a promise that settles in a
   * later turn with room. Requests keep their order: those that wait resume first come, first served.
   */
  admit(): Promise<void> | null {
    const now = performance.now();
    if (this.sliceStart < 0) {
      this.open(now);
      return null;
    }
    if (now - this.sliceStart < this.sliceMs) return null;
    return new Promise<void>((resolve) => setImmediate(() => this.resume(resolve)));
  }

  private resume(resolve: () => void): void {
    const wait = this.admit();
    if (wait === null) resolve();
    else void wait.then(resolve);
  }

  /** A slice lasts until the loop next reaches its check phase; whatever runs after that starts a new one. */
  private open(now: number): void {
    this.sliceStart = now;
    setImmediate(() => {
      this.sliceStart = -1;
    });
  }
}
