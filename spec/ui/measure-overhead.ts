// The visualiser's cost to a loaded cluster, for issue 7's acceptance ("with the page open on all
// three nodes, single-payment throughput drops by less than 10 %"). Not a spec (timings are not
// assertions): run it by hand on a quiet machine,
//
//   node --import tsx spec/ui/measure-overhead.ts [--viewers browser|streams] [--rounds 4]
//        [--seconds 5] [--concurrency 16]
//
// It starts a three-node cluster, drives single payments (POST /payment) at the leader from a
// fixed number of concurrent clients, and alternates runs without and with viewers in ABBA order
// (throughput drifts during a run, so neither condition may always go first). `browser` opens the
// page on each node in headless Chromium (which then competes for the same cores); `streams`
// imitates three pages without a browser: one stream per node per page plus /status once a second.
import { Agent, request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';
import { findChromium, launchChromium, type Browser } from './chromium.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const viewersKind = flag('--viewers', 'browser');
const rounds = Number(flag('--rounds', '4'));
const runMs = Number(flag('--seconds', '5')) * 1000;
const concurrency = Number(flag('--concurrency', '16'));
const PAGES = 3;

const cluster = await ProcessCluster.create({ size: 3 });
const held: { browser: Browser | null } = { browser: null };
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
try {
  await cluster.startAll();
  const leader = await waitFor(async () => {
    for (const n of cluster.nodes) {
      const s = await cluster.json<{ role: string }>(n.id, '/status').catch(() => null);
      if (s?.body.role === 'leader') return n;
    }
    return undefined;
  }, 30000, 'a leader');

  const post = (body: string): Promise<number> =>
    new Promise((resolve) => {
      const req = request(`${leader.url}/payment`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(-1));
      req.end(body);
    });

  let seq = 0;
  const load = async (ms: number): Promise<number> => {
    const end = Date.now() + ms;
    let ok = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < end) {
          const i = seq++;
          const status = await post(JSON.stringify({ amount: '1.00', sender: `acct${i % 50}`, receiver: `acct${(i + 7) % 50}` }));
          if (status >= 200 && status < 300) ok++;
        }
      }),
    );
    return ok / (ms / 1000);
  };

  const closers: Array<() => Promise<void>> = [];
  const openViewers = async (): Promise<void> => {
    if (viewersKind === 'browser') {
      const executable = findChromium();
      if (!executable) throw new Error('chromium not found: use --viewers streams');
      held.browser ??= await launchChromium(executable);
      const browser = held.browser;
      for (const n of cluster.nodes) {
        const page = await browser.context.newPage();
        await page.goto(`${n.url}/ui`);
        await page.waitForFunction(() => document.querySelectorAll('.charts[data-ready="true"]').length === 3, undefined, { timeout: 30000 });
        closers.push(() => page.close());
      }
      return;
    }
    for (let p = 0; p < PAGES; p++) {
      for (const n of cluster.nodes) {
        const controller = new AbortController();
        const res = await fetch(`${n.url}/ui/stream`, { signal: controller.signal });
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        void (async () => {
          for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
        })();
        const poll = setInterval(() => void fetch(`${n.url}/status`).then((r) => r.arrayBuffer()).catch(() => undefined), 1000);
        closers.push(async () => {
          clearInterval(poll);
          controller.abort();
        });
      }
    }
  };
  const closeViewers = async (): Promise<void> => {
    for (const close of closers.splice(0)) await close();
  };

  const cpuTicks = (pids: string[]): number =>
    pids.reduce((sum, pid) => {
      try {
        const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
        return sum + Number(fields[11]) + Number(fields[12]);
      } catch {
        return sum;
      }
    }, 0);
  const nodePids = (): string[] => cluster.nodes.map((n) => String(cluster.pid(n.id) ?? ''));
  const chromiumPids = (): string[] =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('syncpay-chromium-');
        } catch {
          return false;
        }
      });

  console.log(`warming up (10 s), then ${rounds} rounds of ${runMs / 1000} s per condition, ${concurrency} clients, viewers: ${viewersKind}`);
  await load(10000);
  const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let r = 0; r < rounds; r++) {
    for (const condition of r % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      if (condition === 'on') await openViewers();
      const before = [cpuTicks(nodePids()), cpuTicks(chromiumPids())];
      const rate = await load(runMs);
      const nodesCpu = (cpuTicks(nodePids()) - (before[0] ?? 0)) / (runMs / 1000);
      const browserCpu = (cpuTicks(chromiumPids()) - (before[1] ?? 0)) / (runMs / 1000);
      rates[condition].push(rate);
      console.log(`${condition === 'on' ? 'viewers ' : 'no page '} ${rate.toFixed(0).padStart(6)} payments/s   nodes ${nodesCpu.toFixed(0)}% of a core, chromium ${browserCpu.toFixed(0)}%`);
      if (condition === 'on') await closeViewers();
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const off = median(rates.off);
  const on = median(rates.on);
  console.log(`median without page ${off.toFixed(0)}/s, with the page open on all three nodes ${on.toFixed(0)}/s: ${(((on - off) / off) * 100).toFixed(1)} %`);
} finally {
  await held.browser?.close();
  agent.destroy();
  await cluster.destroy();
}
process.exit(0);
