// The ring of recent outcomes: an outcome is found by (index, term) until its slot is reused, and
// a large batch's results, which the ring keeps compact, come back exactly as applied. Its size
// counts commands: a group entry weighs as many as it holds, and the oldest entries make room.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESULT_CODES, type ResultCode } from '../../machines/ledger/codes.ts';
import { OutcomeRing } from '../../machines/ledger/outcomes.ts';
import type { EntryOutcome } from '../../machines/ledger/types.ts';

const CODES = Object.keys(RESULT_CODES) as ResultCode[];

function applied(index: number, items: number): EntryOutcome {
  const results = Array.from({ length: items }, (_, i) => ({ id: `t${index}-${i}`, code: CODES[(i * 7 + index) % CODES.length]! }));
  return { status: 'applied', response: { index, hlc: `hlc-${index}`, via: index % 2 === 0 ? 'node2' : null, results } };
}

test('every result code of a large batch comes back exactly, with its id, in order', () => {
  const ring = new OutcomeRing(8);
  const big = applied(5, 1000);
  ring.put(5, 2, big);
  assert.equal(ring.get(5, 2), big);
  const small = applied(6, 3);
  ring.put(6, 2, small);
  assert.equal(ring.get(6, 2), small);
  const replayed = applied(1, 40);
  assert.ok(replayed.status === 'applied');
  const others: EntryOutcome[] = [{ status: 'noop' }, { status: 'idempotency_mismatch', key: 'k' }, { status: 'replayed', response: replayed.response }];
  others.forEach((o, i) => ring.put(10 + i, 1, o));
  others.forEach((o, i) => assert.equal(ring.get(10 + i, 1), o));
});

test('an outcome is found only with its term, and only until its slot is reused', () => {
  const ring = new OutcomeRing(4);
  ring.put(3, 1, applied(3, 20));
  assert.is(ring.get(3, 2), undefined, 'another term: the proposal was overwritten');
  ring.put(7, 1, applied(7, 20));
  assert.is(ring.get(3, 1), undefined, 'slot reused');
  assert.equal(ring.get(7, 1), applied(7, 20));
  ring.clear();
  assert.is(ring.get(7, 1), undefined);
});

function group(index: number, members: number): EntryOutcome {
  return { status: 'group', members: Array.from({ length: members }, (_, i) => applied(index * 100 + i, 1) as Exclude<EntryOutcome, { status: 'group' }>) };
}

test('a group weighs its commands: the oldest entries are dropped until the commands held fit', () => {
  const ring = new OutcomeRing(10);
  ring.put(1, 1, group(1, 4));
  ring.put(2, 1, group(2, 4));
  ring.put(3, 1, applied(3, 1));
  assert.is(ring.commandsHeld, 9);
  ring.put(4, 1, group(4, 4));
  assert.is(ring.get(1, 1), undefined, 'the oldest group made room');
  assert.equal([ring.get(2, 1), ring.get(3, 1), ring.get(4, 1)], [group(2, 4), applied(3, 1), group(4, 4)]);
  assert.is(ring.commandsHeld, 9);
  // A group larger than the ring is still kept (its requesters need it), alone.
  ring.put(5, 1, group(5, 12));
  assert.equal(ring.get(5, 1), group(5, 12));
  assert.equal([ring.get(2, 1), ring.get(3, 1), ring.get(4, 1)], [undefined, undefined, undefined]);
  assert.is(ring.commandsHeld, 12);
  ring.put(6, 1, applied(6, 1));
  assert.is(ring.get(5, 1), undefined);
  assert.is(ring.commandsHeld, 1);
  ring.clear();
  assert.is(ring.commandsHeld, 0);
});

test('a slot reused by a newer entry gives back the old one\'s weight', () => {
  const ring = new OutcomeRing(4);
  for (let index = 1; index <= 10; index++) ring.put(index, 1, applied(index, 1));
  assert.is(ring.commandsHeld, 4);
  for (let index = 7; index <= 10; index++) assert.equal(ring.get(index, 1), applied(index, 1), `index ${index} kept`);
});

test('a long run of group entries never holds more commands than the ring\'s size', () => {
  const ring = new OutcomeRing(64);
  for (let index = 1; index <= 5000; index++) {
    ring.put(index, 1, index % 3 === 0 ? applied(index, 1) : group(index, 1 + (index % 17)));
    assert.ok(ring.commandsHeld <= 64 || ring.commandsHeld === 1 + (index % 17), `held ${ring.commandsHeld} at ${index}`);
    assert.ok(ring.get(index, 1) !== undefined, 'the newest is always kept');
  }
});

test.run();
