// Writes one finished report into the results directory: the full JSON (every repeat, every
// node), the markdown tables and the SVG chart, each under a timestamped name and as `latest.*`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from '../types.ts';
import { renderMarkdown } from './markdown.ts';
import { renderChart, type ChartSeries } from './svg-chart.ts';

export function chartSeries(report: BenchReport): ChartSeries[] {
  const names = [...new Set(report.summaries.map((s) => s.scenario.name))];
  return names.map((name) => ({
    name,
    points: report.summaries
      .filter((s) => s.scenario.name === name && s.ok && s.p50 !== null && s.p99 !== null && s.throughput > 0)
      .sort((a, b) => a.concurrency - b.concurrency)
      .map((s) => ({ x: s.throughput, p50: s.p50 ?? 0, p99: s.p99 ?? 0, label: `c=${s.concurrency}` })),
  }));
}

export function writeReport(report: BenchReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const md = renderMarkdown(report);
  const svg = renderChart(chartSeries(report), { title: `SyncPay${report.machine.etcd ? ' vs etcd' : ''}: throughput against latency (${report.startedAt.slice(0, 10)})` });
  const written: string[] = [];
  for (const base of [`bench-${stamp}`, 'latest']) {
    for (const [ext, text] of [['json', json], ['md', md], ['svg', svg]] as const) {
      const path = join(dir, `${base}.${ext}`);
      writeFileSync(path, text);
      written.push(path);
    }
  }
  return written;
}
