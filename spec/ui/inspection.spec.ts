// The visualiser's feed: it costs nothing until someone watches (no listener, no inspection, no
// timer), coalesces changes into at most one snapshot and one event batch per tick, bounds its
// clients and its per-tick backlog, and skips a slow client instead of queueing for it. Time is a
// manual scheduler: the spec fires ticks itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InspectionEvent } from 'xstate';
import type { SupervisionTree } from '../../actors/supervisor.ts';
import { InspectionHub, type InspectionSources, type StreamSink } from '../../runtime/inspection.ts';
import type { TimelineEvent } from '../../runtime/timeline.ts';

function fakeSources() {
  let state: unknown = 'follower';
  let describes = 0;
  const timelineListeners = new Set<(e: TimelineEvent) => void>();
  const inspectors = new Set<(e: InspectionEvent) => void>();
  const sources: InspectionSources = {
    describe: (): SupervisionTree => {
      describes++;
      return {
        node_id: 'node1',
        supervisor: { state: 'running', restarts_total: 0, exit_reason: null },
        actors: [{ id: 'leader-election', status: 'running', restarts: 0, state }],
      };
    },
    inspect: (observer) => {
      inspectors.add(observer);
      return { unsubscribe: () => void inspectors.delete(observer) };
    },
    subscribeTimeline: (listener) => {
      timelineListeners.add(listener);
      return () => void timelineListeners.delete(listener);
    },
  };
  return {
    sources,
    setState: (s: unknown) => void (state = s),
    describes: () => describes,
    emit: (n: number) => {
      for (let i = 0; i < n; i++) for (const l of timelineListeners) l({ hlc: `000000000000001.${String(i).padStart(6, '0')}`, node: 'node1', actor: 'raft', type: 'peer.appendEntries', i });
    },
    inspect: (e: InspectionEvent) => inspectors.forEach((o) => o(e)),
    listeners: () => timelineListeners.size + inspectors.size,
  };
}

function manualScheduler() {
  const timers = new Map<number, () => void>();
  let next = 1;
  return {
    setTimeout: (fn: () => void) => {
      timers.set(next, fn);
      return next++;
    },
    clearTimeout: (id: unknown) => void timers.delete(id as number),
    pending: () => timers.size,
    fire: () => {
      const all = [...timers.entries()];
      timers.clear();
      for (const [, fn] of all) fn();
    },
  };
}

function sink(buffered = () => 0) {
  const chunks: string[] = [];
  let ended = false;
  const s: StreamSink = { write: (c) => void chunks.push(c), bufferedBytes: buffered, end: () => void (ended = true) };
  return { s, chunks, ended: () => ended, events: (name: string) => chunks.join('').split('\n\n').filter((m) => m.includes(`event: ${name}\n`)) };
}

test('nothing is attached until a client connects, and everything detaches when the last leaves', () => {
  const src = fakeSources();
  const clock = manualScheduler();
  const hub = new InspectionHub({ sources: src.sources, scheduler: clock });
  assert.is(hub.attached, false);
  assert.is(src.listeners(), 0);
  assert.is(clock.pending(), 0);
  const a = hub.connect(sink().s);
  const b = hub.connect(sink().s);
  assert.is(hub.attached, true);
  assert.is(src.listeners(), 2, 'one timeline listener and one inspection observer');
  assert.is(clock.pending(), 1, 'one coalescing timer');
  a?.close();
  assert.is(hub.attached, true);
  b?.close();
  b?.close();
  assert.is(hub.attached, false);
  assert.is(src.listeners(), 0);
  assert.is(clock.pending(), 0);
  const before = src.describes();
  clock.fire();
  assert.is(src.describes(), before, 'no polling without viewers');
});

test('a new client gets the current tree at once; later changes are coalesced to one snapshot per tick', () => {
  const src = fakeSources();
  const clock = manualScheduler();
  const hub = new InspectionHub({ sources: src.sources, scheduler: clock });
  const c = sink();
  hub.connect(c.s);
  assert.is(c.events('snapshot').length, 1);
  assert.match(c.chunks[0] ?? '', /^retry: \d+\n/);
  clock.fire();
  assert.is(c.events('snapshot').length, 2, 'the first tick publishes the tree it has not published yet');
  clock.fire();
  assert.is(c.events('snapshot').length, 2, 'an unchanged tree is not sent again');
  src.setState('candidate');
  src.setState('leader');
  clock.fire();
  const snaps = c.events('snapshot');
  assert.is(snaps.length, 3, 'two changes within one tick make one message');
  assert.match(snaps[2] ?? '', /"state":"leader"/);
});

