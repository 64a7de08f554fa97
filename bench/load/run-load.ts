// The closed loop: `concurrency` workers, each sending its next request as soon as the previous
// one is answered. Requests answered during the warm-up are checked (they count as acknowledged)
// but not measured; the measured window is the `durationMs` after it. A failed request backs off
// a few milliseconds, so a dead node does not turn a worker into a busy loop.
import { performance } from 'node:perf_hooks';
import { LatencyRecorder } from '../report/stats.ts';
import type { LoadResult } from '../types.ts';
import type { Outcome } from './outcome.ts';
import type { LoadJob } from './protocol.ts';
import type { Target } from './syncpay-target.ts';

const FAILURE_BACKOFF_MS = 5;
const PROGRESS_EVERY_MS = 250;
/** How often the prober looks for the mark before it starts firing. */
const PROBE_EVERY_MS = 20;

export interface LoadControl {
  /** Set by a `stop` message (failover mode). */
  stopped: boolean;
  /** Epoch ms of the runner's kill, once it happened. */
  markAtEpochMs: number | null;
}

/** Time for the loop; real by default, simulated in the spec so it runs without sleeping. */
export interface LoadClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Wall-clock epoch milliseconds (comparable with the runner's kill time). */
  epochNow(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: LoadClock = {
  now: () => performance.now(),
  epochNow: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export interface LoadOutput {
  readonly result: LoadResult;
  /** First success of a worker request sent after the mark: what a client already waiting sees. */
  readonly firstSuccessAfterMarkMs: number | null;
  /** First success of a fresh probe request sent after the mark: when the cluster took writes again. */
  readonly firstProbeSuccessAfterMarkMs: number | null;
}

export async function runLoad(
  job: LoadJob,
  target: Target,
  control: LoadControl,
  onProgress: (fraction: number, unitsOk: number, elapsedMs: number, firstSuccessAfterMarkMs: number | null) => void,
  clock: LoadClock = REAL_CLOCK,
): Promise<LoadOutput> {
  const cpuStart = process.cpuUsage();
  const t0 = clock.now();
  const warmEnd = t0 + job.warmupMs;
  const end = job.untilStopped ? Number.POSITIVE_INFINITY : warmEnd + job.durationMs;
  const latencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requestsOk = 0;
  let unitsOk = 0;
  let unitsAckedTotal = 0;
  let unknownUnits = 0;
  let requestsFailed = 0;
  let retries = 0;
  let firstSuccessAfterMarkMs: number | null = null;
  let firstProbeSuccessAfterMarkMs: number | null = null;
  let stoppedAt = Number.POSITIVE_INFINITY;

  const timer = setInterval(() => {
    const now = clock.now();
    const fraction = job.untilStopped ? 0 : Math.min(1, (now - t0) / (end - t0));
    onProgress(fraction, unitsOk, now - t0, minOf(firstSuccessAfterMarkMs, firstProbeSuccessAfterMarkMs));
  }, PROGRESS_EVERY_MS);

  /** Books one answered request; true if it succeeded after having been sent after the mark. */
  const account = (outcome: Outcome, started: number, finished: number, startedEpoch: number, measured: boolean): boolean => {
    retries += outcome.retries ?? 0;
    if (outcome.label !== undefined) errors[outcome.label] = (errors[outcome.label] ?? 0) + 1;
    if (outcome.kind !== 'ok') {
      requestsFailed++;
      if (outcome.kind === 'unknown') unknownUnits += outcome.units;
      return false;
    }
    unitsAckedTotal += outcome.units;
    if (measured && finished >= warmEnd && finished <= end && !control.stopped) {
      latencies.add(finished - started);
      requestsOk++;
      unitsOk += outcome.units;
    }
    const mark = control.markAtEpochMs;
    return mark !== null && startedEpoch >= mark;
  };

  const worker = async (index: number): Promise<void> => {
    for (;;) {
      const started = clock.now();
      if (started >= end || control.stopped) {
        stoppedAt = Math.min(stoppedAt, started);
        return;
      }
      const startedEpoch = clock.epochNow();
      const outcome = await target.issue(index);
      if (account(outcome, started, clock.now(), startedEpoch, true)) {
        const mark = control.markAtEpochMs ?? 0;
        if (firstSuccessAfterMarkMs === null) firstSuccessAfterMarkMs = clock.epochNow() - mark;
      }
      if (outcome.kind !== 'ok') await clock.sleep(FAILURE_BACKOFF_MS);
    }
  };

  // Workers already waiting on the dead leader cannot show when the cluster recovered (they are
  // stuck until their own timeout): after the mark, fresh requests are fired at a steady pace,
  // without waiting for each other, over all targets, until one succeeds.
  const prober = async (): Promise<void> => {
    const inFlight: Promise<void>[] = [];
    let n = 0;
    while (!control.stopped && control.markAtEpochMs === null) await clock.sleep(PROBE_EVERY_MS / 4);
    while (!control.stopped && firstProbeSuccessAfterMarkMs === null) {
      const started = clock.now();
      const startedEpoch = clock.epochNow();
      inFlight.push(target.issue(n++).then((outcome) => {
        if (account(outcome, started, clock.now(), startedEpoch, false) && firstProbeSuccessAfterMarkMs === null) {
          firstProbeSuccessAfterMarkMs = clock.epochNow() - (control.markAtEpochMs ?? 0);
        }
      }));
      await clock.sleep(job.probeEveryMs);
    }
    await Promise.all(inFlight);
  };

  try {
    const loops = Array.from({ length: job.concurrency }, (_, i) => worker(i));
    if (job.untilStopped && job.probeEveryMs > 0) loops.push(prober());
    await Promise.all(loops);
  } finally {
    clearInterval(timer);
  }
  const windowEnd = Math.min(end, stoppedAt);
  const cpu = process.cpuUsage(cpuStart);
  return {
    result: {
      windowMs: Math.max(0, windowEnd - warmEnd),
      requestsOk,
      unitsOk,
      unitsAckedTotal,
      unknownUnits,
      requestsFailed,
      retries,
      latency: latencies.summary(),
      errors,
      loadgenCpuSeconds: (cpu.user + cpu.system) / 1e6,
    },
    firstSuccessAfterMarkMs,
    firstProbeSuccessAfterMarkMs,
  };
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
