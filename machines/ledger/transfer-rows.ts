// A transfer's ledger-hash line and its snapshot row, written as UTF-8 straight from the transfer
// log's columns (a TransferCursor) into a byte buffer. Both are written once for every transfer on
// every node, shortly after it is applied; building a Transfer object first (decoding its strings
// from the log's bytes, a bigint amount, a flags object) only to write the same fields out again
// cost more than the writing, and its garbage a share of the collections. Strings kept one byte
// per unit are copied from the log's bytes; amounts below 2^53 in magnitude are written from a
// double, exactly. The texts are defined elsewhere and must come out byte for byte the same:
// the hash line by transferHashText and stampHashText (hash.ts), the row by transferRowText
// (snapshot.ts), which specs compare these writers with on random transfers.
import { NUMBER_BYTES_MAX, JSON_BYTES_PER_UNIT_MAX, type HashLineWriter } from './hash-lines.ts';
import type { TransferCursor } from './transfer-log.ts';
import { UTF8_PER_UNIT_MAX } from './utf8.ts';

const BAR = 0x7c; // |
const NEWLINE = 0x0a;
const COLON = 0x3a;
const DASH = 0x2d;
const COMMA = 0x2c;
const AT = 0x40; // @
/** Room for the separators and numbers of one line (a hash line has eight separators and four numbers). */
const LINE_FIXED_BYTES_MAX = 16 + 5 * NUMBER_BYTES_MAX;
/** UTF-8 bytes of one unit stored one byte per unit (Latin-1). */
const LATIN1_BYTES_MAX = 2;

/** A snapshot's account, as its transfer rows name it. */
export interface AccountRef {
  /** The account's number in the snapshot (base 36). */
  readonly number: string;
  readonly currency: string;
}

/** The snapshot's accounts by the number the transfer log's columns give them (TransferCursor.debit). */
export interface AccountRefs {
  ref(account: number): AccountRef;
}

/**
 * Whether `s` has no lone surrogate, so it comes back the same from its UTF-8. Node 20's native
 * String.prototype.isWellFormed, which the project's TypeScript lib (ES2022) does not declare yet.
 */
export function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** The bytes of stampHashText (when `withStamp`) and transferHashText of the cursor's transfer. */
export function writeHashLine(r: TransferCursor, w: HashLineWriter, withStamp: boolean): void {
  if (withStamp) {
    r.seekStamp();
    const hlc = r.hlcWide;
    w.reserve((hlc === undefined ? r.hlcUnits * LATIN1_BYTES_MAX : hlc.length * UTF8_PER_UNIT_MAX) + LINE_FIXED_BYTES_MAX);
    w.ascii(BAR);
    if (hlc === undefined) w.latin1(r.hlcBytes, r.hlcAt, r.hlcUnits);
    else w.text(hlc);
    w.ascii(BAR);
    w.number(r.timestamp);
    w.ascii(NEWLINE);
  }
  const debit = r.accountName(r.debit);
  const credit = r.accountName(r.credit);
  const currency = r.currencyName(r.currency);
  const big = Number.isNaN(r.amount) ? r.bigAmount().toString() : '';
  const wide = r.wide;
  const strings = wide === undefined
    ? (r.idUnits + Math.max(0, r.pendingUnits) + Math.max(0, r.referenceUnits)) * LATIN1_BYTES_MAX
    : (wide.id.length + (wide.pendingId?.length ?? 0) + (wide.reference?.length ?? 0)) * UTF8_PER_UNIT_MAX;
  w.reserve(strings + (debit.length + credit.length + currency.length) * UTF8_PER_UNIT_MAX + big.length + LINE_FIXED_BYTES_MAX);
  let at = r.at;
  if (wide === undefined) {
    w.latin1(r.bytes, at, r.idUnits);
    at += r.idUnits;
  } else {
    w.text(wide.id);
  }
  w.ascii(BAR);
  w.text(debit);
  w.ascii(BAR);
  w.text(credit);
  w.ascii(BAR);
  if (big === '') w.integer(r.amount);
  else w.text(big);
  w.ascii(BAR);
  w.text(currency);
  w.ascii(BAR);
  w.number(r.bits);
  w.ascii(BAR);
  // A null pending id is written as an empty one.
  if (wide !== undefined) {
    if (wide.pendingId !== null) w.text(wide.pendingId);
  } else if (r.pendingUnits > 0) {
    w.latin1(r.bytes, at, r.pendingUnits);
    at += r.pendingUnits;
  }
  w.ascii(BAR);
  w.number(r.timeoutMs);
  w.ascii(BAR);
  if (r.referenceUnits === -1) {
    w.ascii(DASH);
  } else {
    w.number(r.referenceUnits);
    w.ascii(COLON);
    if (wide === undefined) w.latin1(r.bytes, at, r.referenceUnits);
    else w.text(wide.reference!);
  }
  w.ascii(NEWLINE);
}

