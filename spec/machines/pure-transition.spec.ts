// The reusable-scope `transition` must be indistinguishable from xstate's own: over seeded random
// walks through the peer-progress and leader-election machines, both give the same snapshot value,
// context and actions (type and params) at every step.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition as xstateTransition } from 'xstate';
import { transition } from '../../machines/pure-transition.ts';
import { peerProgressMachine, type ProgressEvent } from '../../machines/peer-progress.machine.ts';
import { leaderElectionMachine, type ElectionEvent } from '../../machines/leader-election.machine.ts';
import { logReplicationMachine, type ReplicationEvent } from '../../machines/log-replication.machine.ts';
import { createPrng } from '../harness/prng.ts';

const SEED = Number(process.env['SYNCPAY_SPEC_SEED'] ?? 20261126);

function progressEvent(r: () => number, top: number): ProgressEvent {
  const at = 1 + Math.floor(r() * top);
  switch (Math.floor(r() * 7)) {
    case 0: return { type: 'progress.sent', last: at };
    case 1: return { type: 'progress.acked', index: at };
    case 2: return { type: 'progress.rejected', rejected: at, next: Math.max(1, at - 3) };
    case 3: return { type: 'progress.heartbeatAck' };
    case 4: return { type: 'progress.snapshotSent', index: at };
    case 5: return { type: 'progress.snapshotAborted' };
    default: return { type: 'progress.lost', lastIndex: at };
  }
}

const view = (s: { value: unknown; context: unknown; status: string }): unknown => JSON.parse(JSON.stringify({ value: s.value, context: s.context, status: s.status }));
const acts = (a: ReadonlyArray<{ type: string; params?: unknown }>): unknown => JSON.parse(JSON.stringify(a.map((x) => ({ type: x.type, params: x.params ?? null }))));

test(`peer progress: 12 walks of 300 steps agree with xstate's transition (seed ${SEED})`, () => {
  const prng = createPrng(SEED);
  const r = (): number => prng.next();
  for (let walk = 0; walk < 12; walk++) {
    let ours = initialTransition(peerProgressMachine, { match: 0, next: 1, inflightMax: 1 + Math.floor(r() * 8) })[0];
    let theirs = ours;
    for (let step = 0; step < 300; step++) {
      const ev = progressEvent(r, 50);
      const [a, aActs] = transition(peerProgressMachine, ours, ev);
      const [b, bActs] = xstateTransition(peerProgressMachine, theirs, ev);
      assert.equal(view(a), view(b), `walk ${walk} step ${step} ${JSON.stringify(ev)}`);
      assert.equal(acts(aActs), acts(bActs));
      ours = a;
      theirs = b;
    }
  }
});

const NODES = ['a', 'b', 'c'];

function electionEvent(r: () => number, term: number): ElectionEvent {
  const node = NODES[Math.floor(r() * NODES.length)]!;
  switch (Math.floor(r() * 8)) {
    case 0: return { type: 'election.timeout', fenced: r() < 0.1 };
    case 1: return { type: 'election.timeoutNow', fenced: false };
    case 2: return { type: 'vote.reply', from: node, term: term + Math.floor(r() * 2), granted: r() < 0.7, pre: r() < 0.5 };
    case 3: return { type: 'term.advance', term: term + 1, leader: r() < 0.5 ? node : null };
    case 4: return { type: 'leader.seen', leader: node };
    case 5: return { type: 'vote.grant', candidate: node };
    case 6: return { type: 'leader.stepDown', reason: 'check-quorum' };
    default: return { type: 'campaign.yield' };
  }
}

test(`leader election: 12 walks of 300 steps agree with xstate's transition, actions included (seed ${SEED})`, () => {
  const prng = createPrng(SEED + 1);
  const r = (): number => prng.next();
  let actionsSeen = 0;
  for (let walk = 0; walk < 12; walk++) {
    let ours = initialTransition(leaderElectionMachine, { self: 'a', voters: NODES, term: 1, votedFor: null, preVote: r() < 0.5 })[0];
    let theirs = ours;
    for (let step = 0; step < 300; step++) {
      const ev = electionEvent(r, (ours.context as { term: number }).term);
      const [a, aActs] = transition(leaderElectionMachine, ours, ev);
      const [b, bActs] = xstateTransition(leaderElectionMachine, theirs, ev);
      assert.equal(view(a), view(b), `walk ${walk} step ${step} ${JSON.stringify(ev)}`);
      assert.equal(acts(aActs), acts(bActs));
      actionsSeen += aActs.length;
      ours = a;
      theirs = b;
    }
  }
  assert.ok(actionsSeen > 100, `the walks exercised actions (${actionsSeen})`);
});

function replicationEvent(r: () => number, step: number): ReplicationEvent {
  const term = 1 + Math.floor(r() * 4);
  // Mostly ahead of the commit index so far, sometimes behind it.
  const index = Math.max(0, step + Math.floor(r() * 12) - 4);
  switch (Math.floor(r() * 5)) {
    case 0: return { type: 'role.leader', term };
    case 1: return { type: 'role.follower', term };
    case 2: return { type: 'commit.quorum', index, entryTerm: term };
    case 3: return { type: 'commit.leader', index };
    default: return { type: 'snapshot.installed', index };
  }
}

test(`log replication: 12 walks of 300 steps agree with xstate's transition, actions included (seed ${SEED})`, () => {
  const prng = createPrng(SEED + 2);
  const r = (): number => prng.next();
  let actionsSeen = 0;
  for (let walk = 0; walk < 12; walk++) {
    let ours = initialTransition(logReplicationMachine, { term: 1, commitIndex: 0 })[0];
    let theirs = ours;
    for (let step = 0; step < 300; step++) {
      const ev = replicationEvent(r, step);
      const [a, aActs] = transition(logReplicationMachine, ours, ev);
      const [b, bActs] = xstateTransition(logReplicationMachine, theirs, ev);
      assert.equal(view(a), view(b), `walk ${walk} step ${step} ${JSON.stringify(ev)}`);
      assert.equal(acts(aActs), acts(bActs));
      actionsSeen += aActs.length;
      ours = a;
      theirs = b;
    }
  }
  assert.ok(actionsSeen > 200, `the walks exercised actions (${actionsSeen})`);
});

test('actions of one step are not mixed into the next', () => {
  const start = initialTransition(leaderElectionMachine, { self: 'a', voters: NODES, term: 1, votedFor: null, preVote: false })[0];
  const [afterTimeout, first] = transition(leaderElectionMachine, start, { type: 'election.timeout', fenced: false });
  const [, second] = transition(leaderElectionMachine, afterTimeout, { type: 'leader.seen', leader: 'b' });
  const [, xSecond] = xstateTransition(leaderElectionMachine, afterTimeout, { type: 'leader.seen', leader: 'b' });
  assert.ok(first.length > 0, 'a campaign has actions');
  assert.equal(acts(second), acts(xSecond));
});

test.run();
