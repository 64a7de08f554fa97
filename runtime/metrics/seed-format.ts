// The seed's two metrics formats, built from the same registry Prometheus scrapes: a JSON
// document ({node_id, timestamp, uptime_seconds, counters, gauges, histograms}) and a readable
// text rendering of exactly that document. Series are keyed the Prometheus way
// (`name{label="value"}`) so a number read here can be found in /metrics and on the dashboard.
// JSON cannot carry NaN or Infinity: such values become null.
import type { StatsView } from './latency-stats.ts';
import type { NodeMetrics } from './registry.ts';

export interface SeedMetrics {
  readonly node_id: string;
  /** Seconds since the epoch, like the seed's /health. */
  readonly timestamp: number;
  readonly uptime_seconds: number;
  readonly counters: Record<string, number | null>;
  readonly gauges: Record<string, number | null>;
  readonly histograms: Record<string, StatsView>;
}

/** Process metrics worth showing to the seed's users; the rest stay in the Prometheus format. */
const PROCESS_FAMILIES = new Set([
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'process_open_fds',
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_active_handles_total',
]);

/** What prom-client's getMetricsAsJSON returns at run time (its typings declare `type` as an enum). */
interface JsonFamily {
  readonly name: string;
  readonly type: string;
  readonly values: ReadonlyArray<{ readonly value: number; readonly labels: Readonly<Record<string, string | number | undefined>> }>;
}

const finiteOrNull = (value: number): number | null => (Number.isFinite(value) ? value : null);

function seriesKey(name: string, labels: Readonly<Record<string, string | number | undefined>>): string {
  // `node` is on every series and already at the top of the document.
  const parts = Object.entries(labels)
    .filter(([label, value]) => label !== 'node' && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([label, value]) => `${label}="${String(value)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(',')}}`;
}

function included(name: string): boolean {
  return name.startsWith('syncpay_') || PROCESS_FAMILIES.has(name);
}

export async function seedMetrics(metrics: NodeMetrics): Promise<SeedMetrics> {
  const families = (await metrics.registry.getMetricsAsJSON()) as unknown as JsonFamily[];
  const counters: Record<string, number | null> = {};
  const gauges: Record<string, number | null> = {};
  for (const family of families) {
    if (!included(family.name)) continue;
    const target = family.type === 'counter' ? counters : family.type === 'gauge' ? gauges : null;
    if (target === null) continue;
    const labelled = family.values.some((v) => Object.keys(v.labels).some((l) => l !== 'node'));
    // A labelled counter also gets its total under the bare name: what the seed's users asked first.
    if (family.type === 'counter' && (labelled || family.values.length === 0)) {
      target[family.name] = family.values.reduce((sum, v) => sum + v.value, 0);
    }
    for (const value of family.values) target[seriesKey(family.name, value.labels)] = finiteOrNull(value.value);
  }
  return {
    node_id: metrics.nodeId,
    timestamp: metrics.now() / 1000,
    uptime_seconds: metrics.uptimeSeconds(),
    counters: sortKeys(counters),
    gauges: sortKeys(gauges),
    histograms: metrics.stats(),
  };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Six significant digits: enough to compare with the JSON, short enough to read. */
export function formatNumber(value: number | null): string {
  if (value === null) return '-';
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

const STAT_COLUMNS = ['count', 'min', 'avg', 'p50', 'p95', 'p99', 'max'] as const;

export function seedSummaryText(doc: SeedMetrics): string {
  const lines: string[] = [];
  lines.push(`SyncPay metrics for ${doc.node_id}`);
  lines.push(`  timestamp       ${new Date(doc.timestamp * 1000).toISOString()}`);
  lines.push(`  uptime_seconds  ${formatNumber(doc.uptime_seconds)}`);
  for (const [title, section] of [['Counters', doc.counters], ['Gauges', doc.gauges]] as const) {
    lines.push('', title);
    const width = Math.max(0, ...Object.keys(section).map((k) => k.length));
    for (const [key, value] of Object.entries(section)) lines.push(`  ${key.padEnd(width)}  ${formatNumber(value)}`);
  }
  lines.push('', 'Histograms');
  const rows = Object.entries(doc.histograms).map(([name, s]) => [name, ...STAT_COLUMNS.map((c) => formatNumber(s[c]))]);
  const header = ['name', ...STAT_COLUMNS];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`;
  lines.push(render(header));
  for (const row of rows) lines.push(render(row));
  return `${lines.join('\n')}\n`;
}
