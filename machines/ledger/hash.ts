// The ledger state hash that nodes compare for convergence. Equal states give equal hashes
// whatever their history (replay, snapshot restore, hashing often or rarely), so a restored node
// hashes like one that replayed the log. It is built from four parts:
// - transfers: one running SHA-256 over every transfer's immutable fields in apply order. Transfers
//   are append-only, so a new one costs a few dozen bytes of SHA-256 and no per-record digest or
//   memory; chunks can be fed in any split, so how often someone asks does not change the result.
//   The entry stamp (HLC and ledger time), shared by all transfers of an entry, is streamed as a
//   line of its own whenever it changes from the previous transfer's. The lines are defined as
//   text below and streamed as that text's UTF-8 bytes, written by the transfer log straight from
//   its columns (transfer-rows.ts), with no Transfer object in between.
// - pending statuses (the only mutable part of a transfer): a multiset sum of SHA-256(seq, status)
//   over the transfers that have one (eight 32-bit lanes, mod 2^32): order-independent, and a
//   change subtracts the old status and adds the new one.
// - accounts and idempotency records (mutable or expiring): the same kind of multiset sum over
//   each record's canonical text.
// - the final hash: SHA-256 over the ledger time, the counts, the three sums and the stream digest.
// IncrementalLedgerHash does only the work of what changed since it last looked (`state.changed`
// plus the transfers appended since), so asking for the hash of a large ledger stays cheap.
// SHA-256 comes from a provider so the actor can pass node:crypto's while machines/ stays pure.
import { accountBits, transferBits } from './flags.ts';
import { HashLineWriter } from './hash-lines.ts';
import type { RunningSha256, Sha256Provider } from './hash-provider.ts';
import { pureSha256, toHex } from './sha256.ts';
import type { Account, IdempotencyRecord, LedgerState, PendingStatus, Transfer } from './types.ts';

export type { Sha256Provider } from './hash-provider.ts';

const HASH_VERSION = 'syncpay-ledger-hash-v2';
/** Bytes handed to the running hash at a time: fewer native calls, one small reused buffer. */
const STREAM_CHUNK_BYTES = 1 << 16;
/**
 * The transfer stream's lines as bytes (transfer-rows.ts), equal to the UTF-8 of stampHashText and
 * transferHashText below, which stay as the definition. Folding is synchronous, so one buffer
 * serves every hasher.
 */
const streamLines = new HashLineWriter(STREAM_CHUNK_BYTES + 4096);

type Lanes = Uint32Array;

function addDigest(sum: Lanes, digest: Uint8Array, sign: 1 | -1): void {
  for (let i = 0; i < 8; i++) {
    const o = i * 4;
    const lane = ((digest[o]! << 24) | (digest[o + 1]! << 16) | (digest[o + 2]! << 8) | digest[o + 3]!) >>> 0;
    sum[i] = (sum[i]! + sign * lane) >>> 0;
  }
}

function hexOf(sum: Lanes): string {
  let s = '';
  for (const lane of sum) s += lane.toString(16).padStart(8, '0');
  return s;
}

// Canonical texts. Ids and currency codes are validated (letters, digits and `._:@-`; three
// letters), so `|` separates them unambiguously; free text (references, keys) is length-prefixed.

function lengthPrefixed(text: string | null): string {
  return text === null ? '-' : `${text.length}:${text}`;
}

function accountHashText(a: Account): string {
  return `a|${a.id}|${a.currency}|${accountBits(a.flags)}|${a.debitsPosted}|${a.creditsPosted}|${a.debitsPending}|${a.creditsPending}|${a.timestamp}`;
}

/**
 * Everything about a transfer except its status (the one field that can change later) and its
 * entry stamp (see stampHashText).
 */
export function transferHashText(t: Transfer): string {
  return `${t.id}|${t.debitAccountId}|${t.creditAccountId}|${t.amount}|${t.currency}|${transferBits(t.flags)}|${t.pendingId ?? ''}`
    + `|${t.timeoutMs}|${lengthPrefixed(t.reference)}\n`;
}

/** Starts with `|`, which no id can, so a stamp line never reads as a transfer line. */
export function stampHashText(t: Transfer): string {
  return `|${t.hlc}|${t.timestamp}\n`;
}

function statusHashText(seq: number, status: PendingStatus): string {
  return `s|${seq}|${status}`;
}

function idempotencyHashText(r: IdempotencyRecord): string {
  const results = JSON.stringify(r.response.results.map((x) => [x.id, x.code]));
  return `i|${lengthPrefixed(r.key)}|${lengthPrefixed(r.requestHash)}|${r.createdAt}|${r.response.index}|${r.response.hlc}`
    + `|${lengthPrefixed(r.response.via)}|${results}`;
}

/** The hash from scratch (walks every record; leaves `state.changed` alone). */
export function ledgerStateHash(state: LedgerState, sha: Sha256Provider = pureSha256): string {
  return new IncrementalLedgerHash(sha, false).digest(state);
}

/**
 * The same hash, maintained incrementally for one state object. It drains `state.changed`, so at
 * most one incremental hasher may follow a given state. Given another state object (a restore),
 * or a state whose transfers it no longer recognises, it starts over with a full walk.
 */
