// Writing the whole ledger state as deterministic text (format: snapshot-format.ts); reading it
// back is snapshot-restore.ts. Two replicas with the same state produce the same characters. The
// text is a list of pieces (snapshot-text.ts), never joined: a snapshot of millions of transfers
// is hundreds of MB of text. Transfer rows hold only what never changes (the status, the one
// mutable field, has its own section), so SnapshotWriter keeps the pieces it wrote and a new
// snapshot writes only the rows of transfers applied since the last one, then hands out the same
// pieces again: no copy, no walk of the transfers (accounts, pending statuses and idempotency
// records are written out each time). The transfer log writes those rows as UTF-8 straight from
// its columns (transfer-rows.ts), decoded here once per piece; transferRowText defines them.
// The header carries the state hash, which restore checks, so a corrupt snapshot is rejected
// rather than served.
import { assert } from '../assert.ts';
import { accountBits, transferBits } from './flags.ts';
import { IncrementalLedgerHash } from './hash.ts';
import { HashLineWriter } from './hash-lines.ts';
import { pureSha256 } from './sha256.ts';
import { SNAPSHOT_CHARS_MAX, SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, STATUS_CODE } from './snapshot-format.ts';
import { isWellFormed, type AccountRef, type AccountRefs } from './transfer-rows.ts';
import type { TransferLog } from './transfer-log.ts';
import type { LedgerState, Transfer } from './types.ts';
import { UTF8_PER_UNIT_MAX } from './utf8.ts';
import { joinText, type SnapshotText } from '../snapshot-text.ts';

export { SNAPSHOT_CHARS_MAX } from './snapshot-format.ts';
export { deserializeLedger } from './snapshot-restore.ts';

/** Every transfer row takes at least this many characters (id, two account numbers, amount, separators). */
const TRANSFER_ROW_CHARS_MIN = 8;
/**
 * Rows are kept in flat pieces of about this size: few pieces to hand out, none of them huge.
 * Each piece is made by one Array.join, which copies its rows into one flat string; a piece grown
 * by `+=` would stay a tree of small strings that every reader would flatten again.
 */
const PIECE_CHARS = 1 << 16;

/** Rows gathered into flat pieces of about PIECE_CHARS (accounts, statuses, idempotency records). */
class Pieces {
  readonly pieces: string[] = [];
  private rows: string[] = [];
  private rowChars = 0;
  /** Characters in pieces and pending rows together. */
  chars = 0;

  add(row: string): void {
    this.rows.push(row);
    this.rowChars += row.length;
    this.chars += row.length;
    if (this.rowChars >= PIECE_CHARS) this.flush();
  }

  flush(): void {
    if (this.rows.length === 0) return;
    this.pieces.push(this.rows.join(''));
    this.rows = [];
    this.rowChars = 0;
  }
}

/**
 * Transfer rows gathered into flat pieces of about PIECE_CHARS, as Pieces does, but written as
 * UTF-8 by the transfer log (transfer-rows.ts) and decoded once per piece (a native decode of
 * plain text costs well under a nanosecond a character). A row that cannot go through UTF-8
 * unchanged (a lone surrogate) is kept as its string.
 */
class RowPieces {
  readonly pieces: string[] = [];
  /** The current piece's rows since the last string row. */
  readonly out = new HashLineWriter(PIECE_CHARS + (PIECE_CHARS >> 2));
  /** The current piece's text before `out`, when it holds a string row. */
  private parts: string[] = [];
  private partsChars = 0;
  private piecesChars = 0;

  /** Characters in pieces and pending rows together. */
  get chars(): number {
    return this.piecesChars + this.partsChars + this.out.units;
  }

  /** Ends a row written into `out`. */
  rowWritten(): void {
    if (this.partsChars + this.out.units >= PIECE_CHARS) this.flush();
  }

  /** A row as a string: as its UTF-8 when that decodes back to it, else kept as it is. */
  addString(row: string): void {
    if (isWellFormed(row)) {
      this.out.reserve(row.length * UTF8_PER_UNIT_MAX);
      this.out.text(row);
    } else {
      this.settleOut();
      this.parts.push(row);
      this.partsChars += row.length;
    }
    this.rowWritten();
  }

  /** Takes over pieces written elsewhere (a restored snapshot's rows). */
  adopt(pieces: SnapshotText): void {
    this.flush();
    for (const p of pieces) {
      this.pieces.push(p);
      this.piecesChars += p.length;
    }
  }

  flush(): void {
    this.settleOut();
    if (this.parts.length === 0) return;
    this.pieces.push(this.parts.length === 1 ? this.parts[0]! : this.parts.join(''));
    this.piecesChars += this.partsChars;
    this.parts = [];
    this.partsChars = 0;
  }

