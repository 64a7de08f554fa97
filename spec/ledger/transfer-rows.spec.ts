// The hash lines and snapshot rows the transfer log writes straight from its columns
// (transfer-rows.ts) against the texts that define them, built from the Transfer objects the log
// hands out: transferHashText and stampHashText (hash.ts) encoded by TextEncoder, and
// transferRowText (snapshot.ts). Random transfers cover what the columns keep in other ways: wide
// and non-Latin-1 strings, lone surrogates, JSON escapes, null pending ids and references, amounts
// negative, around 2^53 and past 2^63, every flag pattern and status, odd numbers, and stamps
// shared, changed, or given a new number after a rollback with the same text. Whole snapshots
// are checked too: their rows, their exact size limit, and writing them in steps.
// TRANSFER_ROWS_SEED=<n> replays a run; the seed is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSha256 } from '../../actors/ledger.actor.ts';
import { IncrementalLedgerHash, ledgerStateHash, stampHashText, transferHashText } from '../../machines/ledger/hash.ts';
import { HashLineWriter } from '../../machines/ledger/hash-lines.ts';
import { SnapshotWriter, transferRowText } from '../../machines/ledger/snapshot.ts';
import { addAccount, addTransfer, createLedgerState } from '../../machines/ledger/state.ts';
import { transferFlags } from '../../machines/ledger/flags.ts';
import { TransferLog } from '../../machines/ledger/transfer-log.ts';
import { isWellFormed, type AccountRef, type AccountRefs } from '../../machines/ledger/transfer-rows.ts';
import type { LedgerState, PendingStatus, Transfer } from '../../machines/ledger/types.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';
import { joinText } from '../../machines/snapshot-text.ts';

const SEED = Number(process.env['TRANSFER_ROWS_SEED'] ?? Date.now() % 2_147_483_647) >>> 0;
console.log(`transfer-rows.spec seed ${SEED} (TRANSFER_ROWS_SEED=${SEED} to replay)`);

const STATUSES: ReadonlyArray<PendingStatus | null> = [null, 'pending', 'posted', 'voided', 'expired'];
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Text of every kind the columns treat differently; `wideShare` of it beyond Latin-1. */
function text(rng: Prng, unitsMax: number, wideShare = 0.1): string {
  let s = '';
  const n = rng.int(0, unitsMax);
  for (let i = 0; i < n; i++) {
    const roll = rng.next();
    if (roll < 0.6) s += String.fromCharCode(rng.int(0x20, 0x7e));
    else if (roll < 0.7) s += String.fromCharCode(rng.int(0, 0x1f));
    else if (roll < 0.75) s += rng.pick(['"', '\\', '\u007f', '\u2028']);
    else if (roll < 1 - wideShare) s += String.fromCharCode(rng.int(0x80, 0xff));
    else if (roll < 1 - wideShare / 2) s += rng.pick(['\u20ac', '\u0100', '\ud83d\udcb8', '\uffff', '\ufeff']);
    else s += String.fromCharCode(rng.int(0xd800, 0xdfff));
  }
  return s;
}

function id(rng: Prng): string {
  if (rng.chance(0.1)) return text(rng, 30, rng.chance(0.5) ? 0 : 0.3) || 'x';
  let s = '';
  for (let n = rng.int(1, 24); n > 0; n--) s += String.fromCharCode(rng.int(0x30, 0x7a));
  return s;
}

function amount(rng: Prng): bigint {
  switch (rng.int(0, 5)) {
    case 0: return BigInt(rng.int(0, 200_000));
    case 1: return -BigInt(rng.int(1, 2 ** 40));
    case 2: return 2n ** 53n + BigInt(rng.int(-3, 3));
    case 3: return -(2n ** 53n) + BigInt(rng.int(-3, 3));
    case 4: return BigInt(rng.int(0, 2 ** 31)) * BigInt(rng.int(0, 2 ** 31)) * (rng.chance(0.5) ? 1n : -1n);
    default: return [2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) + 1n, 2n ** 64n + 7n, -(10n ** 30n), 10n ** 40n, 2n ** 32n, -(2n ** 32n)][rng.int(0, 8)]!;
  }
}

