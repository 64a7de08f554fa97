// Failover under load: single payments spread over all nodes, kill -9 of the leader, and the time
// from the kill to the completion of the first payment that was sent after it and succeeded.
// The killed node is restarted and allowed to catch up before the next round, so every round
// starts from a healthy three-node cluster. Payments in flight at the kill may or may not have
// committed: the data check accepts those as unknown, but never a lost acknowledged one.
import type { SyncpayBenchCluster } from './cluster/syncpay-cluster.ts';
import type { LoadJob } from './load/protocol.ts';
import { startLoad } from './load/spawn-load.ts';
import { ACCOUNTS, BASELINE_QUIET_MS, newRunId } from './measure-syncpay.ts';
import type { BenchOptions } from './plan.ts';
import { median } from './report/stats.ts';
import { dataVerdict } from './report/verdict.ts';
import type { FailoverResult } from './types.ts';

const LOAD_BEFORE_KILL_MS = 1000;
/** A round that sees no success this long after the kill gives up (and reports it). */
const RECOVERY_LIMIT_MS = 15_000;
const CONCURRENCY = 16;
/**
 * How long a restarted node may take to answer /ping. It rebuilds its ledger from the snapshot and
 * the log first, and after the load runs that holds millions of transfers: the time is reported.
 */
const RESTART_LIMIT_MS = 180_000;
/** After the kill, a fresh request this often (see run-load.ts: waiting workers cannot tell). */
const PROBE_EVERY_MS = 20;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RoundOutcome {
  readonly killed: string;
  /** First success of any request sent after the kill (a probe or a worker's next request). */
  readonly firstWriteMs: number | null;
  /** The same, counting only the closed-loop workers, which may sit on the dead leader until their timeout. */
  readonly workerMs: number | null;
  /** From the restart of the killed node until it answered /ping. */
  readonly restartMs: number;
}

/** Acknowledged and unknown payments over all rounds, added as soon as a round's load ends. */
interface Tally {
  acknowledged: number;
  unknown: number;
}

async function oneRound(cluster: SyncpayBenchCluster, options: BenchOptions, round: number, tally: Tally): Promise<RoundOutcome> {
  const leader = await cluster.waitLeader(15_000);
  const job: LoadJob = {
    kind: 'syncpay-spread',
    concurrency: CONCURRENCY,
    batchSize: 1,
    warmupMs: 0,
    durationMs: 0,
    targets: cluster.nodeIds.map((id) => cluster.url(id)),
    client: options.client,
    // Shorter than usual: a request stuck on the dead leader should not hold a worker for long.
    requestTimeoutMs: 2000,
    runId: newRunId(`f${round}`),
    accounts: ACCOUNTS,
    untilStopped: true,
    probeEveryMs: PROBE_EVERY_MS,
  };
  let first: number | null = null;
  const load = startLoad(job, (_f, _u, _e, firstAfterMark) => {
    if (firstAfterMark !== null) first = firstAfterMark;
  }, LOAD_BEFORE_KILL_MS + RECOVERY_LIMIT_MS + 60_000);
  try {
    await load.started;
    await sleep(LOAD_BEFORE_KILL_MS);
    const killedAt = Date.now();
    const kill = cluster.kill(leader);
    load.mark(killedAt);
    await kill;
    const deadline = Date.now() + RECOVERY_LIMIT_MS;
    while (first === null && Date.now() < deadline) await sleep(50);
    // Keep the load on a little longer, so the new leader is measured under load too.
    await sleep(300);
  } finally {
    load.stop();
  }
  const out = await load.done;
  tally.acknowledged += out.result.unitsAckedTotal;
  tally.unknown += out.result.unknownUnits;
  // Back to three healthy, caught-up nodes before the next round, or the next kill measures a
  // cluster that was already limping.
  const restartMs = await cluster.restart(leader, RESTART_LIMIT_MS);
  const settled = await cluster.waitSettled(60_000);
  const indexes = new Set(settled.map((p) => p.appliedIndex));
  if (settled.length !== cluster.nodeIds.length || indexes.size !== 1) {
    const down = cluster.nodeIds.filter((id) => !cluster.running().includes(id)).map((id) => cluster.exitReport(id));
    throw new Error(`after restarting ${leader} the nodes did not converge: ${settled.map((p) => `${p.node}@${p.appliedIndex}`).join(', ')}${down.length > 0 ? `; ${down.join('; ')}` : ''}`);
  }
  // Both are requests sent after the kill; the earlier success is when the cluster took writes again.
  const fresh = [out.firstProbeSuccessAfterMarkMs, out.firstSuccessAfterMarkMs].filter((v): v is number => v !== null);
  return { killed: leader, firstWriteMs: fresh.length > 0 ? Math.min(...fresh) : null, workerMs: out.firstSuccessAfterMarkMs, restartMs };
}

export async function measureFailover(cluster: SyncpayBenchCluster, options: BenchOptions, onRound: (round: number, detail: string) => void): Promise<FailoverResult> {
  const samples: number[] = [];
  const waiting: number[] = [];
  const notes: string[] = [];
  const before = await cluster.waitSettled(30_000, BASELINE_QUIET_MS);
  const countsBefore = Object.fromEntries(before.map((p) => [p.node, p.transferCount]));
  const tally: Tally = { acknowledged: 0, unknown: 0 };
  for (let round = 1; round <= options.failoverRuns; round++) {
    try {
      const out = await oneRound(cluster, options, round, tally);
      if (out.firstWriteMs === null) notes.push(`round ${round}: no successful write within ${RECOVERY_LIMIT_MS} ms of killing ${out.killed}`);
      else samples.push(out.firstWriteMs);
      if (out.workerMs !== null) waiting.push(out.workerMs);
      notes.push(`round ${round}: ${out.killed} answered /ping ${Math.round(out.restartMs)} ms after its restart (log replay)`);
      onRound(round, `killed ${out.killed}: first write after ${out.firstWriteMs === null ? `none within ${RECOVERY_LIMIT_MS}` : out.firstWriteMs} ms (closed-loop workers only: ${out.workerMs ?? '-'} ms); restarted in ${Math.round(out.restartMs)} ms`);
    } catch (error) {
      // The cluster did not come back (no leader, a node that would not restart): that is the
      // finding. Stop killing nodes and report it instead of crashing the whole benchmark.
      const message = error instanceof Error ? error.message : String(error);
      notes.push(`round ${round} aborted: ${message}`);
      onRound(round, `aborted: ${message}`);
      for (let r = round + 1; r <= options.failoverRuns; r++) onRound(r, 'skipped');
      break;
    }
  }
  const settled = await cluster.waitSettled(60_000);
  const check = dataVerdict({ after: settled, countsBefore, acknowledged: tally.acknowledged, unknown: tally.unknown });
  if (tally.unknown > 0) notes.push(`${tally.unknown} payment(s) in flight at a kill had an unknown outcome; the check allows them to be present or absent`);
  return { samplesMs: samples, medianMs: median(samples), waitingClientSamplesMs: waiting, waitingClientMedianMs: median(waiting), check, notes };
}
