// The part of a run's result that comes from the load generator alone, the same for every system
// under test: what measure-syncpay.ts and measure-etcd.ts add is their own nodes and data check.
import type { PlannedRun } from './plan.ts';
import type { LoadResult, RunResult } from './types.ts';

export type LoadFields = Pick<RunResult, 'scenario' | 'concurrency' | 'repeat' | 'throughput' | 'latency' | 'requestsFailed' | 'retries' | 'errors' | 'loadgenCpuSeconds'>;

export function loadFields(run: PlannedRun, result: LoadResult): LoadFields {
  return {
    scenario: run.scenario,
    concurrency: run.concurrency,
    repeat: run.repeat,
    throughput: result.windowMs > 0 ? result.unitsOk / (result.windowMs / 1000) : 0,
    latency: result.latency,
    requestsFailed: result.requestsFailed,
    retries: result.retries,
    errors: result.errors,
    loadgenCpuSeconds: result.loadgenCpuSeconds,
  };
}
