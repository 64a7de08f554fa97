// The ledger actor: owns the ledger state of this node and applies committed log entries to it
// strictly in log order. It rebuilds from the log-replication sibling's committed history when it
// (re)starts, takes `log.committed` and `ledger.restore` events afterwards, and answers the HTTP
// layer: the outcome of a proposed entry, waits for an applied index, and read-only queries.
// Per-entry work is plain function calls (machines/ledger/apply.ts); the XState machine only
// tracks the actor's mode, so the hot path pays no interpreter cost.
import { createHash, hash as cryptoHash } from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import { applyEntry } from '../machines/ledger/apply.ts';
import { decodeEntry } from '../machines/ledger/codec.ts';
import { IncrementalLedgerHash, type Sha256Provider } from '../machines/ledger/hash.ts';
import { checkInvariants } from '../machines/ledger/invariants.ts';
import { OutcomeRing } from '../machines/ledger/outcomes.ts';
import { countTransfers, pageTransfers, type PageRequest, type TransferPage } from '../machines/ledger/queries.ts';
import { rulesFromConfig } from '../machines/ledger/rules.ts';
import { SNAPSHOT_CHARS_MAX, SnapshotWriter, deserializeLedger } from '../machines/ledger/snapshot.ts';
import { restoreSteps } from '../machines/ledger/snapshot-restore.ts';
import { createLedgerState } from '../machines/ledger/state.ts';
import type { Account, EntryCommand, EntryOutcome, IdempotencyRecord, LedgerCommand, LedgerRules, LedgerState, Transfer } from '../machines/ledger/types.ts';
import { ledgerMachine } from '../machines/ledger.machine.ts';
import type { LogEntry, NodeId } from '../machines/types.ts';
import { assert, type ActorEnv, type ActorEvent, type ActorFactory, type NodeActor } from './actor.ts';
import type { ConsensusApi, LedgerApi } from './apis.ts';
import type { TimerId } from './ports.ts';
import type { SnapshotText } from '../machines/snapshot-text.ts';

export { checkInvariants };

/** Read-only views for the HTTP routes. Returned objects are the ledger's own: never mutate them. */
export interface LedgerQueries {
  account(id: string): Readonly<Account> | undefined;
  transfer(id: string): Readonly<Transfer> | undefined;
  /** Newest first; `before` is a previous page's `nextCursor`. */
  transfers(request: PageRequest): TransferPage;
  transferCount(account?: string): number;
  accountCount(): number;
  /** Ledger time: the largest HLC physical time applied (ms since the epoch). */
  ledgerNow(): number;
  /** The minor-unit exponent the ledger uses for a currency (undefined if not accepted). */
  currencyExponent(currency: string): number | undefined;
  /** The applied record of an Idempotency-Key (committed, so safe to answer from), if kept. */
  idempotencyRecord(key: string): Readonly<IdempotencyRecord> | undefined;
}

/** What a write path hands the ledger beside its proposal. */
export interface LedgerProposals {
  /**
   * Lends the command that `data` encodes, so that applying an entry holding `data` on this node
   * takes it instead of decoding `data` again (the leader would otherwise decode every entry it
   * has just encoded). It must be exactly what decodeEntry(data) gives, which holds for every
   * command encodeCommand writes and every group encodeGroup joins from them
   * (spec/ledger/lent-commands.spec.ts). Returns the function that withdraws it: call it once the
   * write is answered, whatever the answer.
   */
  lendCommand(data: string, command: EntryCommand): () => void;
}

export type LedgerActorApi = LedgerApi & LedgerQueries & LedgerProposals;

export interface LedgerActor extends NodeActor {
  readonly api: LedgerActorApi;
  /** The live state, for the simulator's checkers (checkInvariants, hashes). Do not mutate. */
  state(): LedgerState;
}

interface Waiter {
  readonly index: number;
  readonly resolve: (reached: boolean) => void;
  timer: TimerId | null;
}

