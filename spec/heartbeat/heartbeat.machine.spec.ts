// transition() specs for the heartbeat machine: next state, context and the exact effect list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialTransition, transition } from 'xstate';
import { createHeartbeatMachine, peerLevels, type HeartbeatEvent } from '../../machines/heartbeat.machine.ts';

const options = { threshold: 8, minStdDevMs: 25, acceptablePauseMs: 1_000, windowSize: 100 };
const machine = createHeartbeatMachine(['b', 'c']);
const input = { peers: ['b', 'c'], startMono: 0, intervalMs: 100, options };

type Snap = ReturnType<typeof initialTransition<typeof machine>>[0];

function step(s: Snap, e: HeartbeatEvent) {
  const [next, actions] = transition(machine, s, e);
  return { next, effects: actions.map((a) => ({ type: a.type, params: a.params })) };
}

/** Steady pongs from both peers every 100 ms up to `until`, checking after each round. */
function steady(s: Snap, from: number, until: number, peers = ['b', 'c']): Snap {
  for (let t = from; t <= until; t += 100) {
    for (const peer of peers) s = step(s, { type: 'peer.pong', peer, atMono: t, rttMs: 1 }).next;
    s = step(s, { type: 'heartbeat.check', atMono: t }).next;
  }
  return s;
}

test('initial: every peer alive, seeded history, never seen', () => {
  const [s, actions] = initialTransition(machine, input);
  assert.equal(s.value, { b: 'alive', c: 'alive' });
  assert.equal(actions, []);
  assert.equal(s.context.links['b'], { phi: { intervals: [75, 125], lastArrivalMono: 0 }, lastSeenMono: null, rttMs: null, downAfterMs: null });
});

test('first pong: restarts the clock without recording the link-setup gap; no effect while alive', () => {
  const [s0] = initialTransition(machine, input);
  // 900 ms of dialling and authenticating is not a sample of the link's rhythm.
  const { next, effects } = step(s0, { type: 'peer.pong', peer: 'b', atMono: 900, rttMs: 0.4 });
  assert.equal(effects, []);
  assert.equal(next.context.links['b'], { phi: { intervals: [75, 125], lastArrivalMono: 900 }, lastSeenMono: 900, rttMs: 0.4, downAfterMs: null });
  assert.equal(next.context.links['c'], s0.context.links['c']);
});

test('later pongs: record the interval, the time seen and the round trip', () => {
  const [s0] = initialTransition(machine, input);
  const s1 = step(s0, { type: 'peer.pong', peer: 'b', atMono: 900, rttMs: 0.4 }).next;
  const { next, effects } = step(s1, { type: 'peer.pong', peer: 'b', atMono: 1_003, rttMs: 0.7 });
  assert.equal(effects, []);
  assert.equal(next.context.links['b'], { phi: { intervals: [75, 125, 103], lastArrivalMono: 1_003 }, lastSeenMono: 1_003, rttMs: 0.7, downAfterMs: null });
});

test('pong from an unknown node changes nothing', () => {
  const [s0] = initialTransition(machine, input);
  const { next, effects } = step(s0, { type: 'peer.pong', peer: 'zz', atMono: 100, rttMs: 1 });
  assert.equal(effects, []);
  assert.equal(next.context, s0.context);
  assert.equal(next.value, s0.value);
});

test('check: a silent peer goes alive -> suspect -> down, each change one effect', () => {
  let s = steady(initialTransition(machine, input)[0], 100, 2_000);
  assert.equal(s.value, { b: 'alive', c: 'alive' });
  const seen: unknown[] = [];
  let suspectAt = -1;
  let downAt = -1;
  for (let t = 2_100; t <= 3_400; t += 100) {
    s = step(s, { type: 'peer.pong', peer: 'b', atMono: t, rttMs: 1 }).next;
    const r = step(s, { type: 'heartbeat.check', atMono: t });
    s = r.next;
    for (const e of r.effects) seen.push(e);
    const c = peerLevels(s.value)['c'];
    if (c === 'suspect' && suspectAt < 0) suspectAt = t;
    if (c === 'down' && downAt < 0) downAt = t;
  }
  assert.equal(seen, [
    { type: 'notePeerState', params: { peer: 'c', from: 'alive', to: 'suspect' } },
    { type: 'notePeerState', params: { peer: 'c', from: 'suspect', to: 'down' } },
  ]);
  assert.equal(s.value, { b: 'alive', c: 'down' });
  // Last pong at 2000; down within acceptablePause (1000) + 3 intervals.
  assert.ok(suspectAt > 3_000 && downAt <= 3_300, `suspect at ${suspectAt}, down at ${downAt}`);
});