  private settleOut(): void {
    if (this.out.length === 0) return;
    this.parts.push(UTF8.decode(this.out.bytes()));
    this.partsChars += this.out.units;
    this.out.reset();
  }
}

/** Keeps a leading U+FEFF: the rows' text is decoded exactly as written. */
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Writes snapshots of one state object, keeping the transfer rows already written so the next
 * snapshot only adds the rows of newer transfers. Given another state object (a restore), or a
 * state whose written transfers it no longer recognises, it starts over.
 */
export class SnapshotWriter {
  private state: LedgerState | null = null;
  /** The transfer rows written so far. */
  private transfers = new RowPieces();
  /** Transfers [0, written) have rows in `transfers`. */
  private written = 0;
  /** The last transfer written (a copy), for its stamp and to recognise the log it came from. */
  private last: Transfer | undefined = undefined;
  /** Seqs of the written transfers that carry a status (pending transfers), ascending. */
  private withStatus: number[] = [];
  private refs = new Map<string, AccountRef>();
  /** `refs` by the transfer log's account numbers, made on first use for the state's log. */
  private logRefs: LogRefs | null = null;

  /**
   * The snapshot text, or null when it would be longer than `charsMax` (callers then keep the log
   * instead). `hasher` should be the incremental hasher that follows this state, so the header's
   * hash costs only what changed since it last looked.
   */
  write(state: LedgerState, charsMax: number, hasher?: IncrementalLedgerHash): SnapshotText | null {
    if (state.transferLog.length * TRANSFER_ROW_CHARS_MIN > charsMax) return null;
    if (state !== this.state || !this.follows(state)) this.reset(state);
    this.learnAccounts(state);
    const accounts = new Pieces();
    for (const a of state.accounts.values()) {
      accounts.add(`${a.id},${a.currency},${accountBits(a.flags)},${a.debitsPosted},${a.creditsPosted},${a.debitsPending},${a.creditsPending},${a.timestamp}\n`);
    }
    if (!this.appendRows(state, charsMax, Number.POSITIVE_INFINITY)) return null;
    const rest = new Pieces();
    for (const seq of this.withStatus) rest.add(`${seq.toString(36)},${STATUS_CODE[state.transferLog.statusAt(seq)!]}\n`);
    for (const r of state.idempotency.values()) {
      rest.add(`${JSON.stringify([r.key, r.requestHash, r.createdAt, r.response.index, r.response.hlc, r.response.via,
        r.response.results.map((x) => [x.id, x.code])])}\n`);
    }
    const hash = (hasher ?? new IncrementalLedgerHash(pureSha256, false)).digest(state);
    const header = `${SNAPSHOT_MAGIC},${SNAPSHOT_FORMAT_VERSION},${state.now},${state.accounts.size},${state.transferLog.length},${this.withStatus.length}`
      + `,${state.idempotency.size},${hash}\n`;
    if (header.length + accounts.chars + this.transfers.chars + rest.chars > charsMax) return null;
    accounts.flush();
    this.transfers.flush();
    rest.flush();
    return [header, ...accounts.pieces, ...this.transfers.pieces, ...rest.pieces];
  }

  /**
   * Writes the rows of up to `rowsMax` transfers applied since the last call, so that the next
   * snapshot finds most of its work done: called between apply slices, it spreads the cost of a
   * snapshot over the applies instead of spending it all in the turn that takes the snapshot.
   * What `write` returns is the same either way.
   */
  advance(state: LedgerState, charsMax: number, rowsMax: number): void {
    // Past the limit no snapshot will be written (the log is kept): stop growing the rows.
    if (this.transfers.chars > charsMax) return;
    if (state !== this.state || !this.follows(state)) {
      // Starting over costs a row per transfer ever applied: leave that to the next snapshot.
      if (this.state !== null) return;
      this.reset(state);
    }
    this.learnAccounts(state);
    this.appendRows(state, charsMax, rowsMax);
  }

  /** How many transfers (from the first) already have their rows written. */
  get rowsWritten(): number {
    return this.written;
  }

  /**
   * Takes over a state just restored from a snapshot whose transfer rows are `rows`: the next
   * snapshot of it then starts from those rows instead of writing them again.
   */
  adopt(state: LedgerState, rows: SnapshotText): void {
    this.reset(state);
    let i = 0;
    for (const a of state.accounts.values()) this.refs.set(a.id, { number: (i++).toString(36), currency: a.currency });
    this.transfers.adopt(rows);
    const log = state.transferLog;
    for (let seq = 0; seq < log.length; seq++) if (log.statusAt(seq) !== null) this.withStatus.push(seq);
    this.written = log.length;
    this.last = log.at(this.written - 1);
  }

