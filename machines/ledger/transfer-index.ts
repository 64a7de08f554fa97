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
// Growing moves the pairs to a table twice the size a few at a time, not all at once: every replica
// grows at the same transfer count, and re-hashing millions of pairs in one go (and faulting in the
// new table's pages) held every node's event loop for half a second or more at the same moment, long
// enough for followers to start elections. While pairs move, lookups try the new table, then the
// old; each set() moves the next MIGRATE_SLOTS slots (and the rest of the cluster it reached), so the
// old table is empty long before the new one can fill.
//
// Which slot an id lands in depends on a seed (the actor passes one taken from its clocks), so ids
// chosen to collide must be guessed anew per process; no result depends on it, only probe lengths.
import type { TransferLog } from './transfer-log.ts';
import type { Transfer } from './types.ts';

/** Slots to start with; a power of two. */
const INITIAL_SLOTS = 1024;
/** Marks a free slot: positions are stored plus one. */
const FREE = 0;
/**
 * Old slots each set() moves while the table grows. A table grows at half full and its successor
 * at half full again, after as many sets as the old table has slots / 2; at 16 per set the old
 * table is empty after slots / 16.
 */
const MIGRATE_SLOTS = 16;

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
  /** While growing: the previous table, whose pairs are still being moved into `pairs`. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  /** The next old slot to move, and the free slot the move started at (it ends on coming back to it). */
  private cursor = 0;
  private stopAt = 0;
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

  /** True while pairs of the previous, smaller table are still being moved (see the header). */
  get growing(): boolean {
    return this.old !== null;
  }

  get(id: string): Transfer | undefined {
    const p = this.positionOf(id);
    return p === FREE ? undefined : this.log.at(p - 1);
  }

  has(id: string): boolean {
    return this.positionOf(id) !== FREE;
  }

  /** Records `t` (already at `log[t.seq]`) under `id`, replacing what the id named before, as Map.set does. */
  set(id: string, t: Transfer): this {
    if (this.old !== null) this.migrate(MIGRATE_SLOTS);
    const h = this.hash(id);
    const p = t.seq + 1;
    if (this.replace(this.pairs, this.mask, h, id, p)) return this;
    if (this.old !== null && this.replace(this.old, this.oldMask, h, id, p)) return this;
    if (2 * (this.count + 1) > this.mask + 1) this.grow();
    insert(this.pairs, this.mask, h, p);
    this.count++;
    return this;
  }

  /** Forgets `id`; while its transfer is still in the log (see the header). */
  delete(id: string): boolean {
    const h = this.hash(id);
    let at = this.find(this.pairs, this.mask, h, id);
    if (at >= 0) removePair(this.pairs, this.mask, at >> 1);
    else if (this.old !== null && (at = this.find(this.old, this.oldMask, h, id)) >= 0) removePair(this.old, this.oldMask, at >> 1);
    else return false;
    this.count--;
    return true;
  }

  /** Ids in insertion order (log order: the log is append-only and deletions undo its tail). */
  *keys(): IterableIterator<string> {
    for (const t of this.values()) yield t.id;
  }

  *values(): IterableIterator<Transfer> {
    for (const t of this.log) {
      if (this.positionOf(t.id) === t.seq + 1) yield t;
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

  /** The stored position (plus one) of `id`, or FREE. */
  private positionOf(id: string): number {
    const h = this.hash(id);
    let at = this.find(this.pairs, this.mask, h, id);
    if (at >= 0) return this.pairs[at + 1]!;
    if (this.old === null) return FREE;
    at = this.find(this.old, this.oldMask, h, id);
    return at >= 0 ? this.old[at + 1]! : FREE;
  }

  /** The offset (2 * slot) of the pair naming `id` in `pairs`, or -1. */
  private find(pairs: Int32Array, mask: number, h: number, id: string): number {
    let i = h & mask;
    for (;;) {
      const p = pairs[2 * i + 1]!;
      if (p === FREE) return -1;
      // A position past the log's end (a log cut under us) is just not a match.
      if (pairs[2 * i] === h && this.log.idEquals(p - 1, id)) return 2 * i;
      i = (i + 1) & mask;
    }
  }

  /** Points an id already in `pairs` at position `p`; false if it is not there. */
  private replace(pairs: Int32Array, mask: number, h: number, id: string, p: number): boolean {
    const at = this.find(pairs, mask, h, id);
    if (at < 0) return false;
    pairs[at + 1] = p;
    return true;
  }

  /** Starts moving to a table twice the size (finishing a move still under way first). */
  private grow(): void {
    if (this.old !== null) this.migrate(Number.POSITIVE_INFINITY);
    const old = this.pairs;
    const slots = old.length; // twice the old slot count: the new table's
    this.old = old;
    this.oldMask = this.mask;
    this.pairs = new Int32Array(2 * slots);
    this.mask = slots - 1;
    // Start at a free slot, so no probe run is ever cut in two by the move (the table is half empty).
    let start = 0;
    while (old[2 * start + 1] !== FREE) start++;
    this.cursor = start;
    this.stopAt = start;
    this.migrate(MIGRATE_SLOTS);
  }

  /**
   * Moves at least `budget` old slots' pairs into the new table, going on to the end of the probe
   * run it is in, so the old table only ever loses whole runs and its remaining lookups stay
   * correct. Ends the growth when the cursor is back where it started.
   */
  private migrate(budget: number): void {
    const old = this.old;
    if (old === null) return;
    const oldMask = this.oldMask;
    let i = this.cursor;
    let done = 0;
    let first = true;
    while (done < budget || old[2 * i + 1] !== FREE) {
      if (!first && i === this.stopAt) {
        this.old = null;
        return;
      }
      first = false;
      const p = old[2 * i + 1]!;
      if (p !== FREE) {
        insert(this.pairs, this.mask, old[2 * i]!, p);
        old[2 * i] = 0;
        old[2 * i + 1] = FREE;
      }
      i = (i + 1) & oldMask;
      done++;
    }
    this.cursor = i;
    if (i === this.stopAt) this.old = null;
  }
}

/** Writes the pair (h, p) into the first free slot of its probe run. */
function insert(pairs: Int32Array, mask: number, h: number, p: number): void {
  let i = h & mask;
  while (pairs[2 * i + 1] !== FREE) i = (i + 1) & mask;
  pairs[2 * i] = h;
  pairs[2 * i + 1] = p;
}

/**
 * Frees a slot and closes the gap (backward-shift deletion for linear probing): later pairs of
 * the same probe run move up, so lookups never need tombstones.
 */
function removePair(pairs: Int32Array, mask: number, free: number): void {
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
