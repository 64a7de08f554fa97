// Phi accrual: the formula against Akka's, monotonicity, window handling, levels, and how long a
// silence takes to be declared down.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  intervalStats,
  phiAt,
  phiLevel,
  phiOf,
  phiRecord,
  phiResume,
  phiSeed,
  phiStdDevs,
  silenceToReachMs,
  type PhiHistory,
  type PhiOptions,
} from '../../machines/heartbeat/phi.ts';

const opts: PhiOptions = { threshold: 8, minStdDevMs: 25, acceptablePauseMs: 1_000, windowSize: 100 };

/** Akka's formulation, written out directly, to check ours against at moderate values. */
function akkaPhi(t: number, mean: number, sd: number): number {
  const y = (t - mean) / sd;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  return t > mean ? -Math.log10(e / (1 + e)) : -Math.log10(1 - 1 / (1 + e));
}

function steady(intervalMs: number, beats: number, from = 0): PhiHistory {
  let h = phiSeed(from, intervalMs);
  for (let i = 1; i <= beats; i++) h = phiRecord(h, from + i * intervalMs, opts.windowSize);
  return h;
}

test('phiOf matches Akka at moderate values', () => {
  for (const t of [0, 500, 1_000, 1_100, 1_150, 1_200, 1_300]) {
    const ours = phiOf(t, 1_100, 100);
    const theirs = akkaPhi(t, 1_100, 100);
    assert.ok(Math.abs(ours - theirs) < 1e-9, `t=${t}: ${ours} vs ${theirs}`);
  }
  assert.ok(Math.abs(phiOf(1_100, 1_100, 100) - Math.log10(2)) < 1e-12);
});

test('phiOf grows with silence and stays finite where Akka overflows', () => {
  let prev = -1;
  for (let t = 0; t <= 100_000; t += 250) {
    const p = phiOf(t, 1_100, 100);
    assert.ok(Number.isFinite(p) && p >= prev, `t=${t}`);
    prev = p;
  }
  assert.is(akkaPhi(100_000, 1_100, 100), Number.POSITIVE_INFINITY);
  assert.ok(phiOf(100_000, 1_100, 100) > 1_000);
});

test('phiRecord keeps the newest windowSize intervals and ignores time going backwards', () => {
  let h = phiSeed(0, 100);
  for (let i = 1; i <= 5; i++) h = phiRecord(h, i * 10, 3);
  assert.equal(h, { intervals: [10, 10, 10], lastArrivalMono: 50 });
  assert.equal(phiRecord(h, 40, 3), { intervals: [10, 10, 10], lastArrivalMono: 50 });
});

test('phiResume restarts the silence without recording the gap', () => {
  const h = steady(100, 10);
  const r = phiResume(h, 60_000);
  assert.equal(r.intervals, h.intervals);
  assert.is(r.lastArrivalMono, 60_000);
  assert.ok(phiAt(r, 60_000, opts) < 1);
});

test('intervalStats: population mean and standard deviation; spread = 1.4826 x median absolute deviation', () => {
  // median 4.5, absolute deviations 2.5 .5 .5 .5 .5 .5 2.5 4.5 -> median 0.5
  assert.equal(intervalStats([2, 4, 4, 4, 5, 5, 7, 9]), { mean: 5, stdDev: 2, spread: 1.4826 * 0.5 });
  assert.equal(intervalStats([3, 1, 2]), { mean: 2, stdDev: Math.sqrt(2 / 3), spread: 1.4826 });
  assert.equal(intervalStats([]), { mean: 0, stdDev: 0, spread: 0 });
});

test('spread: one stall in the window hardly moves it, so it does not delay detection by k std devs', () => {
  const calm = Array.from({ length: 50 }, (_, i) => 200 + ((i * 7) % 11) - 5);
  const stalled = [...calm.slice(0, 48), 800, 0];
  const a = intervalStats(calm);
  const b = intervalStats(stalled);
  assert.ok(b.stdDev > a.stdDev + 80, `plain std dev jumps: ${a.stdDev} -> ${b.stdDev}`);
  assert.ok(Math.abs(b.spread - a.spread) < 1, `spread stays: ${a.spread} -> ${b.spread}`);
  const o: PhiOptions = { threshold: 8, minStdDevMs: 1, acceptablePauseMs: 700, windowSize: 50 };
  const h = (intervals: number[]): PhiHistory => ({ intervals, lastArrivalMono: 0 });
  assert.ok(silenceToReachMs(h(stalled), 8, o) - silenceToReachMs(h(calm), 8, o) < 10);
});

