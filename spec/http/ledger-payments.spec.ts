// The payment API end to end over app.inject(): the seed's shapes, balances as exact decimals,
// ledger refusals as 422, idempotency by id and by Idempotency-Key (also across a leader change),
// retryable failures as 503 with Retry-After and the leader, linearizable and local reads, auth.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { FakeLog, fakeNode } from '../ledger/http-fakes.ts';

const pay = { amount: 150.75, sender: 'alice', receiver: 'bob' };

test('POST /payment answers the seed shape; balances read -150.75 and 150.75; /transactions lists it', async () => {
  const node = await fakeNode();
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 200, res.body);
  const body = res.json() as Record<string, unknown>;
  assert.equal(Object.keys(body).sort(), ['amount', 'currency', 'hlc', 'processed_by', 'receiver', 'sender', 'status', 'timestamp', 'transaction_id']);
  assert.is(body.status, 'success');
  assert.is(body.amount, '150.75');
  assert.is(body.currency, 'USD');
  assert.is(body.processed_by, 'node1');
  assert.is(body.timestamp, Number((body.hlc as string).slice(0, 15)) / 1000);
  const alice = (await node.app.inject({ url: '/v1/accounts/alice' })).json() as Record<string, unknown>;
  const bob = (await node.app.inject({ url: '/v1/accounts/bob' })).json() as Record<string, unknown>;
  assert.is(alice.balance, '-150.75');
  assert.is(bob.balance, '150.75');
  assert.equal((alice.balances_minor as Record<string, string>).debits_posted, '15075');
  const list = (await node.app.inject({ url: '/transactions' })).json() as Record<string, unknown>;
  assert.is(list.node_id, 'node1');
  assert.is(list.total_count, 1);
  assert.equal(list.transactions, [{
    id: body.transaction_id, amount: '150.75', sender: 'alice', receiver: 'bob', currency: 'USD',
    timestamp: body.timestamp, status: 'success', node_id: 'node1',
  }]);
  assert.is(list.next_cursor, null);
  await node.close();
});

test('amounts as decimal strings and other currencies are exact', async () => {
  const node = await fakeNode();
  await node.app.inject({ method: 'POST', url: '/payment', payload: { amount: '0.10', sender: 'a', receiver: 'b' } });
  await node.app.inject({ method: 'POST', url: '/payment', payload: { amount: 0.2, sender: 'a', receiver: 'b' } });
  await node.app.inject({ method: 'POST', url: '/payment', payload: { amount: '1.005', sender: 'k1', receiver: 'k2', currency: 'KWD' } });
  const a = (await node.app.inject({ url: '/v1/accounts/a' })).json() as Record<string, unknown>;
  assert.is(a.balance, '-0.30');
  const k = (await node.app.inject({ url: '/v1/accounts/k2' })).json() as Record<string, unknown>;
  assert.is(k.balance, '1.005');
  assert.is(k.currency, 'KWD');
  await node.close();
});

test('insufficient funds is a 422 with the ledger code and moves nothing', async () => {
  const node = await fakeNode();
  assert.is((await node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { id: 'alice', flags: { debits_must_not_exceed_credits: true } } })).statusCode, 201);
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 422);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'exceeds_credits');
  assert.type(body.transaction_id, 'string');
  assert.is(((await node.app.inject({ url: '/v1/accounts/alice' })).json() as Record<string, unknown>).balance, '0.00');
  await node.close();
});

test('the same id twice moves money once and returns the same transaction_id', async () => {
  const node = await fakeNode();
  const first = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id: 'pay-42' } });
  const second = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id: 'pay-42' } });
  assert.is(first.statusCode, 200);
  assert.is(second.statusCode, 200);
  assert.is((second.json() as Record<string, unknown>).transaction_id, 'pay-42');
  assert.is((second.json() as Record<string, unknown>).hlc, (first.json() as Record<string, unknown>).hlc);
  assert.is(((await node.app.inject({ url: '/v1/accounts/bob' })).json() as Record<string, unknown>).balance, '150.75');
  const other = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, amount: 1, id: 'pay-42' } });
  assert.is(other.statusCode, 422);
  assert.is((other.json() as Record<string, unknown>).code, 'exists_with_different_fields');
  await node.close();
});