function odd(rng: Prng): number {
  return rng.pick([0, 1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, rng.int(0, 2 ** 45), Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -5, -0, 1e21, Number.NaN]);
}

interface Model {
  readonly log: TransferLog;
  readonly transfers: Transfer[];
}

/** A log of random transfers, with rolled-back runs re-pushed in the same entry (a new stamp number, the same stamp text). */
function randomLog(rng: Prng, n: number, accountNames: readonly string[], currencies: readonly string[]): Model {
  const log = new TransferLog();
  const transfers: Transfer[] = [];
  let hlc = '000001764000000.000000';
  let timestamp = 1_764_000_000_000;
  while (transfers.length < n) {
    if (rng.chance(0.3)) {
      // A new entry stamp, now and then an odd one.
      hlc = rng.chance(0.1) ? text(rng, 12, 0.4) : `${String(rng.int(0, 2 ** 45)).padStart(15, '0')}.${rng.int(0, 999)}`;
      timestamp = rng.chance(0.1) ? odd(rng) : rng.int(0, 2 ** 45);
    }
    if (transfers.length > 0 && rng.chance(0.05)) {
      for (let k = rng.int(1, Math.min(3, transfers.length)); k > 0; k--) {
        log.pop();
        transfers.pop();
      }
    }
    const t: Transfer = {
      id: id(rng),
      debitAccountId: rng.pick(accountNames),
      creditAccountId: rng.pick(accountNames),
      amount: amount(rng),
      currency: rng.pick(currencies),
      flags: transferFlags(rng.int(0, 15)),
      pendingId: rng.chance(0.3) ? (rng.chance(0.1) ? '' : id(rng)) : null,
      timeoutMs: rng.chance(0.5) ? 0 : odd(rng),
      reference: rng.chance(0.4) ? text(rng, rng.chance(0.05) ? 400 : 40, rng.chance(0.5) ? 0 : 0.1) : null,
      timestamp,
      hlc,
      seq: transfers.length,
      status: rng.pick(STATUSES),
    };
    log.push(t);
    transfers.push(t);
  }
  return { log, transfers };
}

function names(rng: Prng): { accounts: string[]; currencies: string[] } {
  // No newline in an account id, so the spec can count the snapshot's account lines.
  const accounts = Array.from({ length: 30 }, (_, i) => (rng.chance(0.2) ? `${text(rng, 8, 0.5).replaceAll('\n', '')}#${i}` : `acct-${i}`));
  return { accounts, currencies: ['USD', 'EUR', 'JPY', 'd\u00e9j\u00e0', 'x\ud800', '\u20ac\u20ac', ''] };
}

function sameStamp(a: Transfer, b: Transfer): boolean {
  return a.hlc === b.hlc && a.timestamp === b.timestamp;
}

test('stampChanged and stampIs agree with comparing the transfers\' hlc and timestamp', () => {
  const rng = createPrng(SEED);
  const { accounts, currencies } = names(rng);
  const { log, transfers } = randomLog(rng, 3000, accounts, currencies);
  let changes = 0;
  let renumbered = 0;
  for (let seq = 0; seq < transfers.length; seq++) {
    const t = transfers[seq]!;
    const expected = seq === 0 || !sameStamp(transfers[seq - 1]!, t);
    assert.is(log.stampChanged(seq), expected, `stamp change at ${seq}`);
    if (expected) changes++;
    // A NaN ledger time equals nothing, as `!==` has it.
    assert.is(log.stampIs(seq, t.hlc, t.timestamp), sameStamp(t, t), `own stamp at ${seq}`);
    const other = transfers[rng.int(0, transfers.length - 1)]!;
    assert.is(log.stampIs(seq, other.hlc, other.timestamp), sameStamp(other, t), `another stamp at ${seq}`);
    assert.not.ok(log.stampIs(seq, `${t.hlc}0`, t.timestamp), `a longer hlc at ${seq}`);
    if (seq > 0 && !expected && log.at(seq)!.hlc === t.hlc) renumbered++;
  }
  assert.ok(changes > 100 && changes < transfers.length - 100, `both outcomes seen: ${changes} changes`);
  assert.ok(renumbered > 0);
  assert.throws(() => log.stampChanged(transfers.length), /no transfer/);
});

