// Snapshot data as a list of pieces: however a text is cut (inside runs of multi-byte characters,
// next to surrogate pairs, into pieces smaller or larger than a write slice, even between the two
// halves of a pair, which SnapshotText's rule forbids), the file and the content hash are byte for
// byte those of the one-string code this replaced, and a file read back a few bytes at a time gives
// the same text as one read whole. Set SYNCPAY_STORAGE_SEED to replay one seed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng, type Prng } from '../../../machines/prng.ts';
import { joinText, textLength, textOf, type SnapshotText } from '../../../machines/snapshot-text.ts';
import { CommitQueue } from '../../../runtime/storage/commit-queue.ts';
import { crc32c } from '../../../runtime/storage/crc32c.ts';
import {
  SNAPSHOT_DATA_BYTES_MAX,
  assertSnapshotDataFits,
  decodeSnapshot,
  encodeSnapshot,
  readNewestValidSnapshot,
  readSnapshotFile,
  snapshotContentHash,
  snapshotDataBytes,
  snapshotDataFits,
  writeSnapshot,
  writeSnapshotInSlices,
} from '../../../runtime/storage/snapshot-file.ts';
import { SnapshotPipeline } from '../../../runtime/storage/snapshot-pipeline.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';
import { cutIntoPieces } from './store-fixture.ts';

const meta = { index: 1234567, term: 89 };
const chain = Buffer.alloc(16, 0x5a);

/** The file as the one-string code wrote it: header, CRC-32C over [8,end), the joined text's UTF-8. */
function oneStringFile(text: string): Buffer {
  const data = Buffer.from(text, 'utf8');
  const buf = Buffer.alloc(44 + data.length);
  buf.write('SPSN', 0, 'ascii');
  buf.writeBigUInt64BE(BigInt(meta.index), 8);
  buf.writeBigUInt64BE(BigInt(meta.term), 16);
  chain.copy(buf, 24);
  buf.writeUInt32BE(data.length, 40);
  data.copy(buf, 44);
  buf.writeUInt32BE(crc32c(buf.subarray(8)), 4);
  return buf;
}

/** The content hash as the one-string code computed it. */
function oneStringHash(text: string): Buffer {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(BigInt(meta.index), 0);
  head.writeBigUInt64BE(BigInt(meta.term), 8);
  return createHash('sha256').update('snapshot').update(head).update(Buffer.from(text, 'utf8')).digest().subarray(0, 16);
}

/** Writes through writeSnapshotInSlices into memory, each write landing on a later turn as a file's does. */
async function sliced(data: SnapshotText, sliceUnits?: number): Promise<{ bytes: Buffer; writes: number; pauses: number }> {
  let bytes = Buffer.alloc(0);
  let writes = 0;
  let pauses = 0;
  await writeSnapshotInSlices(async (b, position) => {
    writes++;
    await new Promise((resolve) => setImmediate(resolve));
    if (bytes.length < position + b.length) bytes = Buffer.concat([bytes, Buffer.alloc(position + b.length - bytes.length)]);
    bytes.set(b, position);
  }, meta, data, chain, async () => void pauses++, sliceUnits);
  return { bytes, writes, pauses };
}

/** Characters of every UTF-8 length, a surrogate pair among them. */
const ALPHABET = ['a', ',', '\n', 'é', 'ß', '☃', '€', '\u{1F4B8}', '\u{1F4B6}'];

function randomText(prng: Prng, chars: number): string {
  let s = '';
  for (let k = 0; k < chars; k++) s += prng.pick(ALPHABET);
  return s;
}

/** Cuts `s` anywhere, between the halves of surrogate pairs too. */
function cutAnywhere(s: string, prng: Prng, cuts: number): string[] {
  const points = [0, ...Array.from({ length: cuts }, () => prng.int(0, s.length)).sort((a, b) => a - b), s.length];
  return points.slice(1).map((p, k) => s.slice(points[k], p));
}

function seedsFromEnv(fallback: number[]): number[] {
  const fromEnv = process.env['SYNCPAY_STORAGE_SEED'];
  return fromEnv ? [Number(fromEnv)] : fallback;
}