/**
 * The bytes of transferRowText of the cursor's transfer (with its stamp line when `withStamp`).
 * Returns false, having written nothing, for a transfer with a string the log keeps wide (an id,
 * pending id or reference with a unit above 255, or a wide stamp) or a lone surrogate in a
 * currency it must write: those take the string path, which decides how to keep them.
 */
export function writeSnapshotRow(r: TransferCursor, w: HashLineWriter, refs: AccountRefs, withStamp: boolean): boolean {
  if (r.wide !== undefined) return false;
  if (withStamp) {
    r.seekStamp();
    if (r.hlcWide !== undefined) return false;
  }
  const debit = refs.ref(r.debit);
  const credit = refs.ref(r.credit).number;
  const currency = r.currencyName(r.currency);
  const ownCurrency = currency === debit.currency;
  if (!ownCurrency && !isWellFormed(currency)) return false;
  const big = Number.isNaN(r.amount) ? r.bigAmount().toString() : '';
  const pendingUnits = Math.max(0, r.pendingUnits);
  const referenceUnits = Math.max(0, r.referenceUnits);
  w.reserve((withStamp ? r.hlcUnits * LATIN1_BYTES_MAX : 0) + (r.idUnits + pendingUnits) * LATIN1_BYTES_MAX
    + referenceUnits * JSON_BYTES_PER_UNIT_MAX + (debit.number.length + credit.length) + big.length
    + (ownCurrency ? 0 : currency.length * UTF8_PER_UNIT_MAX) + LINE_FIXED_BYTES_MAX);
  if (withStamp) {
    w.ascii(AT);
    w.latin1(r.hlcBytes, r.hlcAt, r.hlcUnits);
    w.ascii(COMMA);
    w.number(r.timestamp);
    w.ascii(NEWLINE);
  }
  let at = r.at;
  w.latin1(r.bytes, at, r.idUnits);
  at += r.idUnits;
  w.ascii(COMMA);
  w.text(debit.number);
  w.ascii(COMMA);
  w.text(credit);
  w.ascii(COMMA);
  if (big === '') w.integer(r.amount);
  else w.text(big);
  // The tail only when a field is not its default.
  if (!ownCurrency || r.bits !== 0 || r.pendingUnits !== -1 || r.timeoutMs !== 0 || r.referenceUnits !== -1) {
    w.ascii(COMMA);
    if (!ownCurrency) w.text(currency);
    w.ascii(COMMA);
    w.number(r.bits);
    w.ascii(COMMA);
    w.latin1(r.bytes, at, pendingUnits);
    at += pendingUnits;
    w.ascii(COMMA);
    if (r.timeoutMs !== 0) w.number(r.timeoutMs);
    w.ascii(COMMA);
    if (r.referenceUnits !== -1) w.jsonLatin1(r.bytes, at, r.referenceUnits);
  }
  w.ascii(NEWLINE);
  return true;
}
