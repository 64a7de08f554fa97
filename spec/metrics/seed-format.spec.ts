// The seed's formats: `?format=json` after 1,000 payments shows a payment-latency histogram with
// count 1000 and ordered, finite percentiles equal to the exact ones; `?format=summary` shows the
// same numbers; nothing is ever NaN, even for families that saw nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrng } from '../../machines/prng.ts';
import { nearestRank } from '../../runtime/metrics/latency-stats.ts';
import { formatNumber, type SeedMetrics } from '../../runtime/metrics/seed-format.ts';
import { fakeNode, type FakeNode } from './fake-node.ts';
import { parseExposition } from './prom-text.ts';

const SEED = Number(process.env['METRICS_SEED'] ?? 20261126);
console.log(`seed-format.spec seed=${SEED} (set METRICS_SEED to replay another)`);

const PAYMENT = 'syncpay_payment_latency_seconds';

/** 1,000 payments with a long-tailed latency (most fast, a few slow), mostly successful. */
function payThousand(node: FakeNode): number[] {
  const prng = createPrng(SEED);
  const latencies: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const slow = prng.chance(0.05);
    const seconds = slow ? 0.05 + prng.next() * 0.5 : 0.0005 + prng.next() * 0.01;
    latencies.push(seconds);
    node.metrics.observePayment(prng.chance(0.9) ? 'ok' : 'exceeds_credits', seconds);
  }
  return latencies;
}

async function json(node: FakeNode): Promise<SeedMetrics> {
  const res = await node.app.inject({ method: 'GET', url: '/metrics?format=json' });
  assert.is(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.not.match(res.body, /NaN|Infinity/, 'JSON never carries NaN or Infinity');
  return JSON.parse(res.body) as SeedMetrics;
}

test('after 1,000 payments the JSON histogram has count 1000 and exact, ordered, finite percentiles', async () => {
  const node = await fakeNode({ processMetrics: false });
  const latencies = payThousand(node);
  const doc = await json(node);
  assert.equal(Object.keys(doc).sort(), ['counters', 'gauges', 'histograms', 'node_id', 'timestamp', 'uptime_seconds']);
  assert.is(doc.node_id, 'node1');
  assert.is(doc.timestamp, node.state.nowMs / 1000);
  assert.ok(doc.uptime_seconds > 0);

  const h = doc.histograms[PAYMENT];
  assert.ok(h, 'payment latency histogram present');
  assert.is(h.count, 1000);
  for (const key of ['min', 'max', 'avg', 'p50', 'p95', 'p99'] as const) assert.ok(Number.isFinite(h[key]), `${key} finite`);
  const p50 = h.p50 as number, p95 = h.p95 as number, p99 = h.p99 as number;
  assert.ok((h.min as number) <= p50 && p50 <= p95 && p95 <= p99 && p99 <= (h.max as number), `ordered: ${JSON.stringify(h)}`);

  const sorted = [...latencies].sort((a, b) => a - b);
  assert.is(h.min, sorted[0]);
  assert.is(h.max, sorted[999]);
  assert.is(p50, nearestRank(sorted, 0.5));
  assert.is(p95, nearestRank(sorted, 0.95));
  assert.is(p99, nearestRank(sorted, 0.99));
  assert.ok(Math.abs((h.avg as number) - latencies.reduce((a, b) => a + b, 0) / 1000) < 1e-12);

  const committed = doc.counters['syncpay_payments_committed_total'] as number;
  const rejected = doc.counters['syncpay_payments_rejected_total'] as number;
  assert.is(doc.counters['syncpay_payments_requested_total'], 1000);
  assert.is(committed + rejected, 1000);
  assert.is(doc.counters['syncpay_payments_rejected_total{code="exceeds_credits"}'], rejected);
  assert.is(doc.gauges['syncpay_term'], 7);
  assert.is(doc.gauges['syncpay_peer_phi{peer="node3"}'], null, 'infinite phi becomes null');

  // The Prometheus view agrees on the count.
  const text = await node.app.inject({ method: 'GET', url: '/metrics' });
  const family = parseExposition(text.body).families.get(PAYMENT);
  assert.is(family?.samples.find((s) => s.name === `${PAYMENT}_count`)?.value, 1000);
});

test('families that saw nothing report count 0 and null statistics, never NaN', async () => {
  const node = await fakeNode();
  const doc = await json(node);
  for (const [name, h] of Object.entries(doc.histograms)) {
    assert.is(h.count, 0, name);
    for (const key of ['min', 'max', 'avg', 'p50', 'p95', 'p99'] as const) assert.is(h[key], null, `${name}.${key}`);
  }
  assert.is(doc.counters['syncpay_payments_rejected_total'], 0, 'a labelled counter shows its total even when empty');
  assert.ok('nodejs_eventloop_lag_seconds' in doc.gauges, 'event-loop lag reaches the seed format');
});

test('the summary text shows the same numbers as the JSON', async () => {
  const node = await fakeNode({ processMetrics: false });
  payThousand(node);
  const doc = await json(node);
  const res = await node.app.inject({ method: 'GET', url: '/metrics?format=summary' });
  assert.is(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const lines = res.body.split('\n');
  assert.ok(lines[0]?.includes('node1'));

  const header = lines.find((l) => /^\s+name\s+count\s+min\s+avg\s+p50\s+p95\s+p99\s+max\s*$/.test(l));
  assert.ok(header, 'histogram header row');
  const row = lines.find((l) => l.trim().startsWith(`${PAYMENT} `));
  assert.ok(row, 'payment latency row');
  const cells = row.trim().split(/\s+/);
  const h = doc.histograms[PAYMENT];
  assert.ok(h);
  assert.equal(cells, [PAYMENT, ...(['count', 'min', 'avg', 'p50', 'p95', 'p99', 'max'] as const).map((k) => formatNumber(h[k]))]);
  assert.is(Number(cells[1]), 1000);
  for (const [i, key] of [[2, 'min'], [4, 'p50'], [5, 'p95'], [6, 'p99'], [7, 'max']] as const) {
    const shown = Number(cells[i]);
    assert.ok(Math.abs(shown - (h[key] as number)) <= Math.abs(h[key] as number) * 1e-5, `${key}: ${shown} vs ${h[key]}`);
  }

  // Every counter and gauge of the JSON appears with its value (HTTP counts moved: the JSON request
  // itself was counted between the two reads).
  const stable = [...Object.entries(doc.counters), ...Object.entries(doc.gauges)].filter(([key]) => !key.startsWith('syncpay_http_'));
  assert.ok(stable.length > 30);
  for (const [key, value] of stable) {
    const line = lines.find((l) => l.trim().startsWith(`${key} `));
    assert.ok(line, `summary has ${key}`);
    assert.is(line.trim().split(/\s+/).at(-1), formatNumber(value), key);
  }
});

test.run();
