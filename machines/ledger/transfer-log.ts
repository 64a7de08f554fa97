// Every transfer of the ledger in apply order, stored by column in typed arrays instead of as one
// object per transfer. The history only grows, and as objects it was most of the JavaScript heap:
// about 200 bytes and several objects per transfer that every full collection had to trace, so at
// a few million transfers collections paused a node for seconds (long enough to lose leadership),
// and at some 17 million the heap limit would stop the process for good, on restart too. Here a
// transfer is a row of typed-array columns (about 50 bytes, plus its id's characters, plus its
// entry's stamp when it is the only transfer of its entry), which the collector does not look inside.
//
// Reads hand out a fresh Transfer object (`at`), so a caller may keep one, but it is a copy: the
// one mutable field, the status of a pending transfer, is read and written through the log
// (`statusAt`, `setStatus`). Strings (id, pending id, reference, and the entry's HLC stamp) are
// kept as one byte per UTF-16 code unit when every unit is below 256, which ids and stamps always
// are; a transfer with any other string (or with more text than a byte chunk holds) keeps its
// strings in a side map instead, exactly, and so does such a stamp. Consecutive transfers of one
// entry share its stamp (HLC text and ledger time); after a rolled-back chain the next transfer
// starts a new one (same text, new number: stampChanged compares the text).
//
// The two readers of every transfer, the ledger hash and the snapshot writer, need no object:
// `writeHashLine` and `writeSnapshotRow` write a transfer's line as bytes straight from the
// columns (transfer-rows.ts, reading them through a TransferCursor).
import { assert } from '../assert.ts';
import { transferBits, transferFlags } from './flags.ts';
import { SHARED_AMOUNTS, amountOf } from './shared-amounts.ts';
import type { HashLineWriter } from './hash-lines.ts';
import { writeHashLine, writeSnapshotRow, type AccountRefs } from './transfer-rows.ts';
import type { PendingStatus, Transfer } from './types.ts';

/** Transfers per chunk of columns: columns grow by whole chunks, never by copying. */
const CHUNK_SHIFT = 16;
const CHUNK = 1 << CHUNK_SHIFT;
const IN_CHUNK = CHUNK - 1;
/** Bytes per chunk of string storage; a transfer's strings never span two chunks. */
const BYTES_CHUNK = 1 << 20;

/** A transfer's strings are in `wide` (bit 7 of its flag byte); bits 0-3 are its flags. */
const WIDE = 0x80;
/** Units decoded per String.fromCharCode call. */
const TEXT_PIECE_UNITS = 4096;
/** Text up to this many units (every id and stamp) is decoded through SHORT_TEXT_CODES. */
const SHORT_TEXT_UNITS = 256;
const SHORT_TEXT_CODES: number[][] = Array.from({ length: SHORT_TEXT_UNITS + 1 }, (_, n) => new Array<number>(n).fill(0));
/** An amount outside the signed 64-bit range: the column holds this, `bigAmounts` the value. */
const BIG_AMOUNT = -(2n ** 63n);
const INT64_MIN_KEPT = BIG_AMOUNT + 1n;
const INT64_MAX = 2n ** 63n - 1n;
/** Amounts below this are handed out as the shared bigint of their value. */
const SHARED_AMOUNTS_BIG = BigInt(SHARED_AMOUNTS);
const ABSENT = -1;

const STATUSES: ReadonlyArray<PendingStatus | null> = [null, 'pending', 'posted', 'voided', 'expired'];

function statusCode(s: PendingStatus | null): number {
  const code = STATUSES.indexOf(s);
  if (code < 0) assert(false, `transfer log: unknown status ${String(s)}`);
  return code;
}

export interface WideStrings {
  readonly id: string;
  readonly pendingId: string | null;
  readonly reference: string | null;
}

