// Attacks on the peer port, from a raw ws client: every refused upgrade gets a 401, one warn line
// (naming the remote address and the reason) and an authRejected count; nothing leaks the secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_CONFIG, type Config, type NodeAddress } from '../../../machines/config.ts';
import type { NodeId } from '../../../machines/types.ts';
import { AUTH_HEADER, handshakeHeaders, newNonce, verifyAcceptance } from '../../../runtime/transport/auth.ts';
import { PEER_PATH } from '../../../runtime/transport/dialler.ts';
import { createPeerTransport, type PeerTransport } from '../../../runtime/transport/peer-transport.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';

const SECRET = 'handshake-spec-secret-0b8e4f6d2a9c1357';
const HOST = '127.0.0.1';
const LINK: Config['link'] = { ...DEFAULT_CONFIG.link, pingIntervalMs: 200, reconnectBackoffMsMin: 5, reconnectBackoffMsMax: 40 };

const lines: CapturedLine[] = [];
const rejected: Array<Record<string, string>> = [];
const signaturesSent: string[] = [];
let node2: PeerTransport;
let port = 0;

function addr(id: NodeId, peerPort: number): NodeAddress {
  return { id, host: HOST, apiPort: 0, peerPort };
}

type DialOutcome = { status: number } | { ws: WebSocket; accept: string | undefined };

