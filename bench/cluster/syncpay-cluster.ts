// A three-node SyncPay cluster for benchmarking, built on the e2e specs' ProcessCluster (real node
// processes, loopback, temporary config and data directories, fsync on as always), plus what the
// benchmark reads from each node: role, indexes and ledger hash (/status), transfer count
// (/health), fsync counters (/metrics?format=json) and CPU time (/proc/<pid>/stat).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessCluster, waitFor } from '../../spec/support/process-cluster.ts';
import { readCpuSeconds } from './proc-stat.ts';

export interface NodeProbe {
  readonly node: string;
  readonly up: boolean;
  readonly isLeader: boolean;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  readonly ledgerHash: string | null;
  readonly ledgerHashIndex: number | null;
  readonly transferCount: number | null;
  /** Fsyncs of the log since the node started, and the entries they covered. */
  readonly fsyncs: number | null;
  readonly fsyncedEntries: number | null;
  readonly cpuSeconds: number | null;
  /** Recent fsync and commit latencies the node itself measured (its last few thousand samples), ms. */
  readonly fsyncP50Ms: number | null;
  readonly fsyncP99Ms: number | null;
  readonly commitP50Ms: number | null;
  readonly commitP99Ms: number | null;
}

const PROBE_TIMEOUT_MS = 5000;
const PROFILE_PRELOAD = fileURLToPath(new URL('../profile/preload.mjs', import.meta.url));

