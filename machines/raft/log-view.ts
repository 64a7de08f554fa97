// The in-memory view of the replicated log: the entries after the last snapshot, plus the
// snapshot's (index, term) as the floor. It answers the questions every Raft rule asks (the term at
// an index, whether a candidate's log is up to date, where an incoming batch first conflicts) and
// is mutated only by the core, which mirrors every change as a persist effect.
import type { LogEntry } from '../types.ts';

export class LogView {
  private snapIndex: number;
  private snapTerm: number;
  /** entries[k].index === snapIndex + 1 + k */
  private items: LogEntry[];

  constructor(snapshotIndex = 0, snapshotTerm = 0, entries: readonly LogEntry[] = []) {
    this.snapIndex = snapshotIndex;
    this.snapTerm = snapshotTerm;
    this.items = [];
    for (const e of entries) {
      if (e.index <= snapshotIndex) continue;
      if (e.index !== this.lastIndex() + 1) throw new Error(`SYNCPAY_ERR_ASSERTION: log gap at ${e.index}`);
      this.items.push(e);
    }
  }

  snapshotIndex(): number {
    return this.snapIndex;
  }
  snapshotTerm(): number {
    return this.snapTerm;
  }
  firstIndex(): number {
    return this.snapIndex + 1;
  }
  lastIndex(): number {
    return this.snapIndex + this.items.length;
  }
  lastTerm(): number {
    const last = this.items[this.items.length - 1];
    return last ? last.term : this.snapTerm;
  }
  size(): number {
    return this.items.length;
  }

  /** Term at `index`; undefined when compacted away (below the snapshot) or past the end. */
  term(index: number): number | undefined {
    if (index === this.snapIndex) return this.snapTerm;
    if (index < this.snapIndex || index > this.lastIndex()) return undefined;
    return this.items[index - this.snapIndex - 1]?.term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.snapIndex) return undefined;
    return this.items[index - this.snapIndex - 1];
  }

  /** Entries in [lo, hi] (inclusive, clamped to what is held in memory). */
  slice(lo: number, hi: number): LogEntry[] {
    const from = Math.max(lo, this.firstIndex()) - this.snapIndex - 1;
    const to = Math.min(hi, this.lastIndex()) - this.snapIndex;
    return from < to ? this.items.slice(from, to) : [];
  }

  /**
   * Entries from `lo` for one append message: at most `maxEntries`, and at most `maxBytes` of data
   * except that the first entry always goes (a message must make progress).
   */
  batch(lo: number, maxEntries: number, maxBytes: number): LogEntry[] {
    const out: LogEntry[] = [];
    let bytes = 0;
    for (let i = lo; i <= this.lastIndex() && out.length < maxEntries; i++) {
      const e = this.entry(i);
      if (!e) break;
      bytes += e.data.length + e.hlc.length + 32;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Raft's up-to-date rule (5.4.1): a later last term wins, then a longer log. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /**
   * The index of the first entry of `entries` that this log lacks or holds with another term, or
   * 0 when every one is already here (a duplicate or stale append must not truncate anything).
   */
  findConflict(entries: readonly LogEntry[]): number {
    for (const e of entries) {
      if (e.index <= this.snapIndex) continue;
      if (this.term(e.index) !== e.term) return e.index;
    }
    return 0;
  }

  /** First index of the run of entries with term `term` that contains `index` (fast backtracking). */
  firstIndexOfTermAt(index: number): number {
    const t = this.term(index);
    let i = index;
    while (i - 1 > this.snapIndex && this.term(i - 1) === t) i--;
    return i;
  }

  /** Last index holding an entry of `term`, or 0 when this log has none in memory. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.lastIndex(); i > this.snapIndex; i--) {
      const t = this.term(i);
      if (t === undefined || t < term) return 0;
      if (t === term) return i;
    }
    return this.snapTerm === term ? this.snapIndex : 0;
  }

  append(entries: readonly LogEntry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1) throw new Error(`SYNCPAY_ERR_ASSERTION: append at ${e.index}, last ${this.lastIndex()}`);
      this.items.push(e);
    }
  }

  /** Drop every entry with index >= `index`. */
  truncateFrom(index: number): void {
    if (index <= this.snapIndex) throw new Error(`SYNCPAY_ERR_ASSERTION: truncate ${index} below snapshot ${this.snapIndex}`);
    this.items.length = Math.max(0, Math.min(this.items.length, index - this.snapIndex - 1));
  }

  /** Forget entries up to `index` (now covered by a snapshot with term `term`). */
  compact(index: number, term: number): void {
    if (index <= this.snapIndex) return;
    if (index >= this.lastIndex()) {
      this.items = [];
    } else {
      this.items = this.items.slice(index - this.snapIndex);
    }
    this.snapIndex = index;
    this.snapTerm = term;
  }

  /** Replace the whole log by a snapshot floor, keeping a matching suffix (Raft 7). */
  restore(index: number, term: number): void {
    if (this.term(index) === term) {
      this.compact(index, term);
      return;
    }
    this.items = [];
    this.snapIndex = index;
    this.snapTerm = term;
  }
}