/** One chunk of CHUNK transfers. */
class Columns {
  /** Where the transfer's strings start in the byte chunks (chunk * BYTES_CHUNK + offset). */
  readonly at = new Float64Array(CHUNK);
  readonly idUnits = new Uint16Array(CHUNK);
  /** ABSENT for null. */
  readonly pendingUnits = new Int32Array(CHUNK);
  readonly referenceUnits = new Int32Array(CHUNK);
  readonly debit = new Int32Array(CHUNK);
  readonly credit = new Int32Array(CHUNK);
  readonly currency = new Uint16Array(CHUNK);
  readonly amount = new BigInt64Array(CHUNK);
  /** The amounts as 32-bit words, to read one as a double without making a bigint. */
  readonly amountWords = new Int32Array(this.amount.buffer);
  readonly timeoutMs = new Float64Array(CHUNK);
  readonly stamp = new Int32Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  readonly status = new Uint8Array(CHUNK);
}

/** The entry stamps, one per run of transfers that share (hlc, timestamp). */
class StampColumns {
  readonly at = new Float64Array(CHUNK);
  readonly units = new Int32Array(CHUNK);
  readonly timestamp = new Float64Array(CHUNK);
}

/**
 * Strings interned by number: account ids and currency codes. Bounded by the accounts ever named,
 * including those a rolled-back chain opened and closed again (their number stays taken).
 */
class Names {
  private readonly numbers = new Map<string, number>();
  readonly names: string[] = [];

  number(name: string): number {
    let n = this.numbers.get(name);
    if (n === undefined) {
      n = this.names.length;
      this.numbers.set(name, n);
      this.names.push(name);
    }
    return n;
  }
}

/** Writes `s` one byte per unit from `o`; the offset after it, or -1 at a unit above 255. */
function putNarrow(s: string, bytes: Uint8Array, o: number): number {
  for (let k = 0; k < s.length; k++) {
    const unit = s.charCodeAt(k);
    if (unit > 0xff) return -1;
    bytes[o++] = unit;
  }
  return o;
}

/** Which 32-bit word of an amount holds its low half (typed arrays use the platform's byte order). */
const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
/** High words of the amounts whose magnitude is below 2^53, so a double holds them exactly. */
const SAFE_HIGH_WORD = 1 << 21;
const NO_BYTES = new Uint8Array(0);

/**
 * One transfer's columns as the row writers (transfer-rows.ts) read them, without building the
 * transfer: the log refills its one cursor on each seek. Strings kept one byte per unit are handed
 * out as where their bytes are (`bytes` from `at`: the id, then the pending id, then the
 * reference); a wide transfer's strings are in `wide`.
 */
export class TransferCursor {
  bits = 0;
  wide: WideStrings | undefined = undefined;
  bytes: Uint8Array = NO_BYTES;
  at = 0;
  idUnits = 0;
  /** ABSENT (-1) for null. */
  pendingUnits = ABSENT;
  referenceUnits = ABSENT;
  debit = 0;
  credit = 0;
  currency = 0;
  /** The amount when its magnitude is below 2^53 (exact as a double), else NaN: see bigAmount. */
  amount = 0;
  timeoutMs = 0;
  /** The entry stamp, filled by seekStamp: its HLC text's bytes (hlcWide when not kept as bytes) and ledger time. */
  hlcWide: string | undefined = undefined;
  hlcBytes: Uint8Array = NO_BYTES;
  hlcAt = 0;
  hlcUnits = 0;
  timestamp = 0;
  private seq = 0;
  private stamp = 0;

  constructor(
    private readonly columns: readonly Columns[],
    private readonly stampColumns: readonly StampColumns[],
    private readonly byteChunks: readonly Uint8Array[],
    private readonly accountNames: readonly string[],
    private readonly currencyNames: readonly string[],
    private readonly wideStrings: ReadonlyMap<number, WideStrings>,
    private readonly wideStamps: ReadonlyMap<number, string>,
    private readonly bigAmounts: ReadonlyMap<number, bigint>,
  ) {}

