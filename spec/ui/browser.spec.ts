// The visualiser on a live three-node cluster of real processes, in headless Chromium: the page
// served by one node draws the five actors' statecharts of every node, exactly one node's
// leader-election chart has `leader` highlighted, and after that leader is killed (SIGKILL) the
// highlight moves to another node. Saves a screenshot to spec/.artifacts/ui.png.
//
// Without Chromium the test is not registered: the spec prints `browser spec skipped: ...` with
// the install command, and CI decides what a skip means.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';
import { artifactPath, CHROMIUM_INSTALL, findChromium, launchChromium, type Browser } from './chromium.ts';

const ACTORS = ['clock', 'heartbeat', 'ledger', 'log-replication', 'leader-election'];
const chromiumPath = findChromium();

if (!chromiumPath) {
  console.log(`browser spec skipped: chromium not found (install it with: ${CHROMIUM_INSTALL})`);
} else {
  const executable = chromiumPath;
  let cluster: ProcessCluster | undefined;
  let browser: Browser | undefined;

  test.after(async () => {
    await browser?.close();
    await cluster?.destroy();
  });

  /** Nodes whose leader-election chart shows `leader` as the current state. */
  const highlightedLeaders = (page: Page): Promise<string[]> =>
    page.evaluate(() =>
      [...document.querySelectorAll('figure[data-actor="leader-election"] rect[data-state-id="leader-election.leader"].active')].map(
        (r) => (r.closest('figure') as HTMLElement).dataset.node ?? '?',
      ),
    );

  /** What the nodes say and what the page shows, for a failure message. */
  async function diagnose(page: Page, c: ProcessCluster): Promise<string> {
    const lines: string[] = [];
    for (const n of c.nodes) {
      if (!c.running(n.id)) {
        lines.push(`${n.id}: not running`);
        continue;
      }
      const s = await c.json<{ role: string; term: number; leader: string | null }>(n.id, '/status').catch((e: unknown) => ({ body: String(e) }));
      lines.push(`${n.id} /status: ${JSON.stringify(s.body)}`);
    }
    const shown = await page
      .evaluate(() =>
        JSON.stringify(
          (window as unknown as { syncpay: { watches: Array<{ id: string; streamUp: boolean; tree: { actors: Array<{ id: string; state: unknown }> } | null }> } }).syncpay.watches.map((w) => [
            w.id,
            w.streamUp,
            w.tree?.actors.find((a) => a.id === 'leader-election')?.state,
          ]),
        ),
      )
      .catch((e: unknown) => String(e));
    lines.push(`page (node, stream up, leader-election state): ${shown}`);
    return lines.join('\n');
  }

  test('live cluster: five statecharts per node, one leader highlighted, and it moves when the leader dies', async () => {
    cluster = await ProcessCluster.create({ size: 3, captureOutput: true });
    await cluster.startAll();
    const page0 = await fetch(`${cluster.node('node1').url}/ui`);
    await page0.arrayBuffer();
    assert.is(page0.status, 200, 'GET /ui is served (is uiRoutes registered in runtime/http/plugins.ts?)');

    browser = await launchChromium(executable);
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${cluster.node('node1').url}/ui`);

    await page.waitForFunction(() => document.querySelectorAll('.charts[data-ready="true"]').length === 3, undefined, { timeout: 20000 });
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart-card')].map((f) => ({
        node: (f as HTMLElement).dataset.node ?? '',
        actor: (f as HTMLElement).dataset.actor ?? '',
        states: [...f.querySelectorAll('rect[data-state-id]')].map((r) => (r as SVGElement).dataset.stateId ?? ''),
      })),
    );
    for (const node of cluster.nodes) {
      // Machines may differ per node (the heartbeat machine has a region per peer).
      const machines = (await cluster.json<{ machines: Array<{ actor: string; graph: { states: Array<{ id: string }> } }> }>(node.id, '/ui/machines.json')).body;
      for (const actor of ACTORS) {
        const chart = drawn.find((c) => c.node === node.id && c.actor === actor);
        const expected = machines.machines.find((m) => m.actor === actor)?.graph.states.map((s) => s.id);
        assert.ok(expected && expected.length > 1, `${actor} has a machine with states`);
        assert.equal(chart?.states, expected, `${node.id}/${actor} statechart drawn with its states`);
      }
    }

    const first = await waitFor(async () => {
      const now = await highlightedLeaders(page);
      return now.length === 1 ? now : undefined;
    }, 30000, 'exactly one leader-election chart with leader highlighted');
    const leader = first[0] as string;
    const status = await cluster.json<{ role: string }>(leader, '/status');
    assert.is(status.body.role, 'leader', 'the highlighted node is the leader by its own /status');

    await cluster.kill(leader);
    const next = await waitFor(async () => {
      const now = await highlightedLeaders(page);
      return now.length === 1 && now[0] !== leader ? now : undefined;
    }, 30000, 'the leader highlight to move to another node').catch(async (error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await diagnose(page, cluster as ProcessCluster)}`);
    });
    assert.is.not(next[0], leader);

    // Show the new leader's actors in the screenshot, with the cluster view above them.
    await page.click(`#node-tabs button[data-tab="${next[0]}"]`);
    await waitFor(async () => ((await page.locator('.node-card.leader').count()) === 1 ? true : undefined), 10000, 'the cluster view to mark the new leader');
    await page.screenshot({ path: artifactPath('ui.png'), fullPage: true });
    assert.equal(errors, [], 'no script errors on the page');
  });

  test.run();
}