test('the same Idempotency-Key twice returns the original status and body, moving money once', async () => {
  const node = await fakeNode();
  const headers = { 'idempotency-key': 'order-7' };
  const first = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  const proposals = node.log.proposals;
  const second = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  assert.is(second.statusCode, first.statusCode);
  assert.is(second.body, first.body);
  assert.is(second.headers['idempotent-replayed'], 'true');
  assert.is(node.log.proposals, proposals, 'an applied key is answered without a new proposal');
  assert.is(node.ledger.api.transferCount(), 1);
  await node.close();
});

test('a refused request replays its refusal under the same key', async () => {
  const node = await fakeNode();
  await node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { id: 'alice', flags: { debits_must_not_exceed_credits: true } } });
  const headers = { 'idempotency-key': 'k-refused' };
  const first = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  const second = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  assert.is(first.statusCode, 422);
  assert.is(second.statusCode, 422);
  assert.is(second.body, first.body);
  await node.close();
});

test('the same Idempotency-Key with a different body is a 422 and changes nothing', async () => {
  const node = await fakeNode();
  await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers: { 'idempotency-key': 'k1' } });
  const hash = node.ledger.api.ledgerHash().hash;
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, amount: 1 }, headers: { 'idempotency-key': 'k1' } });
  assert.is(res.statusCode, 422);
  assert.is((res.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_IDEMPOTENCY_KEY_REUSED');
  assert.is(node.ledger.api.transferCount(), 1);
  assert.is(node.ledger.api.ledgerHash().hash, hash);
  await node.close();
});

test('a request still in progress with the same key gets 409', async () => {
  const node = await fakeNode();
  node.log.deliver = false; // committed but not yet applied here: the first request waits
  const headers = { 'idempotency-key': 'slow' };
  const firstP = node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  for (let turns = 0; node.log.proposals === 0 && turns < 100; turns++) await new Promise((r) => setImmediate(r));
  assert.is(node.log.proposals, 1, 'the first request is proposed');
  const second = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  assert.is(second.statusCode, 409);
  assert.is((second.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_IDEMPOTENCY_KEY_IN_PROGRESS');
  node.log.catchUp(node.ledger);
  assert.is((await firstP).statusCode, 200);
  await node.close();
});

test('same Idempotency-Key after the leader dies: the new leader answers the same body, money moves once', async () => {
  const log = new FakeLog();
  const a = await fakeNode({ log, nodeId: 'node1' });
  const b = await fakeNode({ log, nodeId: 'node2' });
  const headers = { 'idempotency-key': 'failover-1' };
  const first = await a.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  assert.is(first.statusCode, 200);
  await a.close(); // leader killed
  log.leader = 'node2';
  log.term = 2;
  const again = await b.app.inject({ method: 'POST', url: '/payment', payload: pay, headers });
  assert.is(again.statusCode, 200);
  assert.is(again.body, first.body);
  assert.is(b.ledger.api.transferCount(), 1);
  await b.close();
});

test('a retry that reaches a node which has not applied the first request yet is still deduplicated by the ledger', async () => {
  const log = new FakeLog();
  const a = await fakeNode({ log, nodeId: 'node1' });
  const first = await a.app.inject({ method: 'POST', url: '/payment', payload: pay, headers: { 'idempotency-key': 'k' } });
  // node2 starts with an empty ledger and only learns the log when its own proposal commits.
  const b = await fakeNode({ log: new FakeLog(), nodeId: 'node2' });
  for (const e of log.entries) b.log.entries.push(e);
  b.log.ms = log.ms;
  const again = await b.app.inject({ method: 'POST', url: '/payment', payload: pay, headers: { 'idempotency-key': 'k' } });
  assert.is(b.log.proposals, 1, 'node2 did not know the key, so it proposed');
  assert.is(again.statusCode, 200);
  assert.is((again.json() as Record<string, unknown>).transaction_id, (first.json() as Record<string, unknown>).transaction_id);
  assert.is(b.ledger.api.transferCount(), 1);
  await a.close();
  await b.close();
});

test('no leader: 503 with Retry-After and the last known leader', async () => {
  const node = await fakeNode();
  node.log.failWith = { ok: false, code: 'SYNCPAY_ERR_NO_LEADER', detail: 'no leader', leader: 'node3', retryAfterMs: 1500 };
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 503);
  assert.is(res.headers['retry-after'], '2');
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_NO_LEADER');
  assert.is(body.leader, 'node3');
  const read = await node.app.inject({ url: '/transactions' });
  assert.is(read.statusCode, 503, 'a linearizable read needs a leader too');
  const local = await node.app.inject({ url: '/transactions?consistency=local' });
  assert.is(local.statusCode, 200, 'a local read does not');
  await node.close();
});

test('a proposal the ledger cannot find after a success is an outcome-unknown 503, never a guess', async () => {
  const node = await fakeNode();
  node.log.overwriteNext = true;
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(res.statusCode, 503);
  assert.is((res.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.ok(res.headers['retry-after']);
  await node.close();
});

test('a committed payment this node cannot show yet is an outcome-unknown 503 naming the transfer, marked committed', async () => {
  const node = await fakeNode();
  // The ledger answers the outcome but no longer holds the transfer (it restarted in between).
  const real = node.services.ledger();
  const forgetful = new Proxy(real as object, { get: (t, k) => (k === 'transfer' ? () => undefined : Reflect.get(t, k)) });
  (node.services as { ledger: () => unknown }).ledger = () => forgetful;
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, id: 'tx-seen' } });
  assert.is(res.statusCode, 503, res.body);
  const body = res.json() as Record<string, unknown>;
  assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  assert.is(body.committed, true);
  assert.is(body.transaction_id, 'tx-seen');
  assert.ok(res.headers['retry-after']);
  assert.is(node.log.proposals, 1);
  await node.close();
});

