// Linked chains: consecutive `linked` events and the event that closes them apply together or not
// at all, including accounts opened on demand and posts of pendings created in the same chain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkInvariants } from '../../machines/ledger/invariants.ts';
import { NO_OVERDRAFT, TestLog, accounts, stateContent, tr, transfers } from './helpers.ts';

test('a successful chain applies every event', () => {
  const log = new TestLog();
  const codes = log.codes(transfers([
    tr({ id: 'a', from: 'x', to: 'y', linked: true }),
    tr({ id: 'b', from: 'y', to: 'z', linked: true }),
    tr({ id: 'c', from: 'z', to: 'w' }),
  ]));
  assert.equal(codes, ['ok', 'ok', 'ok']);
  assert.is(log.state.transfers.size, 3);
});

test('a failing event fails its whole chain and nothing of it remains, opened accounts included', () => {
  const log = new TestLog();
  log.apply(accounts([{ id: 'poor', flags: NO_OVERDRAFT }]));
  const before = stateContent(log.state);
  const codes = log.codes(transfers([
    tr({ id: 'a', from: 'new1', to: 'new2', linked: true }),
    tr({ id: 'p', from: 'new2', to: 'new3', pending: true, timeoutMs: 5, linked: true }),
    tr({ id: 'c', from: 'new3', to: 'new1', post: true, pendingId: 'p', linked: true }),
    tr({ id: 'd', from: 'poor', to: 'new1' }),
  ]));
  assert.equal(codes, ['linked_event_failed', 'linked_event_failed', 'linked_event_failed', 'exceeds_credits']);
  assert.is(stateContent(log.state), before);
  assert.is(log.state.expiry.items.length, 0, 'a rolled-back pending must not wait for expiry');
  assert.is(log.state.transfersByAccount.has('new1'), false);
  assert.equal(checkInvariants(log.state), []);
});

test('a pending posted inside its own chain does not wait for expiry', () => {
  const log = new TestLog();
  const codes = log.codes(transfers([
    tr({ id: 'p', from: 'x', to: 'y', pending: true, timeoutMs: 50, linked: true }),
    tr({ id: 'c', post: true, pendingId: 'p' }),
  ]));
  assert.equal(codes, ['ok', 'ok']);
  assert.is(log.state.transfers.get('p')!.status, 'posted');
  assert.is(log.state.expiry.items.length, 0, 'only a pending that is still pending joins the expiry heap');
});

test('chains in one batch are independent; unlinked events stand alone', () => {
  const log = new TestLog();
  const codes = log.codes(transfers([
    tr({ id: 'a', linked: true }),
    tr({ id: 'b', amount: 0n }),
    tr({ id: 'c' }),
    tr({ id: 'd', linked: true }),
    tr({ id: 'e' }),
    tr({ id: 'f', amount: 0n }),
    tr({ id: 'g' }),
  ]));
  assert.equal(codes, ['linked_event_failed', 'amount_invalid', 'ok', 'ok', 'ok', 'amount_invalid', 'ok']);
  assert.equal([...log.state.transfers.keys()], ['c', 'd', 'e', 'g']);
});

test('an unclosed chain at the end of a batch applies nothing of the chain', () => {
  const log = new TestLog();
  const codes = log.codes(transfers([tr({ id: 'a' }), tr({ id: 'b', linked: true }), tr({ id: 'c', linked: true })]));
  assert.equal(codes, ['ok', 'linked_event_failed', 'linked_event_chain_open']);
  assert.equal([...log.state.transfers.keys()], ['a']);
});

test('exists inside a chain fails the chain (retry a chain whole, with an Idempotency-Key)', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'a' })]));
  assert.equal(log.codes(transfers([tr({ id: 'b', linked: true }), tr({ id: 'a' })])), ['linked_event_failed', 'exists']);
  // The linked flag is one of the compared fields.
  assert.equal(log.codes(transfers([tr({ id: 'a', linked: true }), tr({ id: 'b' })])), ['exists_with_different_fields', 'linked_event_failed']);
  assert.is(log.state.transfers.has('b'), false);
});

test('a post rolled back with its chain leaves the pending pending', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'p', pending: true, amount: 50n })]));
  const codes = log.codes(transfers([tr({ id: 'c', post: true, pendingId: 'p', linked: true }), tr({ id: 'x', amount: 0n })]));
  assert.equal(codes, ['linked_event_failed', 'amount_invalid']);
  assert.is(log.state.transfers.get('p')!.status, 'pending');
  assert.equal(log.balance('alice'), { dp: 0n, cp: 0n, dpe: 50n, cpe: 0n });
});

test.run();