const pinned = suite('snapshot bytes and hash pinned to the one-string encoding');
const noPause = async (): Promise<void> => {};

pinned('golden values from the one-string code: file CRC, header and hash, for any cut of the text', async () => {
  // Computed with the one-string snapshot-file.ts (commit c3d70e4) on this text and meta.
  const text = 'row,Zoë,☃,\u{1F4B8},€12.50\n'.repeat(3) + 'end \u{1F4B6}';
  const header = '5350534e47b48058000000000012d68700000000000000595a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a00000059';
  const hash = '1ae9f957bec697e21845f3391e91d29a';
  // Whole; cut before 'o', before ',' right after the pair; a piece per character; empty pieces
  // around a cut right after the pair; and (against the rule) between the pair's halves.
  const cuts: SnapshotText[] = [[text], [text.slice(0, 5), text.slice(5, 12), text.slice(12)], [...text], ['', text.slice(0, 12), '', text.slice(12)],
    [text.slice(0, 11), text.slice(11)]];
  for (const pieces of cuts) {
    const file = encodeSnapshot(meta, pieces, chain);
    assert.is(file.length, 133);
    assert.is(file.subarray(0, 44).toString('hex'), header, `header for ${pieces.length} pieces`);
    assert.ok(file.equals(oneStringFile(text)));
    assert.is((await snapshotContentHash(meta, pieces, noPause)).toString('hex'), hash, `hash for ${pieces.length} pieces`);
  }
});

pinned('random texts cut at random places: the sliced writer, the one-buffer encoder and the hash match the one-string code', async () => {
  for (const seed of seedsFromEnv([601, 602, 603])) {
    console.log(`snapshot pieces pinned seed ${seed}`);
    const prng = createPrng(seed);
    for (let round = 0; round < 40; round++) {
      const text = randomText(prng, prng.int(0, 120));
      const pieces = cutIntoPieces(text, prng, prng.int(0, 12));
      const want = oneStringFile(text);
      const where = `seed ${seed} round ${round} pieces ${JSON.stringify(pieces)}`;
      // Slices of 2 to 9 units: pairs, pieces and slice boundaries fall every which way.
      const { bytes } = await sliced(pieces, prng.int(2, 9));
      assert.ok(bytes.equals(want), `sliced writer: ${where}`);
      assert.ok(encodeSnapshot(meta, pieces, chain).equals(want), `encoder: ${where}`);
            let pauses = 0;
      const sliceUnits = prng.int(2, 9);
      const inSlices = await snapshotContentHash(meta, pieces, async () => void pauses++, sliceUnits);
      assert.ok(inSlices.equals(oneStringHash(text)), `hash in slices: ${where}`);
      // No slice holds more than `sliceUnits` units, so there are at least this many pauses.
      assert.ok(pauses >= Math.ceil(text.length / sliceUnits) - 1, `hash pauses ${pauses}: ${where}`);
      assert.is(snapshotDataBytes(pieces), Buffer.byteLength(text, 'utf8'), `length: ${where}`);
    }
  }
});

pinned('a surrogate pair cut between two pieces (against the rule) is still stored as the joined text', async () => {
  for (const seed of seedsFromEnv([611, 612])) {
    console.log(`snapshot pieces rule-breaking seed ${seed}`);
    const prng = createPrng(seed);
    for (let round = 0; round < 40; round++) {
      const text = randomText(prng, prng.int(1, 60));
      const pieces = cutAnywhere(text, prng, prng.int(1, 10));
      const where = `seed ${seed} round ${round} pieces ${JSON.stringify(pieces)}`;
      const { bytes } = await sliced(pieces, prng.int(2, 7));
      assert.ok(bytes.equals(oneStringFile(text)), where);
      assert.ok((await snapshotContentHash(meta, pieces, noPause)).equals(oneStringHash(text)), where);
      assert.is(snapshotDataBytes(pieces), Buffer.byteLength(text, 'utf8'), where);
    }
  }
  // The plainest case, spelled out: the halves of one pair in two pieces, an empty one between.
  const { bytes } = await sliced(['x\uD83D', '', '\uDCB8y'], 2);
  assert.is(bytes.subarray(44).toString('hex'), '78f09f92b879');
});

