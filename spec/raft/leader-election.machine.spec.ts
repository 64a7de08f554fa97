// transition() specs for the leader-election machine: for each event, the next state, the
// context that matters and the exact effects (custom actions) XState hands back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition } from 'xstate';
import { leaderElectionMachine, roleOf, type ElectionEvent } from '../../machines/leader-election.machine.ts';

type Snap = ReturnType<typeof initialTransition<typeof leaderElectionMachine>>[0];

function start(opts: { voters?: string[]; term?: number; votedFor?: string | null; preVote?: boolean } = {}): Snap {
  return initialTransition(leaderElectionMachine, {
    self: 'a',
    voters: opts.voters ?? ['a', 'b', 'c'],
    term: opts.term ?? 3,
    votedFor: opts.votedFor ?? null,
    preVote: opts.preVote ?? true,
  })[0];
}

function step(s: Snap, e: ElectionEvent): { s: Snap; effects: Array<[string, unknown]> } {
  const [next, actions] = transition(leaderElectionMachine, s, e);
  return { s: next, effects: actions.map((a) => [a.type, a.params]) };
}

test('starts as follower with the recovered term and vote', () => {
  const s = start({ term: 7, votedFor: 'b' });
  assert.is(roleOf(s.value), 'follower');
  assert.is(s.context.term, 7);
  assert.is(s.context.votedFor, 'b');
});

test('election timeout with pre-vote: preCandidate asks for term+1 without moving its term', () => {
  const r = step(start(), { type: 'election.timeout', fenced: false });
  assert.is(r.s.value, 'preCandidate');
  assert.is(r.s.context.term, 3);
  assert.is(r.s.context.votedFor, null);
  assert.equal(r.effects, [['requestVotes', { term: 4, pre: true, transfer: false }]]);
});

test('election timeout without pre-vote: candidate persists term+1 and its own vote before asking', () => {
  const r = step(start({ preVote: false }), { type: 'election.timeout', fenced: false });
  assert.is(r.s.value, 'candidate');
  assert.is(r.s.context.term, 4);
  assert.equal(r.effects, [
    ['persistHardState', { term: 4, votedFor: 'a' }],
    ['requestVotes', { term: 4, pre: false, transfer: false }],
  ]);
});

test('a fenced clock keeps the node a follower on election timeout', () => {
  const r = step(start(), { type: 'election.timeout', fenced: true });
  assert.is(r.s.value, 'follower');
  assert.equal(r.effects, []);
});

test('pre-vote majority: preCandidate becomes candidate at term+1', () => {
  const pre = step(start(), { type: 'election.timeout', fenced: false }).s;
  const r = step(pre, { type: 'vote.reply', from: 'b', term: 4, granted: true, pre: true });
  assert.is(r.s.value, 'candidate');
  assert.is(r.s.context.term, 4);
  assert.equal(r.effects, [
    ['persistHardState', { term: 4, votedFor: 'a' }],
    ['requestVotes', { term: 4, pre: false, transfer: false }],
  ]);
});

test('pre-vote refusals from a majority send the preCandidate back to follower', () => {
  const pre = step(start(), { type: 'election.timeout', fenced: false }).s;
  const r1 = step(pre, { type: 'vote.reply', from: 'b', term: 3, granted: false, pre: true });
  assert.is(r1.s.value, 'preCandidate');
  const r2 = step(r1.s, { type: 'vote.reply', from: 'c', term: 3, granted: false, pre: true });
  assert.is(r2.s.value, 'follower');
  assert.equal(r2.effects, []);
});

test('a preCandidate that granted another pre-vote stands back to follower', () => {
  const pre = step(start(), { type: 'election.timeout', fenced: false }).s;
  const r = step(pre, { type: 'campaign.yield' });
  assert.is(r.s.value, 'follower');
  assert.is(r.s.context.term, 3);
  assert.equal(r.effects, []);
  assert.is(step(start(), { type: 'campaign.yield' }).s.value, 'follower', 'ignored elsewhere');
});

test('a real vote reply does not count towards a pre-vote', () => {
  const pre = step(start(), { type: 'election.timeout', fenced: false }).s;
  const r = step(pre, { type: 'vote.reply', from: 'b', term: 4, granted: true, pre: false });
  assert.is(r.s.value, 'preCandidate');
});

