// The transfer stream of the ledger hash (hash.ts) written as UTF-8 bytes straight into a reused
// buffer, instead of as strings: every transfer adds a line, and building each line as a template
// string, joining the lines into chunks and having the hash encode the chunks to UTF-8 cost
// several times the SHA-256 itself (a rope of small strings per transfer, a bigint-to-string, then
// a flatten and an encode). The bytes are exactly the UTF-8 of transferHashText and the stamp
// line (a spec compares them on random transfers); strings are encoded as Buffer and TextEncoder
// do, a lone surrogate as U+FFFD.
import { transferBits } from './flags.ts';
import type { Transfer } from './types.ts';
import { UTF8_PER_UNIT_MAX, writeUtf8 } from './utf8.ts';

const BAR = 0x7c; // |
const NEWLINE = 0x0a;
const COLON = 0x3a;
const DASH = 0x2d;
/** Room for the numbers and separators of one line. */
const LINE_FIXED_BYTES_MAX = 128;

export class HashLineWriter {
  buffer: Uint8Array;
  length = 0;

  constructor(capacity = 1 << 16) {
    this.buffer = new Uint8Array(capacity);
  }

  /** The bytes written since the last reset (a view: consume it before writing on). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  /** `|<hlc>|<timestamp>\n`: the entry stamp line, written whenever the stamp changes. */
  stampLine(t: Transfer): void {
    this.reserve(t.hlc.length * UTF8_PER_UNIT_MAX + LINE_FIXED_BYTES_MAX);
    this.buffer[this.length++] = BAR;
    this.text(t.hlc);
    this.buffer[this.length++] = BAR;
    this.number(t.timestamp);
    this.buffer[this.length++] = NEWLINE;
  }

  /** The bytes of transferHashText(t). */
  transferLine(t: Transfer): void {
    const pendingId = t.pendingId ?? '';
    const reference = t.reference;
    const units = t.id.length + t.debitAccountId.length + t.creditAccountId.length + t.currency.length + pendingId.length
      + (reference === null ? 0 : reference.length);
    this.reserve(units * UTF8_PER_UNIT_MAX + LINE_FIXED_BYTES_MAX);
    const b = this.buffer;
    this.text(t.id);
    b[this.length++] = BAR;
    this.text(t.debitAccountId);
    b[this.length++] = BAR;
    this.text(t.creditAccountId);
    b[this.length++] = BAR;
    this.bigint(t.amount);
    b[this.length++] = BAR;
    this.text(t.currency);
    b[this.length++] = BAR;
    this.number(transferBits(t.flags));
    b[this.length++] = BAR;
    this.text(pendingId);
    b[this.length++] = BAR;
    this.number(t.timeoutMs);
    b[this.length++] = BAR;
    if (reference === null) {
      b[this.length++] = DASH;
    } else {
      this.number(reference.length);
      b[this.length++] = COLON;
      this.text(reference);
    }
    b[this.length++] = NEWLINE;
  }

  /** Makes room for `n` more bytes, growing (keeping what was written) when it must. */
  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buffer.length, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** UTF-8 of a string (room reserved by the caller). */
  private text(s: string): void {
    this.length = writeUtf8(s, this.buffer, this.length);
  }

  /** What `${n}` writes; digit by digit for the non-negative safe integers every field holds. */
  private number(n: number): void {
    const b = this.buffer;
    if (n >= 0 && n < 10 && (n | 0) === n) {
      b[this.length++] = 48 + n;
      return;
    }
    if (n >= 0 && n <= 0x7fffffff && (n | 0) === n) {
      let digits = 1;
      for (let m = n; m >= 10; m = (m / 10) | 0) digits++;
      let at = this.length + digits;
      this.length = at;
      for (let m = n; at > this.length - digits; m = (m / 10) | 0) b[--at] = 48 + (m % 10);
      return;
    }
    if (!Number.isSafeInteger(n) || n < 0) {
      this.text(String(n));
      return;
    }
    let digits = 1;
    for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    for (let m = n; at > this.length - digits; m = Math.floor(m / 10)) b[--at] = 48 + (m % 10);
  }

  /** What `${amount}` writes. Number() of a bigint past 2^53 rounds to 2^53 or more, which is not safe. */
  private bigint(v: bigint): void {
    const n = Number(v);
    if (n >= 0 && Number.isSafeInteger(n)) this.number(n);
    else this.text(v.toString());
  }
}
