// One chaos run end to end: start a cluster behind proxies, fund the bank, run the workload and
// the nemesis side by side for the requested time, heal everything, let the cluster settle,
// read every node's state, judge it, and write the report. Used by `npm run chaos` and by the
// fixed-seed spec.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPrng } from '../machines/prng.ts';
import { availability } from './availability.ts';
import { check, summarize } from './checker.ts';
import { ChaosCluster, findFaketime } from './cluster.ts';
import { collectNode, settle } from './collect.ts';
import type { FaultKind, History, Op } from './history.ts';
import { Nemesis } from './nemesis.ts';
import { closingNote, writeReport, type Report } from './report.ts';
import { planFaults } from './schedule.ts';
import { BankWorkload, DEFAULT_WORKLOAD, sleep, type WorkloadOptions } from './workload.ts';

export interface ChaosOptions {
  readonly durationS: number;
  readonly nodes: number;
  readonly faults: readonly FaultKind[];
  readonly seed: number;
  /** Parent of the timestamped report folder. */
  readonly resultsRoot: string;
  readonly progress: (line: string) => void;
  readonly workload?: Partial<Omit<WorkloadOptions, 'urls'>>;
  /** Seconds between progress lines. */
  readonly progressEveryS?: number;
  /** Keep the nodes' data directories (default: removed after the report is written). */
  readonly keepData?: boolean;
  /** Called once the cluster exists, so a caller can tear it down on Ctrl-C. */
  readonly onCluster?: (cluster: ChaosCluster) => void;
}

export interface ChaosOutcome {
  readonly ok: boolean;
  readonly report: Report;
  readonly dir: string;
  readonly note: string;
}

const ELECTION_TIMEOUT_MAX_MS = 600;

export async function runChaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const say = options.progress;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(options.resultsRoot, `${stamp}-n${options.nodes}-seed${options.seed}`);
  const work = mkdtempSync(join(tmpdir(), 'syncpay-chaos-'));
  const notes: string[] = [];
  const note = (line: string) => {
    notes.push(line);
    say(line);
  };
  const faketime = options.faults.includes('clock') ? findFaketime() : null;
  if (options.faults.includes('clock') && faketime === null) note('clock faults skipped: libfaketime not found (Debian package faketime)');
  const rng = createPrng(options.seed);
  const cluster = await ChaosCluster.create({ size: options.nodes, dir: work, faketimeLib: faketime, seed: options.seed });
  options.onCluster?.(cluster);
  try {
    say(`starting ${options.nodes} nodes (seed ${options.seed}, work dir ${work})`);
    await cluster.startAll();
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    while ((await cluster.leader()) === null) {
      if (now() > 60000) throw new Error('no leader elected within 60 s of start');
      await sleep(200);
    }
    const ops: Op[] = [];
    const workload = new BankWorkload(
      { ...DEFAULT_WORKLOAD, ...options.workload, urls: Object.fromEntries(cluster.nodes.map((n) => [n.id, n.url])) },
      { now, record: (op) => ops.push(op) },
      rng.fork(),
    );
    await workload.setup(60000);
    const origin = now();
    const durationMs = options.durationS * 1000;
    say(`bank funded: ${workload.bank.accounts.length} accounts, ${workload.bank.totalMinor} minor units; running for ${options.durationS} s`);
    const plan = planFaults({ seed: options.seed, durationMs, kinds: options.faults, electionTimeoutMsMax: ELECTION_TIMEOUT_MAX_MS })
      .map((f) => ({ ...f, atMs: f.atMs + origin }));
    const nemesis = new Nemesis({ cluster, plan, now, rng: rng.fork(), note: (l) => say(`[${(now() / 1000).toFixed(1)}s] ${l}`), clockFaults: faketime !== null });
    const progress = setInterval(() => say(progressLine(ops, now(), nemesis.current())), (options.progressEveryS ?? 5) * 1000);
    const running = Promise.all([workload.run(), nemesis.run()]);
    await sleep(durationMs);
    workload.stop();
    nemesis.stop();
    await running;
    nemesis.abandon();
    clearInterval(progress);
    const endMs = now();
    say('workload stopped; healing every fault and waiting for the cluster to settle');
    await cluster.healAll();
    const settled = await settle(cluster, 60000);
    if (!settled.settled) note(`the cluster did not settle within 60 s: ${JSON.stringify(settled.statuses.map((s) => s && { node: s.node_id, leader: s.is_leader, applied: s.applied_index, commit: s.commit_index }))}`);
    const finals = [];
    for (const id of cluster.ids) finals.push(await collectNode(cluster, id, workload.bank, DEFAULT_WORKLOAD.exponent));
    const history: History = { bank: workload.bank, ops, faults: nemesis.faults, finals, durationMs: endMs };
    const result = check(history);
    const report: Report = {
      summary: {
        seed: options.seed, nodes: options.nodes, durationS: options.durationS, faultKinds: options.faults, notes,
        readConsistency: options.workload?.readConsistency ?? DEFAULT_WORKLOAD.readConsistency,
        settled: settled.settled, settleMs: settled.waitedMs, unexpectedExits: cluster.unexpectedExits,
      },
      check: result,
      availability: availability(ops, nemesis.faults, endMs),
    };
    say(summarize(result));
    await cluster.destroy();
    writeReport(dir, report, history);
    cpSync(join(work, 'logs'), join(dir, 'logs'), { recursive: true });
    return { ok: result.ok && settled.settled, report, dir, note: closingNote(report, dir) };
  } finally {
    await cluster.destroy().catch(() => undefined);
    if (!options.keepData) rmSync(work, { recursive: true, force: true });
  }
}

function progressLine(ops: readonly Op[], nowMs: number, fault: string | null): string {
  const recent: Op[] = [];
  for (let i = ops.length - 1; i >= 0 && ops[i]!.completeMs >= nowMs - 5000; i--) recent.push(ops[i]!);
  const okT = recent.filter((o) => o.kind === 'transfer' && o.result === 'ok').length;
  const okR = recent.filter((o) => o.kind === 'read' && o.result === 'ok').length;
  const bad = recent.filter((o) => o.result !== 'ok').length;
  return `[${(nowMs / 1000).toFixed(1)}s] last 5 s: ${(okT / 5).toFixed(0)} transfers/s acked, ${(okR / 5).toFixed(0)} reads/s, ${bad} failed/unknown; total ops ${ops.length}${fault ? `; fault: ${fault}` : ''}`;
}
