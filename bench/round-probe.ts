// Where a consensus round's time goes under load: starts three durable nodes, drives single
// payments to the leader in a closed loop, then prints each node's own latency histograms
// (fsync, commit, payment) and event-loop lag. A diagnostic for docs/performance.md, not a benchmark.
// Usage: node --import tsx bench/round-probe.ts [concurrency] [seconds]
import { leanHttpClient } from './load/lean-http-client.ts';
import { ProcessCluster, waitFor } from '../spec/support/process-cluster.ts';

const concurrency = Number(process.argv[2] ?? 64);
const seconds = Number(process.argv[3] ?? 5);

const cluster = await ProcessCluster.create({ size: 3, overrides: { log: { level: 'warn' } } });
try {
  await cluster.startAll();
  const leader = await waitFor(async () => {
    const s = await cluster.json<{ leader?: string | null; node_id?: string }>('node1', '/status').catch(() => null);
    return s?.body.leader ?? undefined;
  }, 15000, 'a leader');
  const url = `http://127.0.0.1:${cluster.node(leader).apiPort}/payment`;
  // The benchmark's own load client, so the probe leaves the nodes as much CPU as the benchmark does.
  const client = leanHttpClient(concurrency, 10_000);
  let ok = 0;
  let other = 0;
  const until = Date.now() + seconds * 1000;
  let seq = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const n = ++seq;
      const { status } = await client.post(url, JSON.stringify({ sender: `a${n % 1000}`, receiver: `b${n % 997}`, amount: '1.00' }));
      if (status >= 200 && status < 300) ok++;
      else other++;
    }
  }));
  client.close();
  console.log(`leader ${leader}: ${(ok / seconds).toFixed(0)} payments/s at concurrency ${concurrency} (${other} not ok)`);
  for (const n of cluster.nodes) {
    const m = await cluster.json<{ histograms: Record<string, Record<string, number | null>>; gauges: Record<string, number | null> }>(n.id, '/metrics?format=json');
    const h = m.body.histograms;
    const pick = (name: string): string => {
      const s = h[name];
      return s ? `p50 ${fmt(s['p50'])} p99 ${fmt(s['p99'])} n ${s['count']}` : '-';
    };
    console.log(`${n.id}${n.id === leader ? ' (leader)' : ''}`);
    for (const name of Object.keys(h)) console.log(`  ${name}: ${pick(name)}`);
    console.log(`  event loop lag p99: ${m.body.gauges['nodejs_eventloop_lag_p99_seconds']}`);
  }
} finally {
  await cluster.destroy();
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${(v * 1000).toFixed(2)}ms`;
}