  /** Points the cursor at transfer `seq` (which the log checked exists). */
  seek(seq: number): this {
    const c = this.columns[seq >>> CHUNK_SHIFT]!;
    const i = seq & IN_CHUNK;
    const flags = c.flags[i]!;
    this.seq = seq;
    this.bits = flags & 15;
    if ((flags & WIDE) !== 0) {
      this.wide = this.wideStrings.get(seq)!;
    } else {
      this.wide = undefined;
      const at = c.at[i]!;
      this.bytes = this.byteChunks[Math.floor(at / BYTES_CHUNK)]!;
      this.at = at % BYTES_CHUNK;
      this.idUnits = c.idUnits[i]!;
    }
    this.pendingUnits = c.pendingUnits[i]!;
    this.referenceUnits = c.referenceUnits[i]!;
    this.debit = c.debit[i]!;
    this.credit = c.credit[i]!;
    this.currency = c.currency[i]!;
    const high = c.amountWords[2 * i + 1 - LOW_WORD]!;
    this.amount = high > -SAFE_HIGH_WORD && high < SAFE_HIGH_WORD ? high * 4294967296 + (c.amountWords[2 * i + LOW_WORD]! >>> 0) : Number.NaN;
    this.timeoutMs = c.timeoutMs[i]!;
    this.stamp = c.stamp[i]!;
    return this;
  }

  /** Fills the entry stamp's fields for the transfer the cursor is at. */
  seekStamp(): void {
    const stamp = this.stamp;
    const s = this.stampColumns[stamp >>> CHUNK_SHIFT]!;
    const i = stamp & IN_CHUNK;
    this.timestamp = s.timestamp[i]!;
    const units = s.units[i]!;
    if (units === ABSENT) {
      this.hlcWide = this.wideStamps.get(stamp)!;
      return;
    }
    this.hlcWide = undefined;
    const at = s.at[i]!;
    this.hlcBytes = this.byteChunks[Math.floor(at / BYTES_CHUNK)]!;
    this.hlcAt = at % BYTES_CHUNK;
    this.hlcUnits = units;
  }

  /** The amount when `amount` is NaN. */
  bigAmount(): bigint {
    const a = this.columns[this.seq >>> CHUNK_SHIFT]!.amount[this.seq & IN_CHUNK]!;
    return a === BIG_AMOUNT ? this.bigAmounts.get(this.seq)! : a;
  }

  accountName(account: number): string {
    return this.accountNames[account]!;
  }

  currencyName(currency: number): string {
    return this.currencyNames[currency]!;
  }
}

export class TransferLog {
  private count = 0;
  private readonly columns: Columns[] = [];
  private readonly stampColumns: StampColumns[] = [];
  private stampCount = 0;
  private readonly bytes: Uint8Array[] = [];
  /** Next free byte (absolute address, as in Columns.at). */
  private bytesEnd = 0;
  private readonly accounts = new Names();
  private readonly currencies = new Names();
  private readonly wide = new Map<number, WideStrings>();
  private readonly wideStamps = new Map<number, string>();
  private readonly bigAmounts = new Map<number, bigint>();
  /** The stamp of the transfer last pushed, to share it with the next one of the same entry. */
  private lastStamp = ABSENT;
  private lastHlc = '';
  private lastTimestamp = 0;
  /** The stamp `at` last decoded: transfers are mostly read in runs of one entry. */
  private decodedStamp = ABSENT;
  private decodedHlc = '';
  private readonly cursor = new TransferCursor(this.columns, this.stampColumns, this.bytes, this.accounts.names, this.currencies.names, this.wide,
    this.wideStamps, this.bigAmounts);

  get length(): number {
    return this.count;
  }

  /** Appends `t`, whose seq must be the log's length. Its status is recorded with it. */
  push(t: Transfer): void {
    const seq = this.count;
    // The message is built only on failure: this runs for every transfer applied.
    if (t.seq !== seq) assert(false, `transfer log: seq ${t.seq} pushed at ${seq}`);
    const chunk = seq >>> CHUNK_SHIFT;
    if (chunk === this.columns.length) this.columns.push(new Columns());
    const c = this.columns[chunk]!;
    const i = seq & IN_CHUNK;
    const pendingUnits = t.pendingId === null ? ABSENT : t.pendingId.length;
    const referenceUnits = t.reference === null ? ABSENT : t.reference.length;
    const units = t.id.length + Math.max(0, pendingUnits) + Math.max(0, referenceUnits);
    let flags = transferBits(t.flags);
    const at = t.id.length <= 0xffff ? this.storeNarrow(units, t.id, t.pendingId, t.reference) : ABSENT;
    const narrow = at !== ABSENT;
    // A wide transfer still records where the bytes ended, so `pop` can give them back.
    c.at[i] = narrow ? at : this.bytesEnd;
    if (!narrow) {
      flags |= WIDE;
      this.wide.set(seq, { id: t.id, pendingId: t.pendingId, reference: t.reference });
    }
    c.idUnits[i] = narrow ? t.id.length : 0;
    c.pendingUnits[i] = pendingUnits;
    c.referenceUnits[i] = referenceUnits;
    c.debit[i] = this.accounts.number(t.debitAccountId);
    c.credit[i] = this.accounts.number(t.creditAccountId);
    c.currency[i] = this.currencies.number(t.currency);
    if (t.amount >= INT64_MIN_KEPT && t.amount <= INT64_MAX) {
      c.amount[i] = t.amount;
    } else {
      c.amount[i] = BIG_AMOUNT;
      this.bigAmounts.set(seq, t.amount);
    }
    c.timeoutMs[i] = t.timeoutMs;
    c.stamp[i] = this.stampFor(t.hlc, t.timestamp);
    c.flags[i] = flags;
    c.status[i] = statusCode(t.status);
    this.count = seq + 1;
  }