test('timeline events are batched per tick, bounded, and the drop is counted', () => {
  const src = fakeSources();
  const clock = manualScheduler();
  const hub = new InspectionHub({ sources: src.sources, scheduler: clock, eventsPerTickMax: 50, stamp: () => '000000000000001.000000' });
  const c = sink();
  hub.connect(c.s);
  src.emit(120);
  src.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: { id: 'x:0', sessionId: 'x:0' }, event: { type: 'actor.ready' } } as unknown as InspectionEvent);
  src.inspect({ type: '@xstate.event', rootId: 'x:0', actorRef: { id: 'clock', sessionId: 'x:1' }, event: { type: 'tick' } } as unknown as InspectionEvent);
  src.inspect({ type: '@xstate.actor', rootId: 'x:0', actorRef: { id: 'clock', sessionId: 'x:1' } } as unknown as InspectionEvent);
  clock.fire();
  const batches = c.events('events');
  assert.is(batches.length, 1);
  const body = JSON.parse((batches[0] ?? '').split('data: ')[1] ?? '{}') as { events: Array<{ i: number }>; inspection: unknown[]; dropped: number };
  assert.is(body.events.length, 50);
  assert.is(body.events[0]?.i, 70, 'the newest events are kept');
  assert.is(body.dropped, 70);
  assert.equal(body.inspection, [
    { kind: 'event', hlc: '000000000000001.000000', actor: 'supervisor', event: 'actor.ready' },
    { kind: 'event', hlc: '000000000000001.000000', actor: 'clock', event: 'tick' },
  ]);
  clock.fire();
  assert.is(c.events('events').length, 1, 'no empty batches');
});

test('clients are bounded', () => {
  const src = fakeSources();
  const hub = new InspectionHub({ sources: src.sources, scheduler: manualScheduler(), clientsMax: 2 });
  assert.ok(hub.connect(sink().s));
  assert.ok(hub.connect(sink().s));
  assert.is(hub.full, true);
  assert.is(hub.connect(sink().s), null);
  assert.is(hub.counters.rejectedClients, 1);
});

test('a slow client is skipped, not queued for, and gets a fresh tree when it drains', () => {
  const src = fakeSources();
  const clock = manualScheduler();
  let backlog = 0;
  const hub = new InspectionHub({ sources: src.sources, scheduler: clock, clientBufferBytesMax: 1000 });
  const slow = sink(() => backlog);
  const fast = sink();
  hub.connect(slow.s);
  hub.connect(fast.s);
  clock.fire();
  backlog = 5000;
  src.setState('candidate');
  src.emit(3);
  clock.fire();
  src.setState('leader');
  clock.fire();
  assert.is(slow.events('snapshot').length, 2, 'nothing written while its buffer is full');
  assert.is(fast.events('snapshot').length, 4);
  assert.is(hub.counters.skippedWrites, 2);
  backlog = 0;
  src.emit(1);
  clock.fire();
  assert.is(slow.events('gap').length, 1);
  const snaps = slow.events('snapshot');
  assert.match(snaps[snaps.length - 1] ?? '', /"state":"leader"/);
  assert.is(slow.events('events').length, 1, 'only the new batch after the gap');
});

test('closeAll ends every stream and detaches', () => {
  const src = fakeSources();
  const hub = new InspectionHub({ sources: src.sources, scheduler: manualScheduler() });
  const a = sink();
  const b = sink();
  hub.connect(a.s);
  hub.connect(b.s);
  hub.closeAll();
  assert.ok(a.ended() && b.ended());
  assert.is(hub.clientCount, 0);
  assert.is(hub.attached, false);
});

test('a quiet feed still sends a keep-alive comment now and then', () => {
  const src = fakeSources();
  const clock = manualScheduler();
  const hub = new InspectionHub({ sources: src.sources, scheduler: clock, intervalMs: 100, keepAliveMs: 300 });
  const c = sink();
  hub.connect(c.s);
  clock.fire();
  const after = c.chunks.length;
  clock.fire();
  clock.fire();
  assert.is(c.chunks.length, after);
  clock.fire();
  assert.is(c.chunks[c.chunks.length - 1], ': keep-alive\n\n');
});

test.run();
