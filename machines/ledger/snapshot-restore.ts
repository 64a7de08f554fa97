// Reading a ledger snapshot (format: snapshot-format.ts) back into a state: strict about shape
// (a malformed or truncated text fails an assertion), then checked against the state hash in the
// header, so a changed digit or a lost line is refused rather than served. Derived indexes (per-
// account lists, the expiry heap) are rebuilt here with the same code that builds them live.
import { assert } from '../assert.ts';
import { isResultCode } from './codes.ts';
import { accountFlags, transferFlags } from './flags.ts';
import { IncrementalLedgerHash } from './hash.ts';
import { pureSha256 } from './sha256.ts';
import type { SnapshotWriter } from './snapshot.ts';
import { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, STATUS_OF } from './snapshot-format.ts';
import { amountOf } from './shared-amounts.ts';
import { addAccount, addTransfer, createLedgerState, setStatus, trackExpiry } from './state.ts';
import type { Account, ItemResult, LedgerState, Transfer, TransferFlags } from './types.ts';
import type { SnapshotText } from '../snapshot-text.ts';

const PLAIN: TransferFlags = transferFlags(0);

/** Rows read between two pauses of restoreSteps by default: a few milliseconds of transfer rows, about 20 of account rows. */
const ROWS_PER_STEP = 2048;

/**
 * Rebuilds a state from a snapshot's text (SnapshotWriter.write) and checks it against the hash in the header.
 * Malformed or corrupt text is a bug (or corruption): it asserts. `hasher` (the actor's, with
 * node:crypto) follows the restored state afterwards, so its first hash request costs nothing;
 * so does `writer`, whose next snapshot then reuses the transfer rows of this text. `indexSeed`:
 * see createLedgerState; `rowsPerStep`: how often the hasher folds what was read (restoreSteps),
 * here with every step run in one go.
 */
