// A reused, growing buffer of UTF-8 bytes that transfer lines are written straight into: the
// ledger hash's transfer stream (hash.ts) and the snapshot's transfer rows (snapshot.ts), both
// written from the transfer log's columns (transfer-rows.ts). Building each line as a template
// string, joining lines and encoding them again cost several times the SHA-256 itself (a rope of
// small strings per transfer, a bigint-to-string, then a flatten and an encode). Strings are
// encoded as Buffer and TextEncoder do, a lone surrogate as U+FFFD; `units` counts the UTF-16
// units of the text written, which the snapshot's size limit is measured in.
import { writeUtf8 } from './utf8.ts';

/** The longest text `${n}` gives for a number (-1.7976931348623157e+308 has 24 characters). */
export const NUMBER_BYTES_MAX = 24;

/**
 * JSON.stringify's escape for each code unit that needs one (below 0x20, `"` and `\`), as the
 * bytes to write; undefined for a unit written as itself.
 */
const JSON_ESCAPES: ReadonlyArray<Uint8Array | undefined> = Array.from({ length: 0x60 }, (_, unit) => {
  if (unit >= 0x20 && unit !== 0x22 && unit !== 0x5c) return undefined;
  const text = JSON.stringify(String.fromCharCode(unit)).slice(1, -1);
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
});
/** The two ASCII digits of 0-99, for writing numbers two digits at a time (a division costs more than the rest). */
const DIGIT_PAIRS = Uint8Array.from({ length: 200 }, (_, k) => 48 + (k % 2 === 0 ? Math.floor(k / 20) : (k >> 1) % 10));
/** Bytes one one-byte unit takes at most in a JSON string (`\u001f`). */
export const JSON_BYTES_PER_UNIT_MAX = 6;

export class HashLineWriter {
  buffer: Uint8Array;
  length = 0;
  /** UTF-16 units of the text written since the last reset. */
  units = 0;

  constructor(capacity = 1 << 16) {
    this.buffer = new Uint8Array(capacity);
  }

  /** The bytes written since the last reset (a view: consume it before writing on). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
    this.units = 0;
  }

  /** Makes room for `n` more bytes, growing (keeping what was written) when it must. */
  reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buffer.length, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  /** One ASCII character. Every write below expects the caller to have reserved its room. */
  ascii(code: number): void {
    this.buffer[this.length++] = code;
    this.units++;
  }

  /** The UTF-8 of `n` units stored one byte per unit (Latin-1) at `src[from]`. */
  latin1(src: Uint8Array, from: number, n: number): void {
    const b = this.buffer;
    let o = this.length;
    for (let k = from, end = from + n; k < end; k++) {
      const c = src[k]!;
      if (c < 0x80) {
        b[o++] = c;
      } else {
        b[o++] = 0xc0 | (c >> 6);
        b[o++] = 0x80 | (c & 63);
      }
    }
    this.length = o;
    this.units += n;
  }

  /** What JSON.stringify writes for the string of `n` one-byte units at `src[from]`, quotes included. */
  jsonLatin1(src: Uint8Array, from: number, n: number): void {
    const b = this.buffer;
    let o = this.length;
    let units = n + 2;
    b[o++] = 0x22;
    for (let k = from, end = from + n; k < end; k++) {
      const c = src[k]!;
      const escape = c < 0x60 ? JSON_ESCAPES[c] : undefined;
      if (escape !== undefined) {
        for (let e = 0; e < escape.length; e++) b[o++] = escape[e]!;
        units += escape.length - 1;
      } else if (c < 0x80) {
        b[o++] = c;
      } else {
        b[o++] = 0xc0 | (c >> 6);
        b[o++] = 0x80 | (c & 63);
      }
    }
    b[o++] = 0x22;
    this.length = o;
    this.units += units;
  }

  /** UTF-8 of a string (`s.length * UTF8_PER_UNIT_MAX` bytes reserved). */
  text(s: string): void {
    this.length = writeUtf8(s, this.buffer, this.length);
    this.units += s.length;
  }

  /** What `${n}` writes; digit by digit for the non-negative safe integers every field holds. */
  number(n: number): void {
    if (n >= 0 && n < 10 && (n | 0) === n) {
      this.buffer[this.length++] = 48 + n;
      this.units++;
      return;
    }
    if (!Number.isSafeInteger(n) || n < 0) {
      this.text(String(n));
      return;
    }
    this.digits(n);
  }

  /** `${v}` for an integer v with |v| < 2^53 (exact as a double): an amount. */
  integer(v: number): void {
    if (v < 0) {
      this.ascii(0x2d);
      this.digits(-v);
    } else {
      this.digits(v);
    }
  }

  /** The decimal digits of a non-negative safe integer. */
  private digits(n: number): void {
    if (n > 0x7fffffff) {
      // Past 32 bits (ledger times): the high digits, then the low nine zero-padded.
      const high = Math.floor(n / 1e9);
      this.digits(high);
      this.padded(n - high * 1e9, 9);
      return;
    }
    // As a 32-bit integer, so each division by 100 compiles to a multiply and a shift.
    const m = n | 0;
    const digits = m < 10 ? 1 : m < 100 ? 2 : m < 1000 ? 3 : m < 10000 ? 4 : m < 100000 ? 5 : m < 1000000 ? 6 : m < 10000000 ? 7
      : m < 100000000 ? 8 : m < 1000000000 ? 9 : 10;
    this.padded(m, digits);
  }

  /** `m` (below 2^31) as exactly `digits` decimal digits, zeros in front. */
  private padded(m: number, digits: number): void {
    const b = this.buffer;
    let at = this.length + digits;
    let rest = m | 0;
    for (; rest >= 100; rest = (rest / 100) | 0) {
      const pair = (rest % 100) << 1;
      b[--at] = DIGIT_PAIRS[pair + 1]!;
      b[--at] = DIGIT_PAIRS[pair]!;
    }
    if (rest >= 10) {
      b[--at] = DIGIT_PAIRS[(rest << 1) + 1]!;
      b[--at] = DIGIT_PAIRS[rest << 1]!;
    } else {
      b[--at] = 48 + rest;
    }
    while (at > this.length) b[--at] = 48;
    this.length += digits;
    this.units += digits;
  }
}
