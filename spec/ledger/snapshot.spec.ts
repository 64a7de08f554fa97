// Snapshots, state hashes and the entry codec: restore gives the same hash as replay; the pure
// SHA-256 agrees with node:crypto; malformed entries and snapshots fail assertions.
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { IncrementalLedgerHash, ledgerStateHash } from '../../machines/ledger/hash.ts';
import { sha256Hex } from '../../machines/ledger/sha256.ts';
import { deserializeLedger, serializeLedger } from '../../machines/ledger/snapshot.ts';
import type { LedgerCommand } from '../../machines/ledger/types.ts';
import { NO_OVERDRAFT, TestLog, accounts, stamp, tr, transfers } from './helpers.ts';

const native = (s: string) => createHash('sha256').update(s).digest('hex');

function busyLog(): TestLog {
  const log = new TestLog();
  log.apply(accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'yen', currency: 'JPY' }]));
  log.apply(transfers([tr({ id: 'f', from: 'bank', to: 'alice', amount: 10_000n })]));
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 50, amount: 300n, reference: 'hold ✓' })], { key: 'k', requestHash: 'h' }));
  log.apply(transfers([tr({ id: 'p2', pending: true, timeoutMs: 5000, amount: 200n })]));
  log.apply(transfers([tr({ id: 'c2', post: true, pendingId: 'p2', amount: 150n })]));
  log.apply(transfers([tr({ id: 'p3', pending: true, timeoutMs: 10, amount: 1n })]));
  return log;
}

test('a restored state has the same hash and the same serialisation', () => {
  const log = busyLog();
  const text = serializeLedger(log.state);
  const restored = deserializeLedger(text);
  assert.is(serializeLedger(restored), text);
  assert.is(ledgerStateHash(restored), ledgerStateHash(log.state));
});

test('a restored state keeps behaving like the original (expiry heap rebuilt)', () => {
  const log = busyLog();
  const restored = deserializeLedger(serializeLedger(log.state));
  const next: LedgerCommand[] = [transfers([tr({ id: 'late', post: true, pendingId: 'p1' })]), transfers([tr({ id: 'x', amount: 9_000n })])];
  let index = log.index;
  for (const command of next) {
    index++;
    const entry = { index, hlc: stamp(log.ms + 100), command };
    const a = applyEntry(log.state, log.rules, entry);
    const b = applyEntry(restored, log.rules, entry);
    assert.equal(b, a);
  }
  assert.is(restored.transfers.get('p1')!.status, 'expired');
  assert.is(ledgerStateHash(restored), ledgerStateHash(log.state));
});

test('the pure SHA-256 matches node:crypto on the state text', () => {
  const log = busyLog();
  assert.is(ledgerStateHash(log.state), ledgerStateHash(log.state, native));
  assert.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('different states hash differently', () => {
  const a = busyLog();
  const b = busyLog();
  b.apply(transfers([tr({ id: 'one-more', amount: 1n })]));
  assert.is.not(ledgerStateHash(a.state), ledgerStateHash(b.state));
});

test('snapshot text has bigints as decimal strings', () => {
  const log = busyLog();
  assert.ok(serializeLedger(log.state).includes('"10000"'));
});

test('malformed snapshots fail an assertion', () => {
  for (const bad of ['{"v":2}', '{"v":1,"now":0,"accounts":[["a"]],"transfers":[],"idempotency":[]}',
    '{"v":1,"now":0,"accounts":[],"transfers":[["t","a","b","1","USD",0,null,0,null,0,"x",null]],"idempotency":[]}']) {
    assert.throws(() => deserializeLedger(bad), /SYNCPAY_ERR_ASSERTION/);
  }
});

test('the incremental hash follows rollbacks, expiry and idempotency pruning, and equals the full one', () => {
  const log = busyLog();
  const inc = new IncrementalLedgerHash(native);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native));
  log.apply(transfers([tr({ id: 'l1', linked: true, from: 'n1', to: 'n2' }), tr({ id: 'l2', amount: 0n })]));
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after a rolled-back chain');
  log.apply(null, 100);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after expiry');
  log.apply(null, 25 * 3600 * 1000);
  assert.is(log.state.idempotency.size, 0);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after pruning');
  const restored = deserializeLedger(serializeLedger(log.state));
  assert.is(inc.digest(restored), inc.digest(log.state), 'a new state object starts over');
});

test('the hash depends on transfer order, not only on the set of transfers', () => {
  const a = new TestLog();
  const b = new TestLog();
  a.apply(transfers([tr({ id: 'x' }), tr({ id: 'y' })]));
  b.apply(transfers([tr({ id: 'y' }), tr({ id: 'x' })]));
  assert.is.not(ledgerStateHash(a.state), ledgerStateHash(b.state));
});

const commands: LedgerCommand[] = [
  accounts([{ id: 'a', currency: 'EUR', flags: NO_OVERDRAFT }]),
  transfers([tr({ id: 't', linked: true, reference: 'r' }), tr({ id: 'p', pending: true, timeoutMs: 5 })], { key: 'k', requestHash: 'h' }),
  { type: 'transfer.post', id: 'c', pendingId: 'p', amount: 5n, reference: null, idempotency: null, via: 'node2' },
  { type: 'transfer.post', id: 'c', pendingId: 'p', amount: null, reference: null, idempotency: null, via: null },
  { type: 'transfer.void', id: 'v', pendingId: 'p', reference: 'x', idempotency: { key: 'k2', requestHash: 'h2' }, via: null },
];
for (const command of commands) {
  test(`codec round trip: ${command.type}`, () => {
    assert.equal(decodeCommand(encodeCommand(command)), command);
  });
}

test('malformed entry data fails an assertion', () => {
  for (const bad of ['not json', '[]', '{"type":"nope","idem":null,"via":null}',
    '{"type":"transfer.create","transfers":[["t","a","b",12,"USD",0,null,0,null]],"idem":null,"via":null}',
    '{"type":"transfer.create","transfers":[["t","a","b","12","USD",64,null,0,null]],"idem":null,"via":null}',
    '{"type":"account.create","accounts":[],"idem":["k"],"via":null}']) {
    assert.throws(() => decodeCommand(bad), /SYNCPAY_ERR_ASSERTION/, bad);
  }
});

test.run();
