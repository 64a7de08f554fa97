// What the faults cost clients: the share of operations that succeeded, throughput and latency
// per second (for the timeline), and per fault the longest stretch in which no transfer was
// acknowledged (the write outage). Pure, over the recorded history.
import type { FaultRecord, Op, TransferOp } from './history.ts';

export interface Bucket {
  readonly startMs: number;
  readonly okTransfers: number;
  readonly okReads: number;
  readonly failed: number;
  /** Latency of acknowledged transfers completing in this second (ms), null when none did. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export interface FaultOutage {
  readonly label: string;
  readonly kind: string;
  readonly startMs: number;
  readonly endMs: number | null;
  readonly observed: string | null;
  /** Longest interval without an acknowledged transfer that overlaps the fault. */
  readonly longestWriteOutageMs: number;
}

export interface Availability {
  readonly transfers: {
    readonly total: number; readonly ok: number; readonly fail: number; readonly unknown: number; readonly okShare: number;
    /** Transfers that needed more than one attempt (the same id resent, usually to another node), and how many of those were acknowledged. */
    readonly retried: number; readonly retriedOk: number;
  };
  readonly reads: { readonly total: number; readonly ok: number; readonly okShare: number };
  readonly okShare: number;
  readonly longestWriteOutageMs: number;
  readonly faults: readonly FaultOutage[];
  readonly buckets: readonly Bucket[];
  readonly transferLatencyMs: { readonly p50: number | null; readonly p99: number | null; readonly max: number | null };
}

export function availability(ops: readonly Op[], faults: readonly FaultRecord[], durationMs: number, bucketMs = 1000): Availability {
  const work = ops.filter((o) => !(o.kind === 'transfer' && o.funding));
  const transfers = work.filter((o): o is TransferOp => o.kind === 'transfer');
  const reads = work.filter((o) => o.kind === 'read');
  const okT = transfers.filter((t) => t.result === 'ok');
  const okR = reads.filter((r) => r.result === 'ok');
  const start = work.reduce((m, o) => Math.min(m, o.invokeMs), Number.POSITIVE_INFINITY);
  const origin = Number.isFinite(start) ? start : 0;

  // Gaps between consecutive acknowledgements, bounded by the start and end of the workload.
  const acks = okT.map((t) => t.completeMs).sort((a, b) => a - b);
  const marks = [origin, ...acks, Math.max(durationMs, acks[acks.length - 1] ?? 0)];
  const gaps: { from: number; to: number }[] = [];
  for (let i = 1; i < marks.length; i++) gaps.push({ from: marks[i - 1]!, to: marks[i]! });
  const longestOverlapping = (from: number, to: number): number =>
    gaps.reduce((m, g) => (g.to >= from && g.from <= to ? Math.max(m, g.to - g.from) : m), 0);

  const buckets: Bucket[] = [];
  const count = Math.max(1, Math.ceil(durationMs / bucketMs));
  for (let i = 0; i < count; i++) {
    const lo = i * bucketMs;
    const hi = lo + bucketMs;
    const inB = (o: Op) => o.completeMs >= lo && o.completeMs < hi;
    const lat = okT.filter(inB).map((t) => t.completeMs - t.invokeMs);
    buckets.push({
      startMs: lo,
      okTransfers: lat.length,
      okReads: okR.filter(inB).length,
      failed: work.filter((o) => inB(o) && o.result !== 'ok').length,
      p50Ms: quantile(lat, 0.5),
      p99Ms: quantile(lat, 0.99),
    });
  }
  const allLat = okT.map((t) => t.completeMs - t.invokeMs);
  const share = (a: number, b: number) => (b === 0 ? 1 : a / b);
  return {
    transfers: {
      total: transfers.length, ok: okT.length,
      fail: transfers.filter((t) => t.result === 'fail').length,
      unknown: transfers.filter((t) => t.result === 'unknown').length,
      okShare: share(okT.length, transfers.length),
      retried: transfers.filter((t) => t.attempts > 1).length,
      retriedOk: transfers.filter((t) => t.attempts > 1 && t.result === 'ok').length,
    },
    reads: { total: reads.length, ok: okR.length, okShare: share(okR.length, reads.length) },
    okShare: share(okT.length + okR.length, work.length),
    longestWriteOutageMs: gaps.reduce((m, g) => Math.max(m, g.to - g.from), 0),
    faults: faults.map((f) => ({
      label: f.label, kind: f.kind, startMs: f.startMs, endMs: f.endMs, observed: f.observed ?? null,
      longestWriteOutageMs: longestOverlapping(f.startMs, f.endMs ?? durationMs),
    })),
    buckets,
    transferLatencyMs: { p50: quantile(allLat, 0.5), p99: quantile(allLat, 0.99), max: allLat.length ? Math.max(...allLat) : null },
  };
}

function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
