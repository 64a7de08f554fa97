// The markdown report: the per-run table (medians), the side-by-side comparison with etcd, the
// failover result and the goals. The same text goes to bench/results/ and into
// docs/performance.md, so what the docs quote is exactly what a run printed.
import type { BenchReport, RunSummary } from '../types.ts';
import { compareRows, formatMs, formatRate, formatRatio } from './compare.ts';
import { evaluateGoals } from './goals.ts';

function table(header: readonly string[], rows: readonly (readonly string[])[], alignRight: readonly boolean[]): string {
  const sep = header.map((_, i) => (alignRight[i] ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function cpuCell(s: RunSummary): string {
  const values = Object.values(s.cpuSeconds);
  if (values.length === 0 || values.every((v) => v === null)) return '-';
  return values.map((v) => (v === null ? '-' : v.toFixed(1))).join(' / ');
}

function micros(v: number | null): string {
  return v === null ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export function runsTable(summaries: readonly RunSummary[]): string {
  const header = ['scenario', 'conc', 'committed/s', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU s per node', 'CPU µs per unit: nodes / load gen', 'fsyncs/s (leader)', 'entries/fsync', 'failed req', 'data check'];
  const rows = summaries.map((s) => [
    s.scenario.name,
    String(s.concurrency),
    s.ok ? formatRate(s.throughput) : `~~${formatRate(s.throughput)}~~`,
    formatMs(s.p50),
    formatMs(s.p95),
    formatMs(s.p99),
    cpuCell(s),
    `${micros(s.nodeCpuMicrosPerUnit)} / ${micros(s.loadgenCpuMicrosPerUnit)}`,
    s.leaderFsyncsPerSecond === null ? '-' : formatRate(s.leaderFsyncsPerSecond),
    s.leaderEntriesPerFsync === null ? '-' : s.leaderEntriesPerFsync.toFixed(1),
    String(s.requestsFailed),
    s.ok ? `ok (${s.repeats})` : `**FAIL**: ${s.failures[0] ?? 'failed'}`.replace(/\|/g, '/'),
  ]);
  return table(header, rows, [false, true, true, true, true, true, true, true, true, true, true, false]);
}

export function renderMarkdown(report: BenchReport): string {
  const parts: string[] = [];
  parts.push(`# SyncPay benchmark, ${report.startedAt}`);
  parts.push('');
  parts.push(`Command: \`${report.command}\``);
  const load = report.machine.loadAverage;
  parts.push(`Machine: ${report.machine.cpus} x ${report.machine.model}, Node ${report.machine.node}${report.machine.etcd ? `, etcd ${report.machine.etcd}` : ''}${load ? `; 1-min load average ${load[0].toFixed(1)} at start, ${load[1].toFixed(1)} at end` : ''}`);
  parts.push(`Result: ${report.ok ? 'all data checks passed' : '**some data checks FAILED**'}`);
  parts.push('');
  parts.push('## Runs (medians over repeats)');
  parts.push('');
  parts.push(runsTable(report.summaries));
  const rows = compareRows(report.summaries);
  if (rows.some((r) => r.etcdPut !== null || r.etcdTxn !== null)) {
    parts.push('');
    parts.push('## SyncPay single payments (to the leader) vs etcd');
    parts.push('');
    parts.push(table(
      ['conc', 'SyncPay/s', 'p99 ms', 'etcd put/s', 'p99 ms', 'etcd txn/s', 'p99 ms', 'vs put', 'vs txn'],
      rows.map((r) => [String(r.concurrency), formatRate(r.syncpay), formatMs(r.syncpayP99), formatRate(r.etcdPut), formatMs(r.etcdPutP99), formatRate(r.etcdTxn), formatMs(r.etcdTxnP99), formatRatio(r.vsPut), formatRatio(r.vsTxn)]),
      [true, true, true, true, true, true, true, true, true],
    ));
  }
  if (report.failover) {
    parts.push('');
    parts.push('## Failover');
    parts.push('');
    const f = report.failover;
    parts.push(`kill -9 of the leader under load to the first successful write: median ${f.medianMs === null ? 'not measured' : `${f.medianMs.toFixed(0)} ms`} over ${f.samplesMs.length} run(s) (${f.samplesMs.map((s) => s.toFixed(0)).join(', ')} ms).`);
    if (f.waitingClientSamplesMs && f.waitingClientSamplesMs.length > 0) {
      parts.push(`Counting only the closed-loop workers (a worker whose request sits on the dead leader waits for its 2 s timeout), the first success came after a median ${f.waitingClientMedianMs?.toFixed(0) ?? '-'} ms (${f.waitingClientSamplesMs.map((s) => s.toFixed(0)).join(', ')} ms).`);
    }
    if (f.check) parts.push(`Data check after failover: ${f.check.ok ? 'ok' : `**FAIL**: ${f.check.reasons.join('; ')}`}`);
    for (const note of f.notes) parts.push(`- ${note}`);
  }
  if (report.problems.length > 0) {
    parts.push('');
    parts.push('## Problems');
    parts.push('');
    for (const p of report.problems) parts.push(`- ${p}`);
  }
  parts.push('');
  parts.push('## Goals');
  parts.push('');
  parts.push(table(['goal', 'target', 'measured', 'met'], evaluateGoals(report.summaries, report.failover).map((g) => [g.goal, g.target, g.measured, g.met === null ? 'n/a' : g.met ? 'yes' : 'no']), [false, false, false, false]));
  parts.push('');
  return parts.join('\n');
}
