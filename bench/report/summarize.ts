// Folds the repeats of each (scenario, concurrency) into one row of medians. Each metric's median
// is taken on its own, as the goals are stated ("medians of 3 runs"); a row is marked
// failed if any repeat failed its data check, and then shows no throughput in comparisons.
import type { RunResult, RunSummary } from '../types.ts';
import { median } from './stats.ts';

export function summarizeRuns(runs: readonly RunResult[]): RunSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of runs) {
    const key = `${r.scenario.name}\u0000${r.concurrency}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const out: RunSummary[] = [];
  for (const list of groups.values()) {
    const first = list[0];
    if (first === undefined) continue;
    const nodeIds = [...new Set(list.flatMap((r) => r.nodes.map((n) => n.node)))].sort();
    const cpuSeconds: Record<string, number | null> = {};
    for (const id of nodeIds) cpuSeconds[id] = median(list.map((r) => r.nodes.find((n) => n.node === id)?.cpuSeconds ?? null));
    const failures = list.flatMap((r) => r.check.reasons.map((reason) => `repeat ${r.repeat}: ${reason}`));
    out.push({
      scenario: first.scenario,
      concurrency: first.concurrency,
      repeats: list.length,
      throughput: median(list.map((r) => r.throughput)) ?? 0,
      p50: median(list.map((r) => r.latency.p50)),
      p95: median(list.map((r) => r.latency.p95)),
      p99: median(list.map((r) => r.latency.p99)),
      cpuSeconds,
      nodeCpuMicrosPerUnit: median(list.map(nodeCpuMicrosPerUnit)),
      loadgenCpuMicrosPerUnit: median(list.map((r) => perUnit(r.loadgenCpuSeconds, r.check.acknowledged))),
      leaderFsyncsPerSecond: median(list.map((r) => r.leaderFsyncsPerSecond)),
      leaderEntriesPerFsync: median(list.map((r) => r.leaderEntriesPerFsync)),
      requestsFailed: median(list.map((r) => r.requestsFailed)) ?? 0,
      ok: list.every((r) => r.check.ok),
      failures,
    });
  }
  return out;
}

/** CPU microseconds per acknowledged unit, or null when nothing was acknowledged. */
function perUnit(cpuSeconds: number, units: number): number | null {
  return units > 0 ? (cpuSeconds * 1e6) / units : null;
}

/**
 * All nodes' CPU over the run (probe to probe) per unit acknowledged over the whole run (lead-in
 * included): both cover the same stretch, so this is what one payment, put or transaction cost the
 * cluster, whatever the client. Null when a node's CPU could not be read.
 */
function nodeCpuMicrosPerUnit(r: RunResult): number | null {
  let total = 0;
  for (const n of r.nodes) {
    if (n.cpuSeconds === null) return null;
    total += n.cpuSeconds;
  }
  return r.nodes.length === 0 ? null : perUnit(total, r.check.acknowledged);
}
