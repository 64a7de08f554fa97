// Seeded fuzzing of everything a remote party controls before it is trusted: frame bytes and
// handshake headers. Neither decoder may throw, and each must accept exactly what the rules allow.
// Re-run a failure with SEED=<printed seed>.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import type { PeerMessage } from '../../../machines/types.ts';
import { NonceCache, handshakeHeaders, readClaim, verifyHandshake } from '../../../runtime/transport/auth.ts';
import { FRAME_HEADER_BYTES, assembleFrame, decodeFrame, encodeMessage, isPeerMessage } from '../../../runtime/transport/frame.ts';

const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000_007);
console.log(`  transport codec fuzz seed=${seed}`);

/** A frame header (magic, JSON length) in front of `json`, then `tail`. */
function withHeader(json: Uint8Array, tail: Uint8Array, jsonLength = json.length): Buffer {
  const header = Buffer.from([0x53, 0x50, 0x57, 0x01, 0, 0, 0, 0]);
  header.writeUInt32BE(jsonLength >>> 0, 4);
  return Buffer.concat([header, json, tail]);
}

/** Strings of any code points, lone surrogates included (those must travel inline). */
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('', '\ud800', 'a\udc00b', '{"q":"\\""}', 'é💸'));
const entry = fc.record({ index: fc.nat(), term: fc.nat(), kind: fc.constantFrom('noop', 'command'), hlc: fc.string({ maxLength: 22 }), data: text });
const message: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 59 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })))
    .map(([suffix, body]) => ({ ...body, type: `peer.${suffix}` }) as PeerMessage),
  fc.record({ type: fc.constant('peer.appendEntries' as const), term: fc.nat(), entries: fc.array(entry, { maxLength: 5 }), commit: fc.nat() }),
  // Proposals and snapshot chunks, with the lifted fields present or not, strings or not.
  fc.record(
    { type: fc.constantFrom('peer.propose' as const, 'peer.installSnapshot' as const), data: fc.oneof(text, fc.nat()), chunk: text, entries: fc.array(entry, { maxLength: 2 }) },
    { requiredKeys: ['type'] },
  ),
);
const batch = fc.array(message, { maxLength: 4 });

/** Near misses: frame-shaped JSON, split or not, with random senders, types, members and lengths. */
const frameLikeJson = fc
  .record({
    from: fc.oneof(fc.constant('node1'), fc.constant('node3'), fc.jsonValue({ maxDepth: 0 })),
    msgs: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record({ type: fc.oneof(fc.constant('peer.x'), fc.string({ maxLength: 70 })) }),
          fc.tuple(
            fc.record(
              { type: fc.constant('peer.s'), data: fc.nat(6), chunk: fc.oneof(fc.nat(6), fc.integer()), entries: fc.array(fc.record({ data: fc.oneof(fc.nat(6), fc.integer(), fc.jsonValue({ maxDepth: 0 })) }), { maxLength: 3 }) },
              { requiredKeys: ['type'] },
            ),
            fc.oneof(fc.integer({ min: -1, max: 9 }), fc.jsonValue({ maxDepth: 0 })),
          ),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        { maxLength: 4 },
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  })
  .map((f) => Buffer.from(JSON.stringify(f)));
const anyFrame = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.uint8Array({ maxLength: 60 }), fc.uint8Array({ maxLength: 20 }), fc.option(fc.nat(100), { nil: undefined })).map(([j, t, n]) => withHeader(j, t, n)),
  fc.tuple(frameLikeJson, fc.uint8Array({ maxLength: 20 }), fc.option(fc.nat(100), { nil: undefined })).map(([j, t, n]) => withHeader(j, t, n)),
  // Valid frames with one byte changed or cut short.
  fc.tuple(batch, fc.nat(), fc.nat(255), fc.boolean()).map(([msgs, at, byte, cut]) => {
    const f = assembleFrame('node1', msgs.map(encodeMessage));
    if (f.length === 0) return f;
    if (cut) return f.subarray(0, at % f.length);
    f[at % f.length] = byte;
    return f;
  }),
);

test('decodeFrame never throws on arbitrary bytes, and accepts only well-formed frames from the peer', () => {
  let accepted = 0;
  fc.assert(
    fc.property(anyFrame, (frame) => {
      const r = decodeFrame(Buffer.from(frame), 'node1', 4096);
      if (!r.ok) return true;
      accepted++;
      // What was accepted is exactly tiled by the JSON part and the entries' data.
      const jsonEnd = FRAME_HEADER_BYTES + frame.readUInt32BE(4);
      const parsed = JSON.parse(frame.toString('utf8', FRAME_HEADER_BYTES, jsonEnd)) as { from: unknown; msgs: unknown[] };
      let dataBytes = 0;
      parsed.msgs.forEach((pm, i) => {
        if (!Array.isArray(pm)) return;
        const flags = pm[1] as number;
        const m = r.msgs[i] as Record<string, unknown>;
        if (flags & 1) dataBytes += Buffer.byteLength(m['data'] as string);
        if (flags & 2) dataBytes += Buffer.byteLength(m['chunk'] as string);
        if (flags & 4) for (const e of m['entries'] as Array<{ data: string }>) dataBytes += Buffer.byteLength(e.data);
      });
      return parsed.from === 'node1' && parsed.msgs.length === r.msgs.length && r.msgs.every(isPeerMessage) && jsonEnd + dataBytes === frame.length;
    }),
    { seed, numRuns: 1000 },
  );
  assert.ok(accepted > 0, 'the generators reach the accepting path too');
});

test('decodeFrame round-trips any batch of peer messages exactly', () => {
  let split = 0;
  fc.assert(
    fc.property(batch, (msgs) => {
      const encoded = msgs.map(encodeMessage);
      split += encoded.filter((e) => e.blobs.length > 0).length;
      const r = decodeFrame(assembleFrame('node1', encoded), 'node1', 1 << 20);
      // JSON drops -0 and such; compare against what JSON itself makes of the batch.
      return r.ok && isDeepStrictEqual(r.msgs, JSON.parse(JSON.stringify(msgs)));
    }),
    { seed, numRuns: 500 },
  );
  assert.ok(split > 50, `the split form was exercised (${split} messages)`);
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
