// Serialises hard-state writes so the newest one always wins, and folds a burst of them into one
// write: while a write is in flight, later calls only replace the pending value, and all of them
// resolve once a write at least as new as theirs is durable. Hard state lives in its own file,
// so these writes need not wait behind log appends; only recovery, which reads the file and
// clears temporary files, must not overlap one (see `exclusive`).
import type { HardState } from '../../machines/types.ts';
import { writeHardState } from './hard-state-file.ts';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class HardStateWriter {
  private pending: HardState | null = null;
  private waiters: Waiter[] = [];
  private writeQueued = false;
  /** Every write and exclusive task runs after the previous one settles. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string) {}

  save(hs: HardState): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending = hs;
      this.waiters.push({ resolve, reject });
      if (!this.writeQueued) {
        this.writeQueued = true;
        void this.enqueue(() => this.writePending());
      }
    });
  }

  /** Runs `task` with no hard-state write in progress and none starting until it settles. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.enqueue(task);
  }

  idle(): Promise<void> {
    return this.chain.then(() => undefined);
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writePending(): Promise<void> {
    this.writeQueued = false;
    const hs = this.pending;
    const waiters = this.waiters.splice(0);
    this.pending = null;
    if (hs === null) return;
    try {
      await writeHardState(this.dir, hs);
      for (const w of waiters) w.resolve();
    } catch (err) {
      for (const w of waiters) w.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
