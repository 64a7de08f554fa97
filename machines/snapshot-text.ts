// A snapshot's text as a list of pieces, never joined. Joining would copy the whole ledger's
// text at every snapshot and cap a ledger at V8's longest string (about 537 M characters, some
// 16 million transfers): the writer, the file, the hash and InstallSnapshot all walk the text in
// slices anyway, so they take the pieces as they are.
//
// One rule holds for every piece list: no piece ends in the first half of a surrogate pair whose
// second half opens the next piece. Each piece then encodes to UTF-8 on its own, with the same
// bytes as the joined text would. `sliceText` cuts at any offset it is given; `chunkEnd` gives
// offsets that keep a pair together.
import { assert } from './assert.ts';

export type SnapshotText = readonly string[];

/** A text of one piece (specs, and anything small). */
export function textOf(s: string): SnapshotText {
  return s === '' ? [] : [s];
}

/** Length in UTF-16 units, the unit every offset into a text counts in. */
export function textLength(text: SnapshotText): number {
  return startsOf(text)[text.length]!;
}

/** Piece starts, computed once per piece list: a transfer asks for thousands of slices of one text. */
const starts = new WeakMap<SnapshotText, Float64Array>();

function startsOf(text: SnapshotText): Float64Array {
  let s = starts.get(text);
  if (s === undefined) {
    s = new Float64Array(text.length + 1);
    for (let i = 0; i < text.length; i++) s[i + 1] = s[i]! + text[i]!.length;
    starts.set(text, s);
  }
  return s;
}

/** text[from, to) as one string (it copies at most the pieces it spans). */
export function sliceText(text: SnapshotText, from: number, to: number): string {
  const s = startsOf(text);
  const total = s[text.length]!;
  from = Math.max(0, Math.min(from, total));
  to = Math.max(from, Math.min(to, total));
  if (from === to) return '';
  // The last piece starting at or before `from`.
  let lo = 0;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (s[mid]! <= from) lo = mid;
    else hi = mid - 1;
  }
  let out = '';
  for (let i = lo; i < text.length && s[i]! < to; i++) {
    const start = s[i]!;
    out += text[i]!.slice(Math.max(0, from - start), Math.min(text[i]!.length, to - start));
  }
  return out;
}

export function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

/**
 * Where a slice starting at `from` and at most `units` long should end so it does not split a
 * surrogate pair: one unit short of `from + units` when that would, or one unit past it when the
 * slice would be the first half of a pair alone. At least one unit is taken, so a transfer moves.
 */
export function chunkEnd(text: SnapshotText, from: number, units: number): number {
  const total = textLength(text);
  let end = Math.min(total, from + Math.max(1, units));
  if (end < total && isHighSurrogate(sliceText(text, end - 1, end).charCodeAt(0))) end += end - from > 1 ? -1 : 1;
  return end;
}

/** The whole text as one string: for specs and small texts only (it asserts under V8's limit). */
export function joinText(text: SnapshotText): string {
  assert(textLength(text) <= STRING_UNITS_MAX, 'snapshot text: too long to join into one string');
  return text.join('');
}

/** V8's longest string on 64-bit (2^29 - 24 units). */
const STRING_UNITS_MAX = 2 ** 29 - 24;

/** True when the two texts hold the same characters, however they are cut into pieces. */
export function textEquals(a: SnapshotText, b: SnapshotText): boolean {
  const n = textLength(a);
  if (n !== textLength(b)) return false;
  const step = 1 << 16;
  for (let at = 0; at < n; at += step) if (sliceText(a, at, at + step) !== sliceText(b, at, at + step)) return false;
  return true;
}
