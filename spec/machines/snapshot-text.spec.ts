// Snapshot texts in pieces: lengths, slices and equality agree with the joined string however the
// text is cut, and chunk ends never split a surrogate pair.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chunkEnd, isHighSurrogate, joinText, sliceText, textEquals, textLength, textOf } from '../../machines/snapshot-text.ts';
import { chunkAt, SnapshotReceiver } from '../../machines/raft/snapshot-transfer.ts';

const seed = Number(process.env.SEED ?? Date.now() % 100_000);
let x = seed;
const next = (n: number): number => {
  x = (x * 1103515245 + 12345) % 2 ** 31;
  return x % n;
};

function cut(text: string): string[] {
  const cuts = [...new Set(Array.from({ length: next(8) }, () => next(text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let at = 0;
  for (const c of [...cuts, text.length]) {
    pieces.push(text.slice(at, c));
    at = c;
  }
  return pieces;
}

test('length, slices and equality match the joined string for any cut (seed printed on failure)', () => {
  const alphabet = ['a', 'b', ',', '\n', '✓', '𝄞'];
  for (let round = 0; round < 300; round++) {
    const text = Array.from({ length: next(40) }, () => alphabet[next(alphabet.length)]).join('');
    const pieces = cut(text);
    const where = `seed ${seed}, round ${round}, pieces ${JSON.stringify(pieces)}`;
    assert.is(textLength(pieces), text.length, where);
    assert.is(joinText(pieces), text, where);
    const from = next(text.length + 2) - 1;
    const to = next(text.length + 2) - 1;
    assert.is(sliceText(pieces, from, to), text.slice(Math.max(0, from), Math.max(from, to, 0)), `${where}, slice ${from}..${to}`);
    assert.ok(textEquals(pieces, textOf(text)), where);
    if (text.length > 0) assert.not.ok(textEquals(pieces, textOf(`${text.slice(0, -1)}x`)), where);
  }
});

test('a chunk ends before a surrogate pair it would split, and always takes at least one unit', () => {
  const pieces = ['ab𝄞', 'cd'];
  // 'a','b',high,low,'c','d': a chunk of 3 from 0 would end between the halves.
  assert.is(chunkEnd(pieces, 0, 3), 2);
  assert.is(chunkEnd(pieces, 0, 4), 4);
  assert.is(chunkEnd(pieces, 2, 1), 4, 'a one-unit chunk takes the whole pair rather than half of it');
  assert.is(chunkEnd(pieces, 1, 1), 2, 'a one-unit chunk of a plain character');
  assert.is(chunkEnd(pieces, 4, 100), 6, 'capped at the end');
  assert.is(chunkEnd(['a', '\ud834', '\udd1e'], 0, 2), 1, 'across pieces too');
});

test('InstallSnapshot chunks of any size rejoin to the text and never end inside a surrogate pair', () => {
  const text = ['a𝄞', '𝄞b', 'c', '𝄞𝄞d'];
  const whole = joinText(text);
  for (let size = 1; size <= whole.length + 1; size++) {
    const rx = new SnapshotReceiver();
    let offset = 0;
    let done: readonly string[] | null = null;
    for (let hops = 0; done === null && hops < 100; hops++) {
      const verdict = rx.accept({ type: 'peer.installSnapshot', term: 1, ...chunkAt({ index: 5, term: 1, data: text, offset }, size) });
      if (verdict.kind === 'complete') done = verdict.data;
      else offset = verdict.offset;
    }
    assert.ok(done !== null, `size ${size}: the transfer completes`);
    assert.is(joinText(done!), whole, `size ${size}`);
    assert.ok(done!.every((p) => !isHighSurrogate(p.charCodeAt(p.length - 1))), `size ${size}: ${JSON.stringify(done)}`);
  }
});

test.run();
