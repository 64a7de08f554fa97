// The ledger state hash and the SHA-256 under it: the pure SHA-256 equals node:crypto's, one-shot
// and running, however the text is split; the state hash sees every field of every record (a
// one-field difference between two replicas changes it); and the incremental hasher follows
// status changes, rollbacks and appends across any digest schedule, equal to a full hash.
// Randomised splits are seeded: set HASH_SEED to replay; the seed is printed.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSha256 } from '../../actors/ledger.actor.ts';
import { IncrementalLedgerHash, ledgerStateHash } from '../../machines/ledger/hash.ts';
import { Sha256, pureSha256, sha256Hex, toHex } from '../../machines/ledger/sha256.ts';
import type { Account, LedgerState, Transfer } from '../../machines/ledger/types.ts';
import { NO_OVERDRAFT, TestLog, accounts, doctorTransfer, tr, transfers } from './helpers.ts';
import { createPrng } from '../../machines/prng.ts';

const SEED = Number(process.env.HASH_SEED ?? (Date.now() % 2_147_483_647));
console.log(`hash spec seed: ${SEED} (HASH_SEED=${SEED} to replay)`);

function prng(seed: number): () => number {
  const source = createPrng(seed);
  return () => source.next();
}

const TEXTS = ['', 'abc', 'a'.repeat(55), 'b'.repeat(56), 'c'.repeat(63), 'd'.repeat(64), 'e'.repeat(65), 'é€𝄞 ✓', 'lone \ud800 surrogate',
  'x'.repeat(1000) + '€'.repeat(100)];

test('the pure SHA-256 equals node:crypto, one-shot', () => {
  assert.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (const text of TEXTS) {
    const expected = createHash('sha256').update(text, 'utf8').digest('hex');
    assert.is(sha256Hex(text), expected, JSON.stringify(text.slice(0, 20)));
    assert.is(toHex(pureSha256.digest(text)), expected);
    assert.is(toHex(nodeSha256.digest(text)), expected);
  }
});

test(`a running SHA-256 gives the one-shot digest of the concatenation, however the text is split and peeked (seed ${SEED})`, () => {
  const rnd = prng(SEED);
  const whole = TEXTS.join('|');
  for (let round = 0; round < 20; round++) {
    const pure = pureSha256.running();
    const native = nodeSha256.running();
    let at = 0;
    while (at < whole.length) {
      let next = Math.min(whole.length, at + 1 + Math.floor(rnd() * 130));
      // Text is hashed as UTF-8, so a split may not fall inside a surrogate pair (the ledger
      // streams whole records, never parts of one).
      const code = whole.charCodeAt(next - 1);
      if (code >= 0xd800 && code <= 0xdbff && next < whole.length) next++;
      const part = whole.slice(at, next);
      pure.update(part);
      native.update(part);
      at = next;
      // Peeking must not end the hash: both stay open and agree on the prefix.
      if (rnd() < 0.3) assert.is(pure.peekHex(), native.peekHex(), `prefix of ${at} characters`);
    }
    assert.is(pure.peekHex(), createHash('sha256').update(whole, 'utf8').digest('hex'));
    assert.is(native.peekHex(), pure.peekHex());
  }
  const h = new Sha256();
  h.update('ab');
  h.peekHex();
  h.update('c');
  assert.is(h.peekHex(), sha256Hex('abc'), 'reading the digest leaves the hash open');
});

function busy(): TestLog {
  const log = new TestLog();
  log.apply(accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'yen', currency: 'JPY' }]));
  log.apply(transfers([tr({ id: 'f', from: 'bank', to: 'alice', amount: 10_000n })]));
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 500, amount: 300n, reference: 'hold, "quoted"\nline ✓' })], { key: 'k', requestHash: 'h' }));
  log.apply(transfers([tr({ id: 'p2', pending: true, timeoutMs: 5000, amount: 200n }), tr({ id: 'g', amount: 7n })]));
  log.apply(transfers([tr({ id: 'c2', post: true, pendingId: 'p2', amount: 150n })]));
  return log;
}

