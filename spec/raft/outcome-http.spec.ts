// Specs for how the HTTP write path renders what consensus says about a proposal's fate (issue
// #9): NOT_COMMITTED and OUTCOME_UNKNOWN become stable 503 problem codes, and an unknown outcome
// names the ids to retry under or look up, including an id the server generated. A committed
// write whose result this node cannot read is "unknown", never "retry" as if nothing happened.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERR } from '../../machines/raft/effects.ts';
import { fakeNode } from '../ledger/http-fakes.ts';

const pay = { amount: 150.75, sender: 'alice', receiver: 'bob' };

test('NOT_COMMITTED: 503 with that code, Retry-After, and committed false', async () => {
  const node = await fakeNode();
  node.log.failWith = { ok: false, code: ERR.notCommitted, detail: 'another entry committed at 7', leader: 'node2', retryAfterMs: 50, index: 7, term: 3 } as never;
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 503);
  assert.is(res.headers['retry-after'], '1');
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_NOT_COMMITTED');
  assert.is(body.committed, false);
  assert.is(body.leader, 'node2');
  assert.is(node.ledger.api.appliedIndex(), 0, 'nothing was applied');
  await node.close();
});

test('OUTCOME_UNKNOWN: 503 naming the generated transfer id, so a client without one can look it up', async () => {
  const node = await fakeNode();
  node.log.failWith = { ok: false, code: ERR.outcomeUnknown, detail: 'the proposal did not commit in time', leader: 'node1', retryAfterMs: 0 };
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 503);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.is(body.committed, null, 'not known either way');
  assert.type(body.transaction_id, 'string');
  assert.ok((body.transaction_id as string).length > 0);
  assert.match(body.detail as string, /retry only with the same transfer id or Idempotency-Key/);
  // Retrying under that id after the cluster recovers is harmless: one transfer.
  node.log.failWith = null;
  const id = body.transaction_id as string;
  const first = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id } });
  const again = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id } });
  assert.is(first.statusCode, 200);
  assert.is((again.json() as Record<string, unknown>).transaction_id, id);
  assert.is(node.ledger.api.appliedIndex(), 2);
  await node.close();
});

test('OUTCOME_UNKNOWN for a batch names every transfer id, and the Idempotency-Key', async () => {
  const node = await fakeNode();
  node.log.failWith = { ok: false, code: ERR.outcomeUnknown, detail: 'x', leader: null, retryAfterMs: 100 };
  const batch = [
    { id: 't-1', amount: '1.00', debit_account_id: 'a', credit_account_id: 'b' },
    { id: 't-2', amount: '2.00', debit_account_id: 'a', credit_account_id: 'b' },
  ];
  const res = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: batch, headers: { 'idempotency-key': 'k-42' } });
  assert.is(res.statusCode, 503);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.equal(body.transaction_ids, ['t-1', 't-2']);
  assert.is(body.idempotency_key, 'k-42');
  await node.close();
});

test('a success whose result this node does not hold is OUTCOME_UNKNOWN (committed), never a retry as if nothing happened', async () => {
  const node = await fakeNode();
  node.log.overwriteNext = true; // consensus reports a position whose result the ledger lacks
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 503);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.is(body.committed, true);
  assert.ok(res.headers['retry-after']);
  await node.close();
});

test('consensus stopping with the request in flight (it may have appended it) is OUTCOME_UNKNOWN, not a plain retry', async () => {
  const node = await fakeNode();
  node.log.failWith = { ok: false, code: ERR.stopped, detail: 'the consensus actor stopped', leader: null, retryAfterMs: 300 };
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id: 'pay-7' } });
  assert.is(res.statusCode, 503);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.is(body.transaction_id, 'pay-7');
  assert.match(body.detail as string, /consensus stopped/);
  await node.close();
});

test('the other consensus failures keep their codes', async () => {
  const node = await fakeNode();
  for (const code of [ERR.noLeader, ERR.overloaded, ERR.transferring]) {
    node.log.failWith = { ok: false, code, detail: 'x', leader: null, retryAfterMs: 100 };
    const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
    assert.is(res.statusCode, 503);
    const body = res.json() as Record<string, unknown>;
    assert.is(body.code, code);
    assert.is(body.transaction_id, undefined, 'nothing to look up: nothing was written');
  }
  await node.close();
});

test.run();