test('pong while suspect: back to alive, recorded, with an effect', () => {
  let s = steady(initialTransition(machine, input)[0], 100, 2_000);
  let t = 2_000;
  while (peerLevels(s.value)['c'] !== 'suspect') s = step(s, { type: 'heartbeat.check', atMono: (t += 10) }).next;
  const { next, effects } = step(s, { type: 'peer.pong', peer: 'c', atMono: t + 5, rttMs: 2 });
  assert.equal(effects, [{ type: 'notePeerState', params: { peer: 'c', from: 'suspect', to: 'alive' } }]);
  assert.is(peerLevels(next.value)['c'], 'alive');
  const intervals = next.context.links['c']!.phi.intervals;
  assert.is(intervals[intervals.length - 1], t + 5 - 2_000);
});

test('pong while down: back to alive without recording the outage as an interval', () => {
  let s = steady(initialTransition(machine, input)[0], 100, 2_000);
  s = step(s, { type: 'heartbeat.check', atMono: 9_000 }).next;
  assert.equal(s.value, { b: 'down', c: 'down' });
  const before = s.context.links['c']!.phi.intervals;
  const { next, effects } = step(s, { type: 'peer.pong', peer: 'c', atMono: 9_050, rttMs: 3 });
  assert.equal(effects, [{ type: 'notePeerState', params: { peer: 'c', from: 'down', to: 'alive' } }]);
  assert.equal(next.value, { b: 'down', c: 'alive' });
  assert.equal(next.context.links['c'], { phi: { intervals: before, lastArrivalMono: 9_050 }, lastSeenMono: 9_050, rttMs: 3, downAfterMs: 7_000 });
});

test('the verdict down records the silence it was reached at; a later outage overwrites it', () => {
  let s = steady(initialTransition(machine, input)[0], 100, 2_000);
  assert.is(s.context.links['c']!.downAfterMs, null);
  s = step(s, { type: 'heartbeat.check', atMono: 3_234.5 }).next;
  assert.is(peerLevels(s.value)['c'], 'down');
  assert.is(s.context.links['c']!.downAfterMs, 1_234.5);
  s = step(s, { type: 'peer.pong', peer: 'c', atMono: 4_000, rttMs: 1 }).next;
  assert.is(s.context.links['c']!.downAfterMs, 1_234.5, 'kept while alive again: the last verdict');
  s = step(s, { type: 'heartbeat.check', atMono: 6_000 }).next;
  assert.is(s.context.links['c']!.downAfterMs, 2_000);
});

test('check while down does nothing', () => {
  let s = step(initialTransition(machine, input)[0], { type: 'heartbeat.check', atMono: 50_000 }).next;
  assert.equal(s.value, { b: 'down', c: 'down' });
  const { next, effects } = step(s, { type: 'heartbeat.check', atMono: 60_000 });
  assert.equal(effects, []);
  assert.equal(next.value, s.value);
});

test('a peer never heard from goes down on the seeded schedule', () => {
  let s = initialTransition(machine, input)[0];
  let downAt = -1;
  for (let t = 100; t <= 3_000 && downAt < 0; t += 100) {
    s = step(s, { type: 'heartbeat.check', atMono: t }).next;
    if (peerLevels(s.value)['b'] === 'down') downAt = t;
  }
  assert.ok(downAt > 1_000 && downAt <= 1_300, String(downAt));
});

test.run();