  /** Removes the last transfer (a rolled-back chain). */
  pop(): void {
    assert(this.count > 0, 'transfer log: pop of an empty log');
    const seq = --this.count;
    const c = this.columns[seq >>> CHUNK_SHIFT]!;
    const i = seq & IN_CHUNK;
    const at = c.at[i]!;
    // Nothing written after it is still in use (its stamp, if new, is abandoned below).
    this.bytesEnd = at;
    this.wide.delete(seq);
    this.bigAmounts.delete(seq);
    // Stamps are not reclaimed (a few bytes); the next push compares with the new last transfer's.
    this.lastStamp = ABSENT;
  }

  /** The transfer at `seq` as a new object, or undefined past the end. */
  at(seq: number): Transfer | undefined {
    if (!(seq >= 0 && seq < this.count) || !Number.isInteger(seq)) return undefined;
    const c = this.columns[seq >>> CHUNK_SHIFT]!;
    const i = seq & IN_CHUNK;
    const flags = c.flags[i]!;
    let id: string;
    let pendingId: string | null = null;
    let reference: string | null = null;
    if ((flags & WIDE) !== 0) {
      const w = this.wide.get(seq)!;
      ({ id, pendingId, reference } = w);
    } else {
      let at = c.at[i]!;
      const idUnits = c.idUnits[i]!;
      id = this.text(at, idUnits);
      at += idUnits;
      const pendingUnits = c.pendingUnits[i]!;
      if (pendingUnits !== ABSENT) {
        pendingId = this.text(at, pendingUnits);
        at += pendingUnits;
      }
      const referenceUnits = c.referenceUnits[i]!;
      if (referenceUnits !== ABSENT) reference = this.text(at, referenceUnits);
    }
    const stamp = c.stamp[i]!;
    const amount = c.amount[i]!;
    return {
      id,
      debitAccountId: this.accounts.names[c.debit[i]!]!,
      creditAccountId: this.accounts.names[c.credit[i]!]!,
      amount: amount === BIG_AMOUNT ? this.bigAmounts.get(seq)! : amount >= 0n && amount < SHARED_AMOUNTS_BIG ? amountOf(Number(amount)) : amount,
      currency: this.currencies.names[c.currency[i]!]!,
      flags: transferFlags(flags & 15),
      pendingId,
      timeoutMs: c.timeoutMs[i]!,
      reference,
      timestamp: this.stampColumns[stamp >>> CHUNK_SHIFT]!.timestamp[stamp & IN_CHUNK]!,
      hlc: this.hlcOf(stamp),
      seq,
      status: STATUSES[c.status[i]!]!,
    };
  }

  statusAt(seq: number): PendingStatus | null {
    if (!(seq >= 0 && seq < this.count && Number.isInteger(seq))) assert(false, `transfer log: no transfer ${seq}`);
    return STATUSES[this.columns[seq >>> CHUNK_SHIFT]!.status[seq & IN_CHUNK]!]!;
  }

  setStatus(seq: number, status: PendingStatus | null): void {
    if (!(seq >= 0 && seq < this.count && Number.isInteger(seq))) assert(false, `transfer log: no transfer ${seq}`);
    this.columns[seq >>> CHUNK_SHIFT]!.status[seq & IN_CHUNK] = statusCode(status);
  }

