// The ledger state hash that nodes compare for convergence. Each record (account, transfer,
// idempotency record) is hashed over its canonical snapshot row; the rows' digests are summed
// lane-wise (eight 32-bit lanes, mod 2^32) per kind, an order-independent multiset digest; and the
// final hash is SHA-256 over the ledger time, the counts and the three sums. Equal states give equal
// hashes whatever their history, so a restored node hashes like one that replayed the log.
// The sums make the hash incremental: IncrementalLedgerHash re-hashes only the records marked in
// `state.changed` since it last looked, so asking for the hash of a large ledger stays cheap.
// The hash function is a parameter so the actor can pass node:crypto's while machines/ stays pure.
import { sha256Hex } from './sha256.ts';
import { accountRow, idempotencyRow, transferRow } from './snapshot.ts';
import type { Account, IdempotencyRecord, LedgerState, Transfer } from './types.ts';

export type HashFn = (text: string) => string;

type Lanes = Uint32Array;

function lanesOf(hex: string): Lanes {
  const out = new Uint32Array(8);
  for (let i = 0; i < 8; i++) out[i] = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return out;
}

function addInto(sum: Lanes, x: Lanes, sign: 1 | -1): void {
  for (let i = 0; i < 8; i++) sum[i] = (sum[i]! + sign * x[i]!) >>> 0;
}

function hexOf(sum: Lanes): string {
  let s = '';
  for (const lane of sum) s += lane.toString(16).padStart(8, '0');
  return s;
}

interface Sums {
  readonly accounts: Lanes;
  readonly transfers: Lanes;
  readonly idempotency: Lanes;
}

function finish(state: LedgerState, sums: Sums, hash: HashFn): string {
  return hash(`syncpay-ledger-hash-v1|${state.now}|${state.accounts.size}|${state.transferLog.length}|${state.idempotency.size}`
    + `|${hexOf(sums.accounts)}|${hexOf(sums.transfers)}|${hexOf(sums.idempotency)}`);
}

const accountDigest = (hash: HashFn, a: Account) => lanesOf(hash(`a${JSON.stringify(accountRow(a))}`));
const transferDigest = (hash: HashFn, t: Transfer) => lanesOf(hash(`t${t.seq}${JSON.stringify(transferRow(t))}`));
const idempotencyDigest = (hash: HashFn, r: IdempotencyRecord) => lanesOf(hash(`i${JSON.stringify(idempotencyRow(r))}`));

/** The hash from scratch (walks every record; leaves `state.changed` alone). */
export function ledgerStateHash(state: LedgerState, hash: HashFn = sha256Hex): string {
  const sums: Sums = { accounts: new Uint32Array(8), transfers: new Uint32Array(8), idempotency: new Uint32Array(8) };
  for (const a of state.accounts.values()) addInto(sums.accounts, accountDigest(hash, a), 1);
  for (const t of state.transferLog) addInto(sums.transfers, transferDigest(hash, t), 1);
  for (const r of state.idempotency.values()) addInto(sums.idempotency, idempotencyDigest(hash, r), 1);
  return finish(state, sums, hash);
}

/**
 * The same hash, maintained incrementally for one state object. It drains `state.changed`, so at
 * most one incremental hasher may follow a given state. Given another state object (a restore), it
 * starts over with a full walk.
 */
export class IncrementalLedgerHash {
  private state: LedgerState | null = null;
  private sums: Sums = { accounts: new Uint32Array(8), transfers: new Uint32Array(8), idempotency: new Uint32Array(8) };
  /** Each record's current contribution, so a change can subtract what it added before. */
  private accounts = new WeakMap<Account, Lanes>();
  private transfers = new WeakMap<Transfer, Lanes>();
  private idempotency = new WeakMap<IdempotencyRecord, Lanes>();

  constructor(private readonly hash: HashFn = sha256Hex) {}

  digest(state: LedgerState): string {
    if (state !== this.state) this.reset(state);
    const { changed } = state;
    for (const a of changed.accounts) this.refresh(this.accounts, this.sums.accounts, a, state.accounts.get(a.id) === a, accountDigest);
    for (const t of changed.transfers) this.refresh(this.transfers, this.sums.transfers, t, state.transfers.get(t.id) === t, transferDigest);
    for (const r of changed.idempotency) this.refresh(this.idempotency, this.sums.idempotency, r, state.idempotency.get(r.key) === r, idempotencyDigest);
    changed.accounts.clear();
    changed.transfers.clear();
    changed.idempotency.clear();
    return finish(state, this.sums, this.hash);
  }

  private reset(state: LedgerState): void {
    this.state = state;
    this.sums = { accounts: new Uint32Array(8), transfers: new Uint32Array(8), idempotency: new Uint32Array(8) };
    this.accounts = new WeakMap();
    this.transfers = new WeakMap();
    this.idempotency = new WeakMap();
    state.changed.accounts.clear();
    state.changed.transfers.clear();
    state.changed.idempotency.clear();
    for (const a of state.accounts.values()) this.refresh(this.accounts, this.sums.accounts, a, true, accountDigest);
    for (const t of state.transferLog) this.refresh(this.transfers, this.sums.transfers, t, true, transferDigest);
    for (const r of state.idempotency.values()) this.refresh(this.idempotency, this.sums.idempotency, r, true, idempotencyDigest);
  }

  private refresh<T extends object>(known: WeakMap<T, Lanes>, sum: Lanes, record: T, present: boolean, digestOf: (hash: HashFn, record: T) => Lanes): void {
    const before = known.get(record);
    if (before !== undefined) {
      addInto(sum, before, -1);
      known.delete(record);
    }
    if (!present) return;
    const now = digestOf(this.hash, record);
    addInto(sum, now, 1);
    known.set(record, now);
  }
}
