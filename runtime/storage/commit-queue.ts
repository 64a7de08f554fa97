// Group commit and the ordering of log operations. Appends that arrive while a round is writing
// and fsyncing wait in the queue and are written together in the next round, so one fsync covers
// many callers: fsync latency, not CPU, bounds a log's write rate, and this is how the rate grows
// with load. Operations that reshape the log (load, truncate, snapshot) run alone, in call order
// relative to the appends around them.
import type { LogEntry } from '../../machines/types.ts';
import { StorageMisuseError, failedError } from './errors.ts';
import type { AppendJob } from './segment-log.ts';

type Job =
  | ({ readonly kind: 'append' } & AppendJob)
  | { readonly kind: 'exclusive'; run(): Promise<void>; reject(err: Error): void };

export class CommitQueue {
  private jobs: Job[] = [];
  private draining = false;
  private failure: Error | null = null;
  private idleWaiters: (() => void)[] = [];

  /** `runAppends` settles each job itself; if it throws, the store is failed (see errors.ts). */
  constructor(private readonly runAppends: (jobs: AppendJob[]) => Promise<void>) {}

  /** The error every operation now fails with, once a write has failed. */
  get failed(): Error | null {
    return this.failure;
  }

  append(entries: readonly LogEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.push({ kind: 'append', entries, resolve, reject });
    });
  }

  /**
   * Runs `run` once every earlier operation has finished and before any later one starts. A
   * StorageMisuseError leaves the store usable; any other error fails it.
   */
  exclusive<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.push({ kind: 'exclusive', run: async () => resolve(await run()), reject });
    });
  }

  /** Resolves once every queued operation has been settled. */
  idle(): Promise<void> {
    if (!this.draining && this.jobs.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private push(job: Job): void {
    if (this.failure !== null) {
      job.reject(this.failure);
      return;
    }
    this.jobs.push(job);
    if (!this.draining) {
      this.draining = true;
      // Start on a later microtask so that appends issued in the same tick share the first round.
      queueMicrotask(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    while (this.jobs.length > 0) {
      const head = this.jobs[0]!;
      if (head.kind === 'exclusive') {
        this.jobs.shift();
        try {
          await head.run();
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          if (!(e instanceof StorageMisuseError) && !isCorrupt(e)) this.fail(e);
          head.reject(e);
        }
        continue;
      }
      let n = 0;
      while (n < this.jobs.length && this.jobs[n]!.kind === 'append') n++;
      const round = this.jobs.splice(0, n) as AppendJob[];
      const settled = new Set<AppendJob>();
      const tracked = round.map((job) => ({
        entries: job.entries,
        resolve: () => (settled.add(job), job.resolve()),
        reject: (e: Error) => (settled.add(job), job.reject(e)),
      }));
      try {
        await this.runAppends(tracked);
      } catch (err) {
        this.fail(err);
        for (const job of round) if (!settled.has(job)) job.reject(this.failure!);
      }
    }
    this.draining = false;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Fails the store (a write elsewhere failed): queued and later operations reject with it. */
  fail(cause: unknown): Error {
    if (this.failure === null) {
      this.failure = failedError(cause);
      for (const job of this.jobs.splice(0)) job.reject(this.failure);
    }
    return this.failure;
  }
}

function isCorrupt(e: Error): boolean {
  return e.message.startsWith('SYNCPAY_ERR_STORAGE_CORRUPT');
}
