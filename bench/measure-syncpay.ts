// One measured SyncPay run: probe every node, drive the load from a separate process, probe
// again at once (CPU and fsync deltas belong to the load), wait for the replicas to settle, then
// run the data checks. The run's numbers are only as good as its check: the verdict travels with
// them into every table.
import type { SyncpayBenchCluster, NodeProbe } from './cluster/syncpay-cluster.ts';
import type { LoadJob } from './load/protocol.ts';
import { startLoad, type ProgressHandler } from './load/spawn-load.ts';
import type { BenchOptions, PlannedRun } from './plan.ts';
import { dataVerdict } from './report/verdict.ts';
import { loadFields } from './run-result.ts';
import type { NodeRunStats, RunResult } from './types.ts';

export const ACCOUNTS = 1000;
/** A follower that has not caught up this long after the load ended fails the run's check. */
const SETTLE_TIMEOUT_MS = 120_000;
/** How long the commit index must stand still before a run's baseline is taken (waitSettled). */
export const BASELINE_QUIET_MS = 1000;

let runCounter = 0;
export function newRunId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${(++runCounter).toString(36)}`;
}

function delta(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

export function nodeStats(before: readonly NodeProbe[], after: readonly NodeProbe[], seconds: number): NodeRunStats[] {
  return after.map((a) => {
    const b = before.find((p) => p.node === a.node);
    const fsyncs = delta(a.fsyncs, b?.fsyncs ?? null);
    const entries = delta(a.fsyncedEntries, b?.fsyncedEntries ?? null);
    return {
      node: a.node,
      isLeader: a.isLeader,
      cpuSeconds: delta(a.cpuSeconds, b?.cpuSeconds ?? null),
      fsyncs: fsyncs === null ? null : fsyncs / Math.max(seconds, 1e-9),
      entriesPerFsync: fsyncs === null || entries === null || fsyncs <= 0 ? null : entries / fsyncs,
      fsyncP50Ms: a.fsyncP50Ms,
      fsyncP99Ms: a.fsyncP99Ms,
      commitP50Ms: a.commitP50Ms,
      commitP99Ms: a.commitP99Ms,
    };
  });
}

export async function measureSyncpay(cluster: SyncpayBenchCluster, run: PlannedRun, options: BenchOptions, onProgress: ProgressHandler): Promise<RunResult> {
  const leader = await cluster.waitLeader(15_000);
  let before: NodeProbe[] = [];
  let startedAt = 0;
  const job: LoadJob = {
    kind: run.scenario.kind,
    concurrency: run.concurrency,
    batchSize: run.scenario.batchSize,
    warmupMs: options.runWarmupMs,
    durationMs: options.durationMs,
    targets: run.scenario.kind === 'syncpay-spread' ? cluster.nodeIds.map((id) => cluster.url(id)) : [cluster.url(leader)],
    client: options.client,
    requestTimeoutMs: options.requestTimeoutMs,
    runId: newRunId('r'),
    accounts: ACCOUNTS,
    untilStopped: false, probeEveryMs: 0,
  };
  const { result } = await startLoad(job, onProgress, undefined, async () => {
    // The baseline must be a settled, quiet cluster: a follower still applying the previous load's
    // last entries, or the leader still working through requests whose clients timed out, would
    // count them as this run's.
    before = await cluster.waitSettled(SETTLE_TIMEOUT_MS, BASELINE_QUIET_MS);
    if (before.length < cluster.nodeIds.length) before = await cluster.probeAll();
    startedAt = performance.now();
  }).done;
  const afterLoad = await cluster.probeAll();
  const seconds = (performance.now() - startedAt) / 1000;
  const settleStarted = performance.now();
  const settled = await cluster.waitSettled(SETTLE_TIMEOUT_MS);
  const settleMs = performance.now() - settleStarted;
  const check = dataVerdict({
    after: settled,
    countsBefore: Object.fromEntries(before.map((p) => [p.node, p.transferCount])),
    acknowledged: result.unitsAckedTotal,
    unknown: result.unknownUnits,
  });
  const nodes = nodeStats(before, afterLoad, seconds);
  const leaderStats = nodes.find((n) => n.node === leader);
  return {
    ...loadFields(run, result),
    nodes,
    leaderFsyncsPerSecond: leaderStats?.fsyncs ?? null,
    leaderEntriesPerFsync: leaderStats?.entriesPerFsync ?? null,
    settleMs,
    check,
  };
}
