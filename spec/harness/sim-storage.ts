// A node's disk in the simulator: an in-memory LogStore with fsync and crash semantics. Every
// write lands in the page cache at once and becomes durable when the next group fsync completes
// (one fsync covers every write queued before it). A crash keeps what was synced plus, at
// random, a prefix of the unsynced writes (the disk may have flushed some on its own), and may
// tear the last of those (a torn record is dropped by recovery). The disk outlives incarnations of
// its node; a dead incarnation's handle can no longer write.
import type { LogStore, RecoveredLog } from '../../actors/ports.ts';
import type { HardState, LogEntry, SnapshotMeta } from '../../machines/types.ts';
import type { SnapshotText } from '../../machines/snapshot-text.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';

interface DiskState {
  hardState: HardState;
  snapshot: { meta: SnapshotMeta; data: SnapshotText } | null;
  entries: LogEntry[];
}

type Op =
  | { kind: 'hardState'; hardState: HardState }
  | { kind: 'append'; entries: readonly LogEntry[] }
  | { kind: 'truncate'; index: number }
  | { kind: 'snapshot'; meta: SnapshotMeta; data: SnapshotText };

interface Unsynced {
  readonly op: Op;
  readonly resolve: () => void;
}

function lastIndexOf(s: DiskState): number {
  const last = s.entries[s.entries.length - 1];
  return last ? last.index : (s.snapshot?.meta.index ?? 0);
}

function applyOp(s: DiskState, op: Op): void {
  switch (op.kind) {
    case 'hardState':
      s.hardState = op.hardState;
      return;
    case 'append': {
      const first = op.entries[0];
      if (first && first.index !== lastIndexOf(s) + 1) {
        throw new Error(`SYNCPAY_ERR_STORAGE_CONTRACT: append at ${first.index} but last is ${lastIndexOf(s)}`);
      }
      for (const e of op.entries) s.entries.push(e);
      return;
    }
    case 'truncate':
      s.entries = s.entries.filter((e) => e.index < op.index);
      return;
    case 'snapshot':
      s.snapshot = { meta: op.meta, data: op.data };
      s.entries = s.entries.filter((e) => e.index > op.meta.index);
      if (s.entries[0] && s.entries[0].index !== op.meta.index + 1) s.entries = [];
      return;
  }
}

function clone(s: DiskState): DiskState {
  return { hardState: s.hardState, snapshot: s.snapshot, entries: [...s.entries] };
}

export interface DiskHooks {
  /** Called before every truncation (the leader append-only checker watches it). */
  onTruncate?: (index: number) => void;
  /** A write broke the LogStore contract (a bug in the caller). */
  onContractBroken?: (error: Error) => void;
}

export class SimDisk {
  private durable: DiskState = { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
  private cache: DiskState = clone(this.durable);
  private unsynced: Unsynced[] = [];
  private fsyncPending = false;
  private generation = 0;
  fsyncs = 0;

  constructor(
    private readonly sched: Scheduler,
    private readonly fsyncMs: () => number,
  ) {}

  /** A LogStore for one incarnation of the node. */
  open(hooks: DiskHooks = {}): LogStore {
    const gen = ++this.generation;
    const alive = (): boolean => gen === this.generation;
    const write = (op: Op): Promise<void> =>
      new Promise<void>((resolve) => {
        if (!alive()) return; // a dead process writes nothing and hears nothing back
        try {
          applyOp(this.cache, op);
        } catch (err) {
          hooks.onContractBroken?.(err as Error);
          return;
        }
        this.unsynced.push({ op, resolve });
        this.scheduleFsync();
      });
    return {
      load: () =>
        new Promise<RecoveredLog>((resolve) => {
          this.sched.after(0, () => {
            if (alive()) resolve({ hardState: this.cache.hardState, snapshot: this.cache.snapshot, entries: [...this.cache.entries] });
          });
        }),
      saveHardState: (hardState) => write({ kind: 'hardState', hardState }),
      append: (entries) => (entries.length === 0 ? Promise.resolve() : write({ kind: 'append', entries: [...entries] })),
      truncateFrom: (index) => {
        hooks.onTruncate?.(index);
        return write({ kind: 'truncate', index });
      },
      saveSnapshot: (meta, data) => write({ kind: 'snapshot', meta, data }),
      close: async () => {},
    };
  }

  private scheduleFsync(): void {
    if (this.fsyncPending) return;
    this.fsyncPending = true;
    const gen = this.generation;
    this.sched.after(this.fsyncMs(), () => {
      if (gen !== this.generation) return;
      this.fsyncPending = false;
      this.fsyncs++;
      const batch = this.unsynced;
      this.unsynced = [];
      for (const u of batch) applyOp(this.durable, u.op);
      for (const u of batch) u.resolve();
    });
  }

  /**
   * The machine lost power: the page cache is gone. Some unsynced writes may have reached the
   * platter anyway (a prefix, in order); with `tear`, the last of those is torn and recovery
   * drops it. Returns how many unsynced writes were lost.
   */
  crash(prng: Prng, tear: boolean, loseAllUnsynced = false): number {
    this.generation++;
    this.fsyncPending = false;
    const pending = this.unsynced;
    this.unsynced = [];
    let kept = loseAllUnsynced ? 0 : prng.int(0, pending.length);
    if (tear && kept > 0) kept--;
    for (let i = 0; i < kept; i++) applyOp(this.durable, pending[i]!.op);
    this.cache = clone(this.durable);
    return pending.length - kept;
  }

  /** An operator replaced the disk: everything is gone (only for the "empty data dir" scenario). */
  wipe(): void {
    this.generation++;
    this.fsyncPending = false;
    this.unsynced = [];
    this.durable = { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
    this.cache = clone(this.durable);
  }

  durableState(): Readonly<DiskState> {
    return this.durable;
  }
}
