// Command-line options and the run plan they produce: which scenarios, at which concurrency, how
// long, how many repeats. Pure, so the spec can pin down what `--quick` and `--compare etcd` mean.
import { LOAD_CLIENTS, type LoadClientName } from './load/protocol.ts';
import type { Scenario } from './types.ts';

export interface BenchOptions {
  readonly quick: boolean;
  readonly compareEtcd: boolean;
  readonly levels: readonly number[];
  readonly batchSizes: readonly number[];
  readonly durationMs: number;
  /** Unmeasured lead-in of every run (connections, JIT), still covered by the data check. */
  readonly runWarmupMs: number;
  /** Load on a fresh cluster before the first measured run. */
  readonly clusterWarmupMs: number;
  readonly repeat: number;
  readonly failoverRuns: number;
  readonly client: LoadClientName;
  /** Scenario names to run (all when empty). */
  readonly only: readonly string[];
  /** Write .cpuprofile files of every node (node --cpu-prof) into this directory. */
  readonly profileDir: string | null;
  readonly resultsDir: string;
  /** Per-request timeout of the load generator. */
  readonly requestTimeoutMs: number;
}

export const USAGE = `npm run bench -- [options]
  --quick               short runs at concurrency 1 and 64, one repeat, two failovers
  --compare etcd        also run a 3-member etcd (puts, transactional payments) side by side
  --levels 1,16,64,256  concurrency levels
  --batches 100,1000    batch sizes for POST /v1/transfers (0 or none: no batch runs)
  --duration <s>        measured seconds per run (default 5)
  --repeat <n>          repeats of each run; tables show medians (default 3)
  --failover <n>        kill -9 runs of the leader under load (default 5, 0 to skip)
  --client lean|http|fetch  the load generator's HTTP client: a minimal HTTP/1.1 keep-alive client
                        (default), node:http with a keep-alive agent, or global fetch
  --only a,b            only these scenarios (syncpay-leader, syncpay-spread, syncpay-batch-100, ...)
  --profile <dir>       run the nodes under node --cpu-prof, profiles into <dir>
  --results <dir>       output directory (default bench/results)`;

function list(value: string, flag: string): number[] {
  if (value === 'none') return [];
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${flag} wants comma-separated non-negative integers, got ${value}`);
  return nums.filter((n) => n > 0);
}

function positive(value: string, flag: string, integer = true): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`${flag} wants a non-negative number, got ${value}`);
  return n;
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  let compareEtcd = false;
  let levels: readonly number[] = quick ? [1, 64] : [1, 16, 64, 256];
  let batchSizes: readonly number[] = [100, 1000];
  let durationMs = quick ? 1500 : 5000;
  let repeat = quick ? 1 : 3;
  let failoverRuns = quick ? 2 : 5;
  let client: LoadClientName = 'lean';
  let only: readonly string[] = [];
  let profileDir: string | null = null;
  let resultsDir = 'bench/results';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (flag === '--quick') continue;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--compare': {
        const what = value();
        if (what !== 'etcd') throw new Error(`--compare knows only etcd, got ${what}`);
        compareEtcd = true;
        break;
      }
      case '--levels': levels = list(value(), flag); break;
      case '--batches': batchSizes = list(value(), flag); break;
      case '--duration': durationMs = Math.round(positive(value(), flag, false) * 1000); break;
      case '--repeat': repeat = Math.max(1, positive(value(), flag)); break;
      case '--failover': failoverRuns = positive(value(), flag); break;
      case '--client': {
        const c = value();
        const known = LOAD_CLIENTS.find((name) => name === c);
        if (known === undefined) throw new Error(`--client is one of ${LOAD_CLIENTS.join(', ')}, got ${c}`);
        client = known;
        break;
      }
      case '--only': only = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--profile': profileDir = value(); break;
      case '--results': resultsDir = value(); break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (levels.length === 0) throw new Error('--levels must name at least one concurrency');
  if (durationMs < 200) throw new Error('--duration must be at least 0.2 s');
  return {
    quick, compareEtcd, levels, batchSizes, durationMs, repeat, failoverRuns, client, only, profileDir, resultsDir,
    runWarmupMs: quick ? 300 : 1000,
    clusterWarmupMs: quick ? 1000 : 3000,
    requestTimeoutMs: 10_000,
  };
}

export function syncpayScenarios(options: BenchOptions): Scenario[] {
  const all: Scenario[] = [
    { name: 'syncpay-leader', kind: 'syncpay-leader', batchSize: 1, system: 'syncpay' },
    { name: 'syncpay-spread', kind: 'syncpay-spread', batchSize: 1, system: 'syncpay' },
    ...options.batchSizes.map((n): Scenario => ({ name: `syncpay-batch-${n}`, kind: 'syncpay-batch', batchSize: n, system: 'syncpay' })),
  ];
  return all.filter((s) => options.only.length === 0 || options.only.includes(s.name));
}

export function etcdScenarios(options: BenchOptions): Scenario[] {
  if (!options.compareEtcd) return [];
  const all: Scenario[] = [
    { name: 'etcd-put', kind: 'etcd-put', batchSize: 1, system: 'etcd' },
    { name: 'etcd-txn', kind: 'etcd-txn', batchSize: 1, system: 'etcd' },
  ];
  return all.filter((s) => options.only.length === 0 || options.only.includes(s.name));
}

export interface PlannedRun {
  readonly scenario: Scenario;
  readonly concurrency: number;
  readonly repeat: number;
}

/** Repeats are interleaved (all levels, then again), so a slow minute on the box hits every row alike. */
export function planRuns(scenarios: readonly Scenario[], options: BenchOptions): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (let r = 1; r <= options.repeat; r++) {
    for (const scenario of scenarios) for (const concurrency of options.levels) runs.push({ scenario, concurrency, repeat: r });
  }
  return runs;
}
