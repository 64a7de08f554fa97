// Specs for the simulator itself: a run is a pure function of its seed, the disk loses exactly
// what was not synced, the network partitions and heals as told, and the event queue keeps time
// order. A simulator that lied here would make every cluster verdict meaningless.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSeed } from '../harness/cluster.ts';
import { createPrng } from '../harness/prng.ts';
import { Scheduler, settle } from '../harness/scheduler.ts';
import { SimClock } from '../harness/sim-clock.ts';
import { SimNetwork } from '../harness/sim-network.ts';
import { SimDisk } from '../harness/sim-storage.ts';
import type { LogEntry, PeerMessage } from '../../machines/types.ts';

const e = (index: number, term = 1): LogEntry => ({ index, term, kind: 'command', hlc: '000000000000001.000000', data: `d${index}` });

test('a run is a pure function of its seed', async () => {
  const seed = 4242;
  console.log(`seed ${seed}`);
  const a = await runSeed({ seed, nodes: 3, faultMs: 1500 });
  const b = await runSeed({ seed, nodes: 3, faultMs: 1500 });
  assert.ok(a.ok, a.violation ?? '');
  assert.equal(a.trace, b.trace);
  assert.equal([a.events, a.acked, a.committed, a.simMs], [b.events, b.acked, b.committed, b.simMs]);
  assert.ok(a.ledgerHash !== null && a.ledgerHash.appliedIndex > 0, 'the run carried real ledger traffic');
  assert.equal(a.ledgerHash, b.ledgerHash, 'and left the same ledger behind');
  const c = await runSeed({ seed: seed + 1, nodes: 3, faultMs: 1500 });
  assert.not.equal(a.trace, c.trace, 'another seed, another run');
});

test('scheduler: events run in time order, ties in scheduling order, cancelled ones never', async () => {
  const s = new Scheduler();
  const seen: string[] = [];
  s.after(5, () => seen.push('b'));
  s.after(1, () => seen.push('a'));
  s.after(5, () => seen.push('c'));
  const x = s.after(3, () => seen.push('x'));
  s.cancel(x);
  await s.runUntil(10, () => true);
  assert.equal(seen, ['a', 'b', 'c']);
  assert.is(s.now(), 10);
});

test('sim clock: drift, jumps and timers that die with their incarnation', async () => {
  const s = new Scheduler();
  const fast = new SimClock(s, 1.02, 0);
  let fired = 0;
  fast.setTimeout(() => fired++, 102);
  const dead = new SimClock(s, 1, 0);
  dead.setTimeout(() => fired++, 10);
  dead.kill();
  await s.runUntil(100, () => true);
  assert.is(fired, 1, 'the drifting clock fires 102 of its ms at 100 real ms; the killed one never');
  assert.is(fast.monotonicNow(), 102);
  const wall = fast.now();
  fast.jump(-5000);
  assert.is(fast.now(), wall - 5000, 'wall time may jump backwards');
  assert.is(fast.monotonicNow(), 102, 'monotonic time does not');
});

test('sim disk: writes become durable only at fsync; a crash loses the rest', async () => {
  const s = new Scheduler();
  const prng = createPrng(9);
  const disk = new SimDisk(s, () => 5);
  const store = disk.open();
  let synced = false;
  void store.append([e(1), e(2)]).then(() => (synced = true));
  await settle();
  assert.not.ok(synced);
  await s.runUntil(5, () => true);
  await settle();
  assert.ok(synced, 'acknowledged once the group fsync completed');
  void store.append([e(3)]);
  void store.saveHardState({ term: 2, votedFor: 'n2' });
  await settle();
  disk.crash(prng, false, true);
  const after = disk.open();
  const loaded = await new Promise<Awaited<ReturnType<typeof after.load>>>((resolve) => {
    void after.load().then(resolve);
    void s.runUntil(s.now() + 1, () => true);
  });
  assert.equal(loaded.entries.map((x) => x.index), [1, 2]);
  assert.equal(loaded.hardState, { term: 0, votedFor: null });
});

test('sim disk: one fsync covers every write queued before it (group commit)', async () => {
  const s = new Scheduler();
  const disk = new SimDisk(s, () => 3);
  const store = disk.open();
  for (let i = 1; i <= 10; i++) void store.append([e(i)]);
  await s.runUntil(10, () => true);
  assert.is(disk.fsyncs, 1);
  assert.is(disk.durableState().entries.length, 10);
});

test('sim disk: a torn crash never keeps the last unsynced write', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const s = new Scheduler();
    const disk = new SimDisk(s, () => 100);
    const store = disk.open();
    void store.append([e(1)]);
    await settle();
    const lost = disk.crash(createPrng(seed), true);
    assert.is(lost, 1, `seed ${seed}`);
    assert.is(disk.durableState().entries.length, 0);
  }
});

test('sim network: partitions (both ways and one way) drop messages until healed', async () => {
  const s = new Scheduler();
  const net = new SimNetwork(s, createPrng(1), ['a', 'b', 'c'], () => {});
  for (const id of ['a', 'b', 'c']) net.setUp(id, true);
  const got: string[] = [];
  for (const id of ['a', 'b', 'c']) net.transportFor(id).subscribe((from, m) => got.push(`${from}>${id}:${String(m.n)}`));
  const send = (from: string, to: string, n: number): void => void net.transportFor(from).send(to, { type: 'peer.test', n } as PeerMessage);
  net.partition(['a'], ['b', 'c']);
  send('a', 'b', 1);
  send('b', 'a', 2);
  send('b', 'c', 3);
  net.heal();
  net.cutLink('a', 'c');
  send('a', 'c', 4);
  send('c', 'a', 5);
  await s.runUntil(100, () => true);
  assert.equal(got.sort(), ['b>c:3', 'c>a:5']);
});

test('sim network: loss and duplication follow the configured rates', async () => {
  const s = new Scheduler();
  const net = new SimNetwork(s, createPrng(2), ['a', 'b'], () => {});
  net.setUp('a', true);
  net.setUp('b', true);
  net.traceDeliveries = false;
  net.faults = { dropRate: 0.3, duplicateRate: 0.1, delayMsMin: 1, delayMsMax: 20, reorder: true };
  let got = 0;
  net.transportFor('b').subscribe(() => got++);
  for (let i = 0; i < 2000; i++) net.transportFor('a').send('b', { type: 'peer.test' } as PeerMessage);
  await s.runUntil(100, () => true);
  assert.ok(net.stats.dropped > 500 && net.stats.dropped < 700, `dropped ${net.stats.dropped}`);
  assert.ok(net.stats.duplicated > 100, `duplicated ${net.stats.duplicated}`);
  assert.is(got, 2000 - net.stats.dropped + net.stats.duplicated);
});

test('sim network: without reordering a link is FIFO; with it, messages overtake each other', async () => {
  for (const reorder of [false, true]) {
    const s = new Scheduler();
    const net = new SimNetwork(s, createPrng(5), ['a', 'b'], () => {});
    net.setUp('a', true);
    net.setUp('b', true);
    net.faults = { dropRate: 0, duplicateRate: 0, delayMsMin: 1, delayMsMax: 30, reorder };
    const got: number[] = [];
    net.transportFor('b').subscribe((_f, m) => got.push(m.n as number));
    for (let i = 0; i < 50; i++) net.transportFor('a').send('b', { type: 'peer.test', n: i } as PeerMessage);
    await s.runUntil(100, () => true);
    const sorted = [...got].sort((x, y) => x - y);
    if (reorder) assert.not.equal(got, sorted);
    else assert.equal(got, sorted);
  }
});

test.run();
