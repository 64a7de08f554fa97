// Where a consensus round's time goes under load: starts three durable nodes, drives single
// payments to the leader in a closed loop, then prints each node's own latency histograms
// (fsync, commit, payment), event-loop lag and each process's CPU per payment (from /proc, so
// Linux only). A diagnostic for docs/performance.md, not a benchmark.
// Usage: node --import tsx bench/round-probe.ts [concurrency] [seconds] [batch size] ['{"raft":{...}}' config overrides]
// A batch size of 1 sends single payments (`POST /payment`); more sends arrays to `POST /v1/transfers`.
import { readFileSync } from 'node:fs';
import { readCpuSeconds } from './cluster/proc-stat.ts';
import { leanHttpClient } from './load/lean-http-client.ts';
import { ProcessCluster, waitFor } from '../spec/support/process-cluster.ts';

const concurrency = Number(process.argv[2] ?? 64);
const seconds = Number(process.argv[3] ?? 5);

const batchSize = Number(process.argv[4] ?? 1);
const overrides = JSON.parse(process.argv[5] ?? '{}') as Record<string, Record<string, unknown>>;

// Output kept so the nodes' warnings (a link closed, a send refused) can be summed at the end.
const cluster = await ProcessCluster.create({ size: 3, captureOutput: true, overrides: { ...overrides, log: { level: 'warn' } } });
try {
  await cluster.startAll();
  const leader = await waitFor(async () => {
    const s = await cluster.json<{ leader?: string | null; node_id?: string }>('node1', '/status').catch(() => null);
    return s?.body.leader ?? undefined;
  }, 15000, 'a leader');
  const url = `http://127.0.0.1:${cluster.node(leader).apiPort}${batchSize > 1 ? '/v1/transfers' : '/payment'}`;
  const transfer = (n: number): Record<string, string> => (batchSize > 1
    ? { debit_account_id: `a${n % 1000}`, credit_account_id: `b${n % 997}`, amount: '1.00' }
    : { sender: `a${n % 1000}`, receiver: `b${n % 997}`, amount: '1.00' });
  const bodies = Array.from({ length: 64 }, (_, b) => JSON.stringify(batchSize > 1
    ? Array.from({ length: batchSize }, (_, k) => transfer(b * batchSize + k))
    : transfer(b)));
  // The benchmark's own load client, so the probe leaves the nodes as much CPU as the benchmark does.
  const client = leanHttpClient(concurrency, 10_000);
  let ok = 0;
  let other = 0;
  const until = Date.now() + seconds * 1000;
  let seq = 0;
  const refusals = new Map<string, number>();
  /** The first answer of each kind of refusal, and when it came (what a count alone does not say). */
  const firstRefusals = new Map<string, string>();
  const startedAt = Date.now();
  let cpuAtStart: number[] = [];
  let machineAtStart = machineTicks();
  let okAtStart = 0;
  // The leader's commit index over the second half: entries per second, and so units per entry.
  const commitIndex = async (): Promise<number> => (await cluster.json<{ commit_index?: number }>(leader, '/status')).body.commit_index ?? 0;
  let indexAtStart: Promise<number> = Promise.resolve(0);
  // A line every 10 s: what a unit costs as the ledger grows (snapshots, collections of a larger heap).
  let windowCpu = processCpuUs();
  let windowOk = 0;
  const windows = setInterval(() => {
    const cpu = processCpuUs();
    const units = ok - windowOk;
    const us = units > 0 ? cpu.reduce((sum, v, i) => sum + v - (windowCpu[i] ?? 0), 0) / units : 0;
    console.log(`  window: ${(units / 10).toFixed(0)}/s, CPU µs per unit ${us.toFixed(1)} (all processes), ${ok} acknowledged so far`);
    windowCpu = cpu;
    windowOk = ok;
  }, 10_000);
  const warmup = setTimeout(() => {
    cpuAtStart = processCpuUs();
    machineAtStart = machineTicks();
    okAtStart = ok;
    indexAtStart = commitIndex();
  }, (seconds * 1000) / 2);
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const n = ++seq;
      const answer = await client.post(url, bodies[n % bodies.length] ?? '').catch((err: unknown) => ({ status: 0, text: String(err) }));
      // A batch is answered 200 with a result per item: count the items that went through.
      if (answer.status >= 200 && answer.status < 300) ok += batchSize > 1 ? (answer.text.match(/"ok":true/g) ?? []).length : 1;
      else {
        other++;
        const code = /"code":"([A-Za-z_]+)"/.exec(answer.text)?.[1] ?? answer.text.slice(0, 60);
        const key = `${answer.status} ${code}`;
        refusals.set(key, (refusals.get(key) ?? 0) + 1);
        if (!firstRefusals.has(key)) firstRefusals.set(key, `${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${answer.text.slice(0, 300)}`);
      }
    }
  }));
  clearTimeout(warmup);
  clearInterval(windows);
  const cpuAtEnd = processCpuUs();
  const machineAtEnd = machineTicks();
  const entries = (await commitIndex()) - (await indexAtStart);
  client.close();
  console.log(`leader ${leader}: ${(ok / seconds).toFixed(0)} ${batchSize > 1 ? `transfers/s in batches of ${batchSize}` : 'payments/s'} at concurrency ${concurrency} (${other} not ok${other > 0 ? `: ${[...refusals].map(([k, v]) => `${v}x ${k}`).join(', ')}` : ''})`);
  for (const [key, first] of firstRefusals) console.log(`  first ${key} at ${first}`);
  const measured = ok - okAtStart;
  const perPayment = cpuAtEnd.map((us, i) => (measured > 0 ? (us - (cpuAtStart[i] ?? 0)) / measured : 0));
  const names = [...cluster.nodes.map((n) => n.id), 'load'];
  // Per transfer in batches the figures are a few µs each: one decimal keeps a 5% change visible.
  const digits = batchSize > 1 ? 1 : 0;
  console.log(`CPU µs per ${batchSize > 1 ? 'transfer' : 'payment'} in the second half: ${names.map((name, i) => `${name} ${(perPayment[i] ?? 0).toFixed(digits)}`).join(', ')}; total ${perPayment.reduce((a, b) => a + b, 0).toFixed(digits)}`);
  console.log(`entries committed in the second half: ${(entries / (seconds / 2)).toFixed(0)}/s, ${(measured / Math.max(1, entries)).toFixed(1)} ${batchSize > 1 ? 'transfers' : 'payments'} per entry`);
  const ticks = machineAtEnd.map((t, i) => t - (machineAtStart[i] ?? 0));
  const all = ticks.reduce((a, b) => a + b, 0);
  const share = (i: number): string => `${((100 * (ticks[i] ?? 0)) / all).toFixed(1)}%`;
  console.log(`machine in the second half: user ${share(0)}, system ${share(2)}, softirq ${share(6)}, idle ${share(3)}, iowait ${share(4)}`);
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
    // Why leadership moved, if it did: this node's elections and step-downs, from its timeline.
    const timeline = await cluster.json<{ events: Array<Record<string, unknown>> }>(n.id, '/v1/events?limit=1000');
    for (const e of timeline.body.events) {
      if (typeof e['type'] !== 'string' || !/^(election\.started|leader\.elected|leader\.stepDown|log\.writesWaited|snapshot\.taken|node\.stalled)$/.test(e['type'])) continue;
      console.log(`  ${String(e['hlc'] ?? '')} ${e['type']} ${JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k]) => !['hlc', 'type', 'actor'].includes(k))))}`);
    }
    for (const [msg, seen] of warnings(cluster.output.get(n.id) ?? [])) console.log(`  log: ${seen.count}x "${msg}" (first at ${seen.first})`);
  }
} finally {
  await cluster.destroy();
}

