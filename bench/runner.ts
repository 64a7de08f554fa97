// The whole benchmark in order: SyncPay cluster up, warm-up, every planned run, failover rounds,
// cluster down (profiles written if asked); then, with --compare etcd, the same for etcd. Each
// phase is bounded, clusters are always torn down (also on failure or Ctrl-C), and the report
// is written even when a run fails, so the failure can be read.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { EtcdBenchCluster, etcdVersion } from './cluster/etcd-cluster.ts';
import { SyncpayBenchCluster } from './cluster/syncpay-cluster.ts';
import { measureFailover } from './failover.ts';
import { startLoad } from './load/spawn-load.ts';
import { measureEtcd } from './measure-etcd.ts';
import { ACCOUNTS, measureSyncpay, newRunId } from './measure-syncpay.ts';
import { etcdScenarios, planRuns, syncpayScenarios, type BenchOptions, type PlannedRun } from './plan.ts';
import { formatMs, formatRate } from './report/compare.ts';
import { Progress } from './report/progress.ts';
import { summarizeRuns } from './report/summarize.ts';
import type { BenchReport, FailoverResult, RunResult } from './types.ts';

/** Consecutive runs that threw before the rest of a phase is skipped (each failure costs timeouts). */
const ABORT_AFTER_ERRORS = 3;

const cleanups = new Set<() => Promise<void>>();

/** Tear down whatever is running if the user interrupts: no orphaned nodes or etcd members. */
export function installSignalCleanup(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping clusters\n`);
      void Promise.allSettled([...cleanups].map((c) => c())).finally(() => process.exit(130));
    });
  }
}

function describe(r: RunResult): string {
  const verdict = r.check.ok ? 'ok' : `FAIL: ${r.check.reasons.join('; ')}`;
  return `${r.scenario.name.padEnd(20)} c=${String(r.concurrency).padEnd(4)} #${r.repeat}  ${formatRate(r.throughput).padStart(9)}/s  p50 ${formatMs(r.latency.p50)} ms  p99 ${formatMs(r.latency.p99)} ms  ${verdict}`;
}

/** Profiles are named by pid only: note which pid was which node, and which one led. */
async function recordProfiledNodes(cluster: SyncpayBenchCluster, dir: string): Promise<void> {
  const probes = await cluster.probeAll();
  mkdirSync(dir, { recursive: true });
  const nodes = probes.map((p) => ({ node: p.node, pid: cluster.pid(p.node) ?? null, leader: p.isLeader }));
  writeFileSync(join(dir, 'nodes.json'), `${JSON.stringify(nodes, null, 2)}\n`);
}

async function withCluster<C extends { destroy(): Promise<void> }>(start: () => Promise<C>, body: (c: C) => Promise<void>): Promise<void> {
  const cluster = await start();
  const cleanup = (): Promise<void> => cluster.destroy();
  cleanups.add(cleanup);
  try {
    await body(cluster);
  } finally {
    cleanups.delete(cleanup);
    await cluster.destroy();
  }
}

export async function runBench(options: BenchOptions, command: string): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const ours = planRuns(syncpayScenarios(options), options);
  const theirs = planRuns(etcdScenarios(options), options);
  const failoverRounds = ours.length > 0 || options.only.length === 0 ? options.failoverRuns : 0;
  const progress = new Progress(ours.length + theirs.length + failoverRounds);
  const runs: RunResult[] = [];
  let failover: FailoverResult | null = null;
  let step = 0;

  const live = (label: string) => (fraction: number, unitsOk: number, elapsedMs: number): void => {
    const measured = Math.max(1, elapsedMs - options.runWarmupMs);
    progress.update(step, fraction, label, elapsedMs > options.runWarmupMs ? `${formatRate(unitsOk / (measured / 1000))}/s` : 'warming up');
  };
  const problems: string[] = [];
  const partial = join(options.resultsDir, 'in-progress.jsonl');
  mkdirSync(options.resultsDir, { recursive: true });
  writeFileSync(partial, '');
  const execute = async <C>(cluster: C, plan: readonly PlannedRun[], measure: (c: C, r: PlannedRun, o: BenchOptions, p: ReturnType<typeof live>) => Promise<RunResult>): Promise<void> => {
    let failuresInRow = 0;
    for (const run of plan) {
      const label = `${run.scenario.name} c=${run.concurrency} #${run.repeat}`;
      if (failuresInRow >= ABORT_AFTER_ERRORS) {
        problems.push(`${label}: skipped, the cluster stopped answering`);
        step++;
        continue;
      }
      try {
        const result = await measure(cluster, run, options, live(label));
        runs.push(result);
        // Each run is kept as it finishes: a crash late in a long benchmark loses nothing measured.
        appendFileSync(partial, `${JSON.stringify(result)}\n`);
        progress.done(describe(result));
        failuresInRow = 0;
      } catch (error) {
        failuresInRow++;
        const message = `${label}: ${error instanceof Error ? error.message : String(error)}`;
        problems.push(message);
        progress.done(`${label.padEnd(30)} ERROR ${message}`);
      }
      step++;
    }
  };
  const phase = async (name: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body();
    } catch (error) {
      const message = `${name}: ${error instanceof Error ? error.message : String(error)}`;
      problems.push(message);
      progress.done(`ERROR ${message}`);
    }
  };

  if (ours.length > 0 || failoverRounds > 0) {
    await phase('SyncPay', () => withCluster(() => SyncpayBenchCluster.start({ profileDir: options.profileDir }), async (cluster) => {
      progress.update(step, 0, 'warm-up', '');
      const leader = await cluster.waitLeader(15_000);
      await startLoad({
        kind: 'syncpay-leader', concurrency: 16, batchSize: 1, warmupMs: options.clusterWarmupMs, durationMs: 0,
        targets: [cluster.url(leader)], client: options.client, requestTimeoutMs: options.requestTimeoutMs,
        runId: newRunId('w'), accounts: ACCOUNTS, untilStopped: false, probeEveryMs: 0,
      }, () => undefined).done;
      await execute(cluster, ours, measureSyncpay);
      if (options.profileDir !== null) await recordProfiledNodes(cluster, options.profileDir);
      if (failoverRounds > 0) {
        failover = await measureFailover(cluster, options, (round, detail) => {
          progress.done(`failover round ${round}: ${detail}`);
          step++;
        });
      }
    }));
  }
  if (theirs.length > 0) {
    await phase('etcd', () => withCluster(() => EtcdBenchCluster.start(), async (cluster) => {
      // etcd gets the same short warm-up as SyncPay: its first requests open connections too.
      await startLoad({
        kind: 'etcd-put', concurrency: 16, batchSize: 1, warmupMs: options.clusterWarmupMs, durationMs: 0,
        targets: cluster.endpoints.map((e) => `http://${e}`), client: options.client, requestTimeoutMs: options.requestTimeoutMs,
        runId: newRunId('w'), accounts: ACCOUNTS, untilStopped: false, probeEveryMs: 0,
      }, () => undefined).done;
      await execute(cluster, theirs, measureEtcd);
    }));
  }

  const summaries = summarizeRuns(runs);
  const failoverResult = failover as FailoverResult | null;
  const cpu = cpus();
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? 'unknown', node: process.version, etcd: options.compareEtcd ? etcdVersion() : null, loadAverage: [loadAtStart, loadavg()[0] ?? 0] },
    options: { ...options },
    runs,
    summaries,
    failover: failoverResult,
    problems,
    ok: problems.length === 0 && runs.every((r) => r.check.ok) && (failoverResult === null || (failoverResult.check?.ok ?? true)),
  };
}