  /** Whether the transfer at `seq` has id `id`, without building the string. */
  idEquals(seq: number, id: string): boolean {
    if (!(seq >= 0 && seq < this.count)) return false;
    const c = this.columns[seq >>> CHUNK_SHIFT]!;
    const i = seq & IN_CHUNK;
    if ((c.flags[i]! & WIDE) !== 0) return this.wide.get(seq)!.id === id;
    const n = c.idUnits[i]!;
    if (n !== id.length) return false;
    const at = c.at[i]!;
    const chunk = this.bytes[Math.floor(at / BYTES_CHUNK)]!;
    const from = at % BYTES_CHUNK;
    for (let k = 0; k < n; k++) if (chunk[from + k] !== id.charCodeAt(k)) return false;
    return true;
  }

  /**
   * Writes the ledger hash's line for transfer `seq` (hash.ts defines it), preceded by its entry's
   * stamp line when `withStamp`, straight from the columns.
   */
  writeHashLine(seq: number, w: HashLineWriter, withStamp: boolean): void {
    writeHashLine(this.seek(seq), w, withStamp);
  }

  /**
   * Writes transfer `seq`'s snapshot row (snapshot-format.ts), preceded by its stamp line when
   * `withStamp`; false, with nothing written, for a transfer it leaves to the string path.
   */
  writeSnapshotRow(seq: number, w: HashLineWriter, refs: AccountRefs, withStamp: boolean): boolean {
    return writeSnapshotRow(this.seek(seq), w, refs, withStamp);
  }

  /** Whether transfer `seq`'s entry stamp (HLC and ledger time) differs from the transfer's before it (true for the first). */
  stampChanged(seq: number): boolean {
    const b = this.stampOf(seq);
    if (seq === 0) return true;
    const a = this.stampOf(seq - 1);
    if (a === b) return false;
    const sa = this.stampColumns[a >>> CHUNK_SHIFT]!;
    const sb = this.stampColumns[b >>> CHUNK_SHIFT]!;
    const ia = a & IN_CHUNK;
    const ib = b & IN_CHUNK;
    if (sa.timestamp[ia] !== sb.timestamp[ib]) return true;
    const units = sa.units[ia]!;
    if (units === ABSENT || sb.units[ib] === ABSENT) return this.hlcOf(a) !== this.hlcOf(b);
    if (units !== sb.units[ib]) return true;
    const atA = sa.at[ia]!;
    const atB = sb.at[ib]!;
    const chunkA = this.bytes[Math.floor(atA / BYTES_CHUNK)]!;
    const chunkB = this.bytes[Math.floor(atB / BYTES_CHUNK)]!;
    const fromA = atA % BYTES_CHUNK;
    const fromB = atB % BYTES_CHUNK;
    for (let k = 0; k < units; k++) if (chunkA[fromA + k] !== chunkB[fromB + k]) return true;
    return false;
  }

  /**
   * Whether transfer `seq`'s row opens with its stamp line (the hash and the snapshot rows stream
   * alike): when writing resumes at `seq`, its stamp is compared with `prev`'s (a copy of the last
   * transfer written, undefined if none was), else with the transfer's before it in the log.
   */
  opensStamp(seq: number, resumed: boolean, prev: Transfer | undefined): boolean {
    if (!resumed) return this.stampChanged(seq);
    return prev === undefined || !this.stampIs(seq, prev.hlc, prev.timestamp);
  }

  /** Whether transfer `seq`'s entry stamp is (hlc, timestamp). */
  stampIs(seq: number, hlc: string, timestamp: number): boolean {
    const stamp = this.stampOf(seq);
    return this.stampColumns[stamp >>> CHUNK_SHIFT]!.timestamp[stamp & IN_CHUNK] === timestamp && this.hlcOf(stamp) === hlc;
  }

  /** The name of the account the columns number `account` (TransferCursor.debit, .credit). */
  accountName(account: number): string {
    return this.accounts.names[account]!;
  }

  *[Symbol.iterator](): IterableIterator<Transfer> {
    for (let seq = 0; seq < this.count; seq++) yield this.at(seq)!;
  }