test('reads use ReadIndex by default and skip it with ?consistency=local', async () => {
  const node = await fakeNode();
  await node.app.inject({ url: '/transactions' });
  assert.is(node.log.readIndexCalls, 1);
  await node.app.inject({ url: '/transactions?consistency=local' });
  assert.is(node.log.readIndexCalls, 1);
  const bad = await node.app.inject({ url: '/transactions?consistency=eventual' });
  assert.is(bad.statusCode, 400);
  await node.close();
});

test('GET /transactions pages newest first with cursors and filters by account', async () => {
  const node = await fakeNode();
  for (let i = 1; i <= 5; i++) await node.app.inject({ method: 'POST', url: '/payment', payload: { amount: i, sender: i % 2 ? 'odd' : 'even', receiver: 'sink', id: `t${i}` } });
  const p1 = (await node.app.inject({ url: '/transactions?limit=2' })).json() as { transactions: Array<{ id: string }>; next_cursor: string; total_count: number };
  assert.equal(p1.transactions.map((t) => t.id), ['t5', 't4']);
  assert.is(p1.total_count, 5);
  const p2 = (await node.app.inject({ url: `/transactions?limit=2&cursor=${p1.next_cursor}` })).json() as { transactions: Array<{ id: string }> };
  assert.equal(p2.transactions.map((t) => t.id), ['t3', 't2']);
  const odd = (await node.app.inject({ url: '/transactions?account=odd' })).json() as { transactions: Array<{ id: string }>; total_count: number };
  assert.equal(odd.transactions.map((t) => t.id), ['t5', 't3', 't1']);
  assert.is(odd.total_count, 3);
  assert.is((await node.app.inject({ url: '/transactions?limit=abc' })).statusCode, 400);
  const huge = (await node.app.inject({ url: '/transactions?limit=999999' })).json() as { transactions: unknown[] };
  assert.is(huge.transactions.length, 5);
  await node.close();
});

