// The whole ledger state as one deterministic string (accounts in creation order, transfers in
// apply order, idempotency records in creation order; bigints as decimal strings; flags as bit
// sets), and back. Two replicas with the same state produce byte-identical text; the rows are also
// what the state hash (hash.ts) digests, so a node restored from a snapshot hashes like one that
// replayed the log. Derived indexes (per-account lists, the expiry heap) are rebuilt, not stored.
import { assert } from '../assert.ts';
import { accountBits, accountFlags, transferBits, transferFlags } from './flags.ts';
import { isResultCode } from './codes.ts';
import { addAccount, addTransfer, createLedgerState, trackExpiry } from './state.ts';
import type { Account, IdempotencyRecord, ItemResult, LedgerState, PendingStatus, Transfer } from './types.ts';

const FORMAT_VERSION = 1;

type AccountRow = [string, string, number, string, string, string, string, number];
type TransferRow = [string, string, string, string, string, number, string | null, number, string | null, number, string, PendingStatus | null];
type IdempotencyRow = [string, string, number, number, string, string | null, Array<[string, string]>];

export function accountRow(a: Account): AccountRow {
  return [a.id, a.currency, accountBits(a.flags), a.debitsPosted.toString(), a.creditsPosted.toString(),
    a.debitsPending.toString(), a.creditsPending.toString(), a.timestamp];
}

export function transferRow(t: Transfer): TransferRow {
  return [t.id, t.debitAccountId, t.creditAccountId, t.amount.toString(), t.currency, transferBits(t.flags), t.pendingId,
    t.timeoutMs, t.reference, t.timestamp, t.hlc, t.status];
}

export function idempotencyRow(r: IdempotencyRecord): IdempotencyRow {
  return [r.key, r.requestHash, r.createdAt, r.response.index, r.response.hlc, r.response.via,
    r.response.results.map((x) => [x.id, x.code])];
}

export function serializeLedger(state: LedgerState): string {
  const accounts: AccountRow[] = [];
  for (const a of state.accounts.values()) accounts.push(accountRow(a));
  const transfers = state.transferLog.map(transferRow);
  const idempotency: IdempotencyRow[] = [];
  for (const r of state.idempotency.values()) idempotency.push(idempotencyRow(r));
  return JSON.stringify({ v: FORMAT_VERSION, now: state.now, accounts, transfers, idempotency });
}

/** Rebuilds a state from serializeLedger's text. Malformed text is a bug (or corruption): it asserts. */
export function deserializeLedger(text: string): LedgerState {
  const doc = JSON.parse(text) as Record<string, unknown>;
  assert(doc !== null && typeof doc === 'object' && doc.v === FORMAT_VERSION, 'ledger snapshot: unknown format');
  assert(isCount(doc.now), 'ledger snapshot: bad now');
  assert(Array.isArray(doc.accounts) && Array.isArray(doc.transfers) && Array.isArray(doc.idempotency), 'ledger snapshot: bad sections');
  const state = createLedgerState();
  state.now = doc.now;
  for (const row of doc.accounts as unknown[]) {
    assert(Array.isArray(row) && row.length === 8, 'ledger snapshot: bad account row');
    const [id, currency, bits, dp, cp, dpe, cpe, timestamp] = row as unknown[];
    assert(typeof id === 'string' && typeof currency === 'string' && isCount(bits) && isCount(timestamp), 'ledger snapshot: bad account');
    addAccount(state, {
      id, currency, flags: accountFlags(bits),
      debitsPosted: big(dp), creditsPosted: big(cp), debitsPending: big(dpe), creditsPending: big(cpe), timestamp,
    });
  }
  for (const row of doc.transfers as unknown[]) {
    assert(Array.isArray(row) && row.length === 12, 'ledger snapshot: bad transfer row');
    const [id, debit, credit, amount, currency, bits, pendingId, timeoutMs, reference, timestamp, hlc, status] = row as unknown[];
    assert(typeof id === 'string' && typeof debit === 'string' && typeof credit === 'string' && typeof currency === 'string'
      && typeof hlc === 'string' && isCount(bits) && isCount(timeoutMs) && isCount(timestamp)
      && (pendingId === null || typeof pendingId === 'string') && (reference === null || typeof reference === 'string')
      && (status === null || status === 'pending' || status === 'posted' || status === 'voided' || status === 'expired'),
    'ledger snapshot: bad transfer');
    assert(state.accounts.has(debit) && state.accounts.has(credit), 'ledger snapshot: transfer names an unknown account');
    const t: Transfer = {
      id, debitAccountId: debit, creditAccountId: credit, amount: big(amount), currency, flags: transferFlags(bits),
      pendingId, timeoutMs, reference, timestamp, hlc, seq: state.transferLog.length, status,
    };
    addTransfer(state, t);
    trackExpiry(state, t);
  }
  for (const row of doc.idempotency as unknown[]) {
    assert(Array.isArray(row) && row.length === 7, 'ledger snapshot: bad idempotency row');
    const [key, requestHash, createdAt, index, hlc, via, results] = row as unknown[];
    assert(typeof key === 'string' && typeof requestHash === 'string' && isCount(createdAt) && isCount(index)
      && typeof hlc === 'string' && (via === null || typeof via === 'string') && Array.isArray(results), 'ledger snapshot: bad idempotency record');
    const items: ItemResult[] = (results as unknown[]).map((r) => {
      assert(Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && isResultCode(r[1]), 'ledger snapshot: bad result');
      return { id: r[0] as string, code: r[1] };
    });
    state.idempotency.set(key, { key, requestHash, createdAt, response: { index, hlc, via, results: items } });
  }
  return state;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function big(v: unknown): bigint {
  assert(typeof v === 'string' && /^-?\d{1,80}$/.test(v), 'ledger snapshot: bad amount');
  return BigInt(v);
}
