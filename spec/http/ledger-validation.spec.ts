// Every bad-input rule of issue 4 over the HTTP routes: the status, the stable code, and proof
// that the ledger did not change (no proposal made, same hash, same applied index).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { fakeNode, type FakeNode } from '../ledger/http-fakes.ts';

interface Row {
  name: string;
  url?: string;
  body?: unknown;
  /** Raw payload instead of JSON.stringify(body). */
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const ok = { amount: 150.75, sender: 'alice', receiver: 'bob' };

const rows: Row[] = [
  { name: 'malformed JSON', raw: '{"amount": 1,', status: 400, code: 'SYNCPAY_ERR_MALFORMED_JSON' },
  { name: 'NaN literal is malformed JSON', raw: '{"amount": NaN, "sender": "a", "receiver": "b"}', status: 400, code: 'SYNCPAY_ERR_MALFORMED_JSON' },
  { name: 'empty body with a JSON content type', raw: '', status: 400, code: 'SYNCPAY_ERR_MALFORMED_JSON' },
  { name: 'body is an array', body: [ok], status: 400, code: 'SYNCPAY_ERR_BODY_NOT_OBJECT' },
  { name: 'body is a string', body: '"pay"', raw: '"pay"', status: 400, code: 'SYNCPAY_ERR_BODY_NOT_OBJECT' },
  { name: 'body is null', raw: 'null', status: 400, code: 'SYNCPAY_ERR_BODY_NOT_OBJECT' },
  { name: 'missing amount', body: { sender: 'alice', receiver: 'bob' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_REQUIRED' },
  { name: 'missing sender', body: { amount: 1, receiver: 'bob' }, status: 400, code: 'SYNCPAY_ERR_FIELD_REQUIRED' },
  { name: 'missing receiver', body: { amount: 1, sender: 'alice' }, status: 400, code: 'SYNCPAY_ERR_FIELD_REQUIRED' },
  { name: 'amount "NaN"', body: { ...ok, amount: 'NaN' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_NOT_FINITE' },
  { name: 'amount "Infinity"', body: { ...ok, amount: 'Infinity' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_NOT_FINITE' },
  { name: 'amount 1e400 (parses to Infinity)', raw: '{"amount":1e400,"sender":"alice","receiver":"bob"}', status: 400, code: 'SYNCPAY_ERR_AMOUNT_NOT_FINITE' },
  { name: 'amount true', body: { ...ok, amount: true }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_TYPE' },
  { name: 'amount null', body: { ...ok, amount: null }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_TYPE' },
  { name: 'amount as an object', body: { ...ok, amount: { v: 1 } }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_TYPE' },
  { name: 'amount exponent beyond range', body: { ...ok, amount: '1e999' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_OUT_OF_RANGE' },
  { name: 'amount not a decimal', body: { ...ok, amount: '12abc' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_FORMAT' },
  { name: 'amount zero', body: { ...ok, amount: 0 }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_NOT_POSITIVE' },
  { name: 'amount negative', body: { ...ok, amount: -5 }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_NOT_POSITIVE' },
  { name: 'more decimals than USD allows', body: { ...ok, amount: 150.755 }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_PRECISION' },
  { name: 'decimals for JPY', body: { ...ok, amount: '1.5', currency: 'JPY' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_PRECISION' },
  { name: 'amount above the maximum', body: { ...ok, amount: 1000000.01 }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_TOO_LARGE' },
  { name: 'amount far above the maximum', body: { ...ok, amount: '5e9' }, status: 400, code: 'SYNCPAY_ERR_AMOUNT_TOO_LARGE' },
  { name: 'sender empty after trimming', body: { ...ok, sender: '   ' }, status: 400, code: 'SYNCPAY_ERR_NAME_EMPTY' },
  { name: 'receiver too long', body: { ...ok, receiver: 'b'.repeat(129) }, status: 400, code: 'SYNCPAY_ERR_NAME_TOO_LONG' },
  { name: 'sender with invalid characters', body: { ...ok, sender: 'alice smith' }, status: 400, code: 'SYNCPAY_ERR_NAME_INVALID' },
  { name: 'sender with markup', body: { ...ok, sender: '<script>' }, status: 400, code: 'SYNCPAY_ERR_NAME_INVALID' },
  { name: 'sender not a string', body: { ...ok, sender: 42 }, status: 400, code: 'SYNCPAY_ERR_FIELD_TYPE' },
  { name: 'sender equal to receiver', body: { ...ok, receiver: 'alice' }, status: 400, code: 'SYNCPAY_ERR_SAME_ACCOUNT' },
  { name: 'sender equal to receiver after trimming', body: { ...ok, receiver: ' alice ' }, status: 400, code: 'SYNCPAY_ERR_SAME_ACCOUNT' },
  { name: 'unknown currency', body: { ...ok, currency: 'XYZ' }, status: 400, code: 'SYNCPAY_ERR_CURRENCY_UNKNOWN' },
  { name: 'lower-case currency', body: { ...ok, currency: 'usd' }, status: 400, code: 'SYNCPAY_ERR_CURRENCY_UNKNOWN' },
  { name: 'bad transfer id', body: { ...ok, id: 'has space' }, status: 400, code: 'SYNCPAY_ERR_ID_INVALID' },
  { name: 'reference too long', body: { ...ok, reference: 'r'.repeat(257) }, status: 400, code: 'SYNCPAY_ERR_REFERENCE_TOO_LONG' },
  { name: 'bad Idempotency-Key', body: ok, headers: { 'idempotency-key': 'x'.repeat(256) }, status: 400, code: 'SYNCPAY_ERR_IDEMPOTENCY_KEY_INVALID' },
  { name: 'text/plain content type', raw: JSON.stringify(ok), headers: { 'content-type': 'text/plain' }, status: 415, code: 'SYNCPAY_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'form content type', raw: 'amount=1&sender=a&receiver=b', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'SYNCPAY_ERR_UNSUPPORTED_MEDIA_TYPE' },
  { name: 'body over the size limit', raw: JSON.stringify({ ...ok, reference: 'x'.repeat(DEFAULT_CONFIG.http.bodyBytesMax) }), status: 413, code: 'SYNCPAY_ERR_BODY_TOO_LARGE' },
  // The full API shares the rules.
  { name: 'v1 transfer missing credit account', url: '/v1/transfers', body: { amount: '1.00', debit_account_id: 'a' }, status: 400, code: 'SYNCPAY_ERR_FIELD_REQUIRED' },
  { name: 'v1 timeout without pending', url: '/v1/transfers', body: { amount: '1.00', debit_account_id: 'a', credit_account_id: 'b', timeout_ms: 5 }, status: 400, code: 'SYNCPAY_ERR_TIMEOUT_INVALID' },
  { name: 'v1 pending not a boolean', url: '/v1/transfers', body: { amount: '1.00', debit_account_id: 'a', credit_account_id: 'b', pending: 'yes' }, status: 400, code: 'SYNCPAY_ERR_FIELD_TYPE' },
  { name: 'v1 empty batch', url: '/v1/transfers', body: [], status: 400, code: 'SYNCPAY_ERR_BATCH_EMPTY' },
  { name: 'v1 batch with one bad item', url: '/v1/transfers', body: [{ amount: '1', debit_account_id: 'a', credit_account_id: 'b' }, { amount: 'x', debit_account_id: 'a', credit_account_id: 'b' }], status: 400, code: 'SYNCPAY_ERR_AMOUNT_FORMAT' },
  { name: 'v1 void with an amount', url: '/v1/transfers/p1/void', body: { amount: '1.00' }, status: 400, code: 'SYNCPAY_ERR_FIELD_UNEXPECTED' },
  { name: 'v1 account with both limits', url: '/v1/accounts', body: { id: 'acc', flags: { debits_must_not_exceed_credits: true, credits_must_not_exceed_debits: true } }, status: 400, code: 'SYNCPAY_ERR_FLAGS_INVALID' },
  { name: 'v1 account with a bad id', url: '/v1/accounts', body: { id: 'a/b' }, status: 400, code: 'SYNCPAY_ERR_NAME_INVALID' },
];

let node: FakeNode;

test.before(async () => {
  node = await fakeNode();
  // Some money already in the ledger, so "did not change" is checked against a non-empty state.
  const seeded = await node.app.inject({ method: 'POST', url: '/payment', payload: { amount: '10.00', sender: 'bank', receiver: 'carol' } });
  assert.is(seeded.statusCode, 200);
});
test.after(async () => node.close());

for (const row of rows) {
  test(`${row.name} -> ${row.status} ${row.code}`, async () => {
    const hash = node.ledger.api.ledgerHash();
    const proposals = node.log.proposals;
    const res = await node.app.inject({
      method: 'POST',
      url: row.url ?? '/payment',
      payload: row.raw ?? JSON.stringify(row.body),
      headers: { 'content-type': 'application/json', ...row.headers },
    });
    assert.is(res.statusCode, row.status, res.body);
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const body = res.json() as Record<string, unknown>;
    assert.is(body.code, row.code);
    assert.is(body.status, row.status);
    assert.type(body.detail, 'string');
    assert.is(body.error, body.detail, 'seed clients read `error`');
    assert.is(node.log.proposals, proposals, 'bad input must never be proposed');
    assert.equal(node.ledger.api.ledgerHash(), hash, 'the ledger must not change');
  });
}

test('the bad-amount rows name the field', async () => {
  const res = await node.app.inject({ method: 'POST', url: '/payment', ...{ payload: { ...ok, amount: 'NaN' } } });
  assert.is((res.json() as { field?: string }).field, 'amount');
});

test.run();