test('v1: accounts, transfers, two-phase post and void, batches', async () => {
  const node = await fakeNode();
  const created = await node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { id: 'shop', currency: 'EUR' } });
  assert.is(created.statusCode, 201);
  assert.is((await node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { id: 'shop', currency: 'EUR' } })).statusCode, 200);
  const clash = await node.app.inject({ method: 'POST', url: '/v1/accounts', payload: { id: 'shop', currency: 'USD' } });
  assert.is(clash.statusCode, 422);
  assert.is((clash.json() as Record<string, unknown>).code, 'exists_with_different_fields');

  const hold = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { id: 'hold', amount: '20.00', currency: 'EUR', debit_account_id: 'cust', credit_account_id: 'shop', pending: true, timeout_ms: 60000 } });
  assert.is(hold.statusCode, 201, hold.body);
  assert.is((hold.json() as Record<string, unknown>).status, 'pending');
  const post = await node.app.inject({ method: 'POST', url: '/v1/transfers/hold/post', payload: { id: 'capture', amount: '12.50' } });
  assert.is(post.statusCode, 201, post.body);
  assert.is((post.json() as Record<string, unknown>).amount, '12.50');
  assert.is(((await node.app.inject({ url: '/v1/transfers/hold' })).json() as Record<string, unknown>).status, 'posted');
  assert.is(((await node.app.inject({ url: '/v1/accounts/shop' })).json() as Record<string, unknown>).balance, '12.50');
  const again = await node.app.inject({ method: 'POST', url: '/v1/transfers/hold/void' });
  assert.is(again.statusCode, 422);
  assert.is((again.json() as Record<string, unknown>).code, 'pending_already_posted');
  const missing = await node.app.inject({ method: 'POST', url: '/v1/transfers/nope/post', payload: { amount: '1.00' } });
  assert.is(missing.statusCode, 422);
  assert.is((missing.json() as Record<string, unknown>).code, 'pending_not_found');

  const hold2 = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { id: 'hold2', amount: '5', debit_account_id: 'x', credit_account_id: 'y', pending: true } });
  assert.is(hold2.statusCode, 201);
  const voided = await node.app.inject({ method: 'POST', url: '/v1/transfers/hold2/void', payload: {} });
  assert.is(voided.statusCode, 201);
  assert.is(((await node.app.inject({ url: '/v1/accounts/x' })).json() as Record<string, unknown>).balance, '0.00');

  const batch = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: [
    { id: 'b1', amount: '1', debit_account_id: 'p', credit_account_id: 'q', linked: true },
    { id: 'b2', amount: '1', debit_account_id: 'q', credit_account_id: 'p', currency: 'EUR' },
    { id: 'b3', amount: '1', debit_account_id: 'p', credit_account_id: 'q' },
  ] });
  assert.is(batch.statusCode, 200);
  assert.equal((batch.json() as { results: Array<{ code: string }> }).results.map((r) => r.code), ['linked_event_failed', 'currency_mismatch', 'ok']);

  const page = (await node.app.inject({ url: '/v1/accounts/p/transfers' })).json() as { transfers: Array<{ id: string }>; total_count: number };
  assert.equal(page.transfers.map((t) => t.id), ['b3']);
  assert.is((await node.app.inject({ url: '/v1/transfers/zzz' })).statusCode, 404);
  assert.is((await node.app.inject({ url: '/v1/accounts/zzz' })).statusCode, 404);
  await node.close();
});

test('with tokens configured, mutating routes need a bearer token; reads do not', async () => {
  const node = await fakeNode({ apiTokens: ['s3cret-token'] });
  const none = await node.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is(none.statusCode, 401);
  assert.is((none.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_UNAUTHORIZED');
  assert.is(none.headers['www-authenticate'], 'Bearer');
  const wrong = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers: { authorization: 'Bearer nope' } });
  assert.is(wrong.statusCode, 401);
  const right = await node.app.inject({ method: 'POST', url: '/payment', payload: pay, headers: { authorization: 'Bearer s3cret-token' } });
  assert.is(right.statusCode, 200);
  assert.is((await node.app.inject({ url: '/transactions' })).statusCode, 200);
  assert.is(node.ledger.api.transferCount(), 1);
  await node.close();
});

test('a follower answers with the leader that processed the payment', async () => {
  const log = new FakeLog();
  const follower = await fakeNode({ log, nodeId: 'node2' });
  const res = await follower.app.inject({ method: 'POST', url: '/payment', payload: pay });
  assert.is((res.json() as Record<string, unknown>).processed_by, 'node1');
  await follower.close();
});

test('a batch under an Idempotency-Key replays its per-item results and applies once', async () => {
  const node = await fakeNode();
  const batch = [
    { amount: '1', debit_account_id: 'p', credit_account_id: 'q' },
    { amount: '2', debit_account_id: 'q', credit_account_id: 'r' },
  ];
  const headers = { 'idempotency-key': 'batch-1' };
  const first = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: batch, headers });
  const second = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: batch, headers });
  assert.is(first.statusCode, 200);
  assert.is(second.body, first.body, 'the generated ids come back unchanged');
  assert.is(node.ledger.api.transferCount(), 2);
  await node.close();
});

test('a request whose log entry would not fit a peer message is refused before proposing', async () => {
  const node = await fakeNode({ config: { ...DEFAULT_CONFIG, link: { ...DEFAULT_CONFIG.link, messageBytesMax: 300 } } });
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: { ...pay, reference: 'r'.repeat(200) } });
  assert.is(res.statusCode, 413);
  assert.is((res.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_ENTRY_TOO_LARGE');
  assert.is(node.log.proposals, 0);
  await node.close();
});

test.run();
