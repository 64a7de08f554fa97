// What the runner and the load-generator process say to each other over the fork IPC channel.
// The load generator is a separate process so its CPU is not the nodes' CPU, and so its event
// loop (which must keep hundreds of requests in flight) never waits on the runner's bookkeeping.
import type { LoadResult, ScenarioKind } from '../types.ts';

/** The load generator's HTTP client: `lean` (lean-http-client.ts), `http` (node:http + Agent) or `fetch`. */
export type LoadClientName = 'lean' | 'http' | 'fetch';
export const LOAD_CLIENTS: readonly LoadClientName[] = ['lean', 'http', 'fetch'];

export interface LoadJob {
  readonly kind: ScenarioKind;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Base URLs: SyncPay nodes' APIs or etcd client URLs. All must be on 127.0.0.1. */
  readonly targets: readonly string[];
  readonly client: LoadClientName;
  readonly requestTimeoutMs: number;
  /** Unique per run: prefixes etcd keys and account names so runs never touch each other's data. */
  readonly runId: string;
  readonly accounts: number;
  /** Failover mode: run until told to stop and report the first success after the mark. */
  readonly untilStopped: boolean;
  /** Failover mode: after the mark, fire a fresh probe request this often (0: no probes). */
  readonly probeEveryMs: number;
}

export type RunnerMessage =
  | { readonly type: 'job'; readonly job: LoadJob }
  | { readonly type: 'mark'; readonly atEpochMs: number }
  | { readonly type: 'stop' };

export interface EtcdCheckResult {
  /** Keys this run's puts left behind (puts), or null for transactions. */
  readonly committed: number | null;
  /** Sum of this run's account balances (transactions), as a decimal string; null for puts. */
  readonly balanceSum: string | null;
}

export type LoadMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'progress';
      readonly fraction: number;
      readonly unitsOk: number;
      readonly elapsedMs: number;
      readonly firstSuccessAfterMarkMs: number | null;
    }
  | {
      readonly type: 'result';
      readonly result: LoadResult;
      /** Milliseconds from the mark to the completion of the first worker success started after it. */
      readonly firstSuccessAfterMarkMs: number | null;
      /** The same for the fresh probe requests. */
      readonly firstProbeSuccessAfterMarkMs: number | null;
      readonly etcd: EtcdCheckResult | null;
    }
  | { readonly type: 'error'; readonly message: string };