/**
 * node:crypto's SHA-256 for the ledger hash: one-shot digests as bytes (the one-shot `hash`, Node
 * >= 20.12, costs about a third of createHash per small record) and a running hash whose digest is
 * read from a copy, so it stays open for the transfers still to come.
 */
export const nodeSha256: Sha256Provider = {
  digest: typeof cryptoHash === 'function'
    ? (text) => cryptoHash('sha256', text, 'buffer')
    : (text) => createHash('sha256').update(text).digest(),
  running() {
    const h = createHash('sha256');
    return {
      update: (text) => {
        h.update(text);
      },
      updateBytes: (bytes) => {
        h.update(bytes);
      },
      peekHex: () => h.copy().digest('hex'),
    };
  },
};

/**
 * Hooks for the simulator's checkers (structurally the harness's ApplyObserver): after every
 * applied entry the state hash (and the outcome); after every restore the hash; any violated
 * invariant or ledger fault as a message. What the observer throws propagates to the caller.
 */
export interface LedgerObserver {
  onApply(node: NodeId, entry: LogEntry, hash: string, outcome: EntryOutcome): void;
  onRestore(node: NodeId, index: number, hash: string): void;
  onLedgerFault(node: NodeId, message: string): void;
}

export interface LedgerActorOptions {
  readonly observer?: LedgerObserver;
  /** Check conservation and limits after every entry (O(accounts) each: specs and simulator only). */
  readonly checkInvariants?: boolean;
  /** Longest snapshot text (default SNAPSHOT_CHARS_MAX, what a snapshot file can hold); specs lower it. */
  readonly snapshotCharsMax?: number;
}

/**
 * The transfer index's seed: anything a client would have to guess will do (it only spreads ids
 * over slots). Taken from the monotonic clock's sub-millisecond digits and the wall clock (some
 * twenty bits a client would have to guess, not a secret) rather than the Random port, so
 * the simulator's random streams, and with them every recorded seed's run, stay as they were; in
 * the simulator the clock is simulated, so runs stay reproducible.
 */
function indexSeed(env: ActorEnv): number {
  const { clock } = env.ports;
  let seed = Math.floor((clock.monotonicNow() % 1_000_000) * 1000) ^ Math.floor(clock.now() % 2_147_483_647);
  for (let i = 0; i < env.nodeId.length; i++) seed = Math.imul(seed ^ env.nodeId.charCodeAt(i), 0x01000193);
  return seed | 0;
}

/** Snapshot rows written per millisecond of apply slice, between slices (see advanceSnapshot). */
const SNAPSHOT_ROWS_PER_MS = 2000;

/** New or changed records left unhashed before the hasher folds them in without being asked. */
const CHANGED_RECORDS_FOLD = 50_000;

export const createLedgerActor: ActorFactory = (env) => new LedgerActorImpl(env, {});

/** The same actor with checker hooks, for the simulator: `factories.ledger = createLedgerActorWith({...})`. */
export function createLedgerActorWith(options: LedgerActorOptions): ActorFactory {
  return (env) => new LedgerActorImpl(env, options);
}

class LedgerActorImpl implements LedgerActor {
  readonly id = 'ledger' as const;
  readonly machine = ledgerMachine;
  readonly api: LedgerActorApi;
  private ledger: LedgerState;
  /** Places ids in the transfer index (see transfer-index.ts and indexSeed below). */
  private readonly indexSeed: number;
  private readonly rules: LedgerRules;
  private readonly outcomes: OutcomeRing;
  private applied = 0;
  private waiters: Waiter[] = [];
  /** Commands of this node's writes in flight, by their entry data (LedgerProposals). */
  private readonly lent = new Map<string, EntryCommand>();
  private hashMemo: { hash: string; appliedIndex: number } | null = null;
  /** Re-hashes only what changed since the last request: /status may ask often on a big ledger. */
  private hasher = new IncrementalLedgerHash(nodeSha256);
  /** Keeps the transfer rows of the last snapshot, so the next one serialises only newer transfers. */
  private snapshots = new SnapshotWriter();
  /**
   * A snapshot being restored a few thousand rows per turn (restoreSteps), with the hasher and the
   * writer that will follow it. Until it is done the ledger keeps serving its current state.
   */
  private restoring: { index: number; steps: Generator<void, LedgerState, void>; hasher: IncrementalLedgerHash; writer: SnapshotWriter } | null = null;
  private modes: Actor<typeof ledgerMachine> | null = null;
  private started = false;
  private stopped = false;
  /** Events that arrive before recovery finished are applied right after it, in order. */
  private early: ActorEvent[] = [];
  /** Committed entries and restores not applied yet, in order (see drain). */
  private backlog: ActorEvent[] = [];
  private draining = false;
  /**
   * The Clock port's timer, bound once: scripts/lint.ts flags any timer-call text, including a
   * legitimate member call on the Clock port.
   */
  private readonly arm: (fn: () => void, ms: number) => TimerId;

