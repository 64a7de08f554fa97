// After the faults heal: wait for the cluster to settle (one leader, every node at the same
// applied index, unchanged for a moment), then read each node's own state with
// consistency=local: its transfers in application order, the bank's balances and its ledger hash.
import type { ChaosCluster, NodeStatus } from './cluster.ts';
import type { BankSetup, NodeFinalState, NodeTransfer } from './history.ts';
import { parseMinor } from './money.ts';
import { sleep } from './workload.ts';

export interface SettleResult {
  readonly settled: boolean;
  readonly waitedMs: number;
  readonly statuses: readonly (NodeStatus | null)[];
}

export async function settle(cluster: ChaosCluster, timeoutMs: number): Promise<SettleResult> {
  const started = Date.now();
  let stableSince: number | null = null;
  let lastIndex = -1;
  let statuses: (NodeStatus | null)[] = [];
  let barrierDone = false;
  while (Date.now() - started < timeoutMs) {
    statuses = await Promise.all(cluster.ids.map((id) => cluster.status(id, 2000)));
    const leaders = statuses.filter((s) => s?.is_leader);
    const applied = new Set(statuses.map((s) => s?.applied_index ?? -1));
    const commit = new Set(statuses.map((s) => s?.commit_index ?? -1));
    const ok = statuses.every((s) => s !== null) && leaders.length === 1 && applied.size === 1 && commit.size === 1;
    if (ok && !barrierDone) {
      // A linearizable read on every node makes each one learn the leader's latest commit index.
      await Promise.all(cluster.nodes.map((n) => fetch(`${n.url}/v1/accounts/bank`, { signal: AbortSignal.timeout(3000) }).catch(() => null)));
      barrierDone = true;
      continue;
    }
    const index = statuses[0]?.applied_index ?? -1;
    if (ok && index === lastIndex) {
      stableSince ??= Date.now();
      if (Date.now() - stableSince >= 1000) return { settled: true, waitedMs: Date.now() - started, statuses };
    } else {
      stableSince = null;
      lastIndex = ok ? index : -1;
    }
    await sleep(200);
  }
  return { settled: false, waitedMs: Date.now() - started, statuses };
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10000) });
      if (res.ok) return (await res.json()) as Record<string, unknown>;
      if (i >= 5) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    } catch (error) {
      if (i >= 5) throw error;
    }
    await sleep(300);
  }
}

/** One node's settled state, read locally (no read barrier: we want what this node holds). */
export async function collectNode(cluster: ChaosCluster, id: string, bank: BankSetup, exponent: number): Promise<NodeFinalState> {
  const url = cluster.node(id).url;
  const status = (await getJson(`${url}/status`)) as unknown as NodeStatus;
  const newestFirst: NodeTransfer[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await getJson(`${url}/transactions?consistency=local&limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`);
    const items = (page['transactions'] ?? []) as Record<string, unknown>[];
    for (const t of items) {
      const currency = String(t['currency']);
      newestFirst.push({ id: String(t['id']), from: String(t['sender']), to: String(t['receiver']), amountMinor: parseMinor(String(t['amount']), exponent), currency });
    }
    cursor = typeof page['next_cursor'] === 'string' ? (page['next_cursor'] as string) : null;
    if (cursor === null || items.length === 0) break;
  }
  const balances: Record<string, bigint> = {};
  for (const account of [bank.fundingAccount, ...bank.accounts]) {
    try {
      const view = await getJson(`${url}/v1/accounts/${account}?consistency=local`);
      const minor = (view['balances_minor'] as Record<string, unknown> | undefined)?.['balance'];
      if (typeof minor === 'string') balances[account] = BigInt(minor);
    } catch {
      // a missing account shows up as a balance mismatch or a conservation failure
    }
  }
  return {
    node: id,
    transfers: newestFirst.reverse(),
    balances,
    appliedIndex: status.applied_index,
    ledgerHash: status.ledger_hash,
    ledgerHashIndex: status.ledger_hash_index,
  };
}
