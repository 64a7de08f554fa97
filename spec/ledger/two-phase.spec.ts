// Two-phase transfers: a pending transfer reserves, a post moves all or part of it, a void or
// expiry releases it. Expiry follows ledger time (the entries' HLC), in log order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkInvariants } from '../../machines/ledger/invariants.ts';
import { NO_OVERDRAFT, TestLog, accounts, tr, transfers } from './helpers.ts';

test('pending reserves, partial post moves part and releases the rest', () => {
  const log = new TestLog();
  assert.equal(log.codes(transfers([tr({ id: 'p1', amount: 1000n, pending: true })])), ['ok']);
  assert.equal(log.balance('alice'), { dp: 0n, cp: 0n, dpe: 1000n, cpe: 0n });
  assert.equal(log.balance('bob'), { dp: 0n, cp: 0n, dpe: 0n, cpe: 1000n });
  assert.equal(log.codes(transfers([tr({ id: 'c1', post: true, pendingId: 'p1', amount: 400n })])), ['ok']);
  assert.equal(log.balance('alice'), { dp: 400n, cp: 0n, dpe: 0n, cpe: 0n });
  assert.equal(log.balance('bob'), { dp: 0n, cp: 400n, dpe: 0n, cpe: 0n });
  assert.is(log.state.transfers.get('p1')!.status, 'posted');
  assert.is(log.state.transfers.get('c1')!.amount, 400n);
  assert.is(log.state.transfers.get('c1')!.debitAccountId, 'alice');
  assert.equal(checkInvariants(log.state), []);
});

test('post without an amount posts the whole pending amount', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', amount: 750n, pending: true })]));
  assert.equal(log.codes({ type: 'transfer.post', id: 'c1', pendingId: 'p1', amount: null, reference: null, idempotency: null, via: null }), ['ok']);
  assert.equal(log.balance('bob'), { dp: 0n, cp: 750n, dpe: 0n, cpe: 0n });
});

test('void releases the reservation and moves nothing', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', amount: 750n, pending: true })]));
  assert.equal(log.codes({ type: 'transfer.void', id: 'v1', pendingId: 'p1', reference: 'changed my mind', idempotency: null, via: null }), ['ok']);
  assert.equal(log.balance('alice'), { dp: 0n, cp: 0n, dpe: 0n, cpe: 0n });
  assert.is(log.state.transfers.get('p1')!.status, 'voided');
  assert.is(log.state.transfers.get('v1')!.reference, 'changed my mind');
});

test('a pending debit counts against a no-overdraft account until released', () => {
  const log = new TestLog();
  log.apply(accounts([{ id: 'alice', flags: NO_OVERDRAFT }]));
  log.apply(transfers([tr({ id: 'fund', from: 'bank', to: 'alice', amount: 1000n })]));
  assert.equal(log.codes(transfers([tr({ id: 'p1', amount: 800n, pending: true })])), ['ok']);
  assert.equal(log.codes(transfers([tr({ id: 't2', amount: 300n })])), ['exceeds_credits']);
  log.apply(transfers([tr({ id: 'v1', void: true, pendingId: 'p1' })]));
  assert.equal(log.codes(transfers([tr({ id: 't3', amount: 300n })])), ['ok']);
  assert.equal(checkInvariants(log.state), []);
});

test('expiry happens at the first entry whose HLC time reaches the deadline, noop or not', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', amount: 500n, pending: true, timeoutMs: 1000 })]));
  log.apply(null, 999);
  assert.is(log.state.transfers.get('p1')!.status, 'pending');
  log.apply(null, 1);
  assert.is(log.state.transfers.get('p1')!.status, 'expired');
  assert.equal(log.balance('alice'), { dp: 0n, cp: 0n, dpe: 0n, cpe: 0n });
  assert.equal(log.codes(transfers([tr({ id: 'v1', void: true, pendingId: 'p1' })])), ['pending_expired']);
});

test('a post in the same entry time as the deadline sees the expiry first', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 10 })]));
  assert.equal(log.codes(transfers([tr({ id: 'c1', post: true, pendingId: 'p1' })]), 10), ['pending_expired']);
});

test('a post just before the deadline wins, and the expiry later finds nothing to release', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 10 })]));
  assert.equal(log.codes(transfers([tr({ id: 'c1', post: true, pendingId: 'p1' })]), 9), ['ok']);
  log.apply(null, 100);
  assert.is(log.state.transfers.get('p1')!.status, 'posted');
  assert.equal(log.balance('bob'), { dp: 0n, cp: 100n, dpe: 0n, cpe: 0n });
});

test('ledger time never goes back: an older stamp from a new leader does not revive a pending', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 100 })]));
  log.apply(null, 200);
  assert.is(log.state.transfers.get('p1')!.status, 'expired');
  const now = log.state.now;
  log.apply(null, -150);
  assert.is(log.state.now, now);
});

test('many pendings expire in deadline order and conserve money', () => {
  const log = new TestLog();
  for (let i = 0; i < 50; i++) log.apply(transfers([tr({ id: `p${i}`, pending: true, timeoutMs: ((i * 37) % 50) + 1, amount: BigInt(i + 1) })]), 0);
  log.apply(null, 25);
  const expired = [...log.state.transfers.values()].filter((t) => t.status === 'expired').length;
  assert.is(expired, 25);
  assert.equal(checkInvariants(log.state), []);
  log.apply(null, 100);
  assert.equal(log.balance('alice'), { dp: 0n, cp: 0n, dpe: 0n, cpe: 0n });
});

test('a timeout of zero never expires', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 0 })]));
  log.apply(null, 10 * 365 * 24 * 3600 * 1000);
  assert.is(log.state.transfers.get('p1')!.status, 'pending');
});

test.run();