test('hash lines written from the columns are the UTF-8 of transferHashText and stampHashText', () => {
  const rng = createPrng(SEED ^ 0x5eed);
  const { accounts, currencies } = names(rng);
  const { log, transfers } = randomLog(rng, 4000, accounts, currencies);
  // A small buffer, so lines also land across growths.
  const w = new HashLineWriter(64);
  const seen = { wide: 0, big: 0, negative: 0 };
  for (let seq = 0; seq < transfers.length; seq++) {
    const t = log.at(seq)!;
    assert.equal(t, transfers[seq], `the object path reads back transfer ${seq}`);
    const withStamp = rng.chance(0.5);
    const before = w.length;
    log.writeHashLine(seq, w, withStamp);
    const expected = encoder.encode((withStamp ? stampHashText(t) : '') + transferHashText(t));
    assert.equal(w.bytes().slice(before), expected, `hash line of transfer ${seq} (${JSON.stringify(t.id)}, ${t.amount})`);
    if (!isWellFormed(t.id) || /[^\0-\xff]/.test(t.id + (t.pendingId ?? '') + (t.reference ?? ''))) seen.wide++;
    if (t.amount >= 2n ** 53n || t.amount <= -(2n ** 53n)) seen.big++;
    if (t.amount < 0n) seen.negative++;
    if (rng.chance(0.1)) w.reset();
  }
  assert.ok(seen.wide > 20 && seen.big > 100 && seen.negative > 100, JSON.stringify(seen));
});

/** Random refs for the accounts: base-36 numbers and a currency, often the transfers' own. */
function randomRefs(rng: Prng, log: TransferLog, accounts: readonly string[], currencies: readonly string[]): { refs: AccountRefs; byId: Map<string, AccountRef> } {
  const byId = new Map<string, AccountRef>();
  for (const a of accounts) byId.set(a, { number: rng.int(0, 2 ** 40).toString(36), currency: rng.pick(currencies) });
  return { byId, refs: { ref: (account) => byId.get(log.accountName(account))! } };
}

test('snapshot rows written from the columns are transferRowText, or left to the string path', () => {
  const rng = createPrng(SEED ^ 0x0dd5);
  const { accounts, currencies } = names(rng);
  const { log, transfers } = randomLog(rng, 4000, accounts, currencies);
  const { refs, byId } = randomRefs(rng, log, accounts, ['USD', 'USD', 'USD', 'EUR', 'x\ud800']);
  const w = new HashLineWriter(64);
  let direct = 0;
  let left = 0;
  for (let seq = 0; seq < transfers.length; seq++) {
    const t = transfers[seq]!;
    const withStamp = rng.chance(0.5);
    const before = w.length;
    const unitsBefore = w.units;
    const wrote = log.writeSnapshotRow(seq, w, refs, withStamp);
    const debit = byId.get(t.debitAccountId)!;
    const expected = transferRowText(t, debit, byId.get(t.creditAccountId)!, withStamp);
    // Direct unless a string is kept wide or the row must write a currency with a lone surrogate.
    const wide = /[^\0-\xff]/.test(t.id + (t.pendingId ?? '') + (t.reference ?? '')) || (withStamp && /[^\0-\xff]/.test(t.hlc));
    assert.is(wrote, !wide && (t.currency === debit.currency || isWellFormed(t.currency)), `direct or not, transfer ${seq}`);
    if (!wrote) {
      assert.is(w.length, before, 'nothing written when left to the string path');
      left++;
      continue;
    }
    direct++;
    assert.is(strictUtf8.decode(w.bytes().slice(before)), expected, `snapshot row of transfer ${seq} (${JSON.stringify(t.reference)})`);
    assert.is(w.units - unitsBefore, expected.length, `units of transfer ${seq}`);
    if (rng.chance(0.1)) w.reset();
  }
  assert.ok(direct > 2000 && left > 50, `direct ${direct}, left ${left}`);
});

