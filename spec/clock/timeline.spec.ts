// Merging nodes' events into one HLC-ordered timeline, including late and repeated fetches.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatHlc, hlcNow, hlcObserve, HLC_ZERO, type Hlc } from '../../machines/clock/hlc.ts';
import { compareEvents, latestStampOf, mergeTimeline, type StampedEvent } from '../../machines/clock/timeline.ts';

const SEED = Number(process.env['SEED'] ?? 31337);
console.log(`timeline.spec seed=${SEED}`);

const ev = (node: string, physicalMs: number, logical = 0, what = ''): StampedEvent & { what: string } => ({
  node,
  hlc: formatHlc({ physicalMs, logical }),
  what,
});

test('merge orders by stamp, then by node for equal stamps', () => {
  const { timeline } = mergeTimeline([], [ev('n2', 5), ev('n1', 7), ev('n3', 5), ev('n1', 5, 1)]);
  assert.equal(timeline.map((e) => `${e.node}@${e.hlc}`), [
    `n2@${formatHlc({ physicalMs: 5, logical: 0 })}`,
    `n3@${formatHlc({ physicalMs: 5, logical: 0 })}`,
    `n1@${formatHlc({ physicalMs: 5, logical: 1 })}`,
    `n1@${formatHlc({ physicalMs: 7, logical: 0 })}`,
  ]);
});

test('late events are merged into place; repeats appear once; malformed stamps are rejected', () => {
  let t = mergeTimeline([], [ev('n1', 10), ev('n1', 30), ev('n2', 20)]).timeline;
  const late = mergeTimeline(t, [ev('n3', 5), ev('n3', 25), ev('n2', 20), { node: 'n3', hlc: '12:00', what: '' }]);
  t = late.timeline;
  assert.equal(t.map((e) => e.node), ['n3', 'n1', 'n2', 'n3', 'n1']);
  assert.is(late.rejected.length, 1);
  assert.is(latestStampOf(t, 'n3'), formatHlc({ physicalMs: 25, logical: 0 }));
  assert.is(latestStampOf(t, 'n9'), null);
});

test('causal order survives skewed clocks, in whatever order nodes are fetched', () => {
  // Three nodes with clocks 0 s, -5 s and +3 s off exchange messages; each receive follows its send.
  let s = SEED >>> 0;
  const rnd = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const skew: Record<string, number> = { n1: 0, n2: -5_000, n3: 3_000 };
  const clocks: Record<string, Hlc> = { n1: HLC_ZERO, n2: HLC_ZERO, n3: HLC_ZERO };
  const logs: Record<string, Array<StampedEvent & { what: string }>> = { n1: [], n2: [], n3: [] };
  const causal: Array<[string, string]> = [];
  const nodes = ['n1', 'n2', 'n3'];
  let now = 1_000_000;
  for (let i = 0; i < 300; i++) {
    now += Math.floor(rnd() * 3);
    const from = nodes[Math.floor(rnd() * 3)]!;
    const to = nodes[(nodes.indexOf(from) + 1 + Math.floor(rnd() * 2)) % 3]!;
    clocks[from] = hlcNow(clocks[from]!, now + skew[from]!);
    const sent = { node: from, hlc: formatHlc(clocks[from]!), what: `send ${i}` };
    clocks[to] = hlcObserve(clocks[to]!, sent.hlc, now + skew[to]!);
    const got = { node: to, hlc: formatHlc(clocks[to]!), what: `receive ${i}` };
    logs[from]!.push(sent);
    logs[to]!.push(got);
    causal.push([`${from}@${sent.hlc}`, `${to}@${got.hlc}`]);
  }
  // Fetch in pieces, one node late, another fetched twice.
  let t: Array<StampedEvent & { what: string }> = [];
  t = mergeTimeline(t, logs['n1']!.slice(0, 200)).timeline;
  t = mergeTimeline(t, logs['n2']!).timeline;
  t = mergeTimeline(t, logs['n1']!).timeline;
  t = mergeTimeline(t, logs['n2']!.slice(50)).timeline;
  t = mergeTimeline(t, logs['n3']!).timeline;
  assert.is(t.length, 600);
  for (let i = 1; i < t.length; i++) assert.ok(compareEvents(t[i - 1]!, t[i]!) < 0);
  const position = new Map(t.map((e, i) => [`${e.node}@${e.hlc}`, i]));
  for (const [send, receive] of causal) assert.ok(position.get(send)! < position.get(receive)!, `${send} before ${receive} (seed ${SEED})`);
});

test.run();
