// Elections and leader changes counted from timeline events and scrapes: a win is counted once
// per time this node turns leader, a leader change once per new leader, whatever mix of
// `election.started`, `leader.elected`, `role.changed` and status polls reports it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LeadershipTracker } from '../../runtime/metrics/leadership.ts';

function tracker(): { t: LeadershipTracker; counts: { pre: number; started: number; won: number; changes: number } } {
  const counts = { pre: 0, started: 0, won: 0, changes: 0 };
  const t = new LeadershipTracker('node1', {
    preVoteStarted: () => void counts.pre++,
    electionStarted: () => void counts.started++,
    electionWon: () => void counts.won++,
    leaderChanged: () => void counts.changes++,
  });
  return { t, counts };
}

test('a won election reported twice (leader.elected and role.changed) counts once', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'election.started', term: 2 });
  t.onEvent({ type: 'leader.elected', term: 2, leader: 'node1' });
  t.onEvent({ type: 'role.changed', term: 2, role: 'leader' });
  t.onStatus('node1', true);
  assert.equal(counts, { pre: 0, started: 1, won: 1, changes: 1 });
});

test('the event sequence a real node emits: a pre-vote, an election, role.changed and leader.elected', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'election.started', term: 1, pre: true, campaignTerm: 1 });
  t.onEvent({ type: 'election.started', term: 1, pre: false, campaignTerm: 1, transfer: false });
  t.onEvent({ type: 'role.changed', term: 1, from: 'follower', to: 'leader', leader: 'node1' });
  t.onEvent({ type: 'leader.elected', term: 1, leader: 'node1' });
  t.onStatus('node1', true);
  assert.equal(counts, { pre: 1, started: 1, won: 1, changes: 1 });
});

test('leader.elected without a leader field is this node announcing its win', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'leader.elected', term: 3 });
  assert.equal(counts, { pre: 0, started: 0, won: 1, changes: 1 });
});

test('a follower sees leaders come and go; a lost election counts as started only', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'leader.elected', term: 1, leader: 'node2' });
  t.onEvent({ type: 'role.changed', term: 1, role: 'follower', leader: 'node2' });
  t.onEvent({ type: 'election.started', term: 2 });
  t.onEvent({ type: 'role.changed', term: 3, to: 'follower', leader: 'node3' });
  t.onStatus('node3', false);
  t.onStatus('node2', false);
  assert.equal(counts, { pre: 0, started: 1, won: 0, changes: 3 });
});

test('stepping down and winning again counts a second win and two more changes', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'role.changed', role: 'leader', term: 1 });
  t.onEvent({ type: 'role.changed', role: 'follower', term: 2, leader: 'node2' });
  t.onEvent({ type: 'election.started', term: 3 });
  t.onEvent({ type: 'role.changed', role: 'leader', term: 3 });
  assert.equal(counts, { pre: 0, started: 1, won: 2, changes: 3 });
});

test('a status poll catches a win the timeline never reported; unrelated events are ignored', () => {
  const { t, counts } = tracker();
  t.onEvent({ type: 'peer.down', peer: 'node2' });
  t.onStatus(null, false);
  t.onStatus('node1', true);
  t.onStatus('node1', true);
  assert.equal(counts, { pre: 0, started: 0, won: 1, changes: 1 });
});

test.run();
