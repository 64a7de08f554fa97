// A bounded ring of the outcomes of recently applied entries, keyed by (index, term), so the node
// that proposed an entry can tell its client what the ledger did with it. Older outcomes are
// overwritten; a caller that finds none answers "retry" and the client's Idempotency-Key or
// transfer id makes the retry safe.
// The ring holds tens of thousands of entries, and under batch load each carries a thousand item
// results: kept as objects they would be the bulk of what the garbage collector has to promote and
// trace. So a large result list is kept compact (the ids, which the transfers hold anyway, and one
// byte per result code) and rebuilt into objects only when someone asks.
// Its capacity counts commands, not entries: a group entry carries the outcomes of all its
// commands (up to hundreds of single payments), so a ring of entries would hold that many times
// more than its size says. The oldest entries are dropped until the commands held fit.
import { RESULT_CODES, type ResultCode } from './codes.ts';
import type { EntryOutcome, ItemResult } from './types.ts';

/** Result lists at least this long are stored compact. */
const COMPACT_FROM_ITEMS = 16;

const CODE_OF_NUMBER: ResultCode[] = [];
for (const code of Object.keys(RESULT_CODES) as ResultCode[]) CODE_OF_NUMBER[RESULT_CODES[code]] = code;

interface CompactApplied {
  readonly index: number;
  readonly hlc: string;
  readonly via: string | null;
  readonly ids: readonly string[];
  readonly codes: Uint8Array;
}

type Stored = EntryOutcome | CompactApplied;

function compact(outcome: EntryOutcome): Stored {
  if (outcome.status !== 'applied' || outcome.response.results.length < COMPACT_FROM_ITEMS) return outcome;
  const { index, hlc, via, results } = outcome.response;
  const ids = new Array<string>(results.length);
  const codes = new Uint8Array(results.length);
  for (let i = 0; i < results.length; i++) {
    ids[i] = results[i]!.id;
    codes[i] = RESULT_CODES[results[i]!.code];
  }
  return { index, hlc, via, ids, codes };
}

function expand(stored: Stored): EntryOutcome {
  if ('status' in stored) return stored;
  const results = new Array<ItemResult>(stored.ids.length);
  for (let i = 0; i < results.length; i++) results[i] = { id: stored.ids[i]!, code: CODE_OF_NUMBER[stored.codes[i]!]! };
  return { status: 'applied', response: { index: stored.index, hlc: stored.hlc, via: stored.via, results } };
}

/** How many commands' outcomes an entry's outcome holds. */
function weightOf(outcome: EntryOutcome): number {
  return outcome.status === 'group' ? outcome.members.length : 1;
}

export class OutcomeRing {
  private readonly indexes: Float64Array;
  private readonly terms: Float64Array;
  private readonly weights: Uint32Array;
  private readonly outcomes: Array<Stored | undefined>;
  /** Commands whose outcomes are held, and the lowest index that may still be held (-1: none). */
  private held = 0;
  private oldest = -1;

  /** `size`: the most commands whose outcomes are held (and so the most entries). */
  constructor(readonly size: number) {
    this.indexes = new Float64Array(size).fill(-1);
    this.terms = new Float64Array(size);
    this.weights = new Uint32Array(size);
    this.outcomes = new Array<Stored | undefined>(size);
  }

  /** Commands whose outcomes are held now (at most `size`). */
  get commandsHeld(): number {
    return this.held;
  }

  /**
   * Entries are put as the ledger applies them: contiguous, ascending indexes (after clear(), from
   * anywhere). The eviction walk relies on it: it starts at the oldest index that may be held.
   */
  put(index: number, term: number, outcome: EntryOutcome): void {
    const slot = index % this.size;
    if (this.indexes[slot]! >= 0) this.drop(slot);
    this.indexes[slot] = index;
    this.terms[slot] = term;
    this.weights[slot] = weightOf(outcome);
    this.outcomes[slot] = compact(outcome);
    this.held += this.weights[slot]!;
    if (this.oldest < 0 || index < this.oldest) this.oldest = index;
    // Older slots than a ring's length back were reused already: no need to walk them.
    if (this.oldest <= index - this.size) this.oldest = index - this.size + 1;
    for (; this.held > this.size && this.oldest < index; this.oldest++) {
      const s = this.oldest % this.size;
      if (this.indexes[s] === this.oldest) this.drop(s);
    }
  }

  private drop(slot: number): void {
    this.held -= this.weights[slot]!;
    this.indexes[slot] = -1;
    this.weights[slot] = 0;
    this.outcomes[slot] = undefined;
  }

  /** The outcome at `index` if that entry had `term`; undefined when overwritten, evicted or unknown. */
  get(index: number, term: number): EntryOutcome | undefined {
    const slot = index % this.size;
    if (this.indexes[slot] !== index || this.terms[slot] !== term) return undefined;
    const stored = this.outcomes[slot];
    return stored === undefined ? undefined : expand(stored);
  }

  clear(): void {
    this.indexes.fill(-1);
    this.weights.fill(0);
    this.outcomes.fill(undefined);
    this.held = 0;
    this.oldest = -1;
  }
}
