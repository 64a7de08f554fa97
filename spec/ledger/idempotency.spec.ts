// Idempotency in the ledger: a transfer id is permanent; an Idempotency-Key record replays the
// first answer for the same request, refuses a different request, expires after the retention in
// ledger (HLC) time, and travels in snapshots.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deserializeLedger, serializeLedger } from '../../machines/ledger/snapshot.ts';
import { TestLog, testRules, tr, transfers } from './helpers.ts';
import { textOf } from '../../machines/snapshot-text.ts';

test('the same transfer id twice moves money once and answers exists', () => {
  const log = new TestLog();
  assert.equal(log.codes(transfers([tr({ id: 'pay-1', amount: 15075n })])), ['ok']);
  assert.equal(log.codes(transfers([tr({ id: 'pay-1', amount: 15075n })])), ['exists']);
  assert.equal(log.balance('alice'), { dp: 15075n, cp: 0n, dpe: 0n, cpe: 0n });
  assert.is(log.state.transferLog.length, 1);
});

test('a transfer id is permanent: reusing it with other fields is refused, long after', () => {
  const log = new TestLog(testRules({ idempotencyRetentionMs: 1000 }));
  log.apply(transfers([tr({ id: 'pay-1' })]));
  log.apply(null, 10_000_000);
  assert.equal(log.codes(transfers([tr({ id: 'pay-1', to: 'carol' })])), ['exists_with_different_fields']);
});

test('the same Idempotency-Key with the same request replays the first stored response', () => {
  const log = new TestLog();
  const key = { key: 'k1', requestHash: 'h1' };
  const first = log.apply(transfers([tr({ id: 'gen-1', amount: 500n })], key));
  // A retry through another node generates another id: the key, not the id, makes it the same request.
  const second = log.apply(transfers([tr({ id: 'gen-2', amount: 500n })], key));
  assert.is(first.status, 'applied');
  assert.is(second.status, 'replayed');
  if (first.status === 'applied' && second.status === 'replayed') assert.equal(second.response, first.response);
  assert.equal(log.balance('bob'), { dp: 0n, cp: 500n, dpe: 0n, cpe: 0n });
  assert.is(log.state.transfers.has('gen-2'), false);
});

test('the same Idempotency-Key with a different request is refused and changes nothing', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 't1' })], { key: 'k1', requestHash: 'h1' }));
  const before = log.state.transferLog.length;
  const outcome = log.apply(transfers([tr({ id: 't2' })], { key: 'k1', requestHash: 'other' }));
  assert.equal(outcome, { status: 'idempotency_mismatch', key: 'k1' });
  assert.is(log.state.transferLog.length, before);
});

test('a failed request is remembered too: its retry replays the failure, not a second attempt', () => {
  const log = new TestLog(testRules({ autoOpenAccounts: false }));
  const key = { key: 'k1', requestHash: 'h1' };
  const first = log.apply(transfers([tr({ id: 't1' })], key));
  assert.is(first.status === 'applied' && first.response.results[0]!.code, 'account_not_found');
  const again = log.apply(transfers([tr({ id: 't1' })], key));
  assert.is(again.status, 'replayed');
});

test('keys expire after the retention in ledger time, then the key is free again', () => {
  const log = new TestLog(testRules({ idempotencyRetentionMs: 1000 }));
  log.apply(transfers([tr({ id: 't1' })], { key: 'k1', requestHash: 'h1' }));
  log.apply(null, 999);
  assert.is(log.state.idempotency.has('k1'), true);
  log.apply(null, 1);
  assert.is(log.state.idempotency.has('k1'), false);
  const reused = log.apply(transfers([tr({ id: 't2' })], { key: 'k1', requestHash: 'h2' }));
  assert.is(reused.status, 'applied');
});

test('idempotency records survive a snapshot round trip', () => {
  const log = new TestLog();
  const key = { key: 'k1', requestHash: 'h1' };
  const first = log.apply(transfers([tr({ id: 't1' })], key));
  const restored = deserializeLedger(textOf(serializeLedger(log.state)));
  assert.equal(restored.idempotency.get('k1')?.response, first.status === 'applied' ? first.response : undefined);
});

test.run();
