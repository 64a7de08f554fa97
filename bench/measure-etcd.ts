// One measured etcd run, the same closed loop and the same load-generator process as SyncPay's.
// etcd reports no ledger hash, so its check is what it can show: every acknowledged put is there
// (puts) and the accounts' balances still sum to zero (transactions).
import type { EtcdBenchCluster } from './cluster/etcd-cluster.ts';
import type { LoadJob } from './load/protocol.ts';
import { startLoad, type ProgressHandler } from './load/spawn-load.ts';
import { ACCOUNTS, newRunId } from './measure-syncpay.ts';
import type { BenchOptions, PlannedRun } from './plan.ts';
import { etcdVerdict } from './report/verdict.ts';
import { loadFields } from './run-result.ts';
import type { RunResult } from './types.ts';

export async function measureEtcd(cluster: EtcdBenchCluster, run: PlannedRun, options: BenchOptions, onProgress: ProgressHandler): Promise<RunResult> {
  let cpuBefore: Record<string, number | null> = {};
  const job: LoadJob = {
    kind: run.scenario.kind,
    concurrency: run.concurrency,
    batchSize: 1,
    warmupMs: options.runWarmupMs,
    durationMs: options.durationMs,
    targets: cluster.endpoints.map((e) => `http://${e}`),
    client: options.client,
    requestTimeoutMs: options.requestTimeoutMs,
    runId: newRunId('e'),
    accounts: ACCOUNTS,
    untilStopped: false, probeEveryMs: 0,
  };
  const { result, etcd } = await startLoad(job, onProgress, undefined, async () => {
    cpuBefore = cluster.cpuSeconds();
  }).done;
  const cpuAfter = cluster.cpuSeconds();
  const check = etcdVerdict({
    balanceSum: etcd?.balanceSum === null || etcd?.balanceSum === undefined ? null : BigInt(etcd.balanceSum),
    committed: etcd?.committed ?? null,
    acknowledged: result.unitsAckedTotal,
    unknown: result.unknownUnits,
  });
  return {
    ...loadFields(run, result),
    nodes: cluster.nodeIds.map((id) => {
      const a = cpuAfter[id] ?? null;
      const b = cpuBefore[id] ?? null;
      return { node: id, isLeader: false, cpuSeconds: a === null || b === null ? null : a - b, fsyncs: null, entriesPerFsync: null };
    }),
    leaderFsyncsPerSecond: null,
    leaderEntriesPerFsync: null,
    check,
  };
}
