// The README's tour, run as written against a live three-node cluster started through the
// `npm start` launcher: every command must exit 0 (curl runs with -f, so an HTTP error fails it),
// and the outputs must show what the prose says they show. Then every route of the README's API
// reference is asked on the live cluster: none may be missing ("no route").
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adaptStep, runTour, tourSteps, type StepResult } from '../../cli/tour-runner.ts';
import { routesInReadme } from './readme-parts.ts';
import { startTourCluster } from './tour-cluster.ts';

const README = readFileSync('README.md', 'utf8');

test('adaptStep maps the README ports to the test cluster and narrows the kill step to it', () => {
  const cluster = { urls: ['http://127.0.0.1:41000', 'http://127.0.0.1:41001', 'http://127.0.0.1:41002'], configPath: '/tmp/x/cluster.config.json' };
  assert.is(adaptStep('curl -fsS localhost:5002/transactions', cluster, '/r/cli.js'), 'curl -fsS 127.0.0.1:41002/transactions');
  assert.match(adaptStep('npx syncpay account show bob --node http://127.0.0.1:5001', cluster, '/r/cli.js'), /"\/r\/cli\.js" account show bob --node http:\/\/127\.0\.0\.1:41001$/);
  const kill = adaptStep('kill -9 $(pgrep -f "start.js --node $(npx syncpay leader) ")', cluster, '/r/cli.js');
  assert.match(kill, /pgrep -f "start\.js --node \$\(".*" "\/r\/cli\.js" leader\) --config \/tmp\/x\/cluster\.config\.json"\)$/);
  assert.throws(() => adaptStep('pkill -f start.js', cluster), /refusing to run a kill step/);
  assert.throws(() => adaptStep('curl localhost:5007/ping', cluster), /port 5007/);
});

test('the README tour runs as written against a live cluster', async () => {
  const steps = tourSteps(README);
  const cluster = await startTourCluster();
  let results: StepResult[] = [];
  try {
    results = await runTour(steps, cluster, cluster.cwd);
    const failed = results.find((r) => r.code !== 0);
    assert.ok(failed === undefined, failed && `README line ${failed.step.line}: ${failed.step.command}\nran: ${failed.ran}\nexit ${failed.code}\n${failed.output}`);
    assert.is(results.length, steps.length);

    const out = (prefix: string, nth = 0): string => results.filter((r) => r.step.command.startsWith(prefix))[nth]?.output ?? '';
    // status: a row per node, and a leader the nodes name (on a loaded machine an election may be
    // under way at that instant, so roles are not pinned down further).
    const status = out('npx syncpay status');
    assert.is((status.match(/^node\d +(leader|follower|candidate|preCandidate) +\d+ /gm) ?? []).length, 3, status);
    assert.match(status, /^node\d +\w+ +\d+ +node\d /m, status);
    // The seed's payment, read back from another node.
    assert.match(out('curl -fsS --retry 5 -X POST'), /"status":"success"/);
    assert.match(out('curl -fsS --retry 5 localhost:5002/transactions'), /"amount":"150\.75","sender":"alice","receiver":"bob"/);
    assert.match(out('npx syncpay account show bob'), /^balance +150\.75$/m);
    // The same id twice moves money once: alice paid 150.75 + 25.00.
    assert.match(out('npx syncpay pay alice bob 25.00', 0), /transfer rent-2026-11/);
    assert.match(out('npx syncpay pay alice bob 25.00', 1), /transfer rent-2026-11/);
    assert.match(out('npx syncpay account show alice'), /^balance +-175\.75$/m);
    // After the kill: one node unreachable, and the payment still goes through.
    const after = out('npx syncpay status', 1);
    assert.is((after.match(/^node\d +unreachable/gm) ?? []).length, 1, after);
    assert.match(out('npx syncpay pay alice bob 5.00'), /paid 5\.00 USD from alice to bob/);
    // The timeline has the elections in it.
    assert.match(out('npx syncpay events'), /leader\.elected|role\.changed/);

    // Every documented route exists on the live cluster (a survivor: the old leader is dead).
    const live = await firstAnswering(cluster.urls);
    const missing: string[] = [];
    for (const route of routesInReadme(README)) {
      if (route.includes('/debug/')) continue; // routed only with node.faultInjection
      const [method, path] = route.split(' ') as [string, string];
      const url = `${live}${path.replace(':id', 'alice')}`;
      const controller = new AbortController();
      const res = await fetch(url, {
        method,
        signal: controller.signal,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
      });
      // Read the body of everything but the event stream, which never ends.
      const body = (res.headers.get('content-type') ?? '').includes('event-stream') ? '' : await res.text();
      controller.abort();
      if (res.status === 404 && body.includes('SYNCPAY_ERR_NOT_FOUND') && body.includes('no route')) missing.push(route);
    }
    assert.equal(missing, [], 'documented routes the live node does not serve');
    const ui = await fetch(`${live}/ui`);
    assert.is(ui.status, 200);
    assert.match(ui.headers.get('content-type') ?? '', /text\/html/);
  } catch (error) {
    process.stderr.write(`tour steps run: ${results.map((r) => `\n  [${r.code}] ${r.step.command}`).join('')}\n`);
    throw error;
  } finally {
    await cluster.stop();
  }
});

async function firstAnswering(urls: readonly string[]): Promise<string> {
  for (const u of urls) {
    const ok = await fetch(`${u}/ping`).then((r) => r.ok, () => false);
    if (ok) return u;
  }
  throw new Error('no node answers');
}

test.run();
