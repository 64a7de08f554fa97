// The request-path metric families render exactly what prom-client's own Histogram and Counter
// render for the same observations (Prometheus text, OpenMetrics and the JSON view), so replacing
// them changed the cost and nothing a scraper sees. Observations are seeded random label sets and
// values, including exact bucket bounds; plus the error contract (bad values, unknown labels).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Counter, Histogram, Registry } from 'prom-client';
import { createPrng } from '../../machines/prng.ts';
import { renderExposition } from '../../runtime/metrics/exposition.ts';
import { FastCounter, FastHistogram } from '../../runtime/metrics/fast-families.ts';
import { createNodeMetrics } from '../../runtime/metrics/registry.ts';
import { Timeline } from '../../runtime/timeline.ts';
import type { NodeServices } from '../../runtime/http/services.ts';
import { parseExposition } from './prom-text.ts';

const SEED = Number(process.env['METRICS_SEED'] ?? 11);
console.log(`fast-families.spec seed=${SEED} (set METRICS_SEED to replay another)`);

const BUCKETS = [0.001, 0.005, 0.01, 0.1, 1, 5];
const ROUTES = ['/payment', '/v1/transfers', '/ping'];
const METHODS = ['GET', 'POST'];

function registries(): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  for (const r of [ours, theirs]) r.setDefaultLabels({ node: 'node1' });
  return { ours, theirs };
}

/** The JSON view without prom-client's `exemplar: null` (exemplars are off for every family). */
async function jsonOf(registry: Registry): Promise<unknown> {
  const metrics = await registry.getMetricsAsJSON();
  return JSON.parse(JSON.stringify(metrics, (key, value) => (key === 'exemplar' && value === null ? undefined : value)));
}

async function sameEverywhere(ours: Registry, theirs: Registry): Promise<void> {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    const a = await renderExposition(ours, format, { node: 'node1' });
    const b = await renderExposition(theirs, format, { node: 'node1' });
    assert.is(a.body, b.body, `${format} text`);
    parseExposition(a.body); // and it is well-formed
  }
  assert.equal(await jsonOf(ours), await jsonOf(theirs), 'JSON view');
}

test('a labelled histogram and counter render what prom-client renders (seeded)', async () => {
  const prng = createPrng(SEED);
  const { ours, theirs } = registries();
  const fastH = new FastHistogram<'route' | 'method'>({ name: 'x_duration_seconds', help: 'h', buckets: BUCKETS, labelNames: ['route', 'method'], registers: [ours] });
  const promH = new Histogram<'route' | 'method'>({ name: 'x_duration_seconds', help: 'h', buckets: BUCKETS, labelNames: ['route', 'method'], registers: [theirs] });
  const fastC = new FastCounter<'route' | 'status'>({ name: 'x_requests_total', help: 'c', labelNames: ['route', 'status'], registers: [ours] });
  const promC = new Counter<'route' | 'status'>({ name: 'x_requests_total', help: 'c', labelNames: ['route', 'status'], registers: [theirs] });
  await sameEverywhere(ours, theirs); // nothing observed: no labelled series yet
  for (let i = 0; i < 2000; i++) {
    const labels = { route: prng.pick(ROUTES), method: prng.pick(METHODS) };
    // Exact bounds land in their own bucket (le is inclusive); some values exceed every bound.
    const value = prng.chance(0.2) ? prng.pick(BUCKETS) : prng.next() ** 2 * 8;
    if (prng.chance(0.5)) fastH.observe(labels, value);
    else fastH.cellFor(labels).observe(value);
    promH.observe(labels, value);
    const counted = { route: labels.route, status: String(prng.pick([200, 404, 503])) };
    const by = prng.chance(0.1) ? 0 : prng.int(1, 3);
    fastC.inc(counted, by);
    promC.inc(counted, by);
  }
  await sameEverywhere(ours, theirs);
});

test('unlabelled families show their zero series from the start, like prom-client', async () => {
  const { ours, theirs } = registries();
  const fastH = new FastHistogram({ name: 'y_seconds', help: 'h', buckets: BUCKETS, registers: [ours] });
  const promH = new Histogram({ name: 'y_seconds', help: 'h', buckets: BUCKETS, registers: [theirs] });
  const fastC = new FastCounter({ name: 'y_total', help: 'c', registers: [ours] });
  const promC = new Counter({ name: 'y_total', help: 'c', registers: [theirs] });
  await sameEverywhere(ours, theirs);
  for (const v of [0.0005, 0.005, 7]) {
    fastH.observe(v);
    promH.observe(v);
  }
  fastC.inc();
  promC.inc();
  fastC.inc(2);
  promC.inc(2);
  await sameEverywhere(ours, theirs);
  fastH.reset();
  promH.reset();
  fastC.reset();
  promC.reset();
  await sameEverywhere(ours, theirs);
});

test('bad values and unknown or missing labels throw, as prom-client does', () => {
  const h = new FastHistogram<'route'>({ name: 'z_seconds', help: 'h', buckets: BUCKETS, labelNames: ['route'] });
  const c = new FastCounter<'route'>({ name: 'z_total', help: 'c', labelNames: ['route'] });
  assert.throws(() => h.observe({ route: '/a' }, Number.NaN), /not a valid number/);
  assert.throws(() => h.observe({ route: '/a' }, Number.POSITIVE_INFINITY), /not a valid number/);
  assert.throws(() => c.inc({ route: '/a' }, -1), /decrease/);
  assert.throws(() => h.cellFor({}), /label "route" is missing/);
  assert.throws(() => c.inc({ route: '/a', method: 'GET' } as unknown as { route: string }), /unknown label "method"/);
});

test('observeHttp: cached label sets still count every request; bad statuses and routes fold into "other"', async () => {
  const services = { consensus: () => undefined, ledger: () => undefined, now: () => 0 } as unknown as NodeServices;
  const m = createNodeMetrics({ nodeId: 'node1', services, timeline: new Timeline('node1', 8), processMetrics: false });
  for (let i = 0; i < 5; i++) m.observeHttp('/payment', 'POST', 200, 0.002);
  m.observeHttp('/payment', 'post', 200, 0.02);
  m.observeHttp('/payment', 'POST', 503, 0.001);
  m.observeHttp('/payment', 'POST', 70000, 0.001);
  m.observeHttp('not a route!', 'BREW', 200, Number.NaN);
  const exp = parseExposition((await renderExposition(m.registry, 'prometheus', { node: 'node1' })).body);
  const requests = exp.families.get('syncpay_http_requests_total')!.samples;
  const count = (labels: Record<string, string>) =>
    requests.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.is(count({ route: '/payment', method: 'POST', status: '200' }), 6);
  assert.is(count({ route: '/payment', method: 'POST', status: '503' }), 1);
  assert.is(count({ route: '/payment', method: 'POST', status: 'other' }), 1);
  assert.is(count({ route: 'other', method: 'other', status: '200' }), 1);
  const durations = exp.families.get('syncpay_http_request_duration_seconds')!.samples;
  const payments = durations.find((s) => s.name.endsWith('_count') && s.labels['route'] === '/payment');
  assert.is(payments?.value, 8, 'every finite duration observed once');
  assert.not.ok(durations.some((s) => s.labels['route'] === 'other'), 'a non-finite duration is counted, not observed');
  assert.is(m.stats().syncpay_http_request_duration_seconds.count, 8);
  m.close();
});

test.run();