export function deserializeLedger(text: SnapshotText, hasher: IncrementalLedgerHash = new IncrementalLedgerHash(pureSha256),
  writer?: SnapshotWriter, indexSeed = 0, rowsPerStep = ROWS_PER_STEP): LedgerState {
  const steps = restoreSteps(text, hasher, writer, indexSeed, rowsPerStep);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * deserializeLedger in steps of `rowsPerStep` rows, so a caller can spread a restore of millions
 * of transfers over many turns of the event loop. Each step folds what it read into `hasher`,
 * accounts included, so no step hashes more than the rows it read and the check at the end costs
 * no more than a step. The state it returns is the only one to use: what it builds in between is
 * incomplete. Specs pass a small `rowsPerStep`, so that their small ledgers restore in many steps
 * as large ones do.
 */
export function* restoreSteps(text: SnapshotText, hasher: IncrementalLedgerHash, writer: SnapshotWriter | undefined,
  indexSeed: number, rowsPerStep = ROWS_PER_STEP): Generator<void, LedgerState, void> {
  assert(Number.isSafeInteger(rowsPerStep) && rowsPerStep > 0, `ledger snapshot: rows per step must be a positive integer, not ${rowsPerStep}`);
  const r = new LineReader(text);
  const head = r.line().split(',');
  assert(head.length === 8 && head[0] === SNAPSHOT_MAGIC && head[1] === String(SNAPSHOT_FORMAT_VERSION), 'ledger snapshot: unknown format');
  const accountCount = count(head[3]);
  const transferCount = count(head[4]);
  const statusCount = count(head[5]);
  const idempotencyCount = count(head[6]);
  const state = createLedgerState(indexSeed);
  state.now = count(head[2]);
  const byNumber: Account[] = [];
  let read = 0;
  for (let i = 0; i < accountCount; i++) {
    if (++read % rowsPerStep === 0) {
      hasher.digest(state);
      yield;
    }
    const f = r.line().split(',');
    assert(f.length === 8, 'ledger snapshot: bad account row');
    const bits = count(f[2]);
    assert(f[0] !== '' && f[1] !== '' && bits <= 7 && !state.accounts.has(f[0]!), 'ledger snapshot: bad account');
    const account: Account = {
      id: f[0]!, currency: f[1]!, flags: accountFlags(bits),
      debitsPosted: big(f[3]), creditsPosted: big(f[4]), debitsPending: big(f[5]), creditsPending: big(f[6]), timestamp: count(f[7]),
    };
    addAccount(state, account);
    byNumber.push(account);
  }
  r.startCapture();
  let hlc: string | null = null;
  let timestamp = 0;
  let pendings = 0;
  while (state.transferLog.length < transferCount) {
    if (++read % rowsPerStep === 0) {
      hasher.digest(state);
      yield;
    }
    if (r.peek() === 64 /* @ */) {
      const f = r.line().slice(1).split(',');
      assert(f.length === 2 && f[0] !== '', 'ledger snapshot: bad stamp line');
      hlc = f[0]!;
      timestamp = count(f[1]);
      continue;
    }
    assert(hlc !== null, 'ledger snapshot: transfer before any stamp line');
    const t = transferRow(r, byNumber, hlc, timestamp, state.transferLog.length);
    if (t.flags.pending) pendings++;
    addTransfer(state, t);
  }
  const rows = r.endCapture();
  // Rows ascend and each names a pending transfer, so as many rows as pending transfers means one
  // each: a lost row would leave a transfer pending that its ledger had finished, hash and all
  // (a pending transfer starts out pending), and out of the expiry heap.
  assert(statusCount === pendings, 'ledger snapshot: status rows do not match the pending transfers');
  let lastSeq = -1;
  for (let i = 0; i < statusCount; i++) {
    if (++read % rowsPerStep === 0) {
      hasher.digest(state);
      yield;
    }
    const f = r.line().split(',');
    const seq = f.length === 2 ? base36(f[0]!, 0, f[0]!.length) : -1;
    const status = STATUS_OF[f[1] ?? ''];
    assert(seq > lastSeq && seq < transferCount && status !== undefined, 'ledger snapshot: bad status row');
    const t = state.transferLog.at(seq)!;
    assert(t.flags.pending, 'ledger snapshot: status of a transfer that is not pending');
    // Through the state, which records the change: the hasher has already folded this transfer
    // (as pending) if a step's digest came after its row.
    setStatus(state, seq, status);
    trackExpiry(state, t);
    lastSeq = seq;
  }
  // Pruning walks the records in this order and stops at the first one still young: they must
  // come oldest first, as the ledger made them.
  let lastCreatedAt = 0;
  for (let i = 0; i < idempotencyCount; i++) {
    if (++read % rowsPerStep === 0) {
      hasher.digest(state);
      yield;
    }
    const createdAt = idempotencyRow(state, r.line());
    assert(createdAt >= lastCreatedAt, 'ledger snapshot: idempotency records out of order');
    lastCreatedAt = createdAt;
  }
  assert(r.atEnd(), 'ledger snapshot: text after the last record');
  assert(hasher.digest(state) === head[7], 'ledger snapshot: state hash mismatch (corrupt snapshot)');
  writer?.adopt(state, rows);
  return state;
}

/** A transfer row at the reader's position (the short form, or the long one with its tail). */
function transferRow(r: LineReader, byNumber: readonly Account[], hlc: string, timestamp: number, seq: number): Transfer {
  const eol = r.lineEnd();
  const text = r.text;
  const start = r.pos;
  const c1 = text.indexOf(',', start);
  const c2 = text.indexOf(',', c1 + 1);
  const c3 = text.indexOf(',', c2 + 1);
  assert(c1 > start && c2 > c1 && c3 > c2 && c3 < eol, 'ledger snapshot: bad transfer row');
  const debit = byNumber[base36(text, c1 + 1, c2)];
  const credit = byNumber[base36(text, c2 + 1, c3)];
  assert(debit !== undefined && credit !== undefined, 'ledger snapshot: transfer names an unknown account');
  let c4 = text.indexOf(',', c3 + 1);
  if (c4 < 0 || c4 > eol) c4 = eol;
  r.pos = eol + 1;
  const amount = digits(text, c3 + 1, c4);
  if (c4 === eol) {
    return {
      id: text.slice(start, c1), debitAccountId: debit.id, creditAccountId: credit.id, amount, currency: debit.currency, flags: PLAIN,
      pendingId: null, timeoutMs: 0, reference: null, timestamp, hlc, seq, status: null,
    };
  }
  // The rare long form: currency, flags, pending id, timeout, then the reference (the rest of the line).
  const tail: string[] = [];
  let at = c4 + 1;
  for (let k = 0; k < 4; k++) {
    const comma = text.indexOf(',', at);
    assert(comma >= 0 && comma < eol, 'ledger snapshot: bad transfer row tail');
    tail.push(text.slice(at, comma));
    at = comma + 1;
  }
  const [currency, bitsText, pendingId, timeoutText] = tail as [string, string, string, string];
  const referenceText = text.slice(at, eol);
  const bits = count(bitsText);
  assert(bits <= 15, 'ledger snapshot: bad transfer flags');
  let reference: string | null = null;
  if (referenceText !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(referenceText);
    } catch {
      assert(false, 'ledger snapshot: bad reference');
    }
    assert(typeof parsed === 'string', 'ledger snapshot: bad reference');
    reference = parsed;
  }
  const flags = transferFlags(bits);
  return {
    id: text.slice(start, c1), debitAccountId: debit.id, creditAccountId: credit.id, amount,
    currency: currency === '' ? debit.currency : currency, flags,
    pendingId: pendingId === '' ? null : pendingId, timeoutMs: timeoutText === '' ? 0 : count(timeoutText),
    // A pending transfer starts out pending, as it did when it was made; its status row, further
    // on, moves it on through setStatus. The hasher folds rows as it goes and follows status
    // changes only from pending: a status arriving on a row folded without one would be missed.
    reference, timestamp, hlc, seq, status: flags.pending ? 'pending' : null,
  };
}

