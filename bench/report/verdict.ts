// The data checks that turn a benchmark run into a pass or a failure. A run whose replicas
// disagree, or whose committed count differs from what clients were told, lost or invented data,
// and its throughput means nothing: the report shows FAIL instead of a number.
import type { DataCheck } from '../types.ts';

export interface NodeSnapshot {
  readonly node: string;
  /** null when the node did not answer. */
  readonly ledgerHash: string | null;
  readonly appliedIndex: number | null;
  /** Transfers the node's ledger holds. */
  readonly transferCount: number | null;
}

export interface VerdictInput {
  /** Every node's state after the run, once replication settled. */
  readonly after: readonly NodeSnapshot[];
  /** Transfers each node held before the run, by node id. */
  readonly countsBefore: Readonly<Record<string, number | null>>;
  /** Transfers clients were told succeeded. */
  readonly acknowledged: number;
  /** Transfers whose outcome clients never learned (timeouts, killed nodes). */
  readonly unknown: number;
}

/**
 * With no unknown outcomes, committed must equal acknowledged exactly. With unknown outcomes (a
 * failover run) every acknowledged transfer must be there and at most the unknown ones may be
 * extra: fewer means an acknowledged payment was lost.
 */
export function dataVerdict(input: VerdictInput): DataCheck {
  const reasons: string[] = [];
  const hashes: Record<string, string | null> = {};
  for (const n of input.after) hashes[n.node] = n.ledgerHash;
  if (input.after.length === 0) reasons.push('no node answered after the run');

  const silent = input.after.filter((n) => n.ledgerHash === null || n.appliedIndex === null || n.transferCount === null);
  for (const n of silent) reasons.push(`${n.node} did not report its ledger state`);

  const reporting = input.after.filter((n) => !silent.includes(n));
  const indexes = new Set(reporting.map((n) => n.appliedIndex));
  if (indexes.size > 1) reasons.push(`applied indexes differ: ${reporting.map((n) => `${n.node}=${n.appliedIndex}`).join(', ')}`);
  else if (new Set(reporting.map((n) => n.ledgerHash)).size > 1) {
    reasons.push(`ledger hashes differ at index ${[...indexes][0]}: ${reporting.map((n) => `${n.node}=${(n.ledgerHash ?? '').slice(0, 12)}`).join(', ')}`);
  }

  let committed: number | null = null;
  for (const n of reporting) {
    const before = input.countsBefore[n.node];
    if (before === null || before === undefined || n.transferCount === null) continue;
    const delta = n.transferCount - before;
    if (committed === null) committed = delta;
    else if (delta !== committed) reasons.push(`nodes committed different counts (${n.node}: ${delta}, others: ${committed})`);
  }
  if (committed === null) reasons.push('no node gave a committed count before and after the run');
  else if (input.unknown === 0 && committed !== input.acknowledged) {
    reasons.push(`committed ${committed} transfers but acknowledged ${input.acknowledged}`);
  } else if (committed < input.acknowledged) {
    reasons.push(`lost acknowledged transfers: committed ${committed} < acknowledged ${input.acknowledged}`);
  } else if (committed > input.acknowledged + input.unknown) {
    reasons.push(`committed ${committed} transfers, more than ${input.acknowledged} acknowledged + ${input.unknown} unknown`);
  }
  return { ok: reasons.length === 0, reasons, committed, acknowledged: input.acknowledged, hashes };
}

/** etcd has no ledger hash: its check is conservation (balances sum to zero) and every put landed. */
export function etcdVerdict(input: { readonly balanceSum: bigint | null; readonly acknowledged: number; readonly committed: number | null; readonly unknown: number }): DataCheck {
  const reasons: string[] = [];
  if (input.balanceSum !== null && input.balanceSum !== 0n) reasons.push(`account balances sum to ${input.balanceSum}, not 0`);
  if (input.committed !== null) {
    if (input.committed < input.acknowledged) reasons.push(`lost acknowledged writes: ${input.committed} < ${input.acknowledged}`);
    else if (input.committed > input.acknowledged + input.unknown) reasons.push(`found ${input.committed} writes, more than ${input.acknowledged} acknowledged`);
  }
  return { ok: reasons.length === 0, reasons, committed: input.committed, acknowledged: input.acknowledged, hashes: {} };
}
