// transition() specs for the log-replication machine: the commit rule and its one effect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition } from 'xstate';
import { logReplicationMachine, type ReplicationEvent } from '../../machines/log-replication.machine.ts';

type Snap = ReturnType<typeof initialTransition<typeof logReplicationMachine>>[0];
const begin = (term = 2, commitIndex = 5): Snap => initialTransition(logReplicationMachine, { term, commitIndex })[0];
function step(s: Snap, e: ReplicationEvent): { s: Snap; effects: Array<[string, unknown]> } {
  const [n, actions] = transition(logReplicationMachine, s, e);
  return { s: n, effects: actions.map((a) => [a.type, a.params]) };
}

test('starts following with the recovered commit index', () => {
  const s = begin();
  assert.is(s.value, 'following');
  assert.is(s.context.commitIndex, 5);
});

test('a leader commits a majority-held entry of its own term and delivers (from, to]', () => {
  const leading = step(begin(), { type: 'role.leader', term: 3 }).s;
  assert.is(leading.value, 'leading');
  const r = step(leading, { type: 'commit.quorum', index: 9, entryTerm: 3 });
  assert.is(r.s.context.commitIndex, 9);
  assert.equal(r.effects, [['deliverCommitted', { from: 5, to: 9 }]]);
});

test('a leader never commits by counting replicas of an older term (Raft figure 8)', () => {
  const leading = step(begin(), { type: 'role.leader', term: 3 }).s;
  const r = step(leading, { type: 'commit.quorum', index: 9, entryTerm: 2 });
  assert.is(r.s.context.commitIndex, 5);
  assert.equal(r.effects, []);
});

test('the commit index never moves backwards', () => {
  const leading = step(begin(2, 12), { type: 'role.leader', term: 3 }).s;
  assert.equal(step(leading, { type: 'commit.quorum', index: 10, entryTerm: 3 }).effects, []);
  const following = begin(2, 12);
  const r = step(following, { type: 'commit.leader', index: 11 });
  assert.is(r.s.context.commitIndex, 12);
  assert.equal(r.effects, []);
});

test('a follower adopts the leader commit index', () => {
  const r = step(begin(), { type: 'commit.leader', index: 8 });
  assert.is(r.s.context.commitIndex, 8);
  assert.equal(r.effects, [['deliverCommitted', { from: 5, to: 8 }]]);
});

test('a follower ignores quorum counts; a leader ignores commit indexes from others', () => {
  assert.equal(step(begin(), { type: 'commit.quorum', index: 8, entryTerm: 2 }).effects, []);
  const leading = step(begin(), { type: 'role.leader', term: 2 }).s;
  assert.equal(step(leading, { type: 'commit.leader', index: 8 }).effects, []);
});

test('stepping down returns to following with the new term', () => {
  const leading = step(begin(), { type: 'role.leader', term: 3 }).s;
  const r = step(leading, { type: 'role.follower', term: 4 });
  assert.is(r.s.value, 'following');
  assert.is(r.s.context.term, 4);
});

test('an installed snapshot raises the commit index without delivering entries', () => {
  const r = step(begin(), { type: 'snapshot.installed', index: 40 });
  assert.is(r.s.context.commitIndex, 40);
  assert.equal(r.effects, []);
});

test.run();