/** The machine's CPU ticks by kind, summed over its cores: user, nice, system, idle, iowait, irq, softirq, steal. */
function machineTicks(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  return line.trim().split(/\s+/).slice(1, 9).map(Number);
}

/** User plus system CPU of each node, then of this process (the load), in µs. */
function processCpuUs(): number[] {
  const own = process.cpuUsage();
  return [...cluster.nodes.map((n) => (readCpuSeconds(cluster.pid(n.id)) ?? 0) * 1e6), own.user + own.system];
}

/** The node's warn and error log lines (pino JSON), counted by message, with the first one's time. */
function warnings(chunks: readonly string[]): Map<string, { count: number; first: string }> {
  const seen = new Map<string, { count: number; first: string }>();
  for (const line of chunks.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    let record: { level?: number; msg?: string; time?: number; peer?: string };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      continue;
    }
    if ((record.level ?? 0) < 40) continue;
    const key = `${record.msg ?? '?'}${record.peer === undefined ? '' : ` (peer ${record.peer})`}`;
    const known = seen.get(key);
    if (known) known.count++;
    else seen.set(key, { count: 1, first: new Date(record.time ?? 0).toISOString().slice(11, 23) });
  }
  return seen;
}

function fmt(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${(v * 1000).toFixed(2)}ms`;
}
