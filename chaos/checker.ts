// The judge of a chaos run: a pure function from what clients saw (the history) and what every
// node holds after the cluster settled, to the list of broken guarantees. It knows nothing about
// processes or sockets, so specs can feed it synthetic histories with each anomaly planted.
import { ANOMALY_KINDS, AnomalyLog, type Anomaly, type AnomalyKind } from './anomaly.ts';
import type { History, NodeFinalState, NodeTransfer, ReadOp, TransferOp } from './history.ts';
import { checkReads, checkWriteOrder, indexOrder } from './linearizable.ts';

export interface CheckResult {
  readonly ok: boolean;
  readonly counts: Readonly<Record<AnomalyKind, number>>;
  /** The first examples of each kind, in the order found. */
  readonly anomalies: readonly Anomaly[];
  readonly stats: {
    readonly transfersAcknowledged: number;
    readonly transfersFailed: number;
    readonly transfersUnknown: number;
    readonly unknownApplied: number;
    readonly readsChecked: number;
    readonly appliedTransfers: number;
    readonly referenceNode: string | null;
  };
}

export function check(history: History): CheckResult {
  const log = new AnomalyLog();
  const transfers = history.ops.filter((o): o is TransferOp => o.kind === 'transfer');
  const reads = history.ops.filter((o): o is ReadOp => o.kind === 'read');
  const byId = new Map<string, TransferOp>();
  for (const t of transfers) byId.set(t.id, t);

  for (const t of transfers) {
    // Retries resend identical fields, so the ledger calling one different is a bug of its own.
    if (t.code === 'exists_with_different_fields') {
      log.add({ kind: 'wrong_fields', id: t.id, detail: `a retry of ${t.id} (${describe(t)}) was refused as exists_with_different_fields by ${t.node}` });
    }
  }
  for (const final of history.finals) checkNode(final, history, byId, log);
  checkAgreement(history.finals, log);

  const reference = referenceNode(history.finals);
  let readsChecked = 0;
  let unknownApplied = 0;
  if (reference !== undefined) {
    const index = indexOrder(reference.transfers, [history.bank.fundingAccount, ...history.bank.accounts]);
    checkOverdraftAlongOrder(reference.transfers, history, log);
    checkWriteOrder(transfers, index, log);
    readsChecked = checkReads(reads, transfers, index, log).checked;
    unknownApplied = transfers.filter((t) => t.result === 'unknown' && index.position.has(t.id)).length;
  }
  for (const r of reads) {
    if (r.result === 'ok' && r.balanceMinor !== undefined && r.balanceMinor < 0n && history.bank.constrained.includes(r.account)) {
      log.add({ kind: 'overdraft', node: r.node, detail: `read of constrained ${r.account} on ${r.node} returned ${r.balanceMinor}` });
    }
  }

  const counts = Object.fromEntries(ANOMALY_KINDS.map((k) => [k, log.counts.get(k) ?? 0])) as Record<AnomalyKind, number>;
  const workload = transfers.filter((t) => !t.funding);
  return {
    ok: log.total === 0,
    counts,
    anomalies: log.examples,
    stats: {
      transfersAcknowledged: workload.filter((t) => t.result === 'ok').length,
      transfersFailed: workload.filter((t) => t.result === 'fail').length,
      transfersUnknown: workload.filter((t) => t.result === 'unknown').length,
      unknownApplied,
      readsChecked,
      appliedTransfers: reference?.transfers.length ?? 0,
      referenceNode: reference?.node ?? null,
    },
  };
}

/** Everything one node must satisfy on its own. */
function checkNode(final: NodeFinalState, history: History, byId: ReadonlyMap<string, TransferOp>, log: AnomalyLog): void {
  const node = final.node;
  const seen = new Map<string, number>();
  for (const t of final.transfers) {
    const n = (seen.get(t.id) ?? 0) + 1;
    seen.set(t.id, n);
    if (n === 2) log.add({ kind: 'duplicate_application', node, id: t.id, detail: `transfer ${t.id} is applied more than once on ${node}` });
    const sent = byId.get(t.id);
    if (sent === undefined) {
      log.add({ kind: 'unexpected_transfer', node, id: t.id, detail: `transfer ${t.id} on ${node} was sent by no client` });
      continue;
    }
    if (n === 1 && sent.result === 'fail') {
      log.add({ kind: 'failed_write_applied', node, id: t.id, detail: `transfer ${t.id} was refused (${sent.code}) but is applied on ${node}` });
    }
    if (sent.from !== t.from || sent.to !== t.to || sent.amountMinor !== t.amountMinor || sent.currency !== t.currency) {
      log.add({ kind: 'wrong_fields', node, id: t.id, detail: `transfer ${t.id} on ${node} is ${describe(t)}, the client sent ${describe(sent)}` });
    }
  }
  for (const t of byId.values()) {
    if (t.result === 'ok' && !seen.has(t.id)) {
      log.add({ kind: 'lost_write', node, id: t.id, detail: `acknowledged transfer ${t.id} (${describe(t)}, acked at ${Math.round(t.completeMs)} ms by ${t.node}) is missing on ${node}` });
    }
  }

  const replayed = replayBalances(final.transfers);
  const bank = history.bank;
  for (const account of [bank.fundingAccount, ...bank.accounts]) {
    const reported = final.balances[account];
    const expected = replayed.get(account) ?? 0n;
    if (reported === undefined) {
      if (expected !== 0n) log.add({ kind: 'balance_mismatch', node, detail: `${node} reports no balance for ${account}, its transfers give ${expected}` });
    } else if (reported !== expected) {
      log.add({ kind: 'balance_mismatch', node, detail: `${node} reports ${account} = ${reported}, its own transfers give ${expected}` });
    }
  }
  let sum = 0n;
  for (const account of bank.accounts) sum += final.balances[account] ?? 0n;
  if (sum !== bank.totalMinor) {
    log.add({ kind: 'conservation', node, detail: `on ${node} the accounts hold ${sum} ${bank.currency} minor units, the bank was funded with ${bank.totalMinor}` });
  }
  const all = sum + (final.balances[bank.fundingAccount] ?? 0n);
  if (all !== 0n) {
    log.add({ kind: 'conservation', node, detail: `on ${node} debits and credits differ by ${all} ${bank.currency} minor units` });
  }
  for (const account of bank.constrained) {
    const b = final.balances[account];
    if (b !== undefined && b < 0n) log.add({ kind: 'overdraft', node, detail: `constrained ${account} ends at ${b} on ${node}` });
  }
}

