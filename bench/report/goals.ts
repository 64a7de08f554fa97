// The issue's goals as data: each one evaluated against a finished report, with the measured
// value and by how much it is missed, so docs/performance.md and the terminal say the same thing.
import type { FailoverResult, RunSummary } from '../types.ts';
import { ratio } from './compare.ts';

export interface GoalResult {
  readonly goal: string;
  readonly target: string;
  readonly measured: string;
  /** null when the run needed to judge it did not happen (e.g. no --compare etcd). */
  readonly met: boolean | null;
}

const GOAL_CONCURRENCY = 64;

function at(summaries: readonly RunSummary[], name: string, concurrency: number): RunSummary | undefined {
  return summaries.find((s) => s.scenario.name === name && s.concurrency === concurrency);
}

function usable(s: RunSummary | undefined): s is RunSummary {
  return s !== undefined && s.ok;
}

function judge(goal: string, target: string, value: number | null, threshold: number, higherIsBetter: boolean, unit: string): GoalResult {
  if (value === null) return { goal, target, measured: 'not measured', met: null };
  const met = higherIsBetter ? value >= threshold : value <= threshold;
  const shown = unit === 'x' ? `${value.toFixed(2)}x` : `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)} ${unit}`;
  const gap = met ? '' : higherIsBetter ? ` (${(threshold / Math.max(value, 1e-9)).toFixed(1)}x short)` : ` (${(value / threshold).toFixed(1)}x over)`;
  return { goal, target, measured: shown + gap, met };
}

export function evaluateGoals(summaries: readonly RunSummary[], failover: FailoverResult | null): GoalResult[] {
  const single = at(summaries, 'syncpay-leader', GOAL_CONCURRENCY);
  const put = at(summaries, 'etcd-put', GOAL_CONCURRENCY);
  const txn = at(summaries, 'etcd-txn', GOAL_CONCURRENCY);
  // The batch goal names no concurrency: the best level counts, and the table says which it was.
  const batch = bestOf(summaries, 'syncpay-batch-1000');
  const ok = usable(single) ? single : undefined;
  return [
    judge('single payments vs etcd puts, c=64', '>= 3x', ratio(ok?.throughput ?? null, usable(put) ? put.throughput : null), 3, true, 'x'),
    judge('single payments vs etcd txn payments, c=64', '>= 8x', ratio(ok?.throughput ?? null, usable(txn) ? txn.throughput : null), 8, true, 'x'),
    judge('single payments p99, c=64', '<= 50 ms', ok?.p99 ?? null, 50, false, 'ms'),
    judge(`batches of 1,000, committed transfers/s${batch ? ` (best: c=${batch.concurrency})` : ''}`, '>= 100,000/s', usable(batch) ? batch.throughput : null, 100_000, true, '/s'),
    judge('failover, kill -9 to first write (median)', '<= 1,500 ms', failover?.medianMs ?? null, 1500, false, 'ms'),
  ];
}

function bestOf(summaries: readonly RunSummary[], name: string): RunSummary | undefined {
  return summaries.filter((s) => s.scenario.name === name && s.ok).sort((a, b) => b.throughput - a.throughput)[0];
}
