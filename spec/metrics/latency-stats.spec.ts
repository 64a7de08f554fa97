// The exact statistics behind the seed's histograms: lifetime count, min, max and mean; nearest-
// rank percentiles over a bounded ring of recent samples; non-finite samples ignored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrng } from '../../machines/prng.ts';
import { LatencyStats, nearestRank } from '../../runtime/metrics/latency-stats.ts';

const SEED = Number(process.env['METRICS_SEED'] ?? 7);
console.log(`latency-stats.spec seed=${SEED} (set METRICS_SEED to replay another)`);

test('nearest rank on small samples', () => {
  assert.is(nearestRank([], 0.5), null);
  assert.is(nearestRank([4], 0.99), 4);
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.is(nearestRank(ten, 0.5), 5);
  assert.is(nearestRank(ten, 0.95), 10);
  assert.is(nearestRank(ten, 0.1), 1);
  assert.is(nearestRank(ten, 0), 1);
});

test('empty stats are null, never NaN', () => {
  assert.equal(new LatencyStats(8).view(), { count: 0, min: null, max: null, avg: null, p50: null, p95: null, p99: null });
});

test('percentiles are ordered and equal the exact ones while under capacity (seeded)', () => {
  const prng = createPrng(SEED);
  const stats = new LatencyStats(1000);
  const values: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const v = prng.next() ** 3;
    values.push(v);
    stats.observe(v);
  }
  const sorted = values.sort((a, b) => a - b);
  const view = stats.view();
  assert.is(view.count, 1000);
  assert.is(view.p50, sorted[499]);
  assert.is(view.p95, sorted[949]);
  assert.is(view.p99, sorted[989]);
  assert.ok((view.p50 as number) <= (view.p95 as number) && (view.p95 as number) <= (view.p99 as number));
});

test('the ring keeps only recent samples for percentiles; count, min and max stay lifetime', () => {
  const stats = new LatencyStats(100);
  for (let i = 0; i < 100; i++) stats.observe(1000); // old, slow
  for (let i = 0; i < 100; i++) stats.observe(1 + i / 100); // recent, fast: 1.00 .. 1.99
  const view = stats.view();
  assert.is(view.count, 200);
  assert.is(view.max, 1000);
  assert.is(view.min, 1);
  assert.ok(Math.abs((view.avg as number) - (100 * 1000 + 100 * 1.495) / 200) < 1e-9);
  assert.is(view.p99, 1.98);
  assert.is(view.p50, 1.49);
});

test('non-finite samples are ignored', () => {
  const stats = new LatencyStats(4);
  stats.observe(Number.NaN);
  stats.observe(Number.POSITIVE_INFINITY);
  stats.observe(2);
  assert.equal(stats.view(), { count: 1, min: 2, max: 2, avg: 2, p50: 2, p95: 2, p99: 2 });
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new LatencyStats(0));
  assert.throws(() => new LatencyStats(1.5));
});

test.run();
