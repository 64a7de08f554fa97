// The load generator's lean HTTP/1.1 client against a real node:http server on loopback: it must
// read exactly what a full client reads (status, Content-Length and chunked bodies, answers split
// across TCP segments), reuse keep-alive sockets, honour `Connection: close`, bound its sockets,
// and fail loudly (with the codes the load generator classifies) on what it does not understand.
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeChunked, leanHttpClient, parseHead } from '../../bench/load/lean-http-client.ts';

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

test('parseHead reads the status, the body framing and Connection: close', () => {
  const head = (text: string) => {
    const buf = Buffer.from(text, 'latin1');
    return parseHead(buf, buf.indexOf('\r\n\r\n'));
  };
  assert.equal(head('HTTP/1.1 201 Created\r\nContent-Length: 12\r\n\r\n'), { status: 201, bodyStart: 44, length: 12, close: false });
  assert.equal(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n')?.length, -1);
  assert.equal(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n')?.close, true);
  assert.equal(head('HTTP/1.1 204 No Content\r\n\r\n')?.length, 0);
  // A body delimited by the end of the connection, a bad length or another protocol: refused.
  assert.is(head('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n'), null);
  assert.is(head('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), null);
  assert.is(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'), null);
  assert.is(head('SPDY/3 200 OK\r\nContent-Length: 0\r\n\r\n'), null);
  // Header names in any case; the protocol name only as HTTP; no folded lines.
  assert.equal(head('HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 3\r\nCONNECTION: Close\r\n\r\n'), { status: 200, bodyStart: 57, length: 3, close: true });
  assert.is(head('http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), null);
  assert.is(head('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n X-Folded: 1\r\n\r\n'), null);
});

test('decodeChunked waits for the last chunk and joins the chunks', () => {
  const whole = Buffer.from('5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n', 'latin1');
  assert.equal(decodeChunked(whole, 0)?.body.toString(), 'hello world');
  assert.is(decodeChunked(whole, 0)?.end, whole.length);
  for (let cut = 0; cut < whole.length; cut++) assert.is(decodeChunked(whole.subarray(0, cut), 0), null, `cut at ${cut}`);
});

test('answers from node:http: lengths, chunked bodies, errors, one socket per worker', async () => {
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    sockets.add(req.socket);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"echo":');
        res.end(`${JSON.stringify(body)}}`);
      } else if (req.url === '/missing') {
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': '2' });
        res.end('{}');
      } else {
        const text = JSON.stringify({ echo: body, method: req.method });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      }
    });
  });
  const port = await listen(server);
  const client = leanHttpClient(4, 5_000);
  try {
    const base = `http://127.0.0.1:${port}`;
    const payload = JSON.stringify({ amount: '1.00', note: 'ünïcödé' });
    const a = await client.post(`${base}/payment`, payload);
    assert.is(a.status, 200);
    assert.equal(JSON.parse(a.text), { echo: payload, method: 'POST' });
    const c = await client.post(`${base}/chunked`, payload);
    assert.equal(JSON.parse(c.text), { echo: payload });
    assert.is((await client.get(`${base}/missing`)).status, 404);
    // Many requests from 16 concurrent workers over at most 4 sockets, each answered correctly.
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => client.post(`${base}/payment`, `{"n":${i}}`)));
    answers.forEach((answer, i) => assert.equal(JSON.parse(answer.text).echo, `{"n":${i}}`));
    assert.ok(sockets.size <= 4, `${sockets.size} sockets opened for a limit of 4`);
  } finally {
    client.close();
    server.closeAllConnections();
    server.close();
  }
});

test('an answer split byte by byte, Connection: close, and a reset are all handled', async () => {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.once('data', (request) => {
      const path = request.toString('latin1').split(' ')[1];
      if (path === '/reset') return void socket.destroy();
      const answer = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 7\r\n${path === '/close' ? 'Connection: close\r\n' : ''}\r\n{"x":1}`);
      let i = 0;
      const drip = (): void => {
        if (i < answer.length) {
          socket.write(answer.subarray(i, ++i));
          setImmediate(drip);
        } else if (path === '/close') {
          socket.end();
        }
      };
      drip();
    });
  });
  const port = await listen(server);
  const client = leanHttpClient(1, 5_000);
  try {
    const base = `http://127.0.0.1:${port}`;
    const first = await client.get(`${base}/close`);
    assert.equal([first.status, first.text], [200, '{"x":1}']);
    // The server closed the first socket after its answer: the next request opens a new one.
    assert.is((await client.get(`${base}/close`)).text, '{"x":1}');
    assert.is(connections, 2);
    const reset = await client.get(`${base}/reset`).then(() => null, (e: { code?: string }) => e.code);
    assert.is(reset, 'ECONNRESET');
  } finally {
    client.close();
    server.close();
  }
});

test('bytes that arrive with no request in flight retire the connection; the next request opens another', async () => {
  let connections = 0;
  const answer = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';
  const server = net.createServer((socket) => {
    connections++;
    socket.on('data', () => {
      socket.write(answer);
      // A second, unasked-for answer after the first was read.
      setTimeout(() => socket.write(answer), 20);
    });
  });
  const port = await listen(server);
  const client = leanHttpClient(1, 5_000);
  try {
    assert.is((await client.get(`http://127.0.0.1:${port}/a`)).text, '{}');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.is((await client.get(`http://127.0.0.1:${port}/b`)).text, '{}');
    assert.is(connections, 2, 'the connection that received stray bytes was not reused');
  } finally {
    client.close();
    server.close();
  }
});

test('a silent server times out with ETIMEDOUT; a closed port is ECONNREFUSED; only loopback', async () => {
  // Reads (so it notices the client hanging up) but never answers.
  const server = net.createServer((socket) => void socket.resume());
  const port = await listen(server);
  const client = leanHttpClient(2, 150);
  try {
    const timedOut = await client.get(`http://127.0.0.1:${port}/`).then(() => null, (e: { code?: string }) => e.code);
    assert.is(timedOut, 'ETIMEDOUT');
    server.close();
    await once(server, 'close');
    const refused = await client.get(`http://127.0.0.1:${port}/`).then(() => null, (e: { code?: string }) => e.code);
    assert.is(refused, 'ECONNREFUSED');
    const offBox = await client.get('http://10.0.0.1:80/').then(() => null, (e: Error) => e.message);
    assert.match(offBox ?? '', /127\.0\.0\.1/);
  } finally {
    client.close();
  }
});

test.run();
