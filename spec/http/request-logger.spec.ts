// The per-request logger fastify hands each request is built only when a line is written: lines
// the level drops cost no child logger (and no redaction of its bindings), while lines that are
// written carry the request id and the root logger's redaction exactly as a real child would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import type { Logger as PinoLogger } from 'pino';
import { createRootLogger, deferredChildLogger } from '../../runtime/logger.ts';
import { buildHttpServer } from '../../runtime/http/server.ts';
import { fakeServices, initialState } from '../metrics/fake-node.ts';

function capture(): { lines: Array<Record<string, unknown>>; stream: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text.trim() !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

/** A root logger at `level` whose children are counted. */
function countedRoot(level: string): { root: PinoLogger; lines: Array<Record<string, unknown>>; made: () => number } {
  const { lines, stream } = capture();
  const root = createRootLogger({ nodeId: 'node1', level, pretty: false, destination: stream });
  let made = 0;
  // Children inherit this own property, so every child built anywhere below the root is counted.
  const child = root.child;
  root.child = function counted(this: PinoLogger, ...args: Parameters<PinoLogger['child']>) {
    made++;
    return child.apply(this, args);
  } as PinoLogger['child'];
  return { root, lines, made: () => made };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('lines below the level build no child and write nothing', async () => {
  const { root, lines, made } = countedRoot('warn');
  const log = deferredChildLogger(root, { reqId: 'r-1' }, {});
  log.info({ a: 1 }, 'dropped');
  log.debug('dropped');
  log.trace('dropped');
  assert.is(made(), 0);
  assert.is(log.level, 'warn');
  assert.not.ok(log.isLevelEnabled('info'));
  await flush();
  assert.equal(lines, []);
});

test('the first line at an enabled level builds the child once; lines carry the bindings and redaction', async () => {
  const { root, lines, made } = countedRoot('warn');
  const log = deferredChildLogger(root, { reqId: 'r-2' }, {});
  log.warn({ headers: { authorization: 'Bearer top-secret' } }, 'first');
  log.error({ code: 'X' }, 'second');
  log.info('still dropped');
  assert.is(made(), 1);
  await flush();
  assert.is(lines.length, 2);
  assert.equal(lines.map((l) => [l['msg'], l['reqId'], l['node']]), [['first', 'r-2', 'node1'], ['second', 'r-2', 'node1']]);
  assert.equal(lines[0]!['headers'], { authorization: '[redacted]' });
  assert.not.ok(JSON.stringify(lines).includes('top-secret'));
});

test('a route-level log level gets a real child at once, since the parent level does not decide', () => {
  const { root, made } = countedRoot('warn');
  const log = deferredChildLogger(root, { reqId: 'r-3' }, { level: 'debug' });
  assert.is(made(), 1);
  assert.is(log.level, 'debug');
});

test('through the server: an error is logged with its request id, a clean request logs nothing', async () => {
  const { root, lines, made } = countedRoot('info');
  const app = await buildHttpServer({
    services: fakeServices(initialState()),
    logger: root,
    plugins: [
      (a) => {
        a.get('/quiet', async (request) => {
          request.log.info('below the http level (warn)');
          return { ok: true };
        });
        a.get('/boom', async () => {
          throw new Error('kaput');
        });
      },
    ],
  });
  await app.ready();
  const before = made();
  for (let i = 0; i < 20; i++) assert.is((await app.inject({ method: 'GET', url: '/quiet' })).statusCode, 200);
  assert.is(made(), before, 'no child logger per request');
  const res = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-boom-1' } });
  assert.is(res.statusCode, 500);
  await app.close();
  await flush();
  const failures = lines.filter((l) => l['msg'] === 'request failed');
  assert.is(failures.length, 1);
  assert.is(failures[0]!['reqId'], 'req-boom-1');
  assert.is(failures[0]!['component'], 'http');
  assert.not.ok(lines.some((l) => l['msg'] === 'below the http level (warn)'));
});

test.run();