export class IncrementalLedgerHash {
  private state: LedgerState | null = null;
  private accountSum: Lanes = new Uint32Array(8);
  private statusSum: Lanes = new Uint32Array(8);
  private idempotencySum: Lanes = new Uint32Array(8);
  /** Each mutable record's current contribution, so a change can subtract what it added before. */
  private accounts = new Map<Account, Lanes>();
  private idempotency = new Map<IdempotencyRecord, Lanes>();
  /** Seqs of folded transfers whose status is still `pending` (the only status that can still change). */
  private openPendings = new Set<number>();
  private stream: RunningSha256;
  /** Transfers [0, folded) are in the stream. */
  private folded = 0;

  /** `drain = false` leaves `state.changed` alone (a one-off full hash). */
  constructor(private readonly sha: Sha256Provider = pureSha256, private readonly drain = true) {
    this.stream = sha.running();
  }

  digest(state: LedgerState): string {
    if (state !== this.state || !this.follows(state)) this.reset(state);
    else this.catchUp(state);
    const text = `${HASH_VERSION}|${state.now}|${state.accounts.size}|${state.transferLog.length}|${state.idempotency.size}`
      + `|${hexOf(this.accountSum)}|${hexOf(this.statusSum)}|${hexOf(this.idempotencySum)}|${this.stream.peekHex()}`;
    return toHex(this.sha.digest(text));
  }

  /** How many changed or new records the next digest would fold in (for deciding when to fold). */
  backlog(state: LedgerState): number {
    const newTransfers = state === this.state ? state.transferLog.length - this.folded : state.transferLog.length;
    return newTransfers + state.changed.accounts.size + state.changed.statuses.size + state.changed.idempotency.size;
  }

  /** True if the transfers already folded are still the state's first ones. */
  private follows(state: LedgerState): boolean {
    if (this.folded > state.transferLog.length) return false;
    return this.lastFolded === undefined || state.transferLog.idEquals(this.folded - 1, this.lastFolded.id);
  }

  /** The last transfer folded (a copy, made once per fold), for its stamp and to recognise the log it came from. */
  private lastFolded: Transfer | undefined = undefined;

  private reset(state: LedgerState): void {
    this.state = state;
    this.accountSum = new Uint32Array(8);
    this.statusSum = new Uint32Array(8);
    this.idempotencySum = new Uint32Array(8);
    this.accounts = new Map();
    this.idempotency = new Map();
    this.openPendings = new Set();
    this.stream = this.sha.running();
    this.folded = 0;
    this.lastFolded = undefined;
    for (const a of state.accounts.values()) this.refresh(this.accounts, this.accountSum, a, true, accountHashText);
    for (const r of state.idempotency.values()) this.refresh(this.idempotency, this.idempotencySum, r, true, idempotencyHashText);
    this.foldTransfers(state);
    if (this.drain) clearChanged(state);
  }

  private catchUp(state: LedgerState): void {
    const { changed } = state;
    for (const a of changed.accounts) this.refresh(this.accounts, this.accountSum, a, state.accounts.get(a.id) === a, accountHashText);
    for (const r of changed.idempotency) {
      this.refresh(this.idempotency, this.idempotencySum, r, state.idempotency.get(r.key) === r, idempotencyHashText);
    }
    for (const seq of changed.statuses) {
      // Transfers not folded yet are folded below with whatever status they have by then.
      if (!this.openPendings.has(seq)) continue;
      const status = state.transferLog.statusAt(seq);
      if (status === 'pending') continue;
      this.openPendings.delete(seq);
      addDigest(this.statusSum, this.sha.digest(statusHashText(seq, 'pending')), -1);
      if (status !== null) addDigest(this.statusSum, this.sha.digest(statusHashText(seq, status)), 1);
    }
    this.foldTransfers(state);
    if (this.drain) clearChanged(state);
  }

  private foldTransfers(state: LedgerState): void {
    const log = state.transferLog;
    const lines = streamLines;
    lines.reset();
    const last = this.lastFolded;
    for (let i = this.folded; i < log.length; i++) {
      log.writeHashLine(i, lines, log.opensStamp(i, i === this.folded, last));
      const status = log.statusAt(i);
      if (status !== null) {
        addDigest(this.statusSum, this.sha.digest(statusHashText(i, status)), 1);
        if (status === 'pending') this.openPendings.add(i);
      }
      if (lines.length >= STREAM_CHUNK_BYTES) {
        this.stream.updateBytes(lines.bytes());
        lines.reset();
      }
    }
    if (lines.length > 0) this.stream.updateBytes(lines.bytes());
    lines.reset();
    if (this.folded < log.length) this.lastFolded = log.at(log.length - 1);
    this.folded = log.length;
  }

  private refresh<T extends object>(known: Map<T, Lanes>, sum: Lanes, record: T, present: boolean, textOf: (record: T) => string): void {
    const before = known.get(record);
    if (before !== undefined) {
      subtract(sum, before);
      known.delete(record);
    }
    if (!present) return;
    const digest = this.sha.digest(textOf(record));
    addDigest(sum, digest, 1);
    const lanes = new Uint32Array(8);
    addDigest(lanes, digest, 1);
    known.set(record, lanes);
  }
}

function subtract(sum: Lanes, x: Lanes): void {
  for (let i = 0; i < 8; i++) sum[i] = (sum[i]! - x[i]!) >>> 0;
}

function clearChanged(state: LedgerState): void {
  state.changed.accounts.clear();
  state.changed.statuses.clear();
  state.changed.idempotency.clear();
}
