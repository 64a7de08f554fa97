// The vocabulary shared by the runner, the load generator and the report writers: what a run is
// (a scenario at one concurrency), what one measured run produced, and what the data checks found.
// Kept free of I/O so the report code and its spec can use it without starting anything.

/** What the load generator drives. */
export type ScenarioKind =
  | 'syncpay-leader' // single payments, every request to the leader
  | 'syncpay-spread' // single payments, requests spread round-robin over all nodes
  | 'syncpay-batch' // POST /v1/transfers with an array of `batchSize` transfers, to the leader
  | 'etcd-put' // plain puts of about 200 bytes
  | 'etcd-txn'; // a payment as a transaction comparing both accounts' mod revisions

export interface Scenario {
  /** Stable name used in tables and file names, e.g. `syncpay-batch-1000`. */
  readonly name: string;
  readonly kind: ScenarioKind;
  /** Transfers per request (1 unless a batch). */
  readonly batchSize: number;
  readonly system: 'syncpay' | 'etcd';
}

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds; null when nothing was measured. */
  readonly min: number | null;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** What the load generator reports for one run. */
export interface LoadResult {
  /** Measured window, milliseconds (the warm-up before it is not counted). */
  readonly windowMs: number;
  /** Requests answered with success inside the window. */
  readonly requestsOk: number;
  /** Transfers (or puts / transactions) acknowledged inside the window. */
  readonly unitsOk: number;
  /** Transfers acknowledged over the whole run, warm-up included: what the data check compares. */
  readonly unitsAckedTotal: number;
  /** Requests whose outcome is unknown (timeout, reset): they may or may not have committed. */
  readonly unknownUnits: number;
  /** Requests answered with an error status (rejections, 429/503). */
  readonly requestsFailed: number;
  /** etcd transactions retried after a failed compare. */
  readonly retries: number;
  readonly latency: LatencySummary;
  /** Failure statuses seen, e.g. { "503": 4, "ECONNRESET": 1 }. */
  readonly errors: Readonly<Record<string, number>>;
  /** CPU seconds the load generator itself spent (it shares the cores with the nodes). */
  readonly loadgenCpuSeconds: number;
}

export interface NodeRunStats {
  readonly node: string;
  readonly isLeader: boolean;
  readonly cpuSeconds: number | null;
  readonly fsyncs: number | null;
  readonly entriesPerFsync: number | null;
  /** The node's own recent fsync and commit latencies (ms) right after the load, when it reports them. */
  readonly fsyncP50Ms?: number | null;
  readonly fsyncP99Ms?: number | null;
  readonly commitP50Ms?: number | null;
  readonly commitP99Ms?: number | null;
}

export interface DataCheck {
  readonly ok: boolean;
  readonly reasons: readonly string[];
  readonly committed: number | null;
  readonly acknowledged: number;
  readonly hashes: Readonly<Record<string, string | null>>;
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly concurrency: number;
  readonly repeat: number;
  /** Committed payments (transfers, puts or transactions) per second in the measured window. */
  readonly throughput: number;
  readonly latency: LatencySummary;
  readonly requestsFailed: number;
  readonly retries: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly nodes: readonly NodeRunStats[];
  /** fsyncs per second and entries per fsync on the leader (null for etcd, which does not say). */
  readonly leaderFsyncsPerSecond: number | null;
  readonly leaderEntriesPerFsync: number | null;
  readonly loadgenCpuSeconds: number;
  /** Time after the load until every node had applied everything committed (SyncPay only). */
  readonly settleMs?: number;
  readonly check: DataCheck;
}

/** Medians over the repeats of one scenario at one concurrency: what tables and charts show. */
export interface RunSummary {
  readonly scenario: Scenario;
  readonly concurrency: number;
  readonly repeats: number;
  readonly throughput: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  /** Median CPU seconds per node, keyed by node id. */
  readonly cpuSeconds: Readonly<Record<string, number | null>>;
  /** Median CPU µs of all nodes together, and of the load generator, per acknowledged unit. */
  readonly nodeCpuMicrosPerUnit: number | null;
  readonly loadgenCpuMicrosPerUnit: number | null;
  readonly leaderFsyncsPerSecond: number | null;
  readonly leaderEntriesPerFsync: number | null;
  /** Median over repeats of requests answered with an error (429, 503, timeouts...). */
  readonly requestsFailed: number;
  /** False if any repeat failed its data check. */
  readonly ok: boolean;
  readonly failures: readonly string[];
}

export interface FailoverResult {
  /** Kill to the first success of any request sent after the kill (probe or worker), per round. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number | null;
  /** The same counting only the closed-loop workers (they may wait out their timeout on the dead leader). */
  readonly waitingClientSamplesMs?: readonly number[];
  readonly waitingClientMedianMs?: number | null;
  readonly check: DataCheck | null;
  readonly notes: readonly string[];
}

export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly command: string;
  readonly machine: {
    readonly cpus: number;
    readonly model: string;
    readonly node: string;
    readonly etcd: string | null;
    /** 1-minute load average at the start and the end: the box is shared, and this says how busy it was. */
    readonly loadAverage?: readonly [number, number];
  };
  readonly options: Readonly<Record<string, unknown>>;
  readonly runs: readonly RunResult[];
  readonly summaries: readonly RunSummary[];
  readonly failover: FailoverResult | null;
  /** Runs or phases that could not be carried out (a cluster that would not start, no leader...). */
  readonly problems: readonly string[];
  readonly ok: boolean;
}
