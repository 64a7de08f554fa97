// SyncPay next to etcd: one row per concurrency level with both systems' throughput and p99 and
// the ratios the goals are stated in. A ratio is null, never Infinity or NaN, when either
// side is missing or failed its data check, so a broken run cannot pass for a huge win.
import type { RunSummary } from '../types.ts';

export interface CompareRow {
  readonly concurrency: number;
  readonly syncpay: number | null;
  readonly syncpayP99: number | null;
  readonly etcdPut: number | null;
  readonly etcdPutP99: number | null;
  readonly etcdTxn: number | null;
  readonly etcdTxnP99: number | null;
  /** syncpay / etcdPut and syncpay / etcdTxn. */
  readonly vsPut: number | null;
  readonly vsTxn: number | null;
}

export function ratio(ours: number | null, theirs: number | null): number | null {
  if (ours === null || theirs === null || !Number.isFinite(ours) || !Number.isFinite(theirs) || theirs <= 0) return null;
  return ours / theirs;
}

function pick(summaries: readonly RunSummary[], name: string, concurrency: number): RunSummary | undefined {
  return summaries.find((s) => s.scenario.name === name && s.concurrency === concurrency && s.ok);
}

/** Rows for every concurrency any of the three scenarios ran at, ascending. */
export function compareRows(summaries: readonly RunSummary[], syncpayScenario = 'syncpay-leader'): CompareRow[] {
  const names = [syncpayScenario, 'etcd-put', 'etcd-txn'];
  const levels = [...new Set(summaries.filter((s) => names.includes(s.scenario.name)).map((s) => s.concurrency))].sort((a, b) => a - b);
  return levels.map((c) => {
    const ours = pick(summaries, syncpayScenario, c);
    const put = pick(summaries, 'etcd-put', c);
    const txn = pick(summaries, 'etcd-txn', c);
    const syncpay = ours?.throughput ?? null;
    const etcdPut = put?.throughput ?? null;
    const etcdTxn = txn?.throughput ?? null;
    return {
      concurrency: c,
      syncpay,
      syncpayP99: ours?.p99 ?? null,
      etcdPut,
      etcdPutP99: put?.p99 ?? null,
      etcdTxn,
      etcdTxnP99: txn?.p99 ?? null,
      vsPut: ratio(syncpay, etcdPut),
      vsTxn: ratio(syncpay, etcdTxn),
    };
  });
}

export function formatRate(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

export function formatMs(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function formatRatio(v: number | null): string {
  return v === null ? '-' : `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}x`;
}

/** Fixed-width text for the terminal. */
export function renderCompareText(rows: readonly CompareRow[]): string {
  const header = ['conc', 'syncpay/s', 'p99 ms', 'etcd put/s', 'p99 ms', 'etcd txn/s', 'p99 ms', 'vs put', 'vs txn'];
  const body = rows.map((r) => [
    String(r.concurrency),
    formatRate(r.syncpay), formatMs(r.syncpayP99),
    formatRate(r.etcdPut), formatMs(r.etcdPutP99),
    formatRate(r.etcdTxn), formatMs(r.etcdTxnP99),
    formatRatio(r.vsPut), formatRatio(r.vsTxn),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}
