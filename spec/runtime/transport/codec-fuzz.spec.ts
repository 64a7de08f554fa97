// Seeded fuzzing of everything a remote party controls before it is trusted: frame text and
// handshake headers. Neither decoder may throw, and each must accept exactly what the rules allow.
// Re-run a failure with SEED=<printed seed>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { NonceCache, handshakeHeaders, readClaim, verifyHandshake } from '../../../runtime/transport/auth.ts';
import { assembleFrame, decodeFrame, isPeerMessage } from '../../../runtime/transport/frame.ts';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000_007);
console.log(`  transport codec fuzz seed=${seed}`);

/** What the receiver makes of arbitrary bytes on the wire. */
const randomBytesAsText = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8'));
/** Near misses: frame-shaped JSON with random senders, types and members. */
const frameLike = fc
  .record({
    from: fc.oneof(fc.constant('node1'), fc.constant('node3'), fc.jsonValue({ maxDepth: 0 })),
    msgs: fc.oneof(
      fc.array(fc.oneof(fc.record({ type: fc.oneof(fc.constant('peer.x'), fc.string({ maxLength: 70 })) }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 4 }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  })
  .map((f) => JSON.stringify(f));

test('decodeFrame never throws on arbitrary text, and accepts only well-formed frames from the peer', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json({ maxDepth: 3 }), randomBytesAsText, frameLike), (text) => {
      const r = decodeFrame(text, 'node1', 4096);
      if (!r.ok) return true;
      accepted++;
      const parsed = JSON.parse(text) as { from: unknown; msgs: unknown[] };
      return parsed.from === 'node1' && Array.isArray(parsed.msgs) && parsed.msgs.every(isPeerMessage);
    }),
    { seed, numRuns: 500 },
  );
  assert.ok(accepted > 0, 'the generators reach the accepting path too');
});

test('decodeFrame round-trips any batch of peer messages', () => {
  const message = fc
    .tuple(fc.string({ maxLength: 59 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })))
    .map(([suffix, body]) => ({ ...body, type: `peer.${suffix}` }));
  fc.assert(
    fc.property(fc.array(message, { maxLength: 4 }), (msgs) => {
      const text = assembleFrame('node1', msgs.map((m) => JSON.stringify(m)));
      const r = decodeFrame(text, 'node1', 1 << 20);
      // JSON drops -0 and such; compare against what JSON itself makes of the batch.
      return r.ok && JSON.stringify(r.msgs) === JSON.stringify(JSON.parse(JSON.stringify(msgs)));
    }),
    { seed, numRuns: 500 },
  );
});

test('verifyHandshake never throws on arbitrary headers and accepts only a correctly signed claim', () => {
  const SECRET = 'fuzz-secret-fuzz-secret';
  const NOW = 1_800_000_000_000;
  const header = fc.option(fc.string({ maxLength: 80 }), { nil: undefined });
  fc.assert(
    fc.property(header, header, header, header, (node, timestamp, nonce, signature) => {
      const ctx = { secret: SECRET, self: 'node2', knownNodes: new Set(['node1', 'node2']), now: NOW, skewMsMax: 30_000, nonces: new NonceCache(60_000, 10) };
      return !verifyHandshake({ node, timestamp, nonce, signature }, ctx).ok;
    }),
    { seed, numRuns: 500 },
  );
  const ctx = { secret: SECRET, self: 'node2', knownNodes: new Set(['node1', 'node2']), now: NOW, skewMsMax: 30_000, nonces: new NonceCache(60_000, 10) };
  assert.ok(verifyHandshake(readClaim(handshakeHeaders(SECRET, 'node1', 'node2', NOW, 'a'.repeat(16))), ctx).ok);
});

test.run();
