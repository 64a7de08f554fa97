// The Grafana dashboard in docs/ stays in step with the metrics: every series a panel queries is
// a family the node really exposes (a renamed family breaks this spec, not a 3 a.m. dashboard),
// and the panels operators need are there.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fakeNode } from './fake-node.ts';
import { parseExposition } from './prom-text.ts';

interface Target { readonly expr: string }
interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly targets?: readonly Target[];
}
interface Dashboard {
  readonly title: string;
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: ReadonlyArray<{ readonly name: string; readonly query?: unknown }> };
  readonly annotations: { readonly list: ReadonlyArray<{ readonly expr?: string }> };
}

const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as Dashboard;
const exprs = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.annotations.list.flatMap((a) => (a.expr ? [a.expr] : [])),
  ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' && v.query !== null ? [String((v.query as { query: string }).query)] : [])),
];

test('every series the dashboard queries is exposed by a node', async () => {
  const node = await fakeNode();
  const res = await node.app.inject({ method: 'GET', url: '/metrics' });
  const families = parseExposition(res.body).families;
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:syncpay|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1] as string)));
  assert.ok(used.size >= 25, `the dashboard uses ${used.size} series`);
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const family = families.get(name) ?? families.get(base);
    assert.ok(family, `dashboard queries ${name}, which /metrics does not expose`);
    if (name !== base && !families.has(name)) assert.is(family.type, 'histogram', `${name} is a histogram series`);
    if (name.endsWith('_bucket')) assert.ok(exprs.some((e) => e.includes('histogram_quantile') && e.includes(name)), `${name} feeds a quantile`);
  }
});

test('the panels operators asked for are present and laid out on the 24-column grid', () => {
  const titles = dashboard.panels.map((p) => p.title.toLowerCase());
  for (const wanted of ['payment throughput', 'payment latency', 'commit and applied index', 'term', 'leader', 'phi per peer', 'supervisor restarts per actor']) {
    assert.ok(titles.some((t) => t.includes(wanted)), `panel "${wanted}"`);
  }
  const quantiles = exprs.filter((e) => e.includes('histogram_quantile'));
  assert.ok(quantiles.some((e) => e.includes('syncpay_payment_latency_seconds_bucket') && e.startsWith('histogram_quantile(0.99')));
  const ids = dashboard.panels.map((p) => p.id);
  assert.is(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dashboard.panels) assert.ok(p.gridPos.x + p.gridPos.w <= 24 && p.gridPos.w > 0 && p.gridPos.h > 0, `${p.title} fits the grid`);
  assert.ok(dashboard.templating.list.some((v) => v.name === 'node'), 'a node selector');
});

test.run();
