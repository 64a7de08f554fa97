// Checks on the real ledger that simulator runs drive: every replica reaches the same outcome at
// the same log position (a divergence in apply logic shows up here before it shows up in a hash),
// and, once a run settles, every acknowledged transfer is present exactly once in every node's
// ledger, with the accounts and amount the client asked for, and no transfer exists twice. The
// hash-per-index and invariant-after-every-apply checks live with the other appliers' checks in
// checkers.ts and the ledger actor (checkInvariants) respectively.
import { decodeEntry } from '../../machines/ledger/codec.ts';
import { checkInvariants } from '../../machines/ledger/invariants.ts';
import type { EntryCommand, EntryOutcome, LedgerCommand, LedgerState } from '../../machines/ledger/types.ts';
import type { LogEntry, NodeId } from '../../machines/types.ts';
import { SafetyViolation } from './checkers.ts';

/** A node's ledger as the final check reads it (null while the node is down). */
export interface CheckedLedger {
  readonly id: NodeId;
  ledgerState(): { readonly state: LedgerState; readonly appliedIndex: number; readonly hash: string } | null;
}

interface SeenOutcome {
  readonly term: number;
  readonly node: NodeId;
  readonly digest: string;
  readonly outcome: EntryOutcome;
}

/** Everything about an outcome that every replica must agree on, as one comparable string. */
export function outcomeDigest(o: EntryOutcome): string {
  switch (o.status) {
    case 'group':
      return `group[${o.members.map(outcomeDigest).join(' | ')}]`;
    case 'noop':
      return 'noop';
    case 'idempotency_mismatch':
      return `mismatch:${o.key}`;
    default:
      return `${o.status}@${o.response.index}/${o.response.hlc}/${o.response.via ?? ''}:${o.response.results.map((r) => `${r.id}=${r.code}`).join(',')}`;
  }
}

export class LedgerChecks {
  /** index -> the outcome the first replica to apply it reported. */
  private readonly outcomes = new Map<number, SeenOutcome>();
  private readonly acked: Array<{ index: number; term: number; data: string }> = [];
  /** Counters a spec asserts on, so a run that checked nothing cannot pass quietly. */
  readonly counts = { outcomesCompared: 0, ackedItemsChecked: 0, ledgersChecked: 0 };

  onOutcome(node: NodeId, entry: LogEntry, outcome: EntryOutcome): void {
    const digest = outcomeDigest(outcome);
    const known = this.outcomes.get(entry.index);
    if (known === undefined) {
      this.outcomes.set(entry.index, { term: entry.term, node, digest, outcome });
      return;
    }
    this.counts.outcomesCompared++;
    if (known.term === entry.term && known.digest !== digest) {
      throw new SafetyViolation('ledger determinism', `${node} got "${digest}" at ${entry.index}, ${known.node} got "${known.digest}"`);
    }
  }

  onAcknowledged(index: number, term: number, data: string): void {
    this.acked.push({ index, term, data });
  }

  /**
   * After the run settled (every node up and applied to the same index): equal hashes, sound
   * invariants, no transfer twice, and every acknowledged ok item present once as asked.
   */
  final(nodes: readonly CheckedLedger[]): void {
    const views = nodes.map((n) => ({ id: n.id, view: n.ledgerState() }));
    let reference: { id: NodeId; appliedIndex: number; hash: string } | null = null;
    const counts = new Map<NodeId, Map<string, number>>();
    for (const { id, view } of views) {
      if (view === null) continue;
      this.counts.ledgersChecked++;
      if (reference === null) reference = { id, appliedIndex: view.appliedIndex, hash: view.hash };
      else if (reference.appliedIndex === view.appliedIndex && reference.hash !== view.hash) {
        throw new SafetyViolation('ledger convergence', `${id} and ${reference.id} both applied ${view.appliedIndex} but hash ${view.hash} vs ${reference.hash}`);
      }
      const problems = checkInvariants(view.state);
      if (problems.length > 0) throw new SafetyViolation('ledger invariants', `${id}: ${problems.join('; ')}`);
      const seen = new Map<string, number>();
      for (const t of view.state.transferLog) seen.set(t.id, (seen.get(t.id) ?? 0) + 1);
      for (const [tid, n] of seen) {
        if (n > 1) throw new SafetyViolation('transfer applied twice', `${id} holds transfer ${tid} ${n} times`);
      }
      counts.set(id, seen);
    }
    for (const a of this.acked) this.checkAcked(a, views, counts);
  }