async function getJson(url: string): Promise<Record<string, unknown> | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return (await res.json()) as Record<string, unknown>;
  } catch {
    return null;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class SyncpayBenchCluster {
  private constructor(readonly cluster: ProcessCluster) {}

  static async start(options: { profileDir: string | null }): Promise<SyncpayBenchCluster> {
    const env: Record<string, string> = {};
    if (options.profileDir) {
      // Node 20 rejects --cpu-prof in NODE_OPTIONS; the preload profiles through the inspector instead.
      mkdirSync(resolve(options.profileDir), { recursive: true });
      env['NODE_OPTIONS'] = `--import ${PROFILE_PRELOAD}`;
      env['BENCH_PROFILE_DIR'] = resolve(options.profileDir);
    }
    const cluster = await ProcessCluster.create({
      size: 3,
      env,
      // One log line per request would cost more than the request: warnings only.
      overrides: { log: { level: 'warn' } },
      // Warnings only, so this stays small; it is what explains a node that died during a run.
      captureOutput: true,
    });
    const bench = new SyncpayBenchCluster(cluster);
    try {
      await cluster.startAll();
      await bench.waitLeader(20_000);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return bench;
  }

  get nodeIds(): string[] {
    return this.cluster.nodes.map((n) => n.id);
  }

  url(id: string): string {
    return this.cluster.node(id).url;
  }

  pid(id: string): number | undefined {
    return this.cluster.pid(id);
  }

  running(): string[] {
    return this.nodeIds.filter((id) => this.cluster.running(id));
  }

  async probe(id: string): Promise<NodeProbe> {
    const base = this.url(id);
    const up = this.cluster.running(id);
    const [status, health, metrics] = up
      ? await Promise.all([getJson(`${base}/status`), getJson(`${base}/health`), getJson(`${base}/metrics?format=json`)])
      : [null, null, null];
    const histograms = (metrics?.['histograms'] ?? {}) as Record<string, { count?: unknown; avg?: unknown; p50?: unknown; p99?: unknown } | undefined>;
    const ms = (family: string, key: 'p50' | 'p99'): number | null => {
      const v = num(histograms[family]?.[key]);
      return v === null ? null : v * 1000;
    };
    const perFsync = histograms['syncpay_entries_per_fsync'];
    const fsyncs = num(perFsync?.count);
    const avg = num(perFsync?.avg);
    return {
      node: id,
      up: status !== null,
      isLeader: status?.['is_leader'] === true,
      commitIndex: num(status?.['commit_index']),
      appliedIndex: num(status?.['applied_index']),
      ledgerHash: typeof status?.['ledger_hash'] === 'string' ? status['ledger_hash'] : null,
      ledgerHashIndex: num(status?.['ledger_hash_index']),
      transferCount: num(health?.['transaction_count']),
      fsyncs,
      fsyncedEntries: fsyncs === null ? null : fsyncs === 0 ? 0 : avg === null ? null : Math.round(fsyncs * avg),
      cpuSeconds: up ? readCpuSeconds(this.pid(id)) : null,
      fsyncP50Ms: ms('syncpay_fsync_latency_seconds', 'p50'),
      fsyncP99Ms: ms('syncpay_fsync_latency_seconds', 'p99'),
      commitP50Ms: ms('syncpay_commit_latency_seconds', 'p50'),
      commitP99Ms: ms('syncpay_commit_latency_seconds', 'p99'),
    };
  }

  async probeAll(): Promise<NodeProbe[]> {
    return Promise.all(this.nodeIds.map((id) => this.probe(id)));
  }

  async waitLeader(timeoutMs: number, exclude?: string): Promise<string> {
    return waitFor(async () => {
      for (const id of this.running()) {
        if (id === exclude) continue;
        const s = await getJson(`${this.url(id)}/status`);
        if (s?.['is_leader'] === true) return id;
      }
      return undefined;
    }, timeoutMs, 'a leader', 50);
  }

  /**
   * Waits until every running node has applied everything the leader committed and its hash
   * belongs to that index: only then are hashes and counts comparable. With `quietMs`, the commit
   * index must also stay where it is for that long: requests a client gave up on (a timeout) may
   * still be waiting on the leader and commit later, and a baseline taken before they do would
   * count them as the next run's.
   */
  async waitSettled(timeoutMs: number, quietMs = 0): Promise<NodeProbe[]> {
    let last: NodeProbe[] = [];
    let quietSince: { commit: number; at: number } | null = null;
    try {
      return await waitFor(async () => {
        last = (await Promise.all(this.running().map((id) => this.probe(id))));
        const commit = Math.max(...last.map((p) => p.commitIndex ?? -1));
        const settled = last.every((p) => p.appliedIndex === commit && p.ledgerHashIndex === p.appliedIndex && p.commitIndex === commit);
        if (!settled) return undefined;
        const now = performance.now();
        if (quietSince === null || quietSince.commit !== commit) quietSince = { commit, at: now };
        return now - quietSince.at >= quietMs ? last : undefined;
      }, timeoutMs, 'replicas to settle', 100);
    } catch {
      return last;
    }
  }

  /** Why a node is not running: its exit and the tail of its output, for problem reports. */
  exitReport(id: string): string {
    const exit = this.cluster.exits.get(id);
    if (this.cluster.running(id) || exit === undefined) return `${id} is running`;
    const tail = (this.cluster.output.get(id) ?? []).join('').trim().split('\n').slice(-5).join(' | ');
    return `${id} exited (code ${exit.code}, signal ${exit.signal}): ${tail.slice(-800)}`;
  }

  async kill(id: string): Promise<void> {
    await this.cluster.kill(id);
  }

  /** Restarts a killed node; resolves with the milliseconds until it answered /ping (it replays its log first). */
  async restart(id: string, timeoutMs: number): Promise<number> {
    const started = performance.now();
    this.cluster.start(id);
    await this.cluster.waitReady(id, timeoutMs);
    return performance.now() - started;
  }

  /** Graceful stop (SIGTERM) so --cpu-prof can write its profiles, then removal of the temp dir. */
  async destroy(): Promise<void> {
    await Promise.all(this.running().map(async (id) => {
      this.cluster.signal(id, 'SIGTERM');
      await this.cluster.waitExit(id, 15_000).catch(() => undefined);
    }));
    await this.cluster.destroy();
  }
}
