// Pending transfers ordered by deadline, so expiry in log order costs O(log n) per pending rather
// than a scan. A binary min-heap keyed by (deadline, seq): the seq tie-break makes the order total,
// so every replica expires the same transfers in the same order. Posted or voided pendings stay in
// the heap and are skipped when they surface (lazy deletion). Derived state: rebuilt on restore.
import type { ExpiryHeap, Transfer } from './types.ts';

export function deadlineOf(t: Transfer): number {
  return t.timestamp + t.timeoutMs;
}

function before(a: Transfer, b: Transfer): boolean {
  const da = deadlineOf(a);
  const db = deadlineOf(b);
  return da < db || (da === db && a.seq < b.seq);
}

export function heapPush(heap: ExpiryHeap, t: Transfer): void {
  const items = heap.items;
  items.push(t);
  let i = items.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = items[parent]!;
    if (!before(t, p)) break;
    items[i] = p;
    i = parent;
  }
  items[i] = t;
}

export function heapPeek(heap: ExpiryHeap): Transfer | undefined {
  return heap.items[0];
}

export function heapPop(heap: ExpiryHeap): Transfer | undefined {
  const items = heap.items;
  const top = items[0];
  const last = items.pop();
  if (top === undefined || last === undefined || items.length === 0) return top;
  let i = 0;
  const n = items.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const child = r < n && before(items[r]!, items[l]!) ? r : l;
    if (!before(items[child]!, last)) break;
    items[i] = items[child]!;
    i = child;
  }
  items[i] = last;
  return top;
}
