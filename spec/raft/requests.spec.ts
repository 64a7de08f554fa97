// Specs for the request books (proposals, forwarded ids, requests waiting for a leader, ReadIndex
// rounds) and the snapshot chunk receiver: the bookkeeping the core relies on to answer every
// caller exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForwardBook, LeaderWaitBook, ProposalBook, ReadBook, RecentRequests } from '../../machines/raft/requests.ts';
import { chunkAt, SnapshotReceiver } from '../../machines/raft/snapshot-transfer.ts';
import { textOf } from '../../machines/snapshot-text.ts';

const prop = (index: number, deadline: number, bytes = 10, term = 1) => ({ reqId: `r${index}t${term}`, origin: null, index, term, hlc: 'h', bytes, deadline });
const ids = (xs: ReadonlyArray<{ reqId: string }>) => xs.map((x) => x.reqId);

test('proposal book: committed ones leave in index order, with their bytes', () => {
  const b = new ProposalBook();
  b.add(prop(3, 100));
  b.add(prop(4, 110));
  b.add(prop(5, 120));
  assert.is(b.uncommittedBytes, 30);
  assert.equal(b.takeUpTo(4).map((p) => p.index), [3, 4]);
  assert.is(b.size, 1);
  assert.is(b.uncommittedBytes, 10);
  assert.is(b.firstDeadline(), 120);
  assert.equal(b.takeExpired(119), []);
  assert.equal(b.takeExpired(120).map((p) => p.index), [5]);
  assert.is(b.firstDeadline(), Number.POSITIVE_INFINITY);
});

test('proposal book: a node that led again holds older proposals above its new ones; commits settle by index, expiry by arrival', () => {
  const b = new ProposalBook();
  // Term 2: appended at 5 and 6, then leadership was lost and the log cut back to 3.
  b.add(prop(5, 100, 10, 2));
  b.add(prop(6, 101, 10, 2));
  // Term 4: this node leads again and appends from 4 on.
  b.add(prop(4, 200, 10, 4));
  b.add(prop(5, 201, 10, 4));
  assert.is(b.size, 4);
  assert.equal(ids(b.takeUpTo(5)), ['r4t4', 'r5t2', 'r5t4'], 'index order, both entries proposed at 5');
  assert.is(b.uncommittedBytes, 10);
  assert.is(b.firstDeadline(), 101);
  assert.equal(ids(b.takeExpired(150)), ['r6t2']);
  assert.equal(b.takeUpTo(10), [], 'an expired proposal is not settled again');
  assert.is(b.size, 0);
  assert.is(b.uncommittedBytes, 0);
});

test('proposal book: expired leftovers do not pile up in the index order', () => {
  const b = new ProposalBook();
  for (let i = 1; i <= 1000; i++) b.add(prop(i, i));
  assert.is(b.takeExpired(990).length, 990);
  assert.equal(ids(b.takeUpTo(2000)), Array.from({ length: 10 }, (_, k) => `r${991 + k}t1`));
});

test('proposal book: thousands settled one commit at a time come out in order, and late older ones still slot in', () => {
  const b = new ProposalBook();
  for (let i = 1; i <= 3000; i++) b.add(prop(i, i));
  const seen: number[] = [];
  for (let c = 1; c <= 2500; c++) for (const p of b.takeUpTo(c)) seen.push(p.index);
  assert.equal(seen, Array.from({ length: 2500 }, (_, k) => k + 1));
  b.add(prop(2700, 5000, 10, 5));
  assert.equal(b.takeUpTo(2701).map((p) => [p.index, p.term]), [
    ...Array.from({ length: 200 }, (_, k) => [2501 + k, 1]),
    [2700, 5],
    [2701, 1],
  ]);
  assert.is(b.size, 299);
});

test('forward book: a placed proposal is no longer orphaned with its leader; the commit index takes it', () => {
  const f = new ForwardBook();
  f.add('p1', 'n1', 10);
  f.add('p2', 'n1', 20);
  f.add('q1', 'n1', 30, 'read');
  assert.not.ok(f.place('p1', 'n2', { index: 7, term: 3, hlc: 'h' }), 'only the leader it went to can place it');
  assert.not.ok(f.place('q1', 'n1', { index: 7, term: 3, hlc: 'h' }), 'a read has no position');
  assert.ok(f.place('p1', 'n1', { index: 7, term: 3, hlc: 'h' }));
  assert.not.ok(f.place('p1', 'n1', { index: 9, term: 3, hlc: 'h' }), 'placed once');
  assert.equal(ids(f.takeTo('n1')), ['p2', 'q1'], 'the placed one stays');
  assert.equal(f.takePlacedUpTo(6), []);
  const [p1] = f.takePlacedUpTo(7);
  assert.equal(p1, { reqId: 'p1', kind: 'propose', to: 'n1', deadline: 10, placed: { index: 7, term: 3, hlc: 'h' } });
  assert.is(f.size, 0);
});

test('forward book: a placed proposal answered by its leader is not settled again', () => {
  const f = new ForwardBook();
  f.add('p1', 'n1', 10);
  f.place('p1', 'n1', { index: 4, term: 2, hlc: 'h' });
  assert.ok(f.take('p1'));
  assert.equal(f.takePlacedUpTo(10), []);
});

test('recent requests: a key is seen again within its time to live, forgotten after, and the set is bounded', () => {
  const r = new RecentRequests(3);
  assert.not.ok(r.seen('a', 0, 100));
  assert.ok(r.seen('a', 50, 100), 'a duplicate');
  assert.not.ok(r.seen('a', 100, 100), 'expired: news again');
  assert.not.ok(r.seen('b', 101, 100));
  assert.not.ok(r.seen('c', 102, 100));
  assert.not.ok(r.seen('d', 103, 100));
  assert.is(r.size, 3, 'the oldest was dropped');
  assert.not.ok(r.seen('a', 104, 100), 'it was the oldest');
});