test('levels: alive below half the threshold, suspect from half, down from the threshold', () => {
  assert.equal([0, 3.99, 4, 7.99, 8, 50].map((p) => phiLevel(p, 8)), ['alive', 'alive', 'suspect', 'suspect', 'down', 'down']);
});

test('a peer that stops answering is down within acceptablePause + 3 intervals', () => {
  const h = steady(100, 50);
  const bound = opts.acceptablePauseMs + 3 * 100;
  assert.is(phiLevel(phiAt(h, h.lastArrivalMono + 100, opts), opts.threshold), 'alive');
  assert.is(phiLevel(phiAt(h, h.lastArrivalMono + opts.acceptablePauseMs, opts), opts.threshold), 'alive');
  assert.is(phiLevel(phiAt(h, h.lastArrivalMono + bound, opts), opts.threshold), 'down');
  const crossing = silenceToReachMs(h, opts.threshold, opts);
  assert.ok(crossing > opts.acceptablePauseMs + 100 && crossing <= bound, String(crossing));
});

test('jittery heartbeats widen the spread and so the time to detection', () => {
  const calm = steady(100, 50);
  let jittery = phiSeed(0, 100);
  let t = 0;
  for (let i = 0; i < 50; i++) jittery = phiRecord(jittery, (t += i % 2 ? 20 : 180), opts.windowSize);
  assert.ok(silenceToReachMs(jittery, 8, opts) > silenceToReachMs(calm, 8, opts) + 100);
});

test('a 100 ms spread floor with phi 8 puts detection near 1.62 s, past a 1.3 s bound', () => {
  // Why the floor must stay small: at a 100 ms interval and a 1 s pause, the floor alone adds about
  // 5.2 spreads (0.52 s) beyond the 1.1 s mean.
  const o: PhiOptions = { threshold: 8, minStdDevMs: 100, acceptablePauseMs: 1_000, windowSize: 100 };
  const crossing = silenceToReachMs(steady(100, 50), 8, o);
  assert.ok(crossing > 1_600 && crossing < 1_650, String(crossing));
});

test('phiStdDevs: the k of "down at mean + pause + k std devs" (5.23 for Akka\'s threshold 8)', () => {
  assert.ok(Math.abs(phiStdDevs(8) - 5.226) < 0.001, String(phiStdDevs(8)));
  assert.ok(Math.abs(phiStdDevs(4) - 3.638) < 0.001, String(phiStdDevs(4)));
  assert.ok(Math.abs(phiStdDevs(Math.log10(2))) < 1e-9, 'phi log10(2) is the mean itself');
  for (const phi of [0.1, 0.5, 1, 2, 3, 5, 8, 12, 16, 20, 40]) {
    assert.ok(Math.abs(phiOf(phiStdDevs(phi), 0, 1) - phi) < 1e-9, `phi ${phi}`);
  }
});

test('silenceToReachMs is exact: phi just before it is below the level, just after at or above', () => {
  let jittery = phiSeed(0, 100);
  let t = 0;
  for (let i = 0; i < 80; i++) jittery = phiRecord(jittery, (t += 100 + ((i * 37) % 61) - 30), opts.windowSize);
  for (const h of [steady(100, 50), jittery]) {
    for (const level of [4, 8, 12]) {
      const at = silenceToReachMs(h, level, opts);
      assert.ok(phiAt(h, h.lastArrivalMono + at - 0.01, opts) < level, `below just before (${level})`);
      assert.ok(phiAt(h, h.lastArrivalMono + at + 0.01, opts) >= level, `reached just after (${level})`);
    }
  }
});

test.run();
