// The ledger's id -> transfer index. Every applied transfer asks it twice (does the id exist? then
// record it), and with millions of transfers a JS Map made each of those a chain of cache misses:
// its bucket, its entries, and every candidate key string it compared against. Here one typed
// array holds (32-bit hash of the id, position in the transfer log) pairs, open addressing with
// linear probing: a miss (the common case) walks one short run of adjacent pairs and reads no
// string unless the full 32-bit hashes match, recording an id writes one pair next to where the
// lookup just looked, growing re-hashes from the stored hashes without touching a string, and the
// garbage collector has nothing in the table to trace. The transfers stay in `transferLog`; the
// index says where, and `get` reads a copy from there. It offers the part of Map's API that callers use, with Map's semantics
// (values and keys come out in log order, which is insertion order), on one condition: a
// transfer leaves the index before it leaves the log (rollback deletes, then pops).
//
// Which slot an id lands in depends on a seed (the actor passes one taken from its clocks), so ids
// chosen to collide must be guessed anew per process; no result depends on it, only probe lengths.
import type { TransferLog } from './transfer-log.ts';
import type { Transfer } from './types.ts';

/** Slots to start with; a power of two. */
const INITIAL_SLOTS = 1024;
/** Marks a free slot: positions are stored plus one. */
const FREE = 0;

/** A 32-bit hash of a string's UTF-16 code units (FNV-1a steps, then a murmur3 finaliser). */
export function idHash(id: string, seed: number): number {
  let h = (seed ^ 0x811c9dc5) | 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class TransferIndex {
  /** Pairs: [2i] the id's hash, [2i + 1] the transfer's position in `log` plus one (FREE when empty). */
  private pairs = new Int32Array(2 * INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  /** The hash of the last id looked up: apply asks for an id and then records the same id. */
  private lastId = '';
  private lastHash: number;

  /** `log` is the ledger's transferLog: a transfer recorded here must sit at its `seq` there. */
  constructor(private readonly log: TransferLog, private readonly seed = 0) {
    this.lastHash = idHash('', seed);
  }

  get size(): number {
    return this.count;
  }

  get(id: string): Transfer | undefined {
    const at = this.find(id);
    return at < 0 ? undefined : this.log.at(this.pairs[at + 1]! - 1);
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  /** Records `t` (already at `log[t.seq]`) under `id`, replacing what the id named before, as Map.set does. */
  set(id: string, t: Transfer): this {
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    const h = this.hash(id);
    const pairs = this.pairs;
    let i = h & this.mask;
    for (;;) {
      const p = pairs[2 * i + 1]!;
      if (p === FREE) break;
      if (pairs[2 * i] === h && this.log.idEquals(p - 1, id)) {
        pairs[2 * i + 1] = t.seq + 1;
        return this;
      }
      i = (i + 1) & this.mask;
    }
    pairs[2 * i] = h;
    pairs[2 * i + 1] = t.seq + 1;
    this.count++;
    return this;
  }

  /** Forgets `id`; while its transfer is still in the log (see the header). */
  delete(id: string): boolean {
    const at = this.find(id);
    if (at < 0) return false;
    this.removePair(at >> 1);
    this.count--;
    return true;
  }

  /** Ids in insertion order (log order: the log is append-only and deletions undo its tail). */
  *keys(): IterableIterator<string> {
    for (const t of this.values()) yield t.id;
  }

  *values(): IterableIterator<Transfer> {
    for (const t of this.log) {
      const at = this.find(t.id);
      if (at >= 0 && this.pairs[at + 1] === t.seq + 1) yield t;
    }
  }

  *entries(): IterableIterator<[string, Transfer]> {
    for (const t of this.values()) yield [t.id, t];
  }

  [Symbol.iterator](): IterableIterator<[string, Transfer]> {
    return this.entries();
  }

  private hash(id: string): number {
    if (id !== this.lastId) {
      this.lastId = id;
      this.lastHash = idHash(id, this.seed);
    }
    return this.lastHash;
  }

  /** The offset (2 * slot) of the pair naming `id`, or -1. */
  private find(id: string): number {
    const h = this.hash(id);
    const pairs = this.pairs;
    let i = h & this.mask;
    for (;;) {
      const p = pairs[2 * i + 1]!;
      if (p === FREE) return -1;
      // A position past the log's end (a log cut under us) is just not a match.
      if (pairs[2 * i] === h && this.log.idEquals(p - 1, id)) return 2 * i;
      i = (i + 1) & this.mask;
    }
  }

  /**
   * Frees a slot and closes the gap (backward-shift deletion for linear probing): later pairs of
   * the same probe run move up, so lookups never need tombstones.
   */
  private removePair(free: number): void {
    const pairs = this.pairs;
    const mask = this.mask;
    let j = free;
    for (;;) {
      j = (j + 1) & mask;
      const p = pairs[2 * j + 1]!;
      if (p === FREE) break;
      const h = pairs[2 * j]!;
      const home = h & mask;
      // The pair at j may fill the hole unless its home lies cyclically in (free, j].
      const stays = free <= j ? free < home && home <= j : free < home || home <= j;
      if (stays) continue;
      pairs[2 * free] = h;
      pairs[2 * free + 1] = p;
      free = j;
    }
    pairs[2 * free] = 0;
    pairs[2 * free + 1] = FREE;
  }

  private grow(): void {
    const old = this.pairs;
    const slots = old.length;
    const mask = slots - 1;
    const pairs = new Int32Array(2 * slots);
    for (let k = 0; k < old.length; k += 2) {
      const p = old[k + 1]!;
      if (p === FREE) continue;
      const h = old[k]!;
      let i = h & mask;
      while (pairs[2 * i + 1] !== FREE) i = (i + 1) & mask;
      pairs[2 * i] = h;
      pairs[2 * i + 1] = p;
    }
    this.pairs = pairs;
    this.mask = mask;
  }
}
