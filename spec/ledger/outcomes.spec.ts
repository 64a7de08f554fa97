// The ring of recent outcomes: an outcome is found by (index, term) until its slot is reused, and
// a large batch's results, which the ring keeps compact, come back exactly as applied.
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

test.run();
