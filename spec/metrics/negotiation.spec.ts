// Content negotiation of GET /metrics: Prometheus text by default and for text or wildcard
// Accept headers, OpenMetrics when asked (as Prometheus itself asks), the seed's formats through
// `?format=`, and a 400 problem for a format the node does not speak.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseFormat } from '../../runtime/metrics/negotiate.ts';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../runtime/metrics/exposition.ts';
import { fakeNode } from './fake-node.ts';
import { parseExposition } from './prom-text.ts';

const PROMETHEUS_SCRAPER_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

test('chooseFormat weighs q-values and falls back to Prometheus text', () => {
  const rows: Array<[string | undefined, string | undefined, string | null]> = [
    [undefined, undefined, 'prometheus'],
    [undefined, '', 'prometheus'],
    [undefined, '*/*', 'prometheus'],
    [undefined, 'text/plain', 'prometheus'],
    [undefined, 'text/plain;version=0.0.4', 'prometheus'],
    [undefined, PROMETHEUS_SCRAPER_ACCEPT, 'openmetrics'],
    [undefined, 'application/openmetrics-text;q=0.2, text/plain;q=0.9', 'prometheus'],
    [undefined, 'application/openmetrics-text;q=0', 'prometheus'],
    [undefined, 'application/json', 'json'],
    [undefined, 'application/json;q=0.5, */*', 'prometheus'],
    [undefined, 'image/png', 'prometheus'],
    ['json', 'application/openmetrics-text', 'json'],
    ['summary', undefined, 'summary'],
    ['prometheus', undefined, 'prometheus'],
    ['openmetrics', undefined, 'openmetrics'],
    ['xml', undefined, null],
    ['', undefined, null],
  ];
  for (const [format, accept, expected] of rows) {
    assert.is(chooseFormat(format, accept), expected, `format=${format} accept=${accept}`);
  }
});

test('GET /metrics without Accept is Prometheus text 0.0.4', async () => {
  const node = await fakeNode({ processMetrics: false });
  const res = await node.app.inject({ method: 'GET', url: '/metrics' });
  assert.is(res.statusCode, 200);
  assert.is(res.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
  const exp = parseExposition(res.body);
  assert.not.ok(exp.eof);
  assert.is(exp.families.get('syncpay_payments_requested_total')?.type, 'counter');
});

test('a Prometheus scraper asking for OpenMetrics gets OpenMetrics, and text scrapes stay intact after it', async () => {
  const node = await fakeNode({ processMetrics: false });
  node.metrics.observePayment('ok', 0.01);
  const om = await node.app.inject({ method: 'GET', url: '/metrics', headers: { accept: PROMETHEUS_SCRAPER_ACCEPT } });
  assert.is(om.statusCode, 200);
  assert.is(om.headers['content-type'], OPENMETRICS_CONTENT_TYPE);
  const exp = parseExposition(om.body);
  assert.ok(exp.eof, 'OpenMetrics ends with # EOF');
  const family = exp.families.get('syncpay_payments_requested');
  assert.is(family?.type, 'counter', 'OpenMetrics counter family is named without _total');
  assert.is(family?.samples[0]?.name, 'syncpay_payments_requested_total');
  assert.is(family?.samples[0]?.value, 1);
  assert.is(exp.families.get('syncpay_payment_latency_seconds')?.type, 'histogram');

  // Rendering OpenMetrics must not rename the live counters.
  const text = await node.app.inject({ method: 'GET', url: '/metrics', headers: { accept: 'text/plain' } });
  assert.is(text.headers['content-type'], PROMETHEUS_CONTENT_TYPE);
  const after = parseExposition(text.body);
  assert.is(after.families.get('syncpay_payments_requested_total')?.samples[0]?.value, 1);
  assert.not.ok(after.families.has('syncpay_payments_requested'));
});

test('?format=json and ?format=summary override Accept; an unknown format is a 400 problem', async () => {
  const node = await fakeNode({ processMetrics: false });
  const j = await node.app.inject({ method: 'GET', url: '/metrics?format=json', headers: { accept: 'text/plain' } });
  assert.match(String(j.headers['content-type']), /^application\/json/);
  assert.is((JSON.parse(j.body) as { node_id: string }).node_id, 'node1');
  const s = await node.app.inject({ method: 'GET', url: '/metrics?format=summary' });
  assert.match(String(s.headers['content-type']), /^text\/plain; charset=utf-8/);
  assert.match(s.body, /^SyncPay metrics for node1/);
  const bad = await node.app.inject({ method: 'GET', url: '/metrics?format=xml' });
  assert.is(bad.statusCode, 400);
  assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
  assert.is((JSON.parse(bad.body) as { code: string }).code, 'SYNCPAY_ERR_VALIDATION');
});

test.run();