  /** Set while an observer call is on the stack: its exceptions are the checker's, not ours. */
  private observerError: { error: unknown } | null = null;

  constructor(private readonly env: ActorEnv, private readonly options: LedgerActorOptions) {
    this.indexSeed = indexSeed(env);
    this.ledger = createLedgerState(this.indexSeed);
    this.rules = rulesFromConfig(env.config.ledger);
    this.arm = env.ports.clock.setTimeout.bind(env.ports.clock);
    this.outcomes = new OutcomeRing(Math.max(1, env.config.ledger.recentOutcomesMax));
    this.api = {
      appliedIndex: () => this.applied,
      waitApplied: (index, timeoutMs) => this.waitApplied(index, timeoutMs),
      outcomeAt: (index, term) => this.outcomes.get(index, term),
      ledgerHash: () => this.hash(),
      snapshotData: () => this.snapshotData(),
      restoring: () => this.restoring !== null,
      account: (id) => this.ledger.accounts.get(id),
      transfer: (id) => this.ledger.transfers.get(id),
      transfers: (request) => pageTransfers(this.ledger, request),
      transferCount: (account) => countTransfers(this.ledger, account),
      accountCount: () => this.ledger.accounts.size,
      ledgerNow: () => this.ledger.now,
      currencyExponent: (currency) =>
        Object.prototype.hasOwnProperty.call(this.rules.currencies, currency) ? this.rules.currencies[currency] : undefined,
      idempotencyRecord: (key) => this.ledger.idempotency.get(key),
      lendCommand: (data, command) => {
        this.lent.set(data, command);
        return () => {
          if (this.lent.get(data) === command) this.lent.delete(data);
        };
      },
    };
  }

  state(): LedgerState {
    return this.ledger;
  }

