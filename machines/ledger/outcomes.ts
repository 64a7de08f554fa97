// A bounded ring of the outcomes of recently applied entries, keyed by (index, term), so the node
// that proposed an entry can tell its client what the ledger did with it. Older outcomes are
// overwritten; a caller that finds none answers "retry" and the client's Idempotency-Key or
// transfer id makes the retry safe.
import type { EntryOutcome } from './types.ts';

export class OutcomeRing {
  private readonly indexes: Float64Array;
  private readonly terms: Float64Array;
  private readonly outcomes: Array<EntryOutcome | undefined>;

  constructor(readonly size: number) {
    this.indexes = new Float64Array(size).fill(-1);
    this.terms = new Float64Array(size);
    this.outcomes = new Array<EntryOutcome | undefined>(size);
  }

  put(index: number, term: number, outcome: EntryOutcome): void {
    const slot = index % this.size;
    this.indexes[slot] = index;
    this.terms[slot] = term;
    this.outcomes[slot] = outcome;
  }

  /** The outcome at `index` if that entry had `term`; undefined when overwritten, evicted or unknown. */
  get(index: number, term: number): EntryOutcome | undefined {
    const slot = index % this.size;
    if (this.indexes[slot] !== index || this.terms[slot] !== term) return undefined;
    return this.outcomes[slot];
  }

  clear(): void {
    this.indexes.fill(-1);
    this.outcomes.fill(undefined);
  }
}
