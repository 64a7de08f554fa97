// NTP four-timestamp samples, the minimum-delay estimate, step detection, ageing and drift.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  addSample,
  EMPTY_WINDOW,
  estimateDriftPpm,
  estimateOffset,
  inlierSamples,
  ntpSample,
  type OffsetWindow,
} from '../../machines/clock/offset.ts';

const SEED = Number(process.env['SEED'] ?? 7);
console.log(`offset.spec seed=${SEED}`);

/** A sample from an exchange with a peer `skew` ms ahead and one-way delays `up` and `down`. */
function exchange(t0: number, skew: number, up: number, down: number, atMono = t0) {
  const t1 = t0 + up + skew;
  const t2 = t1 + 0.5;
  const t3 = t2 - skew + down;
  return ntpSample(t0, t1, t2, t3, atMono);
}

test('ntpSample: symmetric delays give the exact offset', () => {
  const s = exchange(1_000, 2_000, 3, 3);
  assert.equal(s, { offsetMs: 2_000, delayMs: 6, atMono: 1_000 });
});

test('ntpSample: asymmetric delays stay within delay / 2 of the truth', () => {
  const s = exchange(1_000, -750, 1, 9);
  assert.ok(s);
  assert.is(s.delayMs, 10);
  assert.is(s.offsetMs, -754);
  assert.ok(Math.abs(s.offsetMs - -750) <= s.delayMs / 2);
});

test('ntpSample: impossible timestamps are rejected', () => {
  assert.is(ntpSample(0, 10, 20, 5, 0), null, 'negative round trip');
  assert.is(ntpSample(0, 10, 9, 30, 0), null, 'pong sent before ping received');
  assert.is(ntpSample(0, Number.NaN, 11, 30, 0), null, 'not finite');
  assert.is(ntpSample(0, 10, 11, Number.POSITIVE_INFINITY, 0), null, 'not finite');
});

test('estimate: the minimum-delay sample wins; the window slides', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  const delays: Array<[number, number]> = [[5, 40], [2, 2], [30, 1], [8, 8]];
  delays.forEach(([up, down], i) => {
    w = addSample(w, exchange(i * 100, 500, up, down, i * 100)!, 3);
  });
  assert.is(w.samples.length, 3);
  const e = estimateOffset(w, 300, 10_000);
  assert.ok(e);
  assert.is(e.delayMs, 4);
  assert.is(e.offsetMs, 500);
  assert.is(e.errorMs, 2);
  assert.is(e.samples, 3);
});

test('estimate: samples older than the maximum age no longer count', () => {
  let w = addSample(EMPTY_WINDOW, exchange(0, 100, 1, 1, 0)!, 8);
  w = addSample(w, exchange(100, 100, 10, 10, 100)!, 8);
  assert.is(estimateOffset(w, 1_000, 950)?.delayMs, 20, 'the old low-delay sample aged out');
  assert.is(estimateOffset(w, 5_000, 950), null);
});

test('step detection: a disjoint new sample evicts the stale ones', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  for (let i = 0; i < 5; i++) w = addSample(w, exchange(i * 100, -10_000, 1, 1, i * 100)!, 8);
  assert.is(estimateOffset(w, 500, 10_000)?.offsetMs, -10_000);
  // The node's clock was corrected: the peer is now 0 ms away, seen with a larger delay.
  w = addSample(w, exchange(600, 0, 5, 5, 600)!, 8);
  assert.is(w.samples.length, 1);
  assert.is(estimateOffset(w, 600, 10_000)?.offsetMs, 0);
});

test('step detection: overlapping samples are all kept', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  w = addSample(w, exchange(0, 100, 1, 1, 0)!, 8);
  w = addSample(w, exchange(100, 101, 1, 1, 100)!, 8);
  w = addSample(w, exchange(200, 100, 40, 1, 200)!, 8);
  assert.is(w.samples.length, 3);
});

test('outliers: delays beyond three times the minimum are left out of drift and jitter', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  w = addSample(w, exchange(0, 100, 1, 1, 0)!, 8);
  w = addSample(w, exchange(100, 100, 1, 2, 100)!, 8);
  w = addSample(w, exchange(200, 100, 30, 30, 200)!, 8);
  assert.equal(inlierSamples(w, 200, 10_000).map((s) => s.delayMs), [2, 3]);
});

test('drift: a peer clock running 200 ppm fast is measured from the slope', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  for (let i = 0; i < 8; i++) {
    const t = i * 1_000;
    w = addSample(w, exchange(t, 50 + t * 200e-6, 1, 1, t)!, 8);
  }
  const ppm = estimateDriftPpm(w, 7_000, 60_000, 500);
  assert.ok(ppm !== null && Math.abs(ppm - 200) < 1, String(ppm));
});

test('drift: unknown over too short a span or too few samples', () => {
  let w: OffsetWindow = EMPTY_WINDOW;
  w = addSample(w, exchange(0, 50, 1, 1, 0)!, 8);
  w = addSample(w, exchange(100, 50, 1, 1, 100)!, 8);
  assert.is(estimateDriftPpm(w, 100, 60_000, 500), null);
  w = addSample(w, exchange(200, 50, 1, 1, 200)!, 8);
  assert.is(estimateDriftPpm(w, 200, 60_000, 500), null);
});

test('random delays: the estimate is always within its error bound of the true skew', () => {
  let s = SEED >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  for (let run = 0; run < 200; run++) {
    const skew = (rnd() - 0.5) * 20_000;
    let w: OffsetWindow = EMPTY_WINDOW;
    for (let i = 0; i < 8; i++) w = addSample(w, exchange(i * 100, skew, 0.2 + rnd() * 20, 0.2 + rnd() * 20, i * 100)!, 8);
    const e = estimateOffset(w, 800, 10_000)!;
    assert.ok(Math.abs(e.offsetMs - skew) <= e.errorMs + 1e-9, `seed ${SEED} run ${run}`);
  }
});

test.run();
