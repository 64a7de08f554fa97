// Peer links on real loopback sockets (OS-chosen ports): messages both ways, batching limits, link
// up/down and reconnect, liveness, and what happens to bad frames from an authenticated peer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_CONFIG, type Config, type NodeAddress } from '../../../machines/config.ts';
import { encodeCommand } from '../../../machines/ledger/codec.ts';
import type { NodeId, PeerMessage } from '../../../machines/types.ts';
import { AUTH_HEADER, handshakeHeaders, newNonce, signAcceptance } from '../../../runtime/transport/auth.ts';
import { PEER_PATH } from '../../../runtime/transport/dialler.ts';
import { assembleFrame, decodeFrame, encodeMessage } from '../../../runtime/transport/frame.ts';
import { createPeerTransport, type PeerTransport } from '../../../runtime/transport/peer-transport.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';

const SECRET = 'links-spec-secret-5f2c9a1e7b3d4c6a';
const HOST = '127.0.0.1';
const LINK: Config['link'] = {
  ...DEFAULT_CONFIG.link,
  messageBytesMax: 16 * 1024,
  sendBufferBytesMax: 64 * 1024,
  pingIntervalMs: 100,
  reconnectBackoffMsMin: 5,
  reconnectBackoffMsMax: 40,
  handshakeTimeoutMs: 1000,
};

/** Every log line written during this file, checked at the end for leaked secrets. */
const allLines: CapturedLine[] = [];
const counters: Array<{ node: NodeId; name: string; labels: Record<string, string> }> = [];
const open: PeerTransport[] = [];

function addr(id: NodeId, peerPort: number): NodeAddress {
  return { id, host: HOST, apiPort: 0, peerPort };
}

function make(self: NodeId, nodes: NodeAddress[], link: Config['link'] = LINK): PeerTransport {
  const t = createPeerTransport({
    self,
    nodes,
    secret: SECRET,
    link,
    logger: captureLogger(allLines, { node: self }),
    onCounter: (name, labels) => counters.push({ node: self, name, labels }),
  });
  open.push(t);
  return t;
}

function countOf(node: NodeId, name: string, labels: Record<string, string> = {}): number {
  return counters.filter(
    (c) => c.node === node && c.name === name && Object.entries(labels).every(([k, v]) => c.labels[k] === v),
  ).length;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function inbox(t: PeerTransport): Array<[NodeId, PeerMessage]> {
  const got: Array<[NodeId, PeerMessage]> = [];
  t.subscribe((from, m) => got.push([from, m]));
  return got;
}

/** node2 listens first (its port is then known), node1 dials it. */
async function pair(link: Config['link'] = LINK): Promise<{ a: PeerTransport; b: PeerTransport; portB: number }> {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)], link);
  await b.listen();
  const portB = b.boundPort() ?? 0;
  const a = make('node1', [addr('node1', 0), addr('node2', portB)], link);
  await a.listen();
  await waitFor('pair link up', () => a.connectedPeers().includes('node2') && b.connectedPeers().includes('node1'));
  return { a, b, portB };
}

