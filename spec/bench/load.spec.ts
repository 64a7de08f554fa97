// The load generator's closed loop on a simulated clock with a fake target (no HTTP, no sleeping):
// warm-up answers are acknowledged but not measured, the window counts what completed inside it,
// unknown outcomes are tallied apart from refusals, and the failover mark finds the first success
// of a request sent after the kill.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Outcome } from '../../bench/load/outcome.ts';
import type { LoadJob } from '../../bench/load/protocol.ts';
import { runLoad, type LoadClock, type LoadControl } from '../../bench/load/run-load.ts';

const EPOCH = 1_800_000_000_000;

/**
 * A discrete-event clock: `sleep` registers a timer, and time jumps to the earliest timer only once
 * every pending promise continuation has run (setImmediate comes after the microtasks), so
 * concurrent loops interleave as they would in real time, without waiting for it. A target's
 * service time is modelled by advancing `t` directly.
 */
function simClock(): LoadClock & { t: number } {
  const timers: { at: number; seq: number; resolve: () => void }[] = [];
  let seq = 0;
  let pumping = false;
  const pump = (): void => {
    pumping = false;
    timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = timers.shift();
    if (!next) return;
    clock.t = Math.max(clock.t, next.at);
    next.resolve();
    if (timers.length > 0) schedule();
  };
  const schedule = (): void => {
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  };
  const clock = {
    t: 0,
    now: () => clock.t,
    epochNow: () => EPOCH + clock.t,
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: clock.t + ms, seq: seq++, resolve });
        schedule();
      }),
  };
  return clock;
}

const job = (over: Partial<LoadJob> = {}): LoadJob => ({
  kind: 'syncpay-leader', concurrency: 1, batchSize: 1, warmupMs: 10, durationMs: 100, targets: ['http://127.0.0.1:1'],
  client: 'http', requestTimeoutMs: 1000, runId: 'spec', accounts: 10, untilStopped: false, probeEveryMs: 0, ...over,
});

test('warm-up answers count as acknowledged but not as measured', async () => {
  const clock = simClock();
  const target = { issue: async (): Promise<Outcome> => { clock.t += 1; return { kind: 'ok', units: 1 }; } };
  const { result } = await runLoad(job(), target, { stopped: false, markAtEpochMs: null }, () => undefined, clock);
  // Requests start at t = 0..109 and finish one ms later; the window is (10, 110].
  assert.is(result.unitsAckedTotal, 110);
  assert.is(result.unitsOk, 101);
  assert.is(result.requestsOk, 101);
  assert.is(result.windowMs, 100);
  assert.is(result.latency.p99, 1);
  assert.is(result.requestsFailed, 0);
});

test('batches count their units; refusals and unknown outcomes are kept apart', async () => {
  const clock = simClock();
  let n = 0;
  const target = {
    issue: async (): Promise<Outcome> => {
      clock.t += 2;
      n++;
      if (n % 5 === 0) return { kind: 'unknown', units: 100, label: '503 SYNCPAY_ERR_TIMEOUT' };
      if (n % 7 === 0) return { kind: 'failed', units: 0, label: '429' };
      return { kind: 'ok', units: 100 };
    },
  };
  const { result } = await runLoad(job({ kind: 'syncpay-batch', batchSize: 100, warmupMs: 0, durationMs: 200 }), target, { stopped: false, markAtEpochMs: null }, () => undefined, clock);
  const unknown = result.errors['503 SYNCPAY_ERR_TIMEOUT'] ?? 0;
  const refused = result.errors['429'] ?? 0;
  assert.ok(unknown > 0 && refused > 0);
  assert.is(result.unknownUnits, unknown * 100);
  assert.is(result.requestsFailed, unknown + refused);
  assert.is(result.unitsAckedTotal, result.requestsOk * 100);
  assert.is(result.unitsOk, result.unitsAckedTotal, 'no warm-up: everything acknowledged was measured');
});

test('failover mode: the first success of a request sent after the mark, then stop', async () => {
  const clock = simClock();
  const control: LoadControl = { stopped: false, markAtEpochMs: null };
  const target = {
    issue: async (): Promise<Outcome> => {
      const started = clock.t;
      clock.t += 1;
      if (started === 20) control.markAtEpochMs = EPOCH + 20; // the runner kills the leader at t = 20
      // The dead leader: everything started in [20, 50) fails, the new leader answers from t = 50.
      if (started >= 20 && started < 50) return { kind: 'unknown', units: 1, label: 'ECONNRESET' };
      if (started >= 80) control.stopped = true;
      return { kind: 'ok', units: 1 };
    },
  };
  const out = await runLoad(job({ untilStopped: true, warmupMs: 0, durationMs: 0 }), target, control, () => undefined, clock);
  // Failures back off 5 ms each: attempts start at 20, 26, 32, 38, 44, 50 -> the one at 50 finishes at 51.
  assert.is(out.firstSuccessAfterMarkMs, 31);
  assert.ok(out.result.unknownUnits >= 5);
  assert.ok(clock.t < 100, 'the loop ended when told to stop');
});

test('failover probes: fresh requests find the new leader while every worker is still stuck', async () => {
  const clock = simClock();
  const control: LoadControl = { stopped: false, markAtEpochMs: EPOCH }; // killed at t = 0
  let calls = 0;
  let releaseWorker: (o: Outcome) => void = () => undefined;
  const target = {
    issue: (): Promise<Outcome> => {
      calls++;
      // The first call is the worker's: it hangs on the dead leader until the round ends.
      if (calls === 1) return new Promise<Outcome>((resolve) => (releaseWorker = resolve));
      const started = clock.t;
      if (started < 50) return Promise.resolve({ kind: 'unknown', units: 1, label: 'ECONNRESET' });
      control.stopped = true;
      releaseWorker({ kind: 'unknown', units: 1, label: 'ETIMEDOUT' });
      return Promise.resolve({ kind: 'ok', units: 1 });
    },
  };
  const out = await runLoad(job({ untilStopped: true, warmupMs: 0, durationMs: 0, probeEveryMs: 20 }), target, control, () => undefined, clock);
  // Probes go out at t = 0, 20, 40 (refused) and 60 (the new leader answers).
  assert.is(out.firstProbeSuccessAfterMarkMs, 60);
  assert.is(out.firstSuccessAfterMarkMs, null, 'the stuck worker never saw a success');
  assert.is(out.result.unknownUnits, 4);
  assert.is(out.result.unitsAckedTotal, 1, 'the probe\'s payment is acknowledged and so checked too');
});

test.run();