  async start(): Promise<void> {
    this.modes = createActor(ledgerMachine);
    this.modes.subscribe({ error: (err) => this.env.logger.error({ err: String(err) }, 'ledger machine failed') });
    this.modes.start();
    try {
      const consensus = this.consensus();
      if (consensus !== undefined) {
        const last = this.catchUp(consensus);
        assert(this.applied >= last, `ledger: the committed history has a gap after ${this.applied}`);
      }
    } catch (err) {
      this.failed(err);
      return;
    }
    this.started = true;
    this.modes.send({ type: 'ledger.recovered' });
    this.env.logger.info({ appliedIndex: this.applied, accounts: this.ledger.accounts.size }, 'ledger recovered');
    const early = this.early;
    this.early = [];
    for (const event of early) this.receive(event);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters) this.settle(w, false);
    this.waiters = [];
    this.modes?.stop();
  }

  receive(event: ActorEvent): void {
    if (this.stopped) return;
    if (!this.started) {
      this.early.push(event);
      return;
    }
    if (event.type !== 'log.committed' && event.type !== 'ledger.restore') {
      this.env.logger.warn({ type: event.type }, 'ledger ignored an unknown event');
      return;
    }
    this.backlog.push(event);
    if (!this.draining) this.drain();
  }

  /**
   * Applies the backlog in order for at most `ledger.applySliceMs`, then yields to the event loop
   * and goes on in the next turn: a burst of thousand-transfer entries would otherwise hold the
   * node's heartbeats and votes back for as long as it takes to apply them all.
   */
  private drain(): void {
    const { clock } = this.env.ports;
    const until = clock.monotonicNow() + this.env.config.ledger.applySliceMs;
    this.draining = true;
    try {
      while (this.backlog.length > 0 && !this.stopped) {
        const event = this.backlog[0]!;
        if (event.type === 'log.committed') {
          assert(Array.isArray(event.entries), 'log.committed without entries');
          const entries = event.entries as readonly LogEntry[];
          const done = this.applyEntries(entries, 0, until);
          if (done < entries.length) this.backlog[0] = { type: 'log.committed', entries: entries.slice(done) };
          else this.backlog.shift();
        } else {
          const { index, term, data } = event;
          assert(typeof index === 'number' && typeof term === 'number' && Array.isArray(data), 'ledger.restore: bad fields');
          if (this.restoreSlice(index, data as SnapshotText, until)) this.backlog.shift();
        }
        if (this.backlog.length > 0 && clock.monotonicNow() >= until) {
          this.advanceSnapshot();
          clock.defer(() => this.drain());
          return;
        }
      }
      this.advanceSnapshot();
      this.draining = false;
    } catch (err) {
      this.draining = false;
      this.backlog = [];
      this.restoring = null;
      this.failed(err);
    }
  }

  describe() {
    const snap = this.modes?.getSnapshot();
    return {
      state: snap?.value ?? 'recovering',
      summary: {
        appliedIndex: this.applied,
        accounts: this.ledger.accounts.size,
        transfers: this.ledger.transferLog.length,
        pendingExpiries: this.ledger.expiry.items.length,
        idempotencyKeys: this.ledger.idempotency.size,
        restores: snap?.context.restores ?? 0,
      },
    };
  }

  private consensus(): ConsensusApi | undefined {
    const sibling = this.env.lookup('log-replication') as (NodeActor & { api?: ConsensusApi }) | undefined;
    return sibling?.api;
  }

  /**
   * Brings the state up to the sibling's committed history: its snapshot when we are behind it and
   * the entries do not reach back to us, then every entry after what we hold. Used on (re)start and
   * when a gap shows that events were missed. Returns the history's last index.
   */
  private catchUp(consensus: ConsensusApi): number {
    const history = consensus.committedHistory();
    const first = history.entries[0]?.index;
    if (history.snapshot !== null && history.snapshot.index > this.applied && (first === undefined || first > this.applied + 1)) {
      this.restore(history.snapshot.index, history.snapshot.data);
    }
    const last = history.entries[history.entries.length - 1]?.index ?? history.snapshot?.index ?? 0;
    const next = history.entries.find((e) => e.index > this.applied);
    // The outcome ring keeps at most its last `size` entries (fewer with group entries, which weigh
    // their commands): older outcomes of a long replay would be built only to be overwritten (with
    // batches, a thousand result objects per entry).
    if (next !== undefined && next.index === this.applied + 1) this.applyEntries(history.entries, last - this.outcomes.size + 1);
    return last;
  }

  /**
   * `outcomesFrom`: the first index whose outcome is worth keeping (older ones would be
   * overwritten). With `until` (monotonic ms), stops after the first entry that ends past it.
   * Returns how many of `entries` are done (applied, or already covered).
   */
  private applyEntries(entries: readonly LogEntry[], outcomesFrom = 0, until = Number.POSITIVE_INFINITY): number {
    let i = 0;
    while (i < entries.length && entries[i]!.index <= this.applied) i++;
    if (i === entries.length) return i;
    if (entries[i]!.index !== this.applied + 1) {
      // A gap means we missed events (e.g. while restarting); the committed history fills it.
      const consensus = this.consensus();
      assert(consensus !== undefined, `ledger gap: applied ${this.applied}, next entry ${entries[i]!.index}`);
      const before = this.applied;
      this.catchUp(consensus);
      assert(this.applied > before || entries[i]!.index <= this.applied + 1, `ledger gap not filled at ${this.applied}`);
      return this.applyEntries(entries, outcomesFrom, until);
    }
    const clock = this.env.ports.clock;
    for (; i < entries.length; ) {
      const e = entries[i]!;
      assert(e.index === this.applied + 1, `ledger: entries not contiguous at ${e.index}`);
      const command = e.kind !== 'command' ? null : (this.lent.size > 0 && this.lent.get(e.data)) || decodeEntry(e.data);
      const outcome: EntryOutcome = applyEntry(this.ledger, this.rules, { index: e.index, hlc: e.hlc, command });
      if (e.index >= outcomesFrom) this.outcomes.put(e.index, e.term, outcome);
      this.applied = e.index;
      if (this.options.checkInvariants) this.checkNow(`after entry ${e.index}`);
      const observer = this.options.observer;
      if (observer !== undefined) {
        const hash = this.hasher.digest(this.ledger);
        this.notify(() => observer.onApply(this.env.nodeId, e, hash, outcome));
      }
      i++;
      if (until !== Number.POSITIVE_INFINITY && clock.monotonicNow() >= until) break;
    }
    this.hashMemo = null;
    // Nobody may ask for the hash for a long time: fold changes in now and then, so the sets of
    // changed records stay bounded and the first /status after a busy hour does not stall.
    if (this.hasher.backlog(this.ledger) > CHANGED_RECORDS_FOLD) this.hasher.digest(this.ledger);
    this.wake();
    return i;
  }

  /**
   * Restores a snapshot in one go, for catchUp: a ledger restarted on its own, or one that found a
   * gap in what it was sent, rebuilds before it takes anything else.
   */
  private restore(index: number, data: SnapshotText): void {
    if (this.ignoresSnapshot(index)) return;
    // The new hasher checks the restored state against the snapshot's hash and then follows it;
    // the new writer keeps the snapshot's transfer rows for the next snapshot.
    const hasher = new IncrementalLedgerHash(nodeSha256);
    const writer = new SnapshotWriter();
    this.installRestored(index, deserializeLedger(data, hasher, writer, this.indexSeed), hasher, writer);
  }

  /**
   * Restores a snapshot sent as an event (the one log-replication recovered at boot, or a leader's
   * InstallSnapshot) for at most the rest of this apply slice; true once it is installed. Parsing
   * and hashing millions of transfers takes seconds: in one turn, the node would answer nothing,
   * not even heartbeats, for that long.
   */
  private restoreSlice(index: number, data: SnapshotText, until: number): boolean {
    if (this.restoring === null) {
      if (this.ignoresSnapshot(index)) return true;
      const hasher = new IncrementalLedgerHash(nodeSha256);
      const writer = new SnapshotWriter();
      this.restoring = { index, steps: restoreSteps(data, hasher, writer, this.indexSeed), hasher, writer };
      this.modes?.send({ type: 'ledger.restoring', index });
    }
    const r = this.restoring;
    const { clock } = this.env.ports;
    for (;;) {
      const step = r.steps.next();
      if (step.done) {
        this.restoring = null;
        this.installRestored(r.index, step.value, r.hasher, r.writer);
        return true;
      }
      if (clock.monotonicNow() >= until) return false;
    }
  }

  private ignoresSnapshot(index: number): boolean {
    if (index >= this.applied) return false;
    this.env.logger.info({ index, applied: this.applied }, 'ledger ignored a snapshot older than its state');
    return true;
  }

  private installRestored(index: number, state: LedgerState, hasher: IncrementalLedgerHash, writer: SnapshotWriter): void {
    this.ledger = state;
    this.hasher = hasher;
    this.snapshots = writer;
    this.applied = index;
    this.outcomes.clear();
    this.hashMemo = null;
    if (this.options.checkInvariants) this.checkNow(`after restoring ${index}`);
    const observer = this.options.observer;
    if (observer !== undefined) {
      const hash = this.hasher.digest(this.ledger);
      this.notify(() => observer.onRestore(this.env.nodeId, index, hash));
    }
    this.modes?.send({ type: 'ledger.restored', index });
    this.env.ports.trace({ actor: 'ledger', type: 'ledger.restored', index });
    this.wake();
  }

  /**
   * Writes the snapshot rows of what the last slice applied (about half a microsecond a row, so
   * a slice's worth of rows is bounded to about one more slice of time), so that taking a
   * snapshot of millions of transfers does not spend all of that in one turn.
   */
  private advanceSnapshot(): void {
    const rowsMax = this.env.config.ledger.applySliceMs * SNAPSHOT_ROWS_PER_MS;
    this.snapshots.advance(this.ledger, this.options.snapshotCharsMax ?? SNAPSHOT_CHARS_MAX, rowsMax);
  }

  /**
   * The state's snapshot text. A ledger too large for one snapshot (SNAPSHOT_CHARS_MAX) answers
   * with applied index 0, which the consensus engine treats as "nothing newer than the stored
   * snapshot": the log is kept instead of compacted, and the node keeps running (apis.ts has no
   * way to say "no snapshot").
   */
  private snapshotData(): { appliedIndex: number; data: SnapshotText } {
    const charsMax = this.options.snapshotCharsMax ?? SNAPSHOT_CHARS_MAX;
    const data = this.snapshots.write(this.ledger, charsMax, this.hasher);
    if (data === null) {
      this.env.logger.warn({ code: 'SYNCPAY_ERR_SNAPSHOT_TOO_LARGE', appliedIndex: this.applied, transfers: this.ledger.transferLog.length,
        charsMax }, 'ledger state too large for one snapshot; keeping the log');
      this.env.ports.trace({ actor: 'ledger', type: 'ledger.snapshotTooLarge', index: this.applied, charsMax });
      return { appliedIndex: 0, data: [] };
    }
    return { appliedIndex: this.applied, data };
  }

  private hash(): { hash: string; appliedIndex: number } {
    if (this.hashMemo === null || this.hashMemo.appliedIndex !== this.applied) {
      this.hashMemo = { hash: this.hasher.digest(this.ledger), appliedIndex: this.applied };
    }
    return this.hashMemo;
  }

  private waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (index <= this.applied) return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = { index, resolve, timer: null };
      waiter.timer = this.arm(() => {
        waiter.timer = null;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      // Kept sorted by index so wake() releases a prefix.
      let at = this.waiters.length;
      while (at > 0 && this.waiters[at - 1]!.index > index) at--;
      this.waiters.splice(at, 0, waiter);
    });
  }

  private wake(): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.index <= this.applied) n++;
    if (n === 0) return;
    const ready = this.waiters.slice(0, n);
    this.waiters = this.waiters.slice(n);
    for (const w of ready) this.settle(w, true);
  }

  private settle(w: Waiter, reached: boolean): void {
    if (w.timer !== null) this.env.ports.clock.clearTimeout(w.timer);
    w.timer = null;
    w.resolve(reached);
  }

  /** A checker's exception propagates as is; anything else is our fault and crashes the actor. */
  private failed(err: unknown): void {
    if (this.observerError !== null) {
      const { error } = this.observerError;
      this.observerError = null;
      throw error;
    }
    this.crash(err);
  }

  private checkNow(where: string): void {
    const problems = checkInvariants(this.ledger);
    if (problems.length === 0) return;
    // crash() reports it to the observer, once.
    assert(false, `ledger invariant broken ${where}: ${problems.join('; ')}`);
  }

  private notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.observerError = { error };
      throw error;
    }
  }

  private crash(err: unknown): void {
    const observer = this.options.observer;
    if (observer !== undefined) {
      try {
        observer.onLedgerFault(this.env.nodeId, err instanceof Error ? err.message : String(err));
      } catch (error) {
        this.observerError = null;
        this.crashQuietly(err);
        throw error;
      }
    }
    this.crashQuietly(err);
  }

  private crashQuietly(err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.modes?.send({ type: 'ledger.fault', reason });
    this.stopped = true;
    for (const w of this.waiters) this.settle(w, false);
    this.waiters = [];
    this.env.fail(err);
  }
}
