// Snapshot files written a slice at a time (measured, then encoded, yielding between any two
// slices of that work, through one reused chunk, header last) must be byte for byte the files the one-shot encoder makes, whatever characters
// fall on a slice boundary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { joinText, textOf, type SnapshotText } from '../../../machines/snapshot-text.ts';
import { decodeSnapshot, encodeSnapshot, writeSnapshotInSlices } from '../../../runtime/storage/snapshot-file.ts';

const SLICE = 1 << 20;
const meta = { index: 4242, term: 7 };
const chain = Buffer.alloc(16, 0xab);

async function both(text: string): Promise<{ sliced: Buffer; pauses: number; writes: number }> {
  const data: SnapshotText = textOf(text);
  let pauses = 0;
  let writes = 0;
  // An in-memory file whose writes land on a later turn, as a file's do: a writer that reused its
  // chunk before a write had finished would corrupt the copy.
  let sliced = Buffer.alloc(0);
  const positions: string[] = [];
  await writeSnapshotInSlices(async (bytes, position) => {
    writes++;
    positions.push(`${position}+${bytes.length}`);
    await new Promise((resolve) => setImmediate(resolve));
    if (sliced.length < position + bytes.length) sliced = Buffer.concat([sliced, Buffer.alloc(position + bytes.length - sliced.length)]);
    sliced.set(bytes, position);
  }, meta, data, chain, async () => {
    pauses++;
  });
  assert.ok(sliced.equals(encodeSnapshot(meta, data, chain)), `same bytes for ${data.length} chars`);
  assert.is(positions.at(-1), '0+44', 'the header (with the checksum of everything after it) is written last');
  const decoded = decodeSnapshot(sliced, 'mem');
  assert.ok(typeof decoded !== 'string', String(decoded));
  if (typeof decoded !== 'string') {
    assert.is(joinText(decoded.data) === text, true, 'the data round-trips');
    assert.equal(decoded.meta, meta);
  }
  return { sliced, pauses, writes };
}

test('empty and small data: one slice, measured then written with one pause between', async () => {
  const empty = await both('');
  assert.is(empty.pauses, 0);
  assert.is(empty.writes, 1, 'the header alone');
  const small = await both('a,b,c\n');
  assert.is(small.pauses, 1);
  assert.is(small.writes, 2, 'the data, then the header');
});

test('large ASCII data is measured and encoded over several slices with a pause between each', async () => {
  const data = 'transfer-row,1,2,100\n'.repeat(Math.ceil((3.5 * SLICE) / 21));
  const { pauses, writes } = await both(data);
  assert.is(pauses, 2 * Math.ceil(data.length / SLICE) - 1, 'every slice is measured, then every slice written');
  assert.is(writes, Math.ceil(data.length / SLICE) + 1, 'one write per slice, then the header');
});

test('a surrogate pair across a slice boundary, and multi-byte text, encode exactly', async () => {
  // The emoji's high surrogate is the last character of the first slice.
  const straddling = 'x'.repeat(SLICE - 1) + '\u{1F4B8}' + 'tail é ü ☃';
  await both(straddling);
  // Two-byte and three-byte characters throughout, so byte and character offsets drift apart.
  await both('é☃'.repeat(SLICE));
});

test.run();