/** Adds the record on `line`; returns its creation time. */
function idempotencyRow(state: LedgerState, line: string): number {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    assert(false, 'ledger snapshot: bad idempotency row');
  }
  assert(Array.isArray(row) && row.length === 7, 'ledger snapshot: bad idempotency row');
  const [key, requestHash, createdAt, index, hlc, via, results] = row as unknown[];
  assert(typeof key === 'string' && typeof requestHash === 'string' && isCount(createdAt) && isCount(index)
    && typeof hlc === 'string' && (via === null || typeof via === 'string') && Array.isArray(results), 'ledger snapshot: bad idempotency record');
  const items: ItemResult[] = (results as unknown[]).map((x) => {
    assert(Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && isResultCode(x[1]), 'ledger snapshot: bad result');
    return { id: x[0] as string, code: x[1] };
  });
  const record = { key, requestHash, createdAt, response: { index, hlc, via, results: items } };
  state.idempotency.set(key, record);
  // Recorded as changed, as apply does: the hasher took the (then empty) set at a step's digest.
  state.changed.idempotency.add(record);
  return createdAt;
}

/**
 * Reads the text line by line; a line must end with a newline (a truncated snapshot fails).
 * `text` is the piece being read, so every line a caller sees lies whole in `text`: where a line
 * runs on into the next piece, `text` is that line alone, joined from both, and reading goes on in
 * the rest of the next piece. Nothing else is copied, so the rows handed to the writer
 * (startCapture/endCapture) are slices of the pieces given, not a second copy of the ledger.
 */
class LineReader {
  text = '';
  pos = 0;
  private next = 0;
  /** The rest of a piece whose first line was joined to the one before. */
  private after: string | null = null;
  /** What was read since startCapture, as slices of what was read, or null when not capturing. */
  private captured: string[] | null = null;
  private capturedFrom = 0;

  constructor(private readonly pieces: SnapshotText) {}

  lineEnd(): number {
    let eol = this.text.indexOf('\n', this.pos);
    while (eol < 0 && this.more()) eol = this.text.indexOf('\n', this.pos);
    assert(eol >= 0, 'ledger snapshot: truncated');
    return eol;
  }

  line(): string {
    const eol = this.lineEnd();
    const line = this.text.slice(this.pos, eol);
    this.pos = eol + 1;
    return line;
  }

  peek(): number {
    while (this.pos >= this.text.length && this.more());
    return this.text.charCodeAt(this.pos);
  }

  atEnd(): boolean {
    while (this.pos >= this.text.length && this.more());
    return this.pos >= this.text.length;
  }

  startCapture(): void {
    this.captured = [];
    this.capturedFrom = this.pos;
  }

  endCapture(): string[] {
    const out = this.captured ?? [];
    if (this.pos > this.capturedFrom) out.push(this.text.slice(this.capturedFrom, this.pos));
    this.captured = null;
    return out;
  }

  /** Moves on past the end of `text`, keeping its unread rest in front; false at the end of the text. */
  private more(): boolean {
    let piece: string;
    if (this.after !== null) {
      piece = this.after;
      this.after = null;
    } else if (this.next < this.pieces.length) {
      piece = this.pieces[this.next++]!;
    } else {
      return false;
    }
    if (this.captured !== null && this.pos > this.capturedFrom) this.captured.push(this.text.slice(this.capturedFrom, this.pos));
    this.capturedFrom = 0;
    const rest = this.text.slice(this.pos);
    const eol = rest === '' ? -1 : piece.indexOf('\n');
    if (eol >= 0 && eol + 1 < piece.length) {
      this.text = rest + piece.slice(0, eol + 1);
      this.after = piece.slice(eol + 1);
    } else {
      this.text = rest + piece;
    }
    this.pos = 0;
    return true;
  }
}

/** text[from, to) as a base-36 number (0-9, a-z), or -1 if it is not one. */
function base36(text: string, from: number, to: number): number {
  if (to <= from || to - from > 8) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 122 ? c - 87 : -1;
    if (v < 0) return -1;
    n = n * 36 + v;
  }
  return n;
}

/** text[from, to) as a non-negative decimal bigint; anything else asserts. */
function digits(text: string, from: number, to: number): bigint {
  assert(to > from && to - from <= 80, 'ledger snapshot: bad amount');
  let small = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    assert(c >= 0 && c <= 9, 'ledger snapshot: bad amount');
    small = small * 10 + c;
  }
  // Up to 15 digits the number is exact as a double, and BigInt(number) skips a string.
  return to - from <= 15 ? amountOf(small) : BigInt(text.slice(from, to));
}

const DIGITS = /^\d{1,80}$/;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function count(v: string | undefined): number {
  assert(v !== undefined && DIGITS.test(v) && v.length <= 16, 'ledger snapshot: bad number');
  const n = Number(v);
  assert(Number.isSafeInteger(n), 'ledger snapshot: bad number');
  return n;
}

function big(v: string | undefined): bigint {
  assert(v !== undefined && DIGITS.test(v), 'ledger snapshot: bad amount');
  return BigInt(v);
}