/** Nodes must hold the same transfers in the same order, and equal hashes at equal indexes. */
function checkAgreement(finals: readonly NodeFinalState[], log: AnomalyLog): void {
  const applied = new Set(finals.map((f) => f.appliedIndex));
  if (applied.size > 1) {
    log.add({ kind: 'not_settled', detail: `nodes stopped at different applied indexes: ${finals.map((f) => `${f.node}=${f.appliedIndex}`).join(', ')}` });
  }
  const byIndex = new Map<number, NodeFinalState>();
  for (const f of finals) {
    if (f.ledgerHashIndex === null || f.ledgerHash === null) continue;
    const other = byIndex.get(f.ledgerHashIndex);
    if (other === undefined) byIndex.set(f.ledgerHashIndex, f);
    else if (other.ledgerHash !== f.ledgerHash) {
      log.add({ kind: 'diverged', node: f.node, detail: `at applied index ${f.ledgerHashIndex}, ${other.node} has ledger hash ${other.ledgerHash} and ${f.node} has ${f.ledgerHash}` });
    }
  }
  const [first, ...rest] = finals;
  if (first === undefined) return;
  for (const f of rest) {
    const n = Math.min(first.transfers.length, f.transfers.length);
    for (let i = 0; i < n; i++) {
      if (first.transfers[i]!.id !== f.transfers[i]!.id) {
        log.add({ kind: 'diverged', node: f.node, detail: `transfer #${i + 1} is ${first.transfers[i]!.id} on ${first.node} but ${f.transfers[i]!.id} on ${f.node}` });
        break;
      }
    }
    if (first.transfers.length !== f.transfers.length && applied.size === 1) {
      log.add({ kind: 'diverged', node: f.node, detail: `${first.node} holds ${first.transfers.length} transfers, ${f.node} holds ${f.transfers.length}, at the same applied index` });
    }
  }
}

/** Constrained accounts may never dip below zero at any point of the commit order. */
function checkOverdraftAlongOrder(order: readonly NodeTransfer[], history: History, log: AnomalyLog): void {
  const constrained = new Set(history.bank.constrained);
  const balance = new Map<string, bigint>();
  for (const t of order) {
    const to = (balance.get(t.to) ?? 0n) + t.amountMinor;
    const from = (balance.get(t.from) ?? 0n) - t.amountMinor;
    balance.set(t.to, to);
    balance.set(t.from, from);
    if (constrained.has(t.from) && from < 0n) {
      log.add({ kind: 'overdraft', id: t.id, detail: `transfer ${t.id} took constrained ${t.from} to ${from}` });
    }
  }
}

function replayBalances(order: readonly NodeTransfer[]): Map<string, bigint> {
  const balance = new Map<string, bigint>();
  for (const t of order) {
    balance.set(t.to, (balance.get(t.to) ?? 0n) + t.amountMinor);
    balance.set(t.from, (balance.get(t.from) ?? 0n) - t.amountMinor);
  }
  return balance;
}

/** The node whose order judges the reads: the one that applied the most. */
function referenceNode(finals: readonly NodeFinalState[]): NodeFinalState | undefined {
  let best: NodeFinalState | undefined;
  for (const f of finals) if (best === undefined || f.transfers.length > best.transfers.length) best = f;
  return best;
}

function describe(t: { from: string; to: string; amountMinor: bigint; currency: string }): string {
  return `${t.from} -> ${t.to} ${t.amountMinor} ${t.currency}`;
}

/** One line per anomaly kind found, for progress output and the text report. */
export function summarize(result: CheckResult): string {
  if (result.ok) return 'checker: PASS (no anomaly)';
  const kinds = ANOMALY_KINDS.filter((k) => result.counts[k] > 0).map((k) => `${k} x${result.counts[k]}`);
  return `checker: FAIL (${kinds.join(', ')})`;
}
