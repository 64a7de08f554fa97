// One account's transfer positions (seqs), ascending: what the per-account pages and counts read.
// Kept in a growable Int32Array rather than a JS array: every transfer appends to two of these,
// and JS arrays of millions of numbers were a large part of the garbage collector's work (each
// growth allocated a new backing store in the young generation, copied twice more before it
// settled in the old one). A typed array's contents live outside the JS heap: growing is one
// copy, and nothing in it is ever traced.

/** Positions a list holds before its first growth. */
const INITIAL_CAPACITY = 8;

export class SeqList {
  private items = new Int32Array(INITIAL_CAPACITY);
  length = 0;

  push(seq: number): void {
    if (this.length === this.items.length) {
      const grown = new Int32Array(this.items.length * 2);
      grown.set(this.items);
      this.items = grown;
    }
    this.items[this.length++] = seq;
  }

  /** Drops the last position (a rolled-back transfer). */
  pop(): void {
    if (this.length > 0) this.length--;
  }

  /** The position at `i` (0 <= i < length). */
  at(i: number): number {
    return this.items[i]!;
  }

  /** How many positions are below `target` (the index of the first one >= target). */
  countBelow(target: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