  private follows(state: LedgerState): boolean {
    if (this.written > state.transferLog.length) return false;
    return this.last === undefined || state.transferLog.idEquals(this.written - 1, this.last.id);
  }

  private reset(state: LedgerState): void {
    this.state = state;
    this.transfers = new RowPieces();
    this.written = 0;
    this.last = undefined;
    this.withStatus = [];
    this.refs = new Map();
    this.logRefs = null;
  }

  /**
   * Numbers for accounts opened since the last look. Accounts are only ever added (a rolled-back
   * chain removes its own before anyone looks), so numbers given earlier still hold.
   */
  private learnAccounts(state: LedgerState): void {
    if (this.refs.size >= state.accounts.size) return;
    let i = 0;
    for (const a of state.accounts.values()) {
      if (i >= this.refs.size) this.refs.set(a.id, { number: i.toString(36), currency: a.currency });
      i++;
    }
  }

  /**
   * Rows for up to `rowsMax` of the transfers applied since the last snapshot; false once they
   * pass `charsMax`.
   */
  private appendRows(state: LedgerState, charsMax: number, rowsMax: number): boolean {
    const log = state.transferLog;
    const rows = this.transfers;
    const last = this.last;
    const end = Math.min(log.length, this.written + rowsMax);
    const from = this.written;
    const refs = (this.logRefs ??= new LogRefs(this.refs, log));
    for (let i = from; i < end && rows.chars <= charsMax; i++) {
      const withStamp = log.opensStamp(i, i === from, last);
      if (!log.writeSnapshotRow(i, rows.out, refs, withStamp)) {
        const t = log.at(i)!;
        rows.addString(transferRowText(t, this.refs.get(t.debitAccountId)!, this.refs.get(t.creditAccountId)!, withStamp));
      } else {
        rows.rowWritten();
      }
      if (log.statusAt(i) !== null) this.withStatus.push(i);
      this.written = i + 1;
    }
    if (this.written > from) this.last = log.at(this.written - 1);
    return rows.chars <= charsMax;
  }
}

/**
 * A transfer's row (snapshot-format.ts), preceded by its stamp line when `withStamp`: the
 * definition of what TransferLog.writeSnapshotRow writes from the columns, and the path of the
 * rows it leaves to strings.
 */
export function transferRowText(t: Transfer, debit: AccountRef, credit: AccountRef, withStamp: boolean): string {
  let row = withStamp ? `@${t.hlc},${t.timestamp}\n` : '';
  row += `${t.id},${debit.number},${credit.number},${t.amount}`;
  const bits = transferBits(t.flags);
  if (t.currency !== debit.currency || bits !== 0 || t.pendingId !== null || t.timeoutMs !== 0 || t.reference !== null) {
    row += `,${t.currency === debit.currency ? '' : t.currency},${bits},${t.pendingId ?? ''},${t.timeoutMs === 0 ? '' : t.timeoutMs}`
      + `,${t.reference === null ? '' : JSON.stringify(t.reference)}`;
  }
  return `${row}\n`;
}

/** The writer's accounts by the transfer log's numbers for them, each looked up by its id once. */
class LogRefs implements AccountRefs {
  private readonly byNumber: Array<AccountRef | undefined> = [];

  constructor(private readonly byId: ReadonlyMap<string, AccountRef>, private readonly log: TransferLog) {}

  ref(account: number): AccountRef {
    let r = this.byNumber[account];
    if (r === undefined) {
      r = this.byId.get(this.log.accountName(account));
      assert(r !== undefined, 'ledger snapshot: a transfer names an account the state does not hold');
      // Filled in order, so the array stays a dense list.
      while (this.byNumber.length <= account) this.byNumber.push(undefined);
      this.byNumber[account] = r;
    }
    return r;
  }
}

/** The snapshot text from scratch, or null when longer than `charsMax`. */
export function serializeLedgerWithin(state: LedgerState, charsMax: number, hasher?: IncrementalLedgerHash): SnapshotText | null {
  return new SnapshotWriter().write(state, charsMax, hasher);
}

/** The snapshot text as one string, for specs and small ledgers (it asserts when too large for one). */
export function serializeLedger(state: LedgerState, hasher?: IncrementalLedgerHash): string {
  const text = serializeLedgerWithin(state, SNAPSHOT_CHARS_MAX, hasher);
  assert(text !== null, 'ledger snapshot: state too large for one snapshot');
  return joinText(text);
}