pinned.run();

const slicing = suite('writing a piece list in slices');

slicing('small pieces share a slice and a large piece spans several: one write per slice, a pause between slices of work', async () => {
  const SLICE = 1 << 20;
  // 3.5 slices' worth in pieces of 10 units: a write (and a pause) per piece would be 350 k of them.
  const small = Array.from({ length: Math.ceil((3.5 * SLICE) / 10) }, (_, k) => String(k % 10).repeat(10));
  const a = await sliced(small);
  assert.is(a.writes, 4 + 1, 'four slices, then the header');
  assert.is(a.pauses, 2 * 4 - 1, 'four slices measured, then four written');
  assert.ok(a.bytes.equals(oneStringFile(small.join(''))));
  // One piece of 2.5 slices between two tiny ones.
  const large = ['<', 'ü'.repeat(2.5 * SLICE), '>'];
  const b = await sliced(large);
  assert.is(b.writes, 3 + 1);
  assert.is(b.pauses, 2 * 3 - 1);
  assert.ok(b.bytes.equals(oneStringFile(joinText(large))));
});

slicing('an empty text, and a text of empty pieces, is the header alone', async () => {
  for (const data of [textOf(''), ['', '', '']]) {
    const { bytes, writes, pauses } = await sliced(data);
    assert.is(writes, 1);
    assert.is(pauses, 0);
    assert.ok(bytes.equals(oneStringFile('')));
  }
});

slicing.run();

const reading = suite<{ dir: string; lines: CapturedLine[] }>('reading a snapshot file in slices');

reading.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(join(tmpdir(), 'syncpay-snappieces-'));
  ctx.lines = [];
});

