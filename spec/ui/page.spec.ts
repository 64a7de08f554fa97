// The page itself in headless Chromium, against three in-process nodes whose actors are puppets,
// so every state it must show is set by the spec rather than waited for: the charts render from
// the machines, exactly the current states are highlighted, the last transition is marked, a node
// that goes away stops claiming its state, and the message view merges, filters and pauses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { freePort } from '../support/process-cluster.ts';
import { CHROMIUM_INSTALL, findChromium, launchChromium, type Browser } from './chromium.ts';
import { startFakeNode, type FakeNode } from './fake-node.ts';

const chromiumPath = findChromium();

if (!chromiumPath) {
  console.log(`browser spec skipped: chromium not found for spec/ui/page.spec.ts (install it with: ${CHROMIUM_INSTALL})`);
} else {
  const executable = chromiumPath;
  let nodes: FakeNode[] = [];
  let browser: Browser;
  let page: Page;
  const byId = (id: string): FakeNode => nodes.find((n) => n.id === id) as FakeNode;

  const leaderHighlights = (): Promise<string[]> =>
    page.evaluate(() =>
      [...document.querySelectorAll('figure[data-actor="leader-election"] rect[data-state-id="leader-election.leader"].active')].map(
        (r) => (r.closest('figure') as HTMLElement).dataset.node ?? '?',
      ),
    );

  async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 8000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  test.before(async () => {
    const addresses = [];
    for (let i = 1; i <= 3; i++) addresses.push({ id: `node${i}`, host: '127.0.0.1', apiPort: await freePort(), peerPort: await freePort() });
    for (const a of addresses) nodes.push(await startFakeNode({ id: a.id, nodes: addresses, ui: { intervalMs: 50 } }));
    for (const n of nodes) n.setRole('follower', 2);
    byId('node2').setRole('leader', 2);
    browser = await launchChromium(executable);
    page = await browser.context.newPage();
    page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
    await page.goto(`${byId('node1').url}/ui`);
  });

  test.after(async () => {
    await browser?.close();
    for (const n of nodes) await n.close().catch(() => undefined);
    nodes = [];
  });

  test('every node gets a drawn statechart for the supervisor and each of its five actors', async () => {
    await page.waitForFunction(() => document.querySelectorAll('.charts[data-ready="true"]').length === 3, undefined, { timeout: 15000 });
    const charts = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart-card')].map((f) => ({
        node: (f as HTMLElement).dataset.node,
        actor: (f as HTMLElement).dataset.actor,
        states: [...f.querySelectorAll('rect[data-state-id]')].map((r) => (r as SVGElement).dataset.stateId),
      })),
    );
    const machines = (await (await fetch(`${byId('node1').url}/ui/machines.json`)).json()) as {
      machines: Array<{ actor: string; graph: { states: Array<{ id: string }> } }>;
    };
    for (const node of ['node1', 'node2', 'node3']) {
      const mine = charts.filter((c) => c.node === node);
      assert.equal(mine.map((c) => c.actor), ['supervisor', 'clock', 'heartbeat', 'ledger', 'log-replication', 'leader-election'], node);
      for (const m of machines.machines) {
        const drawn = mine.find((c) => c.actor === m.actor);
        assert.equal(drawn?.states, m.graph.states.map((s) => s.id), `${node} ${m.actor} draws every state`);
      }
    }
  });

  test('the current states are highlighted: exactly one node shows leader', async () => {
    assert.equal(await waitFor(async () => ((await leaderHighlights()).length === 1 ? leaderHighlights() : undefined), 'one leader highlight'), ['node2']);
    const followers = await page.evaluate(
      () => document.querySelectorAll('figure[data-actor="leader-election"] rect[data-state-id="leader-election.follower"].active').length,
    );
    assert.is(followers, 2);
    await waitFor(async () => ((await page.locator('.node-card.leader').count()) === 1 ? true : undefined), 'leader card');
    assert.is(await page.locator('.node-card.leader').getAttribute('data-node'), 'node2');
  });

  test('a state change moves the highlight and marks the transition taken', async () => {
    byId('node3').setState('leader-election', 'candidate');
    await waitFor(
      () => page.evaluate(() => (document.querySelector('figure[data-node="node3"][data-actor="leader-election"] rect[data-state-id="leader-election.candidate"].active') ? true : undefined)),
      'node3 candidate',
    );
    const marked = await page.evaluate(() => {
      const fig = document.querySelector('figure[data-node="node3"][data-actor="leader-election"]') as HTMLElement;
      const last = fig.querySelector('g.transition.last') as SVGGElement | null;
      return { source: last?.dataset.source, target: last?.dataset.target, previous: [...fig.querySelectorAll('rect.previous')].map((r) => (r as SVGElement).dataset.stateId) };
    });
    assert.equal(marked, { source: 'leader-election.follower', target: 'leader-election.candidate', previous: ['leader-election.follower'] });
  });

  test('when the leader goes away its chart stops claiming leader and the new leader is highlighted', async () => {
    // A tree that reaches the page just before the node dies must not be drawn as current after.
    // (The page draws trees a little after they arrive; closing right after arrival races that.)
    byId('node2').setState('clock', 'fenced');
    await page.waitForFunction(() => {
      const w = (window as unknown as { syncpay: { watches: Array<{ id: string; tree: { actors: Array<{ id: string; state: unknown }> } | null }> } }).syncpay.watches.find((x) => x.id === 'node2');
      return w?.tree?.actors.find((a) => a.id === 'clock')?.state === 'fenced';
    });
    await byId('node2').close();
    byId('node3').setRole('leader', 3);
    const highlighted = await waitFor(async () => {
      const now = await leaderHighlights();
      return now.length === 1 && now[0] === 'node3' ? now : undefined;
    }, 'leader highlight on node3');
    assert.equal(highlighted, ['node3']);
    const offline = await waitFor(
      () => page.evaluate(() => (document.querySelector('.node-actors[data-node="node2"].offline') ? true : undefined)),
      'node2 marked offline',
    );
    assert.ok(offline);
    assert.ok(await page.evaluate(() => !!document.querySelector('figure[data-node="node2"] rect.stale')), 'last known state kept, marked stale');
    await waitFor(async () => ((await page.locator('.node-card.down[data-node="node2"]').count()) === 1 ? true : undefined), 'node2 card unreachable');
  });

  test('a crashed actor shows its restart in the tree and the supervisor event in the messages', async () => {
    assert.ok(byId('node1').supervisor.crash('ledger', 'spec'));
    await page.click('#node-tabs button[data-tab="node1"]');
    const restarts = await waitFor(
      () => page.evaluate(() => document.querySelector('.node-actors[data-node="node1"] li[data-actor="ledger"] .restarts')?.textContent ?? undefined).then((t) => (t === 'restarts 1' ? t : undefined)),
      'ledger restarts 1 in the tree',
    );
    assert.is(restarts, 'restarts 1');
    const seen = await waitFor(
      () => page.evaluate(() => (document.querySelector('#message-table tbody tr[data-type="actor.crashed"][data-node="node1"]') ? true : undefined)),
      'actor.crashed from XState inspection in the message view',
    );
    assert.ok(seen);
  });

  test('messages from all nodes are merged by HLC, filtered, paused and resumed, and open on click', async () => {
    byId('node1').timeline.push({ actor: 'heartbeat', type: 'peer.down', peer: 'node2' }, '000000000000100.000001');
    byId('node3').timeline.push({ actor: 'leader-election', type: 'leader.elected', term: 3 }, '000000000000100.000002');
    byId('node1').timeline.push({ actor: 'log-replication', type: 'leader.seen', leader: 'node3' }, '000000000000100.000003');
    const rows = (): Promise<string[]> => page.evaluate(() => [...document.querySelectorAll('#message-table tbody tr')].map((r) => (r as HTMLElement).dataset.type ?? ''));
    const mine = ['leader.seen', 'leader.elected', 'peer.down', 'clock.fenced'];
    const ours = async (): Promise<string[]> => (await rows()).filter((t) => mine.includes(t));
    const order = await waitFor(async () => ((await ours()).length >= 3 ? ours() : undefined), 'three events');
    assert.equal(order, ['leader.seen', 'leader.elected', 'peer.down'], 'newest first, in HLC order across nodes');

    await page.selectOption('#filter-node', 'node3');
    assert.equal(await ours(), ['leader.elected']);
    assert.ok((await page.evaluate(() => [...document.querySelectorAll('#message-table tbody tr')].every((r) => (r as HTMLElement).dataset.node === 'node3'))), 'only node3');
    await page.selectOption('#filter-node', '');
    await page.fill('#filter-type', 'peer.');
    assert.equal(await rows(), ['peer.down']);
    await page.fill('#filter-type', '');

    await page.click('#pause');
    byId('node3').timeline.push({ actor: 'clock', type: 'clock.fenced', offsetMs: 900 }, '000000000000100.000004');
    await waitFor(async () => ((await page.textContent('#message-count'))?.includes('paused, 1 new') ? true : undefined), 'paused count');
    assert.not.ok((await rows()).includes('clock.fenced'), 'a paused view does not change');
    await page.click('#pause');
    assert.is((await ours())[0], 'clock.fenced');

    await page.click('#message-table tbody tr[data-type="clock.fenced"]');
    const detail = JSON.parse((await page.textContent('#message-detail')) ?? '{}') as Record<string, unknown>;
    assert.equal(detail, { actor: 'clock', type: 'clock.fenced', offsetMs: 900, hlc: '000000000000100.000004', node: 'node3' });
  });

  test.run();
}
