// Linearizability of balance reads against one commit order. A read of account A that ran over
// [invoke, complete] is explained by a prefix of the order (its first k transfers) when A's
// balance after that prefix equals the value read, the prefix contains every transfer
// acknowledged before the read was invoked, and it excludes every transfer first sent after the
// read completed. Reads that follow one another in real time must also see non-decreasing
// prefixes; assigning each read the smallest prefix that works, in invoke order, is optimal for
// such precedence constraints, so a failure of the greedy pass is a genuine violation.
import type { AnomalyLog } from './anomaly.ts';
import type { NodeTransfer, ReadOp, TransferOp } from './history.ts';

export interface OrderIndex {
  /** Position of each applied transfer id in the order (first occurrence). */
  readonly position: ReadonlyMap<string, number>;
  /** Per account, its balance after each prefix: balances[a][k] is after the first k transfers. */
  readonly balances: ReadonlyMap<string, readonly bigint[]>;
  readonly length: number;
}

export function indexOrder(order: readonly NodeTransfer[], accounts: readonly string[]): OrderIndex {
  const position = new Map<string, number>();
  order.forEach((t, i) => {
    if (!position.has(t.id)) position.set(t.id, i);
  });
  const balances = new Map<string, bigint[]>();
  for (const a of accounts) {
    const series: bigint[] = [0n];
    let b = 0n;
    for (const t of order) {
      if (t.to === a) b += t.amountMinor;
      if (t.from === a) b -= t.amountMinor;
      series.push(b);
    }
    balances.set(a, series);
  }
  return { position, balances, length: order.length };
}

/** Acknowledged transfers sorted by completion, with a running max of their positions. */
class AckedPrefix {
  private readonly completes: number[] = [];
  private readonly maxPos: number[] = [];

  constructor(transfers: readonly TransferOp[], index: OrderIndex) {
    const acked = transfers
      .filter((t) => t.result === 'ok' && index.position.has(t.id))
      .sort((x, y) => x.completeMs - y.completeMs);
    let max = -1;
    for (const t of acked) {
      max = Math.max(max, index.position.get(t.id)!);
      this.completes.push(t.completeMs);
      this.maxPos.push(max);
    }
  }

  /** Highest order position among transfers acknowledged strictly before `ms`, or -1. */
  maxBefore(ms: number): number {
    let lo = 0;
    let hi = this.completes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.completes[mid]! < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? -1 : this.maxPos[lo - 1]!;
  }
}

/** Lowest order position among transfers first sent strictly after `ms`, or the order's length. */
class InvokedAfter {
  private readonly invokes: number[] = [];
  private readonly minPosFromHere: number[] = [];

  constructor(transfers: readonly TransferOp[], index: OrderIndex) {
    const present = transfers.filter((t) => index.position.has(t.id)).sort((x, y) => x.invokeMs - y.invokeMs);
    for (const t of present) this.invokes.push(t.invokeMs);
    let min = index.length;
    for (let i = present.length - 1; i >= 0; i--) {
      min = Math.min(min, index.position.get(present[i]!.id)!);
      this.minPosFromHere[i] = min;
    }
    this.length = index.length;
  }

  private readonly length: number;

  minAfter(ms: number): number {
    let lo = 0;
    let hi = this.invokes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.invokes[mid]! <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.invokes.length ? this.minPosFromHere[lo]! : this.length;
  }
}

/** Real-time order of writes: nothing may be ordered before a transfer acknowledged before it was sent. */
export function checkWriteOrder(transfers: readonly TransferOp[], index: OrderIndex, log: AnomalyLog): void {
  const acked = new AckedPrefix(transfers, index);
  for (const t of transfers) {
    const pos = index.position.get(t.id);
    if (pos === undefined) continue;
    const before = acked.maxBefore(t.invokeMs);
    if (before > pos) {
      log.add({ kind: 'write_order', id: t.id, detail: `transfer ${t.id} (sent at ${Math.round(t.invokeMs)} ms) is at position ${pos}, before position ${before} of a transfer acknowledged before it was sent` });
    }
  }
}

export function checkReads(reads: readonly ReadOp[], transfers: readonly TransferOp[], index: OrderIndex, log: AnomalyLog): { checked: number } {
  const acked = new AckedPrefix(transfers, index);
  const after = new InvokedAfter(transfers, index);
  const done = reads
    .filter((r) => r.result === 'ok' && r.balanceMinor !== undefined)
    .sort((x, y) => x.invokeMs - y.invokeMs || x.completeMs - y.completeMs);
  // Reads come in invoke order, so once an earlier read has completed before the current one
  // began it does so for every later read too: fold it into a running bound and forget it.
  const pending = new MinHeap();
  let bound = 0;
  let checked = 0;
  for (const r of done) {
    while (pending.size > 0 && pending.peek()!.completeMs < r.invokeMs) bound = Math.max(bound, pending.pop()!.k);
    const series = index.balances.get(r.account);
    if (series === undefined) {
      log.add({ kind: 'stale_read', detail: `read of unknown account ${r.account} on ${r.node}`, node: r.node });
      continue;
    }
    checked++;
    const lo = acked.maxBefore(r.invokeMs) + 1;
    const hi = after.minAfter(r.completeMs);
    const first = firstMatch(series, r.balanceMinor!, lo, hi);
    if (first === -1) {
      log.add({
        kind: 'stale_read', node: r.node,
        detail: `read of ${r.account} on ${r.node} over [${Math.round(r.invokeMs)}, ${Math.round(r.completeMs)}] ms saw ${r.balanceMinor}, but every prefix in [${lo}, ${hi}] gives ${describeRange(series, lo, hi)}`,
      });
      continue;
    }
    const k = firstMatch(series, r.balanceMinor!, Math.max(lo, bound), hi);
    if (k === -1) {
      log.add({
        kind: 'non_monotonic_read', node: r.node,
        detail: `read of ${r.account} on ${r.node} over [${Math.round(r.invokeMs)}, ${Math.round(r.completeMs)}] ms saw ${r.balanceMinor} (prefix ${first}), older than prefix ${bound} already seen by a read that completed before it began`,
      });
      pending.push({ completeMs: r.completeMs, k: first });
      continue;
    }
    pending.push({ completeMs: r.completeMs, k });
  }
  return { checked };
}

interface Assigned { readonly completeMs: number; readonly k: number }

/** A binary heap of assigned reads, earliest completion on top. */
class MinHeap {
  private readonly items: Assigned[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Assigned | undefined {
    return this.items[0];
  }

  push(item: Assigned): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.completeMs <= a[i]!.completeMs) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): Assigned | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.completeMs < a[m]!.completeMs) m = l;
        if (r < a.length && a[r]!.completeMs < a[m]!.completeMs) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

function firstMatch(series: readonly bigint[], value: bigint, lo: number, hi: number): number {
  for (let k = Math.max(0, lo); k <= Math.min(hi, series.length - 1); k++) if (series[k] === value) return k;
  return -1;
}

function describeRange(series: readonly bigint[], lo: number, hi: number): string {
  if (lo > hi) return 'nothing (the window is empty: the writes themselves are out of order)';
  const values = new Set<string>();
  for (let k = Math.max(0, lo); k <= Math.min(hi, series.length - 1) && values.size < 6; k++) values.add(String(series[k]));
  return [...values].join(', ') + (values.size >= 6 ? ', ...' : '');
}