  private seek(seq: number): TransferCursor {
    if (!(seq >= 0 && seq < this.count)) assert(false, `transfer log: no transfer ${seq}`);
    return this.cursor.seek(seq);
  }

  private stampOf(seq: number): number {
    if (!(seq >= 0 && seq < this.count)) assert(false, `transfer log: no transfer ${seq}`);
    return this.columns[seq >>> CHUNK_SHIFT]!.stamp[seq & IN_CHUNK]!;
  }

  /** The stamp number for (hlc, timestamp): the last transfer's when it is the same. */
  private stampFor(hlc: string, timestamp: number): number {
    if (this.lastStamp !== ABSENT && hlc === this.lastHlc && timestamp === this.lastTimestamp) return this.lastStamp;
    const n = this.stampCount++;
    const chunk = n >>> CHUNK_SHIFT;
    if (chunk === this.stampColumns.length) this.stampColumns.push(new StampColumns());
    const s = this.stampColumns[chunk]!;
    const i = n & IN_CHUNK;
    s.timestamp[i] = timestamp;
    const at = this.storeNarrow(hlc.length, hlc, null, null);
    s.at[i] = at;
    s.units[i] = at === ABSENT ? ABSENT : hlc.length;
    if (at === ABSENT) this.wideStamps.set(n, hlc);
    this.lastStamp = n;
    this.lastHlc = hlc;
    this.lastTimestamp = timestamp;
    return n;
  }

  private hlcOf(stamp: number): string {
    if (stamp === this.decodedStamp) return this.decodedHlc;
    const s = this.stampColumns[stamp >>> CHUNK_SHIFT]!;
    const i = stamp & IN_CHUNK;
    const units = s.units[i]!;
    const hlc = units === ABSENT ? this.wideStamps.get(stamp)! : this.text(s.at[i]!, units);
    this.decodedStamp = stamp;
    this.decodedHlc = hlc;
    return hlc;
  }

  /**
   * Stores up to three strings back to back, one byte per unit, in one byte chunk: their address,
   * or ABSENT (nothing kept) when they hold a unit above 255 or more than a chunk's worth of units.
   */
  private storeNarrow(units: number, a: string, b: string | null, c: string | null): number {
    if (units > BYTES_CHUNK) return ABSENT;
    const at = this.reserve(units);
    const bytes = this.bytes[Math.floor(at / BYTES_CHUNK)]!;
    let o = putNarrow(a, bytes, at % BYTES_CHUNK);
    if (b !== null && o >= 0) o = putNarrow(b, bytes, o);
    if (c !== null && o >= 0) o = putNarrow(c, bytes, o);
    if (o >= 0) return at;
    this.bytesEnd = at;
    return ABSENT;
  }

  /** The address of `units` free bytes in one chunk. */
  private reserve(units: number): number {
    let at = this.bytesEnd;
    const chunk = Math.floor(at / BYTES_CHUNK);
    if (chunk === this.bytes.length || (at % BYTES_CHUNK) + units > BYTES_CHUNK) {
      const next = chunk === this.bytes.length ? chunk : chunk + 1;
      if (next === this.bytes.length) this.bytes.push(new Uint8Array(BYTES_CHUNK));
      at = next * BYTES_CHUNK;
    }
    this.bytesEnd = at + units;
    return at;
  }

  private text(at: number, units: number): string {
    const chunk = this.bytes[Math.floor(at / BYTES_CHUNK)]!;
    const from = at % BYTES_CHUNK;
    if (units <= SHORT_TEXT_UNITS) {
      // Copied into a plain array kept for this length: applying String.fromCharCode to it costs
      // about a quarter of applying it to a typed array view.
      const codes = SHORT_TEXT_CODES[units]!;
      for (let k = 0; k < units; k++) codes[k] = chunk[from + k]!;
      return String.fromCharCode.apply(null, codes);
    }
    // A call takes its arguments on the stack: long text is decoded a piece at a time.
    let text = '';
    for (let k = 0; k < units; k += TEXT_PIECE_UNITS) {
      text += String.fromCharCode.apply(null, chunk.subarray(from + k, from + Math.min(units, k + TEXT_PIECE_UNITS)) as unknown as number[]);
    }
    return text;
  }
}
