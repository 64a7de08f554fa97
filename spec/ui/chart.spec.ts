// The drawable graph taken from an XState machine, and the SVG the shared renderer makes of it
// after a real elkjs layout: every state a rect with its id, every transition labelled with its
// event and guard, compound states containing their children, and state values mapped to the
// states they make active.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { and, not, setup } from 'xstate';
import { activeStateIds, chartSvg, elkInput, likelyTransition } from '../../runtime/ui/chart.js';
import { guardLabel, isMachine, machineGraph } from '../../runtime/ui/machine-graph.ts';
import { newElk } from '../../scripts/diagrams.ts';

const door = setup({
  types: { events: {} as { type: 'door.open' } | { type: 'door.close' } | { type: 'door.lock' } | { type: 'door.knock' } | { type: 'door.alarm' } },
  guards: { hasKey: () => true, isNight: () => false, isEmpty: () => true },
  actions: { ring: () => {}, log: () => {} },
}).createMachine({
  id: 'door',
  initial: 'closed',
  on: { 'door.alarm': { target: '.broken' } },
  states: {
    closed: {
      description: 'shut, maybe locked',
      initial: 'unlocked',
      on: { 'door.knock': { actions: ['ring', 'log'] } },
      states: {
        unlocked: { on: { 'door.lock': { target: 'locked', guard: and(['hasKey', not('isNight')]) }, 'door.open': '#door.open' } },
        locked: { after: { 500: 'unlocked' } },
      },
    },
    open: { on: { 'door.close': { target: 'closed', guard: 'isEmpty' } }, always: { guard: 'isNight', target: 'closed' } },
    broken: { type: 'final' },
  },
});

test('the graph has every state with its nesting and every transition with event and guard', () => {
  assert.ok(isMachine(door));
  assert.not.ok(isMachine({ root: 1 }));
  const g = machineGraph(door);
  assert.is(g.root, 'door');
  assert.equal(
    g.states.map((s) => [s.id, s.parent, s.type]),
    [
      ['door', null, 'compound'],
      ['door.closed', 'door', 'compound'],
      ['door.closed.unlocked', 'door.closed', 'atomic'],
      ['door.closed.locked', 'door.closed', 'atomic'],
      ['door.open', 'door', 'atomic'],
      ['door.broken', 'door', 'final'],
    ],
  );
  const closed = g.states.find((s) => s.id === 'door.closed');
  assert.is(closed?.initial, 'door.closed.unlocked');
  assert.is(closed?.description, 'shut, maybe locked');
  assert.equal(closed?.internal, [{ event: 'door.knock', guard: null, actions: ['ring', 'log'] }]);
  const edges = g.transitions.map((t) => `${t.source} -${t.event}${t.guard ? `[${t.guard}]` : ''}-> ${t.target}`).sort();
  assert.equal(
    edges,
    [
      'door -door.alarm-> door.broken',
      'door.closed.locked -after 500 ms-> door.closed.unlocked',
      'door.closed.unlocked -door.lock[hasKey && !isNight]-> door.closed.locked',
      'door.closed.unlocked -door.open-> door.open',
      'door.open -always[isNight]-> door.closed',
      'door.open -door.close[isEmpty]-> door.closed',
    ].sort(),
  );
});

test('guard labels name plain, parameterised and combined guards', () => {
  assert.is(guardLabel(undefined), null);
  assert.is(guardLabel('ready'), 'ready');
  assert.is(guardLabel({ type: 'within' }), 'within');
  assert.is(guardLabel({ type: 'verdictIs', params: { from: 'synced', verdict: 'fenced' } }), 'verdictIs(synced, fenced)');
});

test('state values map to the ids they make active, root first', () => {
  const g = machineGraph(door);
  assert.equal(activeStateIds(g, 'open'), ['door', 'door.open']);
  assert.equal(activeStateIds(g, { closed: 'locked' }), ['door', 'door.closed', 'door.closed.locked']);
  assert.equal(activeStateIds(g, 'no such state'), ['door']);
  assert.equal(activeStateIds(g, null), ['door']);
});

test('the likely transition is the one from a state left to a state entered', () => {
  const g = machineGraph(door);
  const t = likelyTransition(g, activeStateIds(g, { closed: 'unlocked' }), activeStateIds(g, { closed: 'locked' }));
  assert.is(t?.event, 'door.lock');
  const fromRoot = likelyTransition(g, activeStateIds(g, 'open'), activeStateIds(g, 'broken'));
  assert.is(fromRoot?.event, 'door.alarm');
  assert.is(likelyTransition(g, activeStateIds(g, 'broken'), activeStateIds(g, 'open')), null);
});

test('elkjs lays the chart out and the SVG carries a rect per state and a labelled path per transition', async () => {
  const g = machineGraph(door);
  const layout = await newElk().layout(elkInput(g));
  const svg = chartSvg(g, layout, { standalone: true });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart" data-machine="door"/);
  for (const s of g.states) assert.ok(svg.includes(`data-state-id="${s.id}"`), `rect for ${s.id}`);
  assert.is(svg.match(/<g class="transition"/g)?.length, g.transitions.length);
  assert.ok(svg.includes('>door.lock [hasKey &amp;&amp; !isNight]</text>'), 'guards are escaped into the label');
  assert.ok(svg.includes('door.knock / ring, log'), 'internal transitions are written inside their state');
  assert.ok(svg.includes('class="any"'), 'a transition declared on the root starts at an any-marker');
  // Nesting is geometric: a child's rect lies inside its parent's.
  const rect = (id: string): number[] => {
    const m = new RegExp(`data-state-id="${id.replace(/\./g, '\\.')}" x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"`).exec(svg);
    assert.ok(m, `rect ${id}`);
    return m.slice(1).map(Number);
  };
  const [px = 0, py = 0, pw = 0, ph = 0] = rect('door.closed');
  for (const child of ['door.closed.unlocked', 'door.closed.locked']) {
    const [x = 0, y = 0, w = 0, h = 0] = rect(child);
    assert.ok(x >= px && y >= py && x + w <= px + pw && y + h <= py + ph, `${child} inside door.closed`);
  }
});

test('parallel regions are stacked, not laid side by side, and the stacking edges stay unseen', async () => {
  const links = setup({}).createMachine({
    id: 'links',
    type: 'parallel',
    states: Object.fromEntries(['a', 'b', 'c'].map((p) => [p, { initial: 'up', states: { up: { on: { down: 'down' } }, down: { on: { up: 'up' } } } }])),
  });
  const g = machineGraph(links);
  const svg = chartSvg(g, await newElk().layout(elkInput(g)));
  const box = (id: string): number[] => {
    const m = new RegExp(`data-state-id="${id}" x="([\\d.]+)" y="([\\d.]+)" width="([\\d.]+)" height="([\\d.]+)"`).exec(svg);
    assert.ok(m, id);
    return m.slice(1).map(Number);
  };
  const [, ay = 0, , ah = 0] = box('links.a');
  const [, by = 0, , bh = 0] = box('links.b');
  const [, cy = 0] = box('links.c');
  assert.ok(by >= ay + ah && cy >= by + bh, 'regions one below the other');
  assert.is(svg.match(/<g class="transition"/g)?.length, 6);
  assert.is(svg.match(/class="initial-edge"/g)?.length, 3, 'one initial arrow per region, no drawn stacking edge');
});

test.run();
