// transition() specs for the clock machine: next state, context and the exact effect list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition } from 'xstate';
import { clockAssessment, clockMachine, peerEstimates, type ClockEvent } from '../../machines/clock.machine.ts';

const settings = { maxClockOffsetMs: 500, sampleWindowSize: 8, sampleMaxAgeMs: 10_000 };
const input = { peers: ['b', 'c'], startMono: 0, settings };
type Snap = ReturnType<typeof initialTransition<typeof clockMachine>>[0];

function step(s: Snap, e: ClockEvent) {
  const [next, actions] = transition(clockMachine, s, e);
  return { next, effects: actions.map((a) => ({ type: a.type, params: a.params })) };
}

/** The sample of one exchange at monotonic `at` with a peer `skew` ms ahead, 1 ms each way. */
function sample(peer: string, at: number, skew: number): ClockEvent {
  const t0 = 1_000_000 + at;
  return { type: 'clock.sample', peer, t0, t1: t0 + 1 + skew, t2: t0 + 1 + skew, t3: t0 + 2, atMono: at };
}

test('initial: unsynced, one empty window per peer', () => {
  const [s, actions] = initialTransition(clockMachine, input);
  assert.is(s.value, 'unsynced');
  assert.equal(actions, []);
  assert.equal(s.context, { settings, clusterSize: 3, windows: { b: { samples: [] }, c: { samples: [] } }, nowMono: 0 });
});

test('a single-node cluster is synced at once', () => {
  const [s] = initialTransition(clockMachine, { peers: [], startMono: 0, settings });
  assert.is(s.value, 'synced');
});

test('first agreeing sample: unsynced -> synced, with the effect', () => {
  const [s0] = initialTransition(clockMachine, input);
  const { next, effects } = step(s0, sample('b', 100, 3));
  assert.is(next.value, 'synced');
  assert.equal(effects, [{ type: 'noteVerdict', params: { from: 'unsynced', to: 'synced' } }]);
  assert.equal(next.context.windows['b'], { samples: [{ offsetMs: 3, delayMs: 2, atMono: 100 }] });
  assert.is(next.context.nowMono, 100);
});

test('a majority 10 s away: fenced; cluster time is theirs', () => {
  let s = initialTransition(clockMachine, input)[0];
  s = step(s, sample('b', 100, -10_000)).next;
  assert.is(s.value, 'fenced', 'one peer of two disagreeing already leaves self in the minority');
  const r = step(s, sample('c', 110, -10_000));
  assert.is(r.next.value, 'fenced');
  assert.equal(r.effects, []);
  assert.is(clockAssessment(r.next.context, 'fenced').clusterOffsetMs, -10_000);
});

test('fenced -> synced when the samples show the clock corrected', () => {
  let s = initialTransition(clockMachine, input)[0];
  s = step(s, sample('b', 100, -10_000)).next;
  s = step(s, sample('c', 110, -10_000)).next;
  const r = step(s, sample('b', 200, 0));
  assert.is(r.next.value, 'synced');
  assert.equal(r.effects, [{ type: 'noteVerdict', params: { from: 'fenced', to: 'synced' } }]);
  assert.equal(r.next.context.windows['b'], { samples: [{ offsetMs: 0, delayMs: 2, atMono: 200 }] }, 'stale samples evicted');
});

test('hysteresis: fences beyond the bound, unfences only within 90% of it', () => {
  let s = initialTransition(clockMachine, input)[0];
  s = step(s, sample('b', 100, 520)).next;
  s = step(s, sample('c', 100, 530)).next;
  assert.is(s.value, 'fenced');
  // Back within the bound, but not within 90% of it: still fenced (no flapping at the edge).
  s = step(s, sample('b', 200, 480)).next;
  assert.is(s.value, 'fenced');
  const r = step(s, sample('b', 300, 440));
  assert.is(r.next.value, 'synced');
  assert.equal(r.effects, [{ type: 'noteVerdict', params: { from: 'fenced', to: 'synced' } }]);
  // Synced at 480 ms stays synced: the wider bound applies while not fenced.
  assert.is(step(r.next, sample('b', 400, 480)).next.value, 'synced');
});

test('impossible sample or unknown peer: rejected with an effect, windows unchanged', () => {
  const [s0] = initialTransition(clockMachine, input);
  const bad: ClockEvent = { type: 'clock.sample', peer: 'b', t0: 0, t1: 10, t2: 20, t3: 5, atMono: 50 };
  const r1 = step(s0, bad);
  assert.is(r1.next.value, 'unsynced');
  assert.equal(r1.effects, [{ type: 'noteRejectedSample', params: { peer: 'b' } }]);
  assert.equal(r1.next.context.windows, s0.context.windows);
  assert.is(r1.next.context.nowMono, 50);
  const r2 = step(s0, sample('zz', 60, 0));
  assert.equal(r2.effects, [{ type: 'noteRejectedSample', params: { peer: 'zz' } }]);
  assert.equal(r2.next.context.windows, s0.context.windows);
});

test('tick: estimates age out and the node returns to unsynced', () => {
  let s = initialTransition(clockMachine, input)[0];
  s = step(s, sample('b', 100, 1)).next;
  assert.is(s.value, 'synced');
  const early = step(s, { type: 'clock.tick', atMono: 10_100 });
  assert.is(early.next.value, 'synced');
  assert.equal(early.effects, []);
  const late = step(early.next, { type: 'clock.tick', atMono: 10_101 });
  assert.is(late.next.value, 'unsynced');
  assert.equal(late.effects, [{ type: 'noteVerdict', params: { from: 'synced', to: 'unsynced' } }]);
  assert.equal(peerEstimates(late.next.context), {});
});

test('tick never moves time backwards', () => {
  let s = initialTransition(clockMachine, input)[0];
  s = step(s, { type: 'clock.tick', atMono: 500 }).next;
  s = step(s, { type: 'clock.tick', atMono: 400 }).next;
  assert.is(s.context.nowMono, 500);
});

test.run();