/** Dial node2 with exactly these headers; report the HTTP status of a refusal, or the open socket. */
function dial(headers: Record<string, string>): Promise<DialOutcome> {
  const sig = headers[AUTH_HEADER.signature];
  if (sig !== undefined) signaturesSent.push(sig);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${HOST}:${port}${PEER_PATH}`, { headers, perMessageDeflate: false });
    let accept: string | undefined;
    ws.once('upgrade', (res) => {
      const v = res.headers[AUTH_HEADER.accept];
      accept = typeof v === 'string' ? v : undefined;
    });
    ws.once('open', () => resolve({ ws, accept }));
    ws.once('error', (err) => {
      const m = /Unexpected server response: (\d+)/.exec(err.message);
      if (m) resolve({ status: Number(m[1]) });
      else reject(err);
    });
  });
}

function signed(from: NodeId, overrides: { to?: NodeId; ts?: number; nonce?: string; secret?: string } = {}): Record<string, string> {
  return handshakeHeaders(overrides.secret ?? SECRET, from, overrides.to ?? 'node2', overrides.ts ?? Date.now(), overrides.nonce ?? newNonce());
}

/** Dial, expect a 401, and check the single warn line and counter the refusal produced. */
async function expectRefused(headers: Record<string, string>, reason: string): Promise<void> {
  const warnsBefore = lines.filter((l) => l.level === 'warn').length;
  const rejectedBefore = rejected.length;
  const outcome = await dial(headers);
  assert.equal(outcome, { status: 401 }, reason);
  const warns = lines.filter((l) => l.level === 'warn').slice(warnsBefore);
  assert.is(warns.length, 1, `one warn line for ${reason}`);
  const obj = warns[0]?.obj as { remote?: string; reason?: string };
  assert.is(obj.reason, reason);
  assert.match(obj.remote ?? '', /^127\.0\.0\.1:\d+$/);
  assert.equal(rejected.slice(rejectedBefore), [{ reason }]);
  assert.equal(node2.connectedPeers(), []);
}

test.before(async () => {
  node2 = createPeerTransport({
    self: 'node2',
    nodes: [addr('node1', 0), addr('node2', 0), addr('node3', 0)],
    secret: SECRET,
    link: LINK,
    logger: captureLogger(lines, { node: 'node2' }),
    onCounter: (name, labels) => {
      if (name === 'authRejected') rejected.push(labels);
    },
  });
  await node2.listen();
  port = node2.boundPort() ?? 0;
});

test.after(async () => {
  await node2.close();
});

test('a correct handshake opens, and the acceptor proves it holds the secret', async () => {
  const headers = signed('node1');
  const outcome = await dial(headers);
  assert.ok('ws' in outcome);
  const nonce = headers[AUTH_HEADER.nonce] ?? '';
  assert.ok(verifyAcceptance(SECRET, 'node2', 'node1', nonce, outcome.accept));
  assert.equal(node2.connectedPeers(), ['node1']);
  const gone = new Promise((r) => outcome.ws.once('close', r));
  outcome.ws.close();
  await gone;
});

test('wrong secret -> 401', async () => {
  await expectRefused(signed('node1', { secret: 'not-the-cluster-secret-at-all' }), 'bad-signature');
});

test('missing headers -> 401', async () => {
  await expectRefused({}, 'missing-headers');
  const partial = signed('node1');
  delete partial[AUTH_HEADER.signature];
  await expectRefused(partial, 'missing-headers');
});

test('malformed headers -> 401', async () => {
  await expectRefused({ ...signed('node1'), [AUTH_HEADER.timestamp]: 'yesterday' }, 'malformed-headers');
});

test('replayed nonce -> 401', async () => {
  const headers = signed('node1');
  const first = await dial(headers);
  assert.ok('ws' in first);
  const gone = new Promise((r) => first.ws.once('close', r));
  first.ws.close();
  await gone;
  await expectRefused(headers, 'replayed-nonce');
});

test('stale (and future) timestamp -> 401', async () => {
  await expectRefused(signed('node1', { ts: Date.now() - LINK.authSkewMsMax - 5000 }), 'stale-timestamp');
  await expectRefused(signed('node1', { ts: Date.now() + LINK.authSkewMsMax + 5000 }), 'stale-timestamp');
});

test('unknown node id and our own id are refused', async () => {
  await expectRefused(signed('mallory'), 'unknown-node');
  await expectRefused(signed('node2'), 'self');
});

test('a handshake signed for another node cannot be used here', async () => {
  await expectRefused(signed('node1', { to: 'node3' }), 'bad-signature');
});

test('a node with a larger id may not dial (one link per pair)', async () => {
  await expectRefused(signed('node3'), 'wrong-direction');
});

test('plain HTTP on the peer port gets 426', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: HOST, port, path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.is(status, 426);
});

test('a dialler hangs up on an acceptor that cannot prove the secret', async () => {
  // An impostor node2 that accepts anything and sends no acceptance proof.
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const accepted: WebSocket[] = [];
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => accepted.push(ws)));
  await new Promise<void>((r) => server.listen(0, HOST, r));
  const fakePort = (server.address() as { port: number }).port;
  const counted: Array<[string, Record<string, string>]> = [];
  const node1 = createPeerTransport({
    self: 'node1',
    nodes: [addr('node1', 0), addr('node2', fakePort)],
    secret: SECRET,
    link: LINK,
    logger: captureLogger(lines, { node: 'node1' }),
    onCounter: (name, labels) => counted.push([name, labels]),
  });
  const changes: boolean[] = [];
  node1.onLinkState((_p, up) => changes.push(up));
  try {
    await node1.listen();
    const deadline = Date.now() + 2000;
    while (accepted.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(accepted.length >= 2, 'it kept trying');
    assert.equal(changes, [], 'never reported up');
    assert.ok(counted.some(([n, l]) => n === 'authRejected' && l['reason'] === 'bad-acceptance'));
    assert.ok(counted.some(([n]) => n === 'reconnects'));
  } finally {
    await node1.close();
    for (const ws of accepted) ws.terminate();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('neither the secret nor any signature appears in the logs', () => {
  assert.ok(signaturesSent.length >= 10);
  const text = JSON.stringify(lines);
  assert.not.ok(text.includes(SECRET));
  for (const sig of signaturesSent) assert.not.ok(text.includes(sig));
  assert.not.match(text, /[0-9a-f]{64}/);
});

test.run();