/** Each changes one field of one record behind the ledger's back, as a diverged replica would hold it. */
const MUTATIONS: Array<[string, (s: LedgerState) => void]> = [
  ['ledger time', (s) => { s.now += 1; }],
  ['an account balance', (s) => { (s.accounts.get('alice') as Account).creditsPosted += 1n; }],
  ['an account pending balance', (s) => { (s.accounts.get('bob') as Account).debitsPending += 1n; }],
  ['a transfer amount', (s) => { doctorTransfer(s.transferLog, 0, { amount: 10_001n }); }],
  ['a transfer id', (s) => { doctorTransfer(s.transferLog, 3, { id: 'g2' }); }],
  ['a transfer account', (s) => { doctorTransfer(s.transferLog, 3, { creditAccountId: 'alice' }); }],
  ['a transfer stamp', (s) => { doctorTransfer(s.transferLog, 3, { hlc: s.transferLog.at(1)!.hlc }); }],
  ['a transfer timestamp', (s) => { doctorTransfer(s.transferLog, 3, { timestamp: s.transferLog.at(3)!.timestamp + 1 }); }],
  ['a pending status', (s) => { s.transferLog.setStatus(1, 'voided'); }],
  ['a reference', (s) => { doctorTransfer(s.transferLog, 1, { reference: 'hold' }); }],
  ['a timeout', (s) => { doctorTransfer(s.transferLog, 1, { timeoutMs: 501 }); }],
  ['an idempotency record', (s) => { s.idempotency.set('k', { ...s.idempotency.get('k')!, requestHash: 'other' }); }],
  ['a missing idempotency record', (s) => { s.idempotency.delete('k'); }],
];

for (const [what, mutate] of MUTATIONS) {
  test(`two states that differ only in ${what} hash differently`, () => {
    const a = busy();
    const b = busy();
    assert.is(ledgerStateHash(a.state), ledgerStateHash(b.state));
    mutate(b.state);
    assert.is.not(ledgerStateHash(b.state), ledgerStateHash(a.state));
    assert.is.not(ledgerStateHash(b.state, nodeSha256), ledgerStateHash(a.state, nodeSha256));
  });
}

test('the incremental hash equals the full one whatever the digest schedule: every entry, every third, once', () => {
  const steps = [
    transfers([tr({ id: 'q1', pending: true, timeoutMs: 40 }), tr({ id: 'q2', pending: true }), tr({ id: 'q3', pending: true, timeoutMs: 10 })]),
    transfers([tr({ id: 'r1', post: true, pendingId: 'q1', amount: 60n })]),
    // A chain that posts q2 and then fails: q2's status goes to posted and back to pending.
    transfers([tr({ id: 'r2', post: true, pendingId: 'q2', linked: true }), tr({ id: 'r3', amount: 0n })]),
    transfers([tr({ id: 'r4', void: true, pendingId: 'q2' })]),
    null,
    transfers([tr({ id: 'q4', pending: true }), tr({ id: 'r5', post: true, pendingId: 'q4' })]),
  ];
  const results: string[] = [];
  for (const every of [1, 3, 1000]) {
    const log = busy();
    const inc = new IncrementalLedgerHash(nodeSha256);
    inc.digest(log.state);
    steps.forEach((command, i) => {
      log.apply(command, 20);
      if ((i + 1) % every === 0) assert.is(inc.digest(log.state), ledgerStateHash(log.state), `every ${every}, after step ${i + 1}`);
    });
    assert.is(log.state.transfers.get('q3')!.status, 'expired');
    assert.is(log.state.transfers.get('q2')!.status, 'voided');
    const final = inc.digest(log.state);
    assert.is(final, ledgerStateHash(log.state, nodeSha256));
    assert.is(inc.backlog(log.state), 0, 'nothing left to fold after a digest');
    results.push(final);
  }
  assert.is(new Set(results).size, 1, 'the schedule does not change the hash');
});

test('backlog counts the transfers and changed records the next digest will fold in', () => {
  const log = busy();
  const inc = new IncrementalLedgerHash(nodeSha256);
  inc.digest(log.state);
  log.apply(transfers([tr({ id: 'n1' }), tr({ id: 'n2' })]));
  // Two new transfers and their two touched accounts.
  assert.is(inc.backlog(log.state), 4);
});

test('a hasher given a state whose folded transfers were replaced starts over instead of going wrong', () => {
  const log = busy();
  const inc = new IncrementalLedgerHash(nodeSha256);
  inc.digest(log.state);
  const last = log.state.transferLog.at(log.state.transferLog.length - 1)!;
  log.state.transfers.delete(last.id);
  log.state.transferLog.pop();
  assert.is(inc.digest(log.state), ledgerStateHash(log.state));
});

test('a hasher whose last folded transfer was replaced by another at the same position starts over', () => {
  const log = busy();
  const inc = new IncrementalLedgerHash(nodeSha256);
  inc.digest(log.state);
  const n = log.state.transferLog.length;
  doctorTransfer(log.state.transferLog, n - 1, { id: 'replaced' });
  assert.is(log.state.transferLog.length, n, 'nothing for a length check to see');
  assert.is(inc.digest(log.state), ledgerStateHash(log.state));
});

test.run();