/** A raw client that authenticates to `port` as `from` (a real node1 would do the same). */
function rawPeer(port: number, from: NodeId, to: NodeId): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}${PEER_PATH}`, {
      headers: handshakeHeaders(SECRET, from, to, Date.now(), newNonce()),
      perMessageDeflate: false,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A frame as a real node would write it. */
function wire(from: NodeId, msgs: PeerMessage[]): Buffer {
  return assembleFrame(from, msgs.map(encodeMessage));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

test.before.each(() => {
  counters.length = 0;
});

test.after.each(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

test('two transports exchange messages both ways, in order, with the authenticated sender', async () => {
  const { a, b } = await pair();
  const atA = inbox(a);
  const atB = inbox(b);
  for (let i = 0; i < 5; i++) assert.ok(a.send('node2', { type: 'peer.ping', i }));
  assert.ok(b.send('node1', { type: 'peer.pong', n: 'x' }));
  await waitFor('delivery', () => atB.length === 5 && atA.length === 1);
  assert.equal(atB, [0, 1, 2, 3, 4].map((i) => ['node1', { type: 'peer.ping', i }]));
  assert.equal(atA, [['node2', { type: 'peer.pong', n: 'x' }]]);
  assert.equal(a.connectedPeers(), ['node2']);
  assert.equal(b.connectedPeers(), ['node1']);
  assert.equal(a.dialStates(), { node2: 'open' });
  assert.equal(b.dialStates(), {}, 'the larger id never dials');
  assert.ok(countOf('node1', 'linkUp', { peer: 'node2' }) >= 1);
});

test('three nodes form one link per pair', async () => {
  const t3 = make('node3', [addr('node1', 0), addr('node2', 0), addr('node3', 0)]);
  await t3.listen();
  const p3 = t3.boundPort() ?? 0;
  const t2 = make('node2', [addr('node1', 0), addr('node2', 0), addr('node3', p3)]);
  await t2.listen();
  const p2 = t2.boundPort() ?? 0;
  const t1 = make('node1', [addr('node1', 0), addr('node2', p2), addr('node3', p3)]);
  await t1.listen();
  await waitFor('full mesh', () => [t1, t2, t3].every((t) => t.connectedPeers().length === 2));
  const at3 = inbox(t3);
  t1.send('node3', { type: 'peer.a' });
  t2.send('node3', { type: 'peer.b' });
  await waitFor('both arrive', () => at3.length === 2);
  assert.equal(new Set(at3.map(([from]) => from)), new Set(['node1', 'node2']));
  assert.equal(t1.dialStates(), { node2: 'open', node3: 'open' });
});

test('send returns false while the link is down, to self and to unknown peers', async () => {
  const lonely = make('node1', [addr('node1', 0), addr('node2', 1)]);
  assert.is(lonely.send('node2', { type: 'peer.x' }), false, 'before listen');
  await lonely.listen();
  assert.is(lonely.send('node2', { type: 'peer.x' }), false, 'peer unreachable');
  assert.is(lonely.send('node1', { type: 'peer.x' }), false, 'self');
  assert.is(lonely.send('node9', { type: 'peer.x' }), false, 'unknown');
  assert.ok(countOf('node1', 'framesDropped', { peer: 'node2', reason: 'link-down', direction: 'out' }) >= 2);
});

test('link goes down when the peer closes and comes back when it restarts', async () => {
  const { a, b, portB } = await pair();
  const changes: Array<[NodeId, boolean]> = [];
  a.onLinkState((peer, up) => changes.push([peer, up]));
  const reconnectsBefore = countOf('node1', 'reconnects', { peer: 'node2' });
  await b.close();
  await waitFor('down', () => changes.length === 1);
  assert.equal(changes, [['node2', false]]);
  assert.is(a.send('node2', { type: 'peer.lost' }), false);
  assert.equal(a.connectedPeers(), []);
  await waitFor('redialling', () => countOf('node1', 'reconnects', { peer: 'node2' }) > reconnectsBefore);

  const b2 = make('node2', [addr('node1', 0), addr('node2', portB)]);
  const atB2 = inbox(b2);
  await b2.listen();
  await waitFor('up again', () => changes.length === 2);
  assert.equal(changes, [['node2', false], ['node2', true]]);
  assert.ok(a.send('node2', { type: 'peer.back' }));
  await waitFor('delivery after reconnect', () => atB2.length === 1);
  assert.equal(atB2, [['node1', { type: 'peer.back' }]]);
});

test('close() announces down once per link and leaves nothing connected', async () => {
  const { a, b } = await pair();
  const changes: Array<[NodeId, boolean]> = [];
  a.onLinkState((peer, up) => changes.push([peer, up]));
  await a.close();
  assert.equal(changes, [['node2', false]]);
  assert.equal(a.connectedPeers(), []);
  assert.equal(a.dialStates(), { node2: 'stopped' });
  await waitFor('peer notices', () => b.connectedPeers().length === 0);
  await a.close(); // idempotent
});

test('ping timeout terminates a peer that stops answering', async () => {
  // A fake node2 that authenticates properly, then stops reading its socket (as if SIGSTOPped).
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('headers', (headers, req) => {
    const nonce = String(req.headers[AUTH_HEADER.nonce]);
    headers.push(`${AUTH_HEADER.accept}: ${signAcceptance(SECRET, 'node2', 'node1', nonce)}`);
  });
  const fakeSockets: WebSocket[] = [];
  let playDead = true;
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      fakeSockets.push(ws);
      if (playDead) ws.pause();
      else ws.terminate();
    }),
  );
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as { port: number }).port;
  try {
    const a = make('node1', [addr('node1', 0), addr('node2', port)]);
    const changes: boolean[] = [];
    a.onLinkState((_peer, up) => changes.push(up));
    await a.listen();
    await waitFor('link up then terminated', () => changes.length >= 2, 2000);
    assert.equal(changes.slice(0, 2), [true, false]);
    assert.ok(allLines.some((l) => l.level === 'warn' && l.msg?.includes('missed a pong')));
  } finally {
    // Fake sockets first: closing node1 while its peer is still paused would wait out the 1 s bound.
    playDead = false;
    for (const ws of fakeSockets) ws.terminate();
    await Promise.all(open.splice(0).map((t) => t.close()));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('spoofed `from` is dropped and counted; the link stays up and later frames pass', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  const atB = inbox(b);
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  ws.send(wire('node3', [{ type: 'peer.vote', granted: true }]));
  ws.send(wire('node1', [{ type: 'peer.real' }]));
  await waitFor('good frame', () => atB.length === 1);
  assert.equal(atB, [['node1', { type: 'peer.real' }]]);
  assert.is(countOf('node2', 'framesDropped', { reason: 'spoofed', peer: 'node1', direction: 'in' }), 1);
  assert.ok(allLines.some((l) => l.level === 'warn' && (l.obj as { reason?: string }).reason === 'spoofed'));
  ws.terminate();
});

test('malformed, bad-schema and old-format text frames are dropped and counted, never thrown', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  const atB = inbox(b);
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  const good = wire('node1', [{ type: 'peer.appendEntries', entries: [{ index: 1, data: '{"x":1}' }] }]);
  ws.send(good.subarray(0, good.length - 2));
  const notPeer = Buffer.from(JSON.stringify({ from: 'node1', msgs: [{ type: 'client.payment' }] }));
  const header = Buffer.from([0x53, 0x50, 0x57, 0x01, 0, 0, 0, 0]);
  header.writeUInt32BE(notPeer.length, 4);
  ws.send(Buffer.concat([header, notPeer]));
  ws.send(Buffer.from([1, 2, 3]));
  // The previous wire format, and a text frame that is not even UTF-8 (ws no longer checks it).
  ws.send(JSON.stringify({ from: 'node1', msgs: [{ type: 'peer.old' }] }));
  ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  ws.send(wire('node1', [{ type: 'peer.after' }]));
  await waitFor('good frame', () => atB.length === 1);
  assert.equal(atB, [['node1', { type: 'peer.after' }]]);
  assert.is(countOf('node2', 'framesDropped', { reason: 'malformed' }), 2);
  assert.is(countOf('node2', 'framesDropped', { reason: 'schema' }), 1);
  assert.is(countOf('node2', 'framesDropped', { reason: 'text' }), 2);
  assert.equal(b.connectedPeers(), ['node1'], 'the link survives');
  ws.terminate();
});

test('an oversized frame closes the link with 1009, is counted, and the dialler reconnects', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  const code = closed(ws);
  ws.send(wire('node1', [{ type: 'peer.big', pad: 'x'.repeat(LINK.messageBytesMax) }]));
  assert.is(await code, 1009);
  await waitFor('counted', () => countOf('node2', 'framesDropped', { reason: 'oversize', direction: 'in' }) === 1);
  await waitFor('link down', () => b.connectedPeers().length === 0);
});

test('a real dialler recovers after its peer refuses an oversized frame', async () => {
  // node1 allows bigger messages than node2 accepts, so its frame passes its own check.
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  const atB = inbox(b);
  await b.listen();
  const a = make('node1', [addr('node1', 0), addr('node2', b.boundPort() ?? 0)], { ...LINK, messageBytesMax: 4 * LINK.messageBytesMax });
  const changes: boolean[] = [];
  a.onLinkState((_p, up) => changes.push(up));
  await a.listen();
  await waitFor('up', () => changes.length === 1);
  assert.ok(a.send('node2', { type: 'peer.big', pad: 'x'.repeat(2 * LINK.messageBytesMax) }));
  await waitFor('down and up again', () => changes.length === 3);
  assert.equal(changes, [true, false, true]);
  assert.ok(a.send('node2', { type: 'peer.small' }));
  await waitFor('small delivered', () => atB.length === 1);
  assert.equal(atB, [['node1', { type: 'peer.small' }]]);
});

test('send refuses a message larger than messageBytesMax instead of breaking the link', async () => {
  const { a, b } = await pair();
  const atB = inbox(b);
  assert.is(a.send('node2', { type: 'peer.big', pad: 'x'.repeat(LINK.messageBytesMax) }), false);
  assert.is(countOf('node1', 'framesDropped', { reason: 'oversize', direction: 'out' }), 1);
  // Many messages that fit one by one are split over several frames, all delivered.
  const pad = 'y'.repeat(LINK.messageBytesMax / 4);
  for (let i = 0; i < 10; i++) assert.ok(a.send('node2', { type: 'peer.part', i, pad }));
  await waitFor('all parts', () => atB.length === 10);
  assert.equal(atB.map(([, m]) => m['i']), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(a.connectedPeers(), ['node2'], 'link survived');
});

test('send refuses what the peer would refuse (bad type, bigint) without poisoning the batch', async () => {
  const { a, b } = await pair();
  const atB = inbox(b);
  const dropsAtB = countOf('node2', 'framesDropped');
  const schemaDrops = countOf('node1', 'framesDropped', { reason: 'schema', direction: 'out' });
  const unencodable = countOf('node1', 'framesDropped', { reason: 'unencodable', direction: 'out' });
  assert.ok(a.send('node2', { type: 'peer.before' }));
  assert.is(a.send('node2', { type: 'client.payment' } as unknown as PeerMessage), false);
  assert.is(a.send('node2', { type: 'peer.money', amount: 10n }), false);
  assert.ok(a.send('node2', { type: 'peer.after' }));
  await waitFor('good ones delivered', () => atB.length === 2);
  assert.equal(atB.map(([, m]) => m.type), ['peer.before', 'peer.after']);
  assert.is(countOf('node1', 'framesDropped', { reason: 'schema', direction: 'out' }), schemaDrops + 1);
  assert.is(countOf('node1', 'framesDropped', { reason: 'unencodable', direction: 'out' }), unencodable + 1);
  assert.is(countOf('node2', 'framesDropped'), dropsAtB, 'the receiver saw nothing bad');
});

test('a full send buffer makes send return false and counts the drop', async () => {
  const { a, b } = await pair({ ...LINK, sendBufferBytesMax: 4096 });
  const atB = inbox(b);
  const results: boolean[] = [];
  for (let i = 0; i < 100; i++) results.push(a.send('node2', { type: 'peer.fill', i, pad: 'z'.repeat(100) }));
  const accepted = results.filter(Boolean).length;
  assert.ok(accepted > 10 && accepted < 100, `accepted ${accepted}`);
  assert.ok(results.slice(0, accepted).every(Boolean), 'drops only once full');
  assert.is(countOf('node1', 'framesDropped', { reason: 'send-buffer-full' }), 100 - accepted);
  await waitFor('accepted ones delivered', () => atB.length === accepted);
  assert.is(allLines.filter((l) => l.msg?.startsWith('send buffer full')).length, 1, 'one warn per episode');
});

test('a throwing subscriber does not break delivery to others or the link', async () => {
  const { a, b } = await pair();
  b.subscribe(() => {
    throw new Error('subscriber bug');
  });
  const atB = inbox(b);
  a.send('node2', { type: 'peer.one' });
  a.send('node2', { type: 'peer.two' });
  await waitFor('both delivered', () => atB.length === 2);
  assert.ok(allLines.some((l) => l.level === 'error' && l.msg === 'peer message handler threw'));
  assert.equal(b.connectedPeers(), ['node1']);
});

test('the accepting side also terminates a dialler that stops answering pings', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  const changes: boolean[] = [];
  b.onLinkState((_p, up) => changes.push(up));
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  ws.pause();
  await waitFor('terminated', () => changes.length === 2, 2000);
  assert.equal(changes, [true, false]);
  ws.terminate();
});

test('a peer that dials in again replaces its old link (down, then up), keeping one link per pair', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  const changes: boolean[] = [];
  b.onLinkState((_p, up) => changes.push(up));
  const atB = inbox(b);
  await b.listen();
  const first = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  const firstClosed = closed(first);
  const second = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  await firstClosed;
  assert.equal(changes, [true, false, true]);
  assert.equal(b.connectedPeers(), ['node1']);
  const got = new Promise<Buffer>((resolve) => second.once('message', (d) => resolve(d as Buffer)));
  assert.ok(b.send('node1', { type: 'peer.hello' }));
  assert.equal(decodeFrame(await got, 'node2', LINK.messageBytesMax), { ok: true, msgs: [{ type: 'peer.hello' }] });
  second.send(wire('node1', [{ type: 'peer.reply' }]));
  await waitFor('reply', () => atB.length === 1);
  second.terminate();
});

test('close() is bounded: a peer that never completes the close is terminated', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)], { ...LINK, pingIntervalMs: 60_000 });
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  const wsClosed = closed(ws);
  ws.pause();
  let done = false;
  const closing = b.close().then(() => (done = true));
  await waitFor('close resolves', () => done, 3000);
  await closing;
  // The raw side was paused, so it never answered the close frame; once it reads again it finds
  // the close frame and then a dead TCP connection.
  ws.resume();
  assert.is(await wsClosed, 1001);
  assert.ok(allLines.some((l) => (l.obj as { node?: string }).node === 'node2' && l.msg === 'transport closed'));
  assert.equal(b.connectedPeers(), []);
});

test('a WebSocket protocol violation (RSV1 set without an extension) closes the link and is counted', async () => {
  const b = make('node2', [addr('node1', 0), addr('node2', 0)]);
  await b.listen();
  const ws = await rawPeer(b.boundPort() ?? 0, 'node1', 'node2');
  const code = closed(ws);
  // Written under ws's feet: FIN + RSV1 + binary, masked, empty payload, all-zero key.
  (ws as unknown as { _socket: Socket })._socket.write(Buffer.from([0xc2, 0x80, 0, 0, 0, 0]));
  assert.is(await code, 1002);
  await waitFor('counted', () => countOf('node2', 'framesDropped', { reason: 'protocol', peer: 'node1', direction: 'in' }) === 1);
});

test('close() during listen() leaves nothing bound or dialling', async () => {
  const t = make('node1', [addr('node1', 0), addr('node2', 1)]);
  const listening = t.listen();
  await t.close();
  await listening;
  assert.equal(t.dialStates(), {});
  assert.equal(t.connectedPeers(), []);
  const port = t.boundPort() ?? 0;
  assert.ok(port > 0, 'it did bind before closing');
  // The port is free again: a fresh server can bind it.
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, HOST, resolve);
  });
  await new Promise((r) => probe.close(r));
});

test('the dialler writes binary frames with an all-zero masking key, so nothing is masked', async () => {
  // A fake node2 that authenticates properly and records the raw bytes node1 writes to it.
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('headers', (headers, req) => {
    const nonce = String(req.headers[AUTH_HEADER.nonce]);
    headers.push(`${AUTH_HEADER.accept}: ${signAcceptance(SECRET, 'node2', 'node1', nonce)}`);
  });
  const raw: Buffer[] = [];
  const received: Buffer[] = [];
  const sockets: WebSocket[] = [];
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      socket.on('data', (chunk: Buffer) => raw.push(chunk));
      ws.on('message', (d) => received.push(d as Buffer));
    }),
  );
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const port = (server.address() as { port: number }).port;
  try {
    const a = make('node1', [addr('node1', 0), addr('node2', port)]);
    await a.listen();
    await waitFor('link up', () => a.connectedPeers().length === 1);
    const message: PeerMessage = { type: 'peer.appendEntries', term: 1, entries: [{ index: 1, data: '{"k":"v"}' }] };
    assert.ok(a.send('node2', message));
    await waitFor('frame received', () => received.length === 1);
    assert.equal(decodeFrame(received[0] as Buffer, 'node1', LINK.messageBytesMax), { ok: true, msgs: [message] });
    // Walk the client-to-server frames on the wire (pings included): each is masked with key 0.
    const bytes = Buffer.concat(raw);
    let at = 0;
    let dataFrames = 0;
    while (at + 2 <= bytes.length) {
      const opcode = (bytes[at] ?? 0) & 0x0f;
      const second = bytes[at + 1] ?? 0;
      assert.ok(second & 0x80, 'client frames carry the mask bit');
      let length = second & 0x7f;
      let keyAt = at + 2;
      if (length === 126) {
        length = bytes.readUInt16BE(at + 2);
        keyAt += 2;
      }
      assert.ok(length < 127, 'small frames only in this test');
      assert.equal([...bytes.subarray(keyAt, keyAt + 4)], [0, 0, 0, 0], 'all-zero masking key');
      const payload = bytes.subarray(keyAt + 4, keyAt + 4 + length);
      if (opcode === 0x2) {
        dataFrames++;
        assert.equal([...payload.subarray(0, 4)], [0x53, 0x50, 0x57, 0x01], 'the payload is on the wire as is');
        assert.ok(payload.includes('{"k":"v"}'), 'entry data travels raw');
      } else {
        assert.ok(opcode >= 0x8, `only control frames besides binary ones (opcode ${opcode})`);
      }
      at = keyAt + 4 + length;
    }
    assert.is(dataFrames, 1);
  } finally {
    for (const ws of sockets) ws.terminate();
    await Promise.all(open.splice(0).map((t) => t.close()));
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a 1,000-transfer ledger command crosses a real link intact, as do many small ones', async () => {
  const { a, b } = await pair({ ...LINK, messageBytesMax: 1024 * 1024, sendBufferBytesMax: 4 * 1024 * 1024 });
  const atB = inbox(b);
  const flags = { linked: false, pending: false, post: false, void: false };
  const command = (n: number, first: number) =>
    encodeCommand({
      type: 'transfer.create',
      transfers: Array.from({ length: n }, (_, k) => ({
        id: `t-${first + k}`, debitAccountId: 'a-ü', creditAccountId: 'b-💸', amount: BigInt(first + k + 1), currency: 'EUR',
        flags, pendingId: null, timeoutMs: 0, reference: k % 2 === 0 ? `ref "${k}"` : null,
      })),
      idempotency: null,
      via: 'node1',
    });
  const entries = (datas: string[], first: number) => datas.map((data, k) => ({ index: first + k, term: 2, kind: 'command', hlc: '000001764000000.000001', data }));
  const sent: PeerMessage[] = [
    { type: 'peer.appendEntries', term: 2, prevIndex: 0, prevTerm: 0, entries: entries([command(1000, 0)], 1), commit: 0 },
    { type: 'peer.appendEntries', term: 2, prevIndex: 1, prevTerm: 2, entries: entries(Array.from({ length: 11 }, (_, i) => command(1, i)), 2), commit: 1 },
    { type: 'peer.heartbeat', term: 2, commit: 12, ctx: 0 },
  ];
  for (const m of sent) assert.ok(a.send('node2', m));
  await waitFor('all delivered', () => atB.length === sent.length);
  assert.equal(atB, sent.map((m) => ['node1', m]));
  assert.is(countOf('node2', 'framesDropped'), 0);
});

test('the secret never appears in any captured log line', () => {
  assert.ok(allLines.length > 20, 'the other tests logged');
  const text = JSON.stringify(allLines);
  assert.not.ok(text.includes(SECRET));
  assert.not.match(text, /[0-9a-f]{64}/, 'no signature or other digest either');
});

test.run();
