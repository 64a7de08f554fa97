// Specs for the request books (proposals, forwarded ids, requests waiting for a leader, ReadIndex
// rounds) and the snapshot chunk receiver: the bookkeeping the core relies on to answer every
// caller exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ForwardBook, LeaderWaitBook, ProposalBook, ReadBook } from '../../machines/raft/requests.ts';
import { chunkAt, SnapshotReceiver } from '../../machines/raft/snapshot-transfer.ts';

const prop = (index: number, deadline: number, bytes = 10) => ({ reqId: `r${index}`, origin: null, index, term: 1, hlc: 'h', bytes, deadline });

test('proposal book: committed ones leave in index order, with their bytes', () => {
  const b = new ProposalBook();
  b.add(prop(3, 100));
  b.add(prop(4, 110));
  b.add(prop(5, 120));
  assert.is(b.uncommittedBytes, 30);
  assert.equal(b.takeCommitted(4).map((p) => p.index), [3, 4]);
  assert.is(b.size, 1);
  assert.is(b.uncommittedBytes, 10);
  assert.is(b.firstDeadline(), 120);
  assert.equal(b.takeExpired(119), []);
  assert.equal(b.takeExpired(120).map((p) => p.index), [5]);
  assert.is(b.firstDeadline(), Number.POSITIVE_INFINITY);
});

test('forward book: an answer is taken once; expiry is in deadline order', () => {
  const f = new ForwardBook();
  f.add('a', 'n1', 10);
  f.add('b', 'n1', 20);
  assert.ok(f.take('a'));
  assert.not.ok(f.take('a'), 'a duplicated reply is not answered twice');
  assert.equal(f.takeExpired(19), []);
  assert.equal(f.takeExpired(25), ['b']);
  assert.is(f.size, 0);
});

test('forward book: requests are taken by the leader they went to', () => {
  const f = new ForwardBook();
  f.add('a', 'n1', 10);
  f.add('b', 'n2', 20);
  f.add('c', 'n1', 30);
  assert.equal(f.takeTo('n1'), ['a', 'c']);
  assert.equal(f.takeTo('n1'), []);
  f.add('d', 'n3', 40);
  assert.equal(f.takeNotTo('n3'), ['b']);
  assert.is(f.firstDeadline(), 40);
  assert.equal(f.takeNotTo(null), ['d'], 'no leader: every forwarded request is orphaned');
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
  const data = 'abcdefghij';
  const out = { index: 9, term: 2, data, offset: 0 };
  const rx = new SnapshotReceiver();
  const msg = (offset: number) => ({ type: 'peer.installSnapshot' as const, term: 3, ...chunkAt({ ...out, offset }, 4) });
  assert.equal(rx.accept(msg(4)), { kind: 'want', offset: 0 }, 'must start at 0');
  assert.equal(rx.accept(msg(0)), { kind: 'want', offset: 4 });
  assert.equal(rx.accept(msg(0)), { kind: 'want', offset: 4 }, 'a repeat');
  assert.equal(rx.accept(msg(8)), { kind: 'want', offset: 4 }, 'a gap');
  assert.equal(rx.accept(msg(4)), { kind: 'want', offset: 8 });
  assert.equal(rx.accept(msg(8)), { kind: 'complete', index: 9, term: 2, data });
  const other = { type: 'peer.installSnapshot' as const, term: 3, ...chunkAt({ index: 12, term: 3, data: 'xy', offset: 0 }, 4) };
  assert.equal(rx.accept(other), { kind: 'complete', index: 12, term: 3, data: 'xy' });
});

test.run();