  private checkAcked(
    a: { index: number; term: number; data: string },
    views: ReadonlyArray<{ id: NodeId; view: ReturnType<CheckedLedger['ledgerState']> }>,
    counts: ReadonlyMap<NodeId, ReadonlyMap<string, number>>,
  ): void {
    const seen = this.outcomes.get(a.index);
    if (seen === undefined) {
      // Every entry a snapshot holds was applied by some replica first, which reported it.
      if (views.some(({ view }) => view !== null && view.appliedIndex >= a.index)) {
        throw new SafetyViolation('acknowledged transfer lost', `no replica reported applying acknowledged entry ${a.index} t${a.term}`);
      }
      return;
    }
    if (seen.term !== a.term) throw new SafetyViolation('acknowledged transfer lost', `acknowledged at ${a.index} t${a.term}, applied there in t${seen.term}`);
    let entry: EntryCommand;
    try {
      entry = decodeEntry(a.data);
    } catch {
      return;
    }
    const o = seen.outcome;
    if (entry.type === 'group') {
      if (o.status !== 'group' || o.members.length !== entry.commands.length) {
        throw new SafetyViolation('ledger determinism', `group entry ${a.index} has outcome "${outcomeDigest(o)}"`);
      }
      entry.commands.forEach((command, i) => this.checkAckedCommand(a.index, command, o.members[i]!, views, counts));
      return;
    }
    this.checkAckedCommand(a.index, entry, o, views, counts);
  }

  private checkAckedCommand(
    index: number,
    command: LedgerCommand,
    o: EntryOutcome,
    views: ReadonlyArray<{ id: NodeId; view: ReturnType<CheckedLedger['ledgerState']> }>,
    counts: ReadonlyMap<NodeId, ReadonlyMap<string, number>>,
  ): void {
    if (o.status !== 'applied' && o.status !== 'replayed') return;
    for (const item of o.response.results) {
      if (item.code !== 'ok') continue;
      for (const { id, view } of views) {
        if (view === null) continue;
        if (view.appliedIndex < index) throw new SafetyViolation('acknowledged transfer lost', `${id} settled at ${view.appliedIndex}, before acknowledged index ${index}`);
        this.counts.ackedItemsChecked++;
        if (command.type === 'account.create') {
          if (!view.state.accounts.has(item.id)) throw new SafetyViolation('acknowledged transfer lost', `${id} lacks account ${item.id} acknowledged at ${index}`);
          continue;
        }
        const n = counts.get(id)?.get(item.id) ?? 0;
        if (n !== 1) throw new SafetyViolation(n === 0 ? 'acknowledged transfer lost' : 'transfer applied twice', `${id} holds acknowledged transfer ${item.id} (index ${index}) ${n} times`);
        if (command.type === 'transfer.create') {
          const asked = command.transfers.find((t) => t.id === item.id);
          const got = view.state.transfers.get(item.id);
          if (asked && got && (asked.debitAccountId !== got.debitAccountId || asked.creditAccountId !== got.creditAccountId || asked.amount !== got.amount)) {
            throw new SafetyViolation('acknowledged transfer changed', `${id}: transfer ${item.id} is ${got.debitAccountId}->${got.creditAccountId} ${got.amount}, the client asked ${asked.debitAccountId}->${asked.creditAccountId} ${String(asked.amount)}`);
          }
        }
      }
    }
  }

  ackedCount(): number {
    return this.acked.length;
  }
}
