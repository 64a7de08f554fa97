// `node --import tsx bench/idle-probe.ts ['{"raft":{...}}' config overrides]`: what three nodes cost
// when nobody uses them. Starts a durable three-node cluster, measures each node's CPU (from /proc)
// over 10 s of idleness, drives 20 s of single payments at concurrency 64, then measures 10 s of
// idleness twice more. The first figure includes the optimising compiler's work on a fresh process;
// the later ones are what heartbeats, pings, timers and the stall watch cost a warm node, which the
// benchmark's CPU per payment carries as an overhead spread over the payments.
import { readCpuSeconds } from './cluster/proc-stat.ts';
import { leanHttpClient } from './load/lean-http-client.ts';
import { ProcessCluster, waitFor } from '../spec/support/process-cluster.ts';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, Record<string, unknown>>;
const cluster = await ProcessCluster.create({ size: 3, overrides: { ...overrides, log: { level: 'warn' } } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function idle(label: string, ms: number): Promise<void> {
  const before = cluster.nodes.map((n) => readCpuSeconds(cluster.pid(n.id)) ?? 0);
  await sleep(ms);
  const after = cluster.nodes.map((n) => readCpuSeconds(cluster.pid(n.id)) ?? 0);
  const shares = after.map((v, i) => `${cluster.nodes[i]!.id} ${((100 * (v - (before[i] ?? 0))) / (ms / 1000)).toFixed(1)}%`);
  console.log(`${label}: CPU of each idle node, share of one core: ${shares.join(', ')}`);
}

try {
  await cluster.startAll();
  const leader = await waitFor(async () => {
    const s = await cluster.json<{ leader?: string | null }>('node1', '/status').catch(() => null);
    return s?.body.leader ?? undefined;
  }, 15_000, 'a leader');
  await sleep(5_000);
  await idle('fresh', 10_000);
  const client = leanHttpClient(64, 10_000);
  const url = `http://127.0.0.1:${cluster.node(leader).apiPort}/payment`;
  const until = Date.now() + 20_000;
  let n = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (Date.now() < until) {
      n++;
      await client.post(url, JSON.stringify({ sender: `a${n % 100}`, receiver: `b${n % 97}`, amount: '1.00' }));
    }
  }));
  client.close();
  await sleep(5_000);
  await idle('after 20 s of payments', 10_000);
  await idle('again', 10_000);
} finally {
  await cluster.destroy();
}
