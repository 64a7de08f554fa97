// transition() specs for the per-follower progress machine: probing, replicating, snapshotting,
// with the index arithmetic each event performs. The machine has no effects of its own: the
// assertions are on the next state and its context.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition } from 'xstate';
import { isPaused, peerProgressMachine, type ProgressEvent, type ProgressMode } from '../../machines/peer-progress.machine.ts';

type Snap = ReturnType<typeof initialTransition<typeof peerProgressMachine>>[0];

const fresh = (next = 11, inflightMax = 2): Snap => initialTransition(peerProgressMachine, { match: 0, next, inflightMax })[0];
function step(s: Snap, e: ProgressEvent): Snap {
  const [n, actions] = transition(peerProgressMachine, s, e);
  assert.equal(actions, [], 'progress transitions have no effects');
  return n;
}
const paused = (s: Snap): boolean => isPaused(s.value as ProgressMode, s.context);

test('probing allows one append in flight, then pauses until an answer', () => {
  const s0 = fresh();
  assert.is(s0.value, 'probing');
  assert.not.ok(paused(s0));
  const s1 = step(s0, { type: 'progress.sent', last: 12 });
  assert.is(s1.value, 'probing');
  assert.is(s1.context.next, 11, 'probing does not advance next optimistically');
  assert.ok(paused(s1));
  assert.not.ok(paused(step(s1, { type: 'progress.heartbeatAck' })), 'a heartbeat reply allows another probe');
});

test('an ack in probing switches to replicating at match+1', () => {
  const s = step(step(fresh(), { type: 'progress.sent', last: 12 }), { type: 'progress.acked', index: 12 });
  assert.is(s.value, 'replicating');
  assert.is(s.context.match, 12);
  assert.is(s.context.next, 13);
  assert.is(s.context.probeSent, false);
});

test('replicating pipelines up to inflightMax appends and frees them on ack', () => {
  let s = step(step(fresh(), { type: 'progress.sent', last: 10 }), { type: 'progress.acked', index: 10 });
  s = step(s, { type: 'progress.sent', last: 15 });
  assert.is(s.context.next, 16);
  assert.not.ok(paused(s));
  s = step(s, { type: 'progress.sent', last: 20 });
  assert.equal(s.context.inflight, [15, 20]);
  assert.ok(paused(s), 'two of two in flight');
  s = step(s, { type: 'progress.acked', index: 15 });
  assert.equal(s.context.inflight, [20]);
  assert.is(s.context.match, 15);
  assert.not.ok(paused(s));
});

test('a heartbeat reply frees the oldest slot when the window is full (a lost append)', () => {
  let s = step(step(fresh(), { type: 'progress.sent', last: 10 }), { type: 'progress.acked', index: 10 });
  s = step(step(s, { type: 'progress.sent', last: 12 }), { type: 'progress.sent', last: 14 });
  s = step(s, { type: 'progress.heartbeatAck' });
  assert.equal(s.context.inflight, [14]);
});

test('a fresh rejection in replicating falls back to probing at the hinted index', () => {
  let s = step(step(fresh(), { type: 'progress.sent', last: 10 }), { type: 'progress.acked', index: 10 });
  s = step(s, { type: 'progress.sent', last: 20 });
  s = step(s, { type: 'progress.rejected', rejected: 15, next: 13 });
  assert.is(s.value, 'probing');
  assert.is(s.context.next, 13);
  assert.equal(s.context.inflight, []);
});

test('a stale rejection (at or below match) is ignored', () => {
  let s = step(step(fresh(), { type: 'progress.sent', last: 10 }), { type: 'progress.acked', index: 10 });
  s = step(s, { type: 'progress.rejected', rejected: 9, next: 3 });
  assert.is(s.value, 'replicating');
  assert.is(s.context.next, 11);
});

test('in probing only the rejection of the outstanding probe moves next, never below match+1', () => {
  const probe = step(fresh(21), { type: 'progress.sent', last: 25 });
  const other = step(probe, { type: 'progress.rejected', rejected: 7, next: 2 });
  assert.is(other.context.next, 21, 'not the probe we sent');
  const s = step(probe, { type: 'progress.rejected', rejected: 20, next: 6 });
  assert.is(s.context.next, 6);
  assert.is(s.context.probeSent, false);
});

test('snapshotting pauses the follower until an ack covers the snapshot, then probes', () => {
  let s = step(fresh(3), { type: 'progress.snapshotSent', index: 50 });
  assert.is(s.value, 'snapshotting');
  assert.ok(paused(s));
  s = step(s, { type: 'progress.acked', index: 40 });
  assert.is(s.value, 'snapshotting', 'does not cover the snapshot');
  s = step(s, { type: 'progress.acked', index: 50 });
  assert.is(s.value, 'probing');
  assert.is(s.context.match, 50);
  assert.is(s.context.next, 51);
});

test('a follower that lost its disk is probed again from what it still has', () => {
  let s = step(step(fresh(), { type: 'progress.sent', last: 30 }), { type: 'progress.acked', index: 30 });
  s = step(s, { type: 'progress.lost', lastIndex: 0 });
  assert.is(s.value, 'probing');
  assert.is(s.context.match, 0);
  assert.is(s.context.next, 1);
});

test.run();
