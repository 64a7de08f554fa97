// Synthetic chaos histories for the checker specs: a small bank (three accounts funded with
// 100.00 each), a handful of sequential transfers and reads, and three nodes that all applied
// the same thing. Each spec copies it and plants exactly one anomaly.
import type { BankSetup, History, NodeFinalState, NodeTransfer, Op, ReadOp, TransferOp } from '../../chaos/history.ts';

export const BANK: BankSetup = {
  currency: 'USD',
  fundingAccount: 'bank',
  accounts: ['a', 'b', 'c'],
  constrained: ['a', 'b', 'c'],
  totalMinor: 30000n,
};

export function transfer(id: string, from: string, to: string, amountMinor: bigint, invokeMs: number, completeMs: number, result: TransferOp['result'] = 'ok', extra: Partial<TransferOp> = {}): TransferOp {
  return { kind: 'transfer', id, client: 0, from, to, amountMinor, currency: 'USD', invokeMs, completeMs, node: 'node1', result, attempts: 1, code: result === 'ok' ? 'ok' : result === 'fail' ? 'exceeds_credits' : 'timeout', ...extra };
}

export function read(account: string, balanceMinor: bigint, invokeMs: number, completeMs: number, node = 'node2'): ReadOp {
  return { kind: 'read', client: 1, account, invokeMs, completeMs, node, result: 'ok', code: 'ok', balanceMinor };
}

export const FUNDING: TransferOp[] = [
  transfer('fund-a', 'bank', 'a', 10000n, 0, 1, 'ok', { funding: true }),
  transfer('fund-b', 'bank', 'b', 10000n, 1, 2, 'ok', { funding: true }),
  transfer('fund-c', 'bank', 'c', 10000n, 2, 3, 'ok', { funding: true }),
];

/** Workload transfers, all acknowledged, one after another (t1 ... t4), plus one refused. */
export const WORK: TransferOp[] = [
  transfer('t1', 'a', 'b', 2500n, 10, 20),
  transfer('t2', 'b', 'c', 1000n, 30, 40),
  transfer('t3', 'c', 'a', 700n, 50, 60),
  transfer('t4', 'a', 'c', 300n, 70, 80),
  transfer('t5', 'b', 'a', 999999n, 85, 88, 'fail'),
];

/** Balances after each workload transfer: a, b, c. */
// after t1: a 7500 b 12500 c 10000; t2: b 11500 c 11000; t3: c 10300 a 8200; t4: a 7900 c 10600
export const READS: ReadOp[] = [
  read('a', 10000n, 5, 9),          // before t1
  read('a', 7500n, 21, 25),         // after t1
  read('b', 11500n, 32, 45, 'node3'), // concurrent with t2, sees it
  read('c', 10000n, 31, 35, 'node1'), // concurrent with t2, does not see it
  read('a', 7900n, 90, 95),         // after everything
];

export function applied(ops: readonly TransferOp[]): NodeTransfer[] {
  return ops.map((t) => ({ id: t.id, from: t.from, to: t.to, amountMinor: t.amountMinor, currency: t.currency }));
}

export function balancesOf(order: readonly NodeTransfer[]): Record<string, bigint> {
  const b: Record<string, bigint> = { bank: 0n, a: 0n, b: 0n, c: 0n };
  for (const t of order) {
    b[t.from] = (b[t.from] ?? 0n) - t.amountMinor;
    b[t.to] = (b[t.to] ?? 0n) + t.amountMinor;
  }
  return b;
}

export function finalOf(node: string, order: readonly NodeTransfer[], hash = 'h-final', appliedIndex = 12): NodeFinalState {
  return { node, transfers: order, balances: balancesOf(order), appliedIndex, ledgerHash: hash, ledgerHashIndex: appliedIndex };
}

export function cleanHistory(): History {
  const order = applied([...FUNDING, ...WORK.filter((t) => t.result === 'ok')]);
  const ops: Op[] = [...FUNDING, ...WORK, ...READS];
  return {
    bank: BANK,
    ops,
    faults: [],
    finals: ['node1', 'node2', 'node3'].map((n) => finalOf(n, order)),
    durationMs: 100,
  };
}
