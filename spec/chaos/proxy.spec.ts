// The chaos TCP proxy's modes against a real echo server on loopback: pass, blackhole in each
// direction (sockets stay open, bytes vanish), delay (order kept), reset (connections cut and
// new ones refused) and healing (lossy connections closed, new ones flow again).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { TcpProxy } from '../../chaos/proxy.ts';
import { waitFor } from '../support/process-cluster.ts';

interface Echo { server: Server; port: number; received: () => number; close: () => Promise<void> }

async function echoServer(): Promise<Echo> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      received += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    received: () => received,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

interface Client { socket: Socket; got: () => string; closed: () => boolean }

async function connect(port: number): Promise<Client> {
  const socket = new Socket();
  let got = '';
  let closed = false;
  socket.on('data', (d) => (got += d.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (closed = true));
  await new Promise<void>((ok, fail) => {
    socket.once('error', fail);
    socket.connect(port, '127.0.0.1', () => ok());
  });
  return { socket, got: () => got, closed: () => closed };
}

async function withProxy(body: (echo: Echo, proxy: TcpProxy) => Promise<void>): Promise<void> {
  const echo = await echoServer();
  const proxy = await TcpProxy.start({ host: '127.0.0.1', port: echo.port });
  try {
    await body(echo, proxy);
  } finally {
    await proxy.close();
    await echo.close();
  }
}

test('pass: bytes flow both ways', () => withProxy(async (_echo, proxy) => {
  const c = await connect(proxy.port);
  c.socket.write('hello');
  await waitFor(() => (c.got() === 'hello' ? true : undefined), 2000, 'echo');
  assert.is(proxy.stats().bytes.forward.passed, 5);
  assert.is(proxy.stats().bytes.backward.passed, 5);
  c.socket.destroy();
}));

test('drop forward: the server never sees the bytes, the socket stays open', () => withProxy(async (echo, proxy) => {
  const c = await connect(proxy.port);
  proxy.drop('forward');
  c.socket.write('lost');
  await waitFor(() => (proxy.stats().bytes.forward.dropped === 4 ? true : undefined), 2000, 'drop');
  assert.is(echo.received(), 0);
  assert.is(c.got(), '');
  assert.not.ok(c.closed());
  assert.is(proxy.openConnections, 1);
  c.socket.destroy();
}));

test('drop backward: the server gets the bytes, the answer vanishes', () => withProxy(async (echo, proxy) => {
  const c = await connect(proxy.port);
  proxy.drop('backward');
  c.socket.write('one-way');
  await waitFor(() => (proxy.stats().bytes.backward.dropped === 7 ? true : undefined), 2000, 'drop');
  assert.is(echo.received(), 7);
  assert.is(c.got(), '');
  assert.not.ok(c.closed());
  c.socket.destroy();
}));

test('healing a blackhole closes the connections that lost bytes; new ones flow', () => withProxy(async (_echo, proxy) => {
  const lossy = await connect(proxy.port);
  proxy.drop('both');
  lossy.socket.write('x');
  await waitFor(() => (proxy.stats().bytes.forward.dropped === 1 ? true : undefined), 2000, 'drop');
  proxy.pass();
  await waitFor(() => (lossy.closed() ? true : undefined), 2000, 'lossy connection closed');
  const fresh = await connect(proxy.port);
  fresh.socket.write('again');
  await waitFor(() => (fresh.got() === 'again' ? true : undefined), 2000, 'echo after heal');
  fresh.socket.destroy();
}));

test('delay: bytes arrive no earlier than the delay, in order', () => withProxy(async (_echo, proxy) => {
  const c = await connect(proxy.port);
  proxy.delay(120, 'forward');
  const sent = Date.now();
  c.socket.write('ab');
  await waitFor(() => (proxy.delayedChunks > 0 ? true : undefined), 2000, 'bytes held back');
  proxy.pass(); // later bytes must not overtake the delayed ones
  c.socket.write('c');
  await waitFor(() => (c.got().length === 3 ? true : undefined), 3000, 'delayed echo');
  assert.ok(Date.now() - sent >= 110, 'the delayed bytes waited');
  assert.is(c.got(), 'abc');
  c.socket.destroy();
}));

test('reset: open connections are cut and new ones refused until pass', () => withProxy(async (echo, proxy) => {
  const c = await connect(proxy.port);
  c.socket.write('ping');
  await waitFor(() => (c.got() === 'ping' ? true : undefined), 2000, 'echo');
  proxy.reset();
  await waitFor(() => (c.closed() ? true : undefined), 2000, 'connection cut');
  const refused = new Socket();
  let refusedClosed = false;
  refused.on('error', () => undefined);
  refused.on('close', () => (refusedClosed = true));
  refused.connect(proxy.port, '127.0.0.1', () => refused.write('nope'));
  await waitFor(() => (refusedClosed ? true : undefined), 2000, 'new connection refused');
  assert.is(proxy.stats().refused, 1);
  assert.is(echo.received(), 4);
  proxy.pass();
  const again = await connect(proxy.port);
  again.socket.write('back');
  await waitFor(() => (again.got() === 'back' ? true : undefined), 2000, 'echo after reset heals');
  again.socket.destroy();
}));

test.run();
