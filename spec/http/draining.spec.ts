// A node that is shutting down refuses new requests before any route runs: a 503 problem with
// SYNCPAY_ERR_SHUTTING_DOWN and a Retry-After, the request id still echoed, and no handler (so no
// write) reached. While it is not draining, the same request goes through.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { buildHttpServer } from '../../runtime/http/server.ts';
import { fakeServices, initialState } from '../metrics/fake-node.ts';

test('a draining node answers 503 SYNCPAY_ERR_SHUTTING_DOWN before any route runs', async () => {
  let draining = false;
  let reached = 0;
  const services = { ...fakeServices(initialState()), draining: () => draining };
  const app = await buildHttpServer({
    services,
    logger: pino({ level: 'silent' }),
    plugins: [(a) => void a.post('/probe', async () => ({ reached: ++reached }))],
  });
  try {
    const open = await app.inject({ method: 'POST', url: '/probe', headers: { 'x-request-id': 'req-1' } });
    assert.is(open.statusCode, 200);
    assert.is(open.headers['x-request-id'], 'req-1');
    assert.is(reached, 1);

    draining = true;
    const refused = await app.inject({ method: 'POST', url: '/probe', headers: { 'x-request-id': 'req-2' } });
    assert.is(refused.statusCode, 503);
    assert.is(refused.json().code, 'SYNCPAY_ERR_SHUTTING_DOWN');
    assert.is(refused.headers['x-request-id'], 'req-2');
    assert.ok(Number(refused.headers['retry-after']) >= 1, 'tells the client when to retry');
    assert.is(reached, 1, 'the route handler never ran');
  } finally {
    await app.close();
  }
});

test.run();