/** A state holding `transfers` as they are (no rules), with their accounts opened in order of first use. */
function stateOf(model: Model, accountCurrency: (id: string) => string): LedgerState {
  const state = createLedgerState();
  state.now = 1_764_000_000_000;
  for (const t of model.transfers) {
    for (const a of [t.debitAccountId, t.creditAccountId]) {
      if (state.accounts.has(a)) continue;
      addAccount(state, {
        id: a, currency: accountCurrency(a), flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false, closed: false },
        debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n, timestamp: 0,
      });
    }
    addTransfer(state, t);
  }
  return state;
}

/** A hasher for one snapshot from scratch (node:crypto's SHA-256: the pure one would take most of the spec's time). */
function oneOff(): IncrementalLedgerHash {
  return new IncrementalLedgerHash(nodeSha256, false);
}

/** The transfer rows of a snapshot of `state`, from the Transfer objects. */
function expectedRows(state: LedgerState): string {
  const refs = new Map<string, AccountRef>();
  let i = 0;
  for (const a of state.accounts.values()) refs.set(a.id, { number: (i++).toString(36), currency: a.currency });
  let rows = '';
  let prev: Transfer | undefined;
  for (const t of state.transferLog) {
    rows += transferRowText(t, refs.get(t.debitAccountId)!, refs.get(t.creditAccountId)!, prev === undefined || !sameStamp(prev, t));
    prev = t;
  }
  return rows;
}

test('whole snapshots: rows as the objects give them, the size limit to the character, and the same text written in steps', () => {
  const rng = createPrng(SEED ^ 0xb16);
  for (let round = 0; round < 4; round++) {
    const { accounts, currencies } = names(rng);
    // Enough rows to fill several pieces of the rows' text.
    const model = randomLog(rng, round === 0 ? 12_000 : 1500, accounts, currencies);
    const state = stateOf(model, () => rng.pick(currencies));
    const full = new SnapshotWriter().write(state, 1e9, oneOff())!;
    const text = joinText(full);
    const lines = text.split('\n');
    const headerAndAccounts = lines.slice(0, 1 + state.accounts.size).join('\n').length + 1;
    const rows = expectedRows(state);
    const got = text.slice(headerAndAccounts, headerAndAccounts + rows.length);
    if (got !== rows) {
      let k = 0;
      while (got[k] === rows[k]) k++;
      assert.is(JSON.stringify(got.slice(Math.max(0, k - 80), k + 80)), JSON.stringify(rows.slice(Math.max(0, k - 80), k + 80)), `round ${round}: the transfer rows differ at ${k}`);
    }
    if (round === 0) assert.ok(full.length > 4, `several pieces: ${full.length}`);
    for (const piece of full) assert.ok(piece.endsWith('\n'), 'every piece ends a line');
    // The limit counts UTF-16 units exactly: the text fits in its own length and not in one less.
    assert.ok(new SnapshotWriter().write(state, text.length, oneOff()) !== null, `round ${round}: fits its length`);
    assert.is(new SnapshotWriter().write(state, text.length - 1, oneOff()), null, `round ${round}: not one less`);
    // Rows written a few at a time between snapshots, as the actor does, give the same text.
    const stepped = new SnapshotWriter();
    const partial = createLedgerState();
    const hasher = new IncrementalLedgerHash(nodeSha256);
    let seq = 0;
    for (const t of model.transfers) {
      for (const a of [t.debitAccountId, t.creditAccountId]) if (!partial.accounts.has(a)) addAccount(partial, { ...state.accounts.get(a)! });
      addTransfer(partial, t);
      seq++;
      if (rng.chance(0.01)) stepped.advance(partial, 1e9, rng.int(1, 200));
      if (rng.chance(0.0005)) assert.is(joinText(stepped.write(partial, 1e9, hasher)!), joinText(new SnapshotWriter().write(partial, 1e9, oneOff())!), `after ${seq}`);
    }
    partial.now = state.now;
    assert.is(joinText(stepped.write(partial, 1e9, hasher)!), text, `round ${round}: written in steps`);
    assert.is(hasher.digest(partial), ledgerStateHash(partial, nodeSha256), `round ${round}: the incremental hash`);
  }
});

test.run();