test('forward book: an answer is taken once; expiry is in deadline order', () => {
  const f = new ForwardBook();
  f.add('a', 'n1', 10);
  f.add('b', 'n1', 20);
  assert.ok(f.take('a'));
  assert.not.ok(f.take('a'), 'a duplicated reply is not answered twice');
  assert.equal(f.takeExpired(19), []);
  assert.equal(ids(f.takeExpired(25)), ['b']);
  assert.is(f.size, 0);
});

test('forward book: requests are taken by the leader they went to', () => {
  const f = new ForwardBook();
  f.add('a', 'n1', 10);
  f.add('b', 'n2', 20);
  f.add('c', 'n1', 30);
  assert.equal(ids(f.takeTo('n1')), ['a', 'c']);
  assert.equal(f.takeTo('n1'), []);
  f.add('d', 'n3', 40);
  assert.equal(ids(f.takeNotTo('n3')), ['b']);
  assert.is(f.firstDeadline(), 40);
  assert.equal(ids(f.takeNotTo(null)), ['d'], 'no leader: every forwarded request is orphaned');
  assert.is(f.firstDeadline(), Number.POSITIVE_INFINITY);
});

test('leader-wait book: requests leave in arrival order, on expiry or all at once', () => {
  const w = new LeaderWaitBook();
  w.add({ reqId: 'p1', kind: 'propose', data: 'x', deadline: 100 });
  w.add({ reqId: 'q1', kind: 'read', data: '', deadline: 110 });
  w.add({ reqId: 'p2', kind: 'propose', data: 'y', deadline: 120 });
  assert.is(w.firstDeadline(), 100);
  assert.equal(w.takeExpired(99), []);
  assert.equal(w.takeExpired(110).map((x) => x.reqId), ['p1', 'q1']);
  assert.is(w.size, 1);
  assert.equal(w.takeAll(), [{ reqId: 'p2', kind: 'propose', data: 'y', deadline: 120 }]);
  assert.is(w.size, 0);
  assert.is(w.firstDeadline(), Number.POSITIVE_INFINITY);
});

test('read book: a read is confirmed only by a majority answering its round or a later one', () => {
  const r = new ReadBook();
  const peers = ['b', 'c', 'd', 'e'];
  assert.ok(r.start({ reqId: 'q1', origin: null, deadline: 100 }, 7), 'opens a round');
  assert.not.ok(r.start({ reqId: 'q2', origin: 'b', deadline: 100 }, 7), 'shares it');
  const round = r.heartbeatContext();
  assert.ok(round > 0);
  assert.ok(r.start({ reqId: 'q3', origin: null, deadline: 100 }, 9), 'after the heartbeat left, a new round');
  assert.equal(r.ack('b', round - 1, peers, 3), [], 'an older round confirms nothing');
  assert.equal(r.ack('b', round, peers, 3), [], 'self + b is not a majority of five');
  assert.equal(r.ack('c', round, peers, 3).map((x) => [x.reqId, x.index]), [['q1', 7], ['q2', 7]]);
  const next = r.heartbeatContext();
  assert.equal(r.ack('d', next, peers, 3), []);
  assert.equal(r.ack('e', next, peers, 3).map((x) => x.reqId), ['q3']);
});

test('read book: reads parked until the leader commits in its term, then started; expiry and step-down', () => {
  const r = new ReadBook();
  r.park({ reqId: 'p', origin: null, deadline: 50 });
  assert.ok(r.hasParked());
  assert.equal(r.unpark().map((x) => x.reqId), ['p']);
  r.park({ reqId: 'late', origin: null, deadline: 50 });
  r.start({ reqId: 'x', origin: null, deadline: 60 }, 1);
  assert.equal(r.takeExpired(55).map((x) => x.reqId), ['late']);
  assert.equal(r.takeAll().map((x) => x.reqId), ['x']);
  assert.is(r.heartbeatContext(), 0, 'nothing waits');
});

test('snapshot chunks: in order they reassemble; gaps and repeats ask again; a new snapshot restarts', () => {
  // Pieces cut elsewhere than the chunks: a chunk may span two pieces.
  const data = ['abc', 'defg', 'hij'];
  const out = { index: 9, term: 2, data, offset: 0 };
  const rx = new SnapshotReceiver();
  const msg = (offset: number) => ({ type: 'peer.installSnapshot' as const, term: 3, ...chunkAt({ ...out, offset }, 4) });
  assert.equal(rx.accept(msg(4)), { kind: 'want', offset: 0 }, 'must start at 0');
  assert.equal(rx.accept(msg(0)), { kind: 'want', offset: 4 });
  assert.equal(rx.accept(msg(0)), { kind: 'want', offset: 4 }, 'a repeat');
  assert.equal(rx.accept(msg(8)), { kind: 'want', offset: 4 }, 'a gap');
  assert.equal(rx.accept(msg(4)), { kind: 'want', offset: 8 });
  assert.equal(rx.accept(msg(8)), { kind: 'complete', index: 9, term: 2, data: ['abcd', 'efgh', 'ij'] }, 'the chunks are the pieces');
  const other = { type: 'peer.installSnapshot' as const, term: 3, ...chunkAt({ index: 12, term: 3, data: textOf('xy'), offset: 0 }, 4) };
  assert.equal(rx.accept(other), { kind: 'complete', index: 12, term: 3, data: ['xy'] });
});

test.run();