reading.after.each(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

reading('a file read 7 bytes at a time gives the same text as read whole, in pieces that keep every character whole', async (ctx) => {
  for (const seed of seedsFromEnv([621, 622, 623])) {
    console.log(`snapshot pieces reading seed ${seed}`);
    const prng = createPrng(seed);
    const text = randomText(prng, 3000);
    const name = await writeSnapshot(ctx.dir, { meta, data: cutIntoPieces(text, prng, 40), chainHash: chain });
    const path = join(ctx.dir, name);
    const whole = await readSnapshotFile(path);
    const tiny = await readSnapshotFile(path, 7);
    if (typeof whole === 'string' || typeof tiny === 'string') return assert.unreachable(`seed ${seed}: ${String(whole)} / ${String(tiny)}`);
    assert.is(joinText(whole.data), text, `seed ${seed}: read whole`);
    assert.is(joinText(tiny.data), text, `seed ${seed}: read in 7-byte slices`);
    assert.equal(tiny.meta, meta);
    assert.ok(tiny.chainHash.equals(chain));
    assert.ok(tiny.data.length > Buffer.byteLength(text) / 7 - 1, `seed ${seed}: one piece per read slice (${tiny.data.length})`);
    for (const piece of tiny.data) {
      assert.ok(Buffer.byteLength(piece) <= 7 + 3, 'a piece holds a slice and at most the rest of a character carried over');
      const last = piece.charCodeAt(piece.length - 1);
      assert.not.ok(last >= 0xd800 && last <= 0xdbff, 'no piece ends inside a surrogate pair');
      assert.not.ok(piece.includes('\uFFFD'), 'no character was cut into replacement characters');
    }
    // The in-memory decoder, in slices of every size from 1 to 9 bytes, agrees.
    const bytes = await readFile(path);
    for (let n = 1; n <= 9; n++) {
      const d = decodeSnapshot(bytes, path, n);
      assert.ok(typeof d !== 'string' && joinText(d.data) === text, `seed ${seed}: decoded in ${n}-byte slices`);
    }
    const chosen = await readNewestValidSnapshot(ctx.dir, captureLogger(ctx.lines), 7);
    assert.is(joinText(chosen.snapshot!.data), text);
  }
});

reading('damaged files are refused for the same reasons whether read whole or in tiny slices', async (ctx) => {
  const good = encodeSnapshot(meta, textOf('ledger: Zoë 💶 100.00\n'.repeat(20)), chain);
  const flip = (at: number): Buffer => {
    const b = Buffer.from(good);
    b[at] = b[at]! ^ 0x01;
    return b;
  };
  const longer = Buffer.from(good);
  longer.writeUInt32BE(good.readUInt32BE(40) + 1, 40);
  longer.writeUInt32BE(crc32c(longer.subarray(8)), 4); // a checksum that matches, a length that does not
  const cases: [string, Buffer, string][] = [
    ['short', good.subarray(0, 30), 'shorter than its header'],
    ['magic', flip(1), 'bad magic'],
    ['data bit', flip(good.length - 3), 'checksum mismatch'],
    ['truncated', good.subarray(0, good.length - 5), 'checksum mismatch'],
    ['length', longer, 'data length does not match the file size'],
  ];
  for (const [what, bytes, reason] of cases) {
    const path = join(ctx.dir, `${what}.snap`);
    await writeFile(path, bytes);
    assert.is(decodeSnapshot(bytes, path), reason, `${what}, in memory`);
    assert.is(await readSnapshotFile(path), reason, `${what}, read whole`);
    assert.is(await readSnapshotFile(path, 7), reason, `${what}, read in 7-byte slices`);
  }
});

reading.run();

const limit = suite('the u32 length field');

limit('data up to 2^32 - 1 bytes fits; one byte more is refused as an assertion', () => {
  assert.is(SNAPSHOT_DATA_BYTES_MAX, 2 ** 32 - 1);
  assertSnapshotDataFits(0);
  assertSnapshotDataFits(2 ** 32 - 1);
  assert.throws(() => assertSnapshotDataFits(2 ** 32), /^SYNCPAY_ERR_ASSERTION: snapshot data is 4294967296 bytes of UTF-8/);
  assert.throws(() => assertSnapshotDataFits(6 * 2 ** 30), /SYNCPAY_ERR_ASSERTION/);
});

limit('snapshotDataFits measures the UTF-8 exactly near the limit', () => {
  // 4 units, 8 bytes: the three-bytes-per-unit bound (12) does not settle it against 8 or 7.
  const text = ['a☃', '\u{1F4B8}'];
  assert.is(textLength(text), 4);
  assert.is(snapshotDataBytes(text), 8);
  assert.ok(snapshotDataFits(text, 8));
  assert.not.ok(snapshotDataFits(text, 7));
  assert.ok(snapshotDataFits(text, 12));
});

limit('the store refuses a snapshot too large for its file as a misuse: nothing written, the store still usable', async () => {
  let writes = 0;
  let logReads = 0;
  const pipeline = (queue: CommitQueue): SnapshotPipeline =>
    new SnapshotPipeline({
      dir: '/nonexistent',
      logger: captureLogger(),
      queue,
      log: () => {
        logReads++;
        throw new Error('no log in this spec');
      },
      writeFile: async () => {
        writes++;
        return 'never';
      },
      syncBytes: Number.POSITIVE_INFINITY,
      dataBytesMax: 10,
    });
  // 11 bytes of UTF-8 in 5 units: over the limit, though the units alone would not say so.
  const refusedQueue = new CommitQueue(async () => {});
  const refused = pipeline(refusedQueue).save({ index: 5, term: 1 }, ['é☃', '\u{1F4B8}', 'xy']);
  await refused.then(
    () => assert.unreachable('an oversized snapshot was accepted'),
    (err: Error) => assert.match(err.message, /^SYNCPAY_ERR_STORAGE_MISUSE: snapshot at 5 has 11 bytes of data, more than the 10 a snapshot file holds/),
  );
  assert.is(writes, 0, 'nothing written');
  assert.is(logReads, 0, 'refused before the log is consulted');
  assert.is(refusedQueue.failed, null, 'a misuse leaves the store usable');
  // 10 bytes: let through to the log (which this spec does not have).
  const fitting = pipeline(new CommitQueue(async () => {})).save({ index: 5, term: 1 }, ['é☃', '\u{1F4B8}', 'x']);
  await fitting.then(
    () => assert.unreachable('no log, yet the snapshot was stored'),
    (err: Error) => assert.match(err.message, /no log in this spec/),
  );
  assert.is(logReads, 1);
});

limit.run();
