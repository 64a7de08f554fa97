// Marzullo's algorithm table cases, and the fencing verdict built on it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { marzullo, midpoint } from '../../machines/clock/marzullo.ts';
import { assessClock, majorityOf } from '../../machines/clock/fencing.ts';

const cases: Array<{ name: string; in: Array<[number, number]>; out: { count: number; lo: number; hi: number } | null }> = [
  { name: 'no sources', in: [], out: null },
  { name: 'one source', in: [[1, 3]], out: { count: 1, lo: 1, hi: 3 } },
  { name: 'classic: 8-12, 11-13, 10-12', in: [[8, 12], [11, 13], [10, 12]], out: { count: 3, lo: 11, hi: 12 } },
  { name: 'classic with a liar: 8-12, 11-13, 14-15', in: [[8, 12], [11, 13], [14, 15]], out: { count: 2, lo: 11, hi: 12 } },
  { name: 'touching intervals overlap at a point', in: [[0, 1], [1, 2]], out: { count: 2, lo: 1, hi: 1 } },
  { name: 'disjoint: the lowest of equals wins', in: [[5, 6], [1, 2]], out: { count: 1, lo: 1, hi: 2 } },
  { name: 'self [0,0] with two peers 10 s away', in: [[0, 0], [-10_001, -9_999], [-10_002, -9_998]], out: { count: 2, lo: -10_001, hi: -9_999 } },
  { name: 'self [0,0] inside both peers', in: [[0, 0], [-1, 3], [-2, 1]], out: { count: 3, lo: 0, hi: 0 } },
];

for (const c of cases) {
  test(`marzullo: ${c.name}`, () => {
    assert.equal(marzullo(c.in.map(([lo, hi]) => ({ lo, hi }))), c.out);
  });
}

test('marzullo: the result does not depend on input order', () => {
  const ivs = [{ lo: 8, hi: 12 }, { lo: 11, hi: 13 }, { lo: 14, hi: 15 }, { lo: 10, hi: 12 }];
  const expected = marzullo(ivs);
  assert.equal(marzullo([...ivs].reverse()), expected);
  assert.equal(marzullo([ivs[2]!, ivs[0]!, ivs[3]!, ivs[1]!]), expected);
});

test('marzullo: rejects an inverted interval', () => {
  assert.throws(() => marzullo([{ lo: 2, hi: 1 }]), /SYNCPAY_ERR_BAD_INTERVAL/);
});

test('midpoint of the agreed interval', () => {
  assert.is(midpoint({ count: 2, lo: -10_001, hi: -9_999 }), -10_000);
});

test('majority sizes', () => {
  assert.equal([1, 2, 3, 4, 5].map(majorityOf), [1, 2, 2, 3, 3]);
});

test('assess: too few sources is unsynced, not fenced', () => {
  const a = assessClock([], 3, 500);
  assert.is(a.verdict, 'unsynced');
  assert.is(a.sources, 1);
  assert.is(a.clusterOffsetMs, null);
});

test('assess: a single-node cluster is synced on its own', () => {
  assert.is(assessClock([], 1, 500).verdict, 'synced');
});

test('assess: the node 10 s ahead of both peers is fenced; cluster time is theirs', () => {
  const a = assessClock([{ offsetMs: -10_000, errorMs: 1 }, { offsetMs: -10_001, errorMs: 1 }], 3, 500);
  assert.is(a.verdict, 'fenced');
  assert.is(a.agreeing, 1);
  assert.is(a.clusterOffsetMs, -10_000.5);
});

test('assess: clocks a few ms apart agree even though their raw intervals are disjoint', () => {
  const a = assessClock([{ offsetMs: 5, errorMs: 0.1 }, { offsetMs: -3, errorMs: 0.1 }], 3, 500);
  assert.is(a.verdict, 'synced');
  assert.is(a.agreement?.count, 3);
  // The midpoint of the widened intersection is the midpoint of the extreme offsets' inner edges.
  assert.ok(Math.abs((a.clusterOffsetMs ?? NaN) - 1) < 1e-9, String(a.clusterOffsetMs));
});

test('assess: no majority clique gives no cluster offset', () => {
  const a = assessClock([{ offsetMs: 2_000, errorMs: 1 }, { offsetMs: -2_000, errorMs: 1 }], 3, 500);
  assert.is(a.verdict, 'fenced');
  assert.is(a.agreement?.count, 1);
  assert.is(a.clusterOffsetMs, null);
});

test('assess: a peer 10 s off does not fence the majority side', () => {
  const a = assessClock([{ offsetMs: 10_000, errorMs: 1 }, { offsetMs: 2, errorMs: 1 }], 3, 500);
  assert.is(a.verdict, 'synced');
  assert.is(a.agreeing, 2);
  // Self [0, 0] and the near peer [1, 3], widened by 250 ms: they agree on [-249, 250].
  assert.equal(a.agreement, { count: 2, lo: -249, hi: 250 });
  assert.is(a.clusterOffsetMs, 0.5);
});

test('assess: with one peer estimate of two, the node is synced when that peer agrees', () => {
  const a = assessClock([{ offsetMs: 3, errorMs: 1 }], 3, 500);
  assert.is(a.verdict, 'synced');
  assert.is(a.sources, 2);
});

test('assess: a wide error interval reaching within the bound counts as agreeing', () => {
  assert.is(assessClock([{ offsetMs: 800, errorMs: 350 }], 3, 500).verdict, 'synced');
  assert.is(assessClock([{ offsetMs: 800, errorMs: 250 }], 3, 500).verdict, 'fenced');
  assert.is(assessClock([{ offsetMs: -800, errorMs: 250 }], 3, 500).verdict, 'fenced');
});

test('assess: while fenced, agreeing needs 90% of the bound', () => {
  const peers = [{ offsetMs: 470, errorMs: 1 }, { offsetMs: 480, errorMs: 1 }];
  assert.is(assessClock(peers, 3, 500).verdict, 'synced');
  assert.is(assessClock(peers, 3, 500, true).verdict, 'fenced');
  assert.is(assessClock([{ offsetMs: 449, errorMs: 1 }], 3, 500, true).verdict, 'synced');
});

test.run();