test('vote majority makes the candidate leader; a stale-term vote does not count', () => {
  const cand = step(start({ preVote: false }), { type: 'election.timeout', fenced: false }).s;
  const stale = step(cand, { type: 'vote.reply', from: 'b', term: 3, granted: true, pre: false });
  assert.is(stale.s.value, 'candidate');
  const r = step(cand, { type: 'vote.reply', from: 'b', term: 4, granted: true, pre: false });
  assert.is(r.s.value, 'leader');
  assert.is(r.s.context.leader, 'a');
  assert.equal(r.effects, []);
});

test('a single-node cluster elects itself on the first timeout', () => {
  const r = step(start({ voters: ['a'] }), { type: 'election.timeout', fenced: false });
  assert.is(r.s.value, 'leader');
  assert.is(r.s.context.term, 4);
  assert.equal(r.effects, [
    ['requestVotes', { term: 4, pre: true, transfer: false }],
    ['persistHardState', { term: 4, votedFor: 'a' }],
    ['requestVotes', { term: 4, pre: false, transfer: false }],
  ]);
});

test('a newer term from anywhere: follower at that term, vote cleared, persisted', () => {
  const leader = step(step(start({ preVote: false }), { type: 'election.timeout', fenced: false }).s, {
    type: 'vote.reply',
    from: 'b',
    term: 4,
    granted: true,
    pre: false,
  }).s;
  const r = step(leader, { type: 'term.advance', term: 9, leader: 'c' });
  assert.is(r.s.value, 'follower');
  assert.is(r.s.context.term, 9);
  assert.is(r.s.context.votedFor, null);
  assert.is(r.s.context.leader, 'c');
  assert.equal(r.effects, [['persistHardState', { term: 9, votedFor: null }]]);
});

test('term.advance to an older or equal term is ignored', () => {
  const r = step(start({ term: 5 }), { type: 'term.advance', term: 5, leader: 'b' });
  assert.is(r.s.context.leader, null);
  assert.equal(r.effects, []);
});

test('granting a vote persists it', () => {
  const r = step(start(), { type: 'vote.grant', candidate: 'c' });
  assert.is(r.s.value, 'follower');
  assert.is(r.s.context.votedFor, 'c');
  assert.equal(r.effects, [['persistHardState', { term: 3, votedFor: 'c' }]]);
});

test('a candidate that hears from a leader of its term becomes its follower', () => {
  const cand = step(start({ preVote: false }), { type: 'election.timeout', fenced: false }).s;
  const r = step(cand, { type: 'leader.seen', leader: 'b' });
  assert.is(r.s.value, 'follower');
  assert.is(r.s.context.leader, 'b');
  assert.is(r.s.context.term, 4);
});

test('candidate timeout with pre-vote goes back to pre-campaign; without, campaigns at the next term', () => {
  const cand = step(start({ preVote: false }), { type: 'election.timeout', fenced: false }).s;
  const again = step(cand, { type: 'election.timeout', fenced: false });
  assert.is(again.s.value, 'candidate');
  assert.is(again.s.context.term, 5);
  assert.equal(again.effects, [
    ['persistHardState', { term: 5, votedFor: 'a' }],
    ['requestVotes', { term: 5, pre: false, transfer: false }],
  ]);
  const pre = step(start(), { type: 'election.timeout', fenced: false }).s;
  const cand2 = step(pre, { type: 'vote.reply', from: 'b', term: 4, granted: true, pre: true }).s;
  const back = step(cand2, { type: 'election.timeout', fenced: false });
  assert.is(back.s.value, 'preCandidate');
  assert.equal(back.effects, [['requestVotes', { term: 5, pre: true, transfer: false }]]);
});

test('TimeoutNow skips pre-vote and marks the campaign as a transfer', () => {
  const r = step(start(), { type: 'election.timeoutNow', fenced: false });
  assert.is(r.s.value, 'candidate');
  assert.equal(r.effects, [
    ['persistHardState', { term: 4, votedFor: 'a' }],
    ['requestVotes', { term: 4, pre: false, transfer: true }],
  ]);
});

test('leader steps down (check-quorum, fence) to follower without changing term', () => {
  const leader = step(start({ voters: ['a'] }), { type: 'election.timeout', fenced: false }).s;
  const r = step(leader, { type: 'leader.stepDown', reason: 'check-quorum' });
  assert.is(r.s.value, 'follower');
  assert.is(r.s.context.term, 4);
  assert.is(r.s.context.leader, null);
  assert.equal(r.effects, []);
});

test.run();
