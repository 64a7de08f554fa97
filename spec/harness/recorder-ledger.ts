// A stand-in ledger for the simulator: it applies committed entries by folding them into a hash
// chain, so two nodes that applied the same entries in the same order hold the same hash, and it
// reports every application to the checkers. It honours the LedgerApi the consensus actors use
// (snapshotData for compaction, ledger.restore for InstallSnapshot and boot).
import { setup } from 'xstate';
import type { ActorDescription, ActorEnv, ActorEvent, NodeActor } from '../../actors/actor.ts';
import type { ConsensusApi, LedgerApi } from '../../actors/apis.ts';
import type { EntryOutcome } from '../../machines/ledger/types.ts';
import type { LogEntry, NodeId } from '../../machines/types.ts';
import { joinText, textOf, type SnapshotText } from '../../machines/snapshot-text.ts';

export const recorderLedgerMachine = setup({}).createMachine({ id: 'recorder-ledger' });

export interface ApplyObserver {
  /** `outcome` comes only from the real ledger. */
  onApply(node: NodeId, entry: LogEntry, hash: string, outcome?: EntryOutcome): void;
  onRestore(node: NodeId, index: number, hash: string): void;
  onLedgerFault(node: NodeId, message: string): void;
}

export function fnv(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function chain(prev: string, e: LogEntry): string {
  const text = `${prev}|${e.index}|${e.term}|${e.kind}|${e.data}`;
  return `${fnv(text).toString(16).padStart(8, '0')}${fnv(text, 0x12345678).toString(16).padStart(8, '0')}`;
}

export class RecorderLedger implements NodeActor {
  readonly id = 'ledger' as const;
  readonly machine = recorderLedgerMachine;
  private applied = 0;
  private hash = '0';
  private readonly env: ActorEnv;
  private readonly observer: ApplyObserver;

  constructor(env: ActorEnv, observer: ApplyObserver) {
    this.env = env;
    this.observer = observer;
  }

  readonly api: LedgerApi = {
    appliedIndex: () => this.applied,
    waitApplied: async (index) => this.applied >= index,
    outcomeAt: () => undefined,
    ledgerHash: () => ({ hash: this.hash, appliedIndex: this.applied }),
    snapshotData: () => ({ appliedIndex: this.applied, data: textOf(JSON.stringify({ index: this.applied, hash: this.hash, pad: 'x'.repeat(100) })) }),
    restoring: () => false,
  };

  /**
   * A ledger restarted on its own (the supervisor's one_for_one) rebuilds from consensus, as the
   * real one must: the newest snapshot, then every committed entry after it.
   */
  async start(): Promise<void> {
    const consensus = this.env.lookup<NodeActor & { api?: ConsensusApi }>('log-replication')?.api;
    if (!consensus) return;
    const history = consensus.committedHistory();
    if (history.snapshot) this.receive({ type: 'ledger.restore', ...history.snapshot });
    this.receive({ type: 'log.committed', entries: history.entries });
  }
  async stop(): Promise<void> {}

  receive(event: ActorEvent): void {
    if (event.type === 'log.committed') {
      for (const e of event.entries as LogEntry[]) {
        if (e.index <= this.applied) continue;
        if (e.index !== this.applied + 1) {
          this.observer.onLedgerFault(this.env.nodeId, `gap: applied ${this.applied}, got ${e.index}`);
          return;
        }
        this.hash = chain(this.hash, e);
        this.applied = e.index;
        this.observer.onApply(this.env.nodeId, e, this.hash);
      }
    } else if (event.type === 'ledger.restore') {
      const index = event.index as number;
      const parsed = JSON.parse(joinText(event.data as SnapshotText)) as { index: number; hash: string };
      if (parsed.index !== index) this.observer.onLedgerFault(this.env.nodeId, `snapshot says ${parsed.index}, meta says ${index}`);
      this.applied = index;
      this.hash = parsed.hash;
      this.observer.onRestore(this.env.nodeId, index, this.hash);
    }
  }

  describe(): ActorDescription {
    return { state: 'ready', summary: { appliedIndex: this.applied } };
  }
}
