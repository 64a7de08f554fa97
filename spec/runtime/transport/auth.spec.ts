// Handshake rules without sockets: what verifyHandshake accepts and why it refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  NonceCache,
  handshakeHeaders,
  newNonce,
  readClaim,
  signAcceptance,
  signHandshake,
  verifyAcceptance,
  verifyHandshake,
  type HandshakeClaim,
  type VerifyContext,
} from '../../../runtime/transport/auth.ts';

const SECRET = 'correct horse battery staple 0123456789';
const NOW = 1_800_000_000_000;
const SKEW = 30_000;

function ctx(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return {
    secret: SECRET,
    self: 'node2',
    knownNodes: new Set(['node1', 'node2', 'node3']),
    now: NOW,
    skewMsMax: SKEW,
    nonces: new NonceCache(2 * SKEW, 100),
    ...overrides,
  };
}

function claim(from = 'node1', to = 'node2', timestamp = NOW, nonce = newNonce(), secret = SECRET): HandshakeClaim {
  return readClaim(handshakeHeaders(secret, from, to, timestamp, nonce));
}

test('a well-signed, fresh handshake from a known peer is accepted and names the peer', () => {
  assert.equal(verifyHandshake(claim(), ctx()), { ok: true, from: 'node1' });
});

test('signatures are deterministic and bind every field', () => {
  const base = signHandshake(SECRET, 'node1', 'node2', NOW, 'n'.repeat(20));
  assert.is(base, signHandshake(SECRET, 'node1', 'node2', NOW, 'n'.repeat(20)));
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.is.not(base, signHandshake(SECRET, 'node3', 'node2', NOW, 'n'.repeat(20)));
  assert.is.not(base, signHandshake(SECRET, 'node1', 'node3', NOW, 'n'.repeat(20)));
  assert.is.not(base, signHandshake(SECRET, 'node1', 'node2', NOW + 1, 'n'.repeat(20)));
  assert.is.not(base, signHandshake(SECRET, 'node1', 'node2', NOW, 'm'.repeat(20)));
  assert.is.not(base, signHandshake(`${SECRET}x`, 'node1', 'node2', NOW, 'n'.repeat(20)));
});

test('wrong secret is refused as a bad signature', () => {
  const c = claim('node1', 'node2', NOW, newNonce(), 'another secret entirely');
  assert.equal(verifyHandshake(c, ctx()), { ok: false, reason: 'bad-signature' });
});

test('a handshake signed for another node cannot be replayed here', () => {
  const c = claim('node1', 'node3');
  assert.equal(verifyHandshake(c, ctx()), { ok: false, reason: 'bad-signature' });
});

test('missing headers are refused', () => {
  const full = claim();
  for (const key of ['node', 'timestamp', 'nonce', 'signature'] as const) {
    const c = { ...full, [key]: undefined };
    assert.equal(verifyHandshake(c, ctx()), { ok: false, reason: 'missing-headers' }, key);
  }
  assert.equal(readClaim({ 'x-syncpay-node': ['node1', 'node3'] as unknown as string }).node, undefined);
});

test('malformed headers are refused before any HMAC work', () => {
  const good = claim();
  const bad: HandshakeClaim[] = [
    { ...good, timestamp: '12.5' },
    { ...good, timestamp: '-1' },
    { ...good, nonce: 'short' },
    { ...good, nonce: 'has spaces in it, sixteen+' },
    { ...good, signature: 'zz' },
    { ...good, signature: (good.signature ?? '').toUpperCase() },
  ];
  for (const c of bad) assert.equal(verifyHandshake(c, ctx()), { ok: false, reason: 'malformed-headers' }, JSON.stringify(c));
});

test('unknown node id and own id are refused', () => {
  assert.equal(verifyHandshake(claim('node9'), ctx()), { ok: false, reason: 'unknown-node' });
  assert.equal(verifyHandshake(claim('node2', 'node2'), ctx()), { ok: false, reason: 'self' });
});

test('timestamps beyond the skew bound are refused, in either direction; the bound itself passes', () => {
  assert.equal(verifyHandshake(claim('node1', 'node2', NOW - SKEW - 1), ctx()), { ok: false, reason: 'stale-timestamp' });
  assert.equal(verifyHandshake(claim('node1', 'node2', NOW + SKEW + 1), ctx()), { ok: false, reason: 'stale-timestamp' });
  assert.equal(verifyHandshake(claim('node1', 'node2', NOW - SKEW), ctx()).ok, true);
  assert.equal(verifyHandshake(claim('node1', 'node2', NOW + SKEW), ctx()).ok, true);
});

test('a nonce is accepted once; its replay is refused', () => {
  const c = ctx();
  const once = claim();
  assert.equal(verifyHandshake(once, c).ok, true);
  assert.equal(verifyHandshake(once, c), { ok: false, reason: 'replayed-nonce' });
  assert.equal(verifyHandshake(once, { ...c, now: NOW + 1000 }), { ok: false, reason: 'replayed-nonce' });
});

test('refused handshakes leave no nonce behind', () => {
  const c = ctx();
  const nonce = newNonce();
  verifyHandshake(claim('node1', 'node2', NOW, nonce, 'wrong secret'), c);
  assert.is(c.nonces.size, 0);
  assert.equal(verifyHandshake(claim('node1', 'node2', NOW, nonce), c).ok, true);
});

test('nonce cache: entries expire after the ttl, and a full cache refuses rather than grows', () => {
  const cache = new NonceCache(1000, 3);
  assert.is(cache.admit('a', 0), 'ok');
  assert.is(cache.admit('b', 10), 'ok');
  assert.is(cache.admit('c', 20), 'ok');
  assert.is(cache.admit('d', 30), 'full');
  assert.is(cache.size, 3);
  assert.is(cache.admit('a', 999), 'replayed');
  assert.is(cache.admit('d', 1000), 'ok', 'a expired at 1000, freeing a slot');
  assert.is(cache.admit('a', 1005), 'full');
  assert.is(cache.admit('e', 2030), 'ok');
  assert.is(cache.size, 1, 'everything older swept');
});

test('verifyHandshake reports a full nonce cache', () => {
  const c = ctx({ nonces: new NonceCache(2 * SKEW, 1) });
  assert.equal(verifyHandshake(claim(), c).ok, true);
  assert.equal(verifyHandshake(claim(), c), { ok: false, reason: 'nonce-cache-full' });
});

test('acceptance proof: verifies for the right parties and nonce only', () => {
  const nonce = newNonce();
  const proof = signAcceptance(SECRET, 'node2', 'node1', nonce);
  assert.ok(verifyAcceptance(SECRET, 'node2', 'node1', nonce, proof));
  assert.not.ok(verifyAcceptance(SECRET, 'node3', 'node1', nonce, proof));
  assert.not.ok(verifyAcceptance(SECRET, 'node2', 'node1', newNonce(), proof));
  assert.not.ok(verifyAcceptance('other secret', 'node2', 'node1', nonce, proof));
  assert.not.ok(verifyAcceptance(SECRET, 'node2', 'node1', nonce, undefined));
  assert.not.ok(verifyAcceptance(SECRET, 'node2', 'node1', nonce, 'abc'));
});

test('nonces are url-safe and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = newNonce();
    assert.match(n, /^[A-Za-z0-9_-]{16,64}$/);
    seen.add(n);
  }
  assert.is(seen.size, 200);
});

test.run();
