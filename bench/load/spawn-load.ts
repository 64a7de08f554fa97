// The runner's handle on one load-generator process: fork it under tsx, hand it the job, relay
// its progress, and bound its life. A load generator that neither reports nor exits within its
// deadline is killed and the run fails with that reason: a benchmark must always end.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EtcdCheckResult, LoadJob, LoadMessage, RunnerMessage } from './protocol.ts';
import type { LoadResult } from '../types.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const GRACE_MS = 30_000;

export interface LoadDone {
  readonly result: LoadResult;
  readonly firstSuccessAfterMarkMs: number | null;
  readonly firstProbeSuccessAfterMarkMs: number | null;
  readonly etcd: EtcdCheckResult | null;
}

export interface LoadRun {
  readonly pid: number | undefined;
  readonly done: Promise<LoadDone>;
  /** Resolves once the process is up and has the job (so a mark is not sent to nobody). */
  readonly started: Promise<void>;
  mark(atEpochMs: number): void;
  stop(): void;
}

export type ProgressHandler = (fraction: number, unitsOk: number, elapsedMs: number, firstSuccessAfterMarkMs: number | null) => void;

/**
 * `beforeJob` runs once the process is up (tsx has compiled it, which takes a while) and before it
 * gets its job: the place to take the "before" probes, so rates cover the load and not the start.
 */
export function startLoad(job: LoadJob, onProgress: ProgressHandler, hardLimitMs?: number, beforeJob?: () => Promise<void>): LoadRun {
  const child = fork(MAIN, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const post = (m: RunnerMessage): void => {
    if (child.connected) child.send(m);
  };
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((r) => (markStarted = r));
  const done = new Promise<LoadDone>((resolve, reject) => {
    const limit = hardLimitMs ?? job.warmupMs + job.durationMs + job.requestTimeoutMs + GRACE_MS;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator did not finish within ${limit} ms`));
    }, limit);
    let settled = false;
    child.on('message', (raw: unknown) => {
      const m = raw as LoadMessage;
      if (m.type === 'ready') {
        (beforeJob ?? (async () => undefined))()
          .then(() => {
            post({ type: 'job', job });
            markStarted();
          })
          .catch((error: unknown) => {
            child.kill('SIGKILL');
            reject(error instanceof Error ? error : new Error(String(error)));
          });
      } else if (m.type === 'progress') onProgress(m.fraction, m.unitsOk, m.elapsedMs, m.firstSuccessAfterMarkMs);
      else if (m.type === 'result') {
        settled = true;
        clearTimeout(timer);
        resolve({ result: m.result, firstSuccessAfterMarkMs: m.firstSuccessAfterMarkMs, firstProbeSuccessAfterMarkMs: m.firstProbeSuccessAfterMarkMs, etcd: m.etcd });
      } else if (m.type === 'error') {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`load generator failed: ${m.message}`));
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      markStarted();
      if (!settled) reject(new Error(`load generator exited early (code ${code}, signal ${signal})`));
    });
  });
  return {
    pid: child.pid,
    done,
    started,
    mark: (atEpochMs) => post({ type: 'mark', atEpochMs }),
    stop: () => post({ type: 'stop' }),
  };
}
