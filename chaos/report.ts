// The run's report in three forms under chaos-results/<timestamp>/: report.txt for people,
// report.json for tools (bigints as strings), timeline.svg, and history.jsonl with every
// operation for post-mortems. The closing note printed by `npm run chaos` comes from here too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Availability } from './availability.ts';
import { summarize, type CheckResult } from './checker.ts';
import type { History } from './history.ts';
import { timelineSvg } from './svg.ts';

export interface RunSummary {
  readonly seed: number;
  readonly nodes: number;
  readonly durationS: number;
  readonly faultKinds: readonly string[];
  readonly readConsistency: string;
  readonly notes: readonly string[];
  readonly settled: boolean;
  readonly settleMs: number;
  readonly unexpectedExits: readonly { node: string; code: number | null; signal: string | null; atMs: number }[];
}

export interface Report {
  readonly summary: RunSummary;
  readonly check: CheckResult;
  readonly availability: Availability;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const ms = (x: number | null) => (x === null ? '-' : `${Math.round(x)} ms`);

export function reportText(r: Report): string {
  const { summary: s, check: c, availability: a } = r;
  const lines: string[] = [];
  lines.push(`SyncPay chaos run: ${s.nodes} nodes, ${s.durationS} s, faults ${s.faultKinds.join(',') || 'none'}, seed ${s.seed}, ${s.readConsistency} reads`);
  lines.push(summarize(c));
  lines.push('');
  lines.push(`transfers: ${a.transfers.total} sent, ${a.transfers.ok} acknowledged (${pct(a.transfers.okShare)}), ${a.transfers.fail} refused, ${a.transfers.unknown} unknown (${c.stats.unknownApplied} of those applied)`);
  lines.push(`retries:   ${a.transfers.retried} transfers were resent under the same id (${a.transfers.retriedOk} of them acknowledged)`);
  lines.push(`reads:     ${a.reads.total} sent, ${a.reads.ok} ok (${pct(a.reads.okShare)}), ${c.stats.readsChecked} checked for linearizability`);
  lines.push(`availability: ${pct(a.okShare)} of operations succeeded; longest write outage ${ms(a.longestWriteOutageMs)}`);
  lines.push(`transfer latency: p50 ${ms(a.transferLatencyMs.p50)}, p99 ${ms(a.transferLatencyMs.p99)}, max ${ms(a.transferLatencyMs.max)}`);
  lines.push(`applied transfers: ${c.stats.appliedTransfers} (reference node ${c.stats.referenceNode ?? '-'}); settled: ${s.settled ? `yes, after ${s.settleMs} ms` : 'NO'}`);
  lines.push('');
  lines.push('faults (longest write outage overlapping each):');
  for (const f of a.faults) {
    lines.push(`  ${(f.startMs / 1000).toFixed(1).padStart(6)} s - ${f.endMs === null ? '   end' : `${(f.endMs / 1000).toFixed(1).padStart(6)} s`}  ${ms(f.longestWriteOutageMs).padStart(9)}  ${f.label}${f.observed ? ` [${f.observed}]` : ''}`);
  }
  if (a.faults.length === 0) lines.push('  (none)');
  for (const n of s.notes) lines.push(`note: ${n}`);
  for (const e of s.unexpectedExits) lines.push(`unexpected exit: ${e.node} at ${(e.atMs / 1000).toFixed(1)} s (code ${e.code}, signal ${e.signal})`);
  if (!c.ok) {
    lines.push('');
    lines.push('anomalies (first examples of each kind):');
    for (const an of c.anomalies) lines.push(`  [${an.kind}] ${an.detail}`);
  }
  return `${lines.join('\n')}\n`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Writes the report files; returns the directory. */
export function writeReport(dir: string, report: Report, history: History): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.txt'), reportText(report));
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...report, bank: history.bank, faults: history.faults }, jsonReplacer, 2));
  writeFileSync(join(dir, 'timeline.svg'), timelineSvg(report.availability, history.durationMs,
    `SyncPay chaos: ${report.summary.nodes} nodes, seed ${report.summary.seed}, ${summarize(report.check)}`));
  writeFileSync(join(dir, 'history.jsonl'), history.ops.map((o) => JSON.stringify(o, jsonReplacer)).join('\n') + '\n');
  writeFileSync(join(dir, 'finals.json'), JSON.stringify(history.finals.map((f) => ({ ...f, transfers: f.transfers.length })), jsonReplacer, 2));
  return dir;
}

/** The closing note: verdict and availability in a few lines. */
export function closingNote(report: Report, dir: string): string {
  const a = report.availability;
  const worst = [...a.faults].sort((x, y) => y.longestWriteOutageMs - x.longestWriteOutageMs)[0];
  return [
    summarize(report.check),
    `availability: ${pct(a.okShare)} of operations ok (transfers ${pct(a.transfers.okShare)}, reads ${pct(a.reads.okShare)}); longest write outage ${ms(a.longestWriteOutageMs)}${worst ? ` (worst fault: ${worst.label}, ${ms(worst.longestWriteOutageMs)})` : ''}`,
    `report: ${dir}`,
  ].join('\n');
}
