// The request hash is computed only for writes that carry an Idempotency-Key: it is what refuses a
// key reused with another body, and nothing reads it otherwise. With a key it is the full hash of
// method, path and canonical body (key order does not matter, content does).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyedHash } from '../../runtime/http/ledger-routes.ts';
import { requestHash } from '../../runtime/http/ledger-write.ts';

const body = { amount: '1.00', sender: 'a', receiver: 'b' };

test('no Idempotency-Key: no hash', () => {
  assert.is(keyedHash(null, 'POST', '/payment', body), '');
  assert.is(keyedHash(null, 'POST', '/v1/transfers', Array.from({ length: 1000 }, () => body)), '');
});

test('with a key: the sha256 of method, path and canonical body', () => {
  const hash = keyedHash('order-1', 'POST', '/payment', body);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.is(hash, requestHash('POST', '/payment', body));
  assert.is(keyedHash('order-1', 'POST', '/payment', { receiver: 'b', sender: 'a', amount: '1.00' }), hash, 'key order does not matter');
  assert.is.not(keyedHash('order-1', 'POST', '/payment', { ...body, amount: '2.00' }), hash);
  assert.is.not(keyedHash('order-1', 'POST', '/v1/transfers', body), hash);
});

test.run();
