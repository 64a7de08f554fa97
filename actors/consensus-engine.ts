// The consensus engine: the one serial loop that owns a node's Raft core, shared by the
// log-replication and leader-election shells. It takes a batch of inputs (peer messages, client
// requests, ticks), steps the core on each, and carries out the effects. The loop does not wait for
// the disk: a batch's writes are started in order and the loop steps the next batch while they run
// (bounded by raft.writeBatchesInFlightMax), so requests that arrive during an fsync join the next
// group commit instead of waiting for the round in front of them. What keeps this safe:
// - a message that promises durability (a vote, an append acknowledgement) leaves only once its
//   batch's writes and every earlier batch's writes are on disk;
// - a term or vote change is on disk before any later write is started, so a crash can never keep
//   entries of a term whose vote it lost;
// - the leader counts itself toward a commit only from `local.persisted`, which is stepped once the
//   writes are durable: committed entries (handed to the ledger, answered to callers at once) are
//   therefore already durable on a majority, this node included when it leads;
// - a leader's appends to followers promise nothing and go out at once;
// - so does this node's own snapshot (a compaction of entries it applied): it is written beside the
//   batches, in call order in the store, so a large snapshot file never holds acknowledgements back.
import type { ClockApi, ConsensusApi, ConsensusStatus, LedgerApi, PeerProgress } from './apis.ts';
import type { ActorEnv, NodeActor } from './actor.ts';
import { RaftCore, type RaftInput } from '../machines/raft/core.ts';
import { ERR, failure, type Effect, type ReplyResult } from '../machines/raft/effects.ts';
import { isRaftMessageType, parseRaftMessage } from '../machines/raft-events.ts';
import { formatHlc, hlcNow, hlcObserve, HLC_ZERO, parseHlc, type Hlc } from '../machines/clock/hlc.ts';
import type { LogEntry, NodeId, PeerMessage } from '../machines/types.ts';

/** Most inputs stepped before their effects are carried out (bounds one group commit). */
const BATCH_INPUTS_MAX = 512;
/** Client requests always get at least this many places in a batch, however busy the peers are. */
const BATCH_CLIENT_MIN = 128;
/** Core traces about roles, elections and leader transfer; the rest (log, proposals, snapshots) are replication's. */
const ELECTION_TRACE = /^(election|leader|role|transfer)\./;

type Waiter = (result: ReplyResult) => void;

export class ConsensusEngine {
  private readonly env: ActorEnv;
  private core: RaftCore | null = null;
  /**
   * Peer messages, ticks and local notices go first: a backlog of client proposals must never
   * hold back heartbeats or replies (the followers would start an election under load).
   */
  private control: RaftInput[] = [];
  private clients: RaftInput[] = [];
  private running = false;
  /** The loop while it runs: stop() waits for its writes so a restarted engine reads a quiet disk. */
  private loop: Promise<void> | null = null;
  /** Made once: a loop starts on most turns of a busy node. */
  private readonly startLoop = (): void => {
    this.loop = this.run();
  };
  private stopped = false;
  private ticking = false;
  /** A fired timer's tick waits for the turn's reads (armTimer): no new timer meanwhile. */
  private tickDeferred = false;
  private timer: unknown = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private waiters = new Map<string, Waiter>();
  private reqSeq = 0;
  private readonly reqPrefix: string;
  private unsubscribe: (() => void) | null = null;
  private unsubscribeLinks: (() => void) | null = null;
  private hlc: Hlc = HLC_ZERO;
  /** Applied index at the last time we asked the ledger for a snapshot. */
  private snapshotAttemptAt = Number.NEGATIVE_INFINITY;
  /** Command bytes applied since the last snapshot attempt (raft.snapshotAfterLogBytes). */
  private appliedBytes = 0;
  /** Settles once every batch's writes so far are durable and its durable sends have left. */
  private writes: Promise<void> = Promise.resolve();
  private writesInFlight = 0;
  /**
   * This node's own snapshots being written. They stay out of `writes`: a compaction promises
   * nothing to a peer, so acknowledgements and `local.persisted` must not wait for a file of
   * tens of megabytes. The store still runs them in call order with the appends.
   */
  private compactions = new Set<Promise<void>>();
  /** A term or vote write that every later write waits for (see the module note). */
  private hardStateGate: Promise<void> | null = null;
  private onChange: (() => void) | null = null;

  constructor(env: ActorEnv) {
    this.env = env;
    // Request ids must not collide with those of an earlier incarnation still in flight.
    this.reqPrefix = `${env.nodeId}.${Math.floor(env.ports.random.next() * 0x7fffffff).toString(36)}`;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async start(): Promise<void> {
    const { ports, config } = this.env;
    const recovered = await ports.logStore.load();
    if (this.stopped) return;
    this.core = new RaftCore(
      {
        self: this.env.nodeId,
        peers: this.env.peers,
        raft: config.raft,
        random: () => ports.random.next(),
        stamp: () => this.stamp(),
        observeStamp: (s) => this.observe(s),
      },
      recovered,
      ports.clock.monotonicNow(),
    );
    if (recovered.snapshot) {
      const { meta, data } = recovered.snapshot;
      this.env.send('ledger', { type: 'ledger.restore', index: meta.index, term: meta.term, data });
    }
    this.unsubscribe = ports.transport.subscribe((from, message) => this.onPeerMessage(from, message));
    // A dead leader's link drops at once (kill -9 closes its sockets): requests forwarded to it
    // fail then, and new ones wait for its successor, instead of waiting out proposalTimeoutMs.
    this.unsubscribeLinks = ports.transport.onLinkState((peer, up) => this.enqueue({ type: 'local.link', peer, up, now: ports.clock.monotonicNow() }));
    // A restarted log-replication finds leader-election already running: keep time flowing.
    if (this.env.lookup('leader-election')) this.ticking = true;
    this.armTimer();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeLinks?.();
    this.unsubscribeLinks = null;
    this.clearTimer();
    const why = failure(ERR.stopped, 'the consensus actor stopped', null, this.env.config.raft.electionTimeoutMsMin);
    for (const w of this.waiters.values()) w(why);
    this.waiters.clear();
    this.control = [];
    this.clients = [];
    // The writes in flight finish (and send nothing more: `stopped` is checked).
    await this.loop;
    await this.writes.catch(() => undefined);
    await Promise.allSettled([...this.compactions]);
  }

  /** Time (election and heartbeat timers) flows only while leader-election runs. */
  setTicking(on: boolean): void {
    this.ticking = on;
    if (on) this.armTimer();
    else this.clearTimer();
  }

  /** Called after every batch (the simulator's checkers hook in here). */
  setOnChange(fn: (() => void) | null): void {
    this.onChange = fn;
  }

  raft(): RaftCore | null {
    return this.core;
  }

  // ---- the public face ------------------------------------------------------------------------

  readonly api: ConsensusApi = {
    propose: (data) => {
      const started = this.env.ports.clock.monotonicNow();
      return this.request((reqId, now) => ({ type: 'client.propose', reqId, data, now })).then((r) => {
        if (r.ok) this.env.ports.metrics?.observeCommit((this.env.ports.clock.monotonicNow() - started) / 1000);
        return r;
      }) as never;
    },
    readIndex: () => this.request((reqId, now) => ({ type: 'client.readIndex', reqId, now })) as never,
    transferLeadership: (target) =>
      this.request((reqId, now) => ({ type: 'client.transfer', reqId, target: target ?? null, now })) as never,
    status: () => this.status(),
    leader: () => this.core?.leader() ?? null,
    committedHistory: () => {
      const h = this.core?.committedHistory() ?? { snapshot: null, entries: [] as LogEntry[] };
      return { snapshot: h.snapshot ? { ...h.snapshot } : null, entries: h.entries };
    },
  };

  private request(build: (reqId: string, now: number) => RaftInput): Promise<ReplyResult> {
    if (this.stopped || !this.core) {
      return Promise.resolve(failure(ERR.stopped, 'consensus is not running', null, this.env.config.raft.electionTimeoutMsMin));
    }
    if (this.clients.length >= this.env.config.raft.inboxEventsMax) {
      return Promise.resolve(failure(ERR.overloaded, 'the consensus inbox is full', this.core.leader(), this.env.config.raft.heartbeatIntervalMs));
    }
    const reqId = `${this.reqPrefix}.${++this.reqSeq}`;
    return new Promise<ReplyResult>((resolve) => {
      this.waiters.set(reqId, resolve);
      this.enqueue(build(reqId, this.env.ports.clock.monotonicNow()));
    });
  }

  status(): ConsensusStatus {
    const core = this.core;
    if (!core) {
      return { role: 'follower', term: 0, leader: null, votedFor: null, commitIndex: 0, lastIndex: 0, snapshotIndex: 0, progress: {} };
    }
    const progress: Record<NodeId, PeerProgress> = {};
    if (core.role() === 'leader') {
      for (const peer of core.peers) {
        const p = core.progressOf(peer);
        if (p) progress[peer] = { matchIndex: p.match, nextIndex: p.next, state: p.mode, inFlight: p.inflight };
      }
    }
    return {
      role: core.role(),
      term: core.term(),
      leader: core.leader(),
      votedFor: core.votedFor(),
      commitIndex: core.commitIndex(),
      lastIndex: core.log.lastIndex(),
      snapshotIndex: core.log.snapshotIndex(),
      progress,
    };
  }

  // ---- inputs -------------------------------------------------------------------------------

  private onPeerMessage(from: NodeId, message: { readonly type: string; readonly [k: string]: unknown }): void {
    if (!isRaftMessageType(message.type)) return;
    const parsed = parseRaftMessage(message);
    if (!parsed) {
      this.env.logger.warn({ from, type: message.type, code: 'SYNCPAY_ERR_MALFORMED_PEER_MESSAGE' }, 'dropped a malformed peer message');
      return;
    }
    if (this.control.length >= this.env.config.raft.inboxEventsMax) return; // Raft tolerates loss
    if (parsed.type === 'peer.appendEntries' && parsed.entries.length > 0) this.env.ports.metrics?.countAppend('received', parsed.entries.length);
    this.enqueue({ type: 'peer.message', from, message: parsed, now: this.env.ports.clock.monotonicNow() });
  }

  private enqueue(input: RaftInput, front = false): void {
    if (this.stopped) return;
    if (input.type.startsWith('client.')) this.clients.push(input);
    else if (front) this.control.unshift(input);
    else this.control.push(input);
    if (!this.running) {
      this.running = true;
      // Peer messages start the loop on the next turn, so the messages and requests that arrive in
      // this one join the same batch (one append to each follower, one write). Client requests
      // come already gathered: the HTTP layer proposes a turn's requests together at its end
      // (runtime/http/ledger-write.ts), or a lone one at once. Waiting another turn would hold
      // them behind a whole further turn of request handling; they start right after the code
      // that proposed them.
      if (input.type.startsWith('client.')) queueMicrotask(this.startLoop);
      else this.env.ports.clock.defer(this.startLoop);
    }
  }

  // ---- the loop -----------------------------------------------------------------------------

  private async run(): Promise<void> {
    try {
      while ((this.control.length > 0 || this.clients.length > 0) && !this.stopped) {
        const core = this.core;
        if (!core) return;
        const batch = this.control.splice(0, BATCH_INPUTS_MAX);
        for (const input of this.clients.splice(0, Math.max(BATCH_CLIENT_MIN, BATCH_INPUTS_MAX - batch.length))) batch.push(input);
        const effects: Effect[] = [];
        for (const input of batch) for (const e of core.step(input)) effects.push(e);
        for (const e of core.flush()) effects.push(e);
        this.execute(core, effects);
        if (this.writesInFlight >= this.env.config.raft.writeBatchesInFlightMax) await this.waitForWrites();
        if (this.stopped) return;
        this.maybeSnapshot(core);
        this.onChange?.();
      }
    } catch (err) {
      this.crash(err);
      return;
    } finally {
      this.running = false;
    }
    this.armTimer();
  }

  /**
   * Waits for every write in flight when the cap on write batches is reached. Nothing is stepped
   * meanwhile: a leader sends no heartbeats, so a wait longer than a heartbeat interval is traced
   * (it is the first thing to look for when followers start elections under load).
   */
  private async waitForWrites(): Promise<void> {
    const { clock } = this.env.ports;
    const started = clock.monotonicNow();
    await this.writes;
    const ms = clock.monotonicNow() - started;
    if (ms >= this.env.config.raft.heartbeatIntervalMs) {
      this.env.ports.trace({ actor: 'log-replication', type: 'log.writesWaited', ms });
    }
  }

  private crash(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    this.env.fail(err);
  }

  private execute(core: RaftCore, effects: readonly Effect[]): void {
    const { transport, metrics } = this.env.ports;
    const durableSends: Effect[] = [];
    for (const e of effects) {
      if (e.type === 'trace') this.env.ports.trace({ actor: ELECTION_TRACE.test(e.event.type) ? 'leader-election' : 'log-replication', ...e.event });
      else if (e.type === 'send' && e.early) {
        transport.send(e.to, e.message as unknown as PeerMessage);
        if (e.message.type === 'peer.appendEntries' && e.message.entries.length > 0) metrics?.countAppend('sent', e.message.entries.length);
      } else if (e.type === 'send') durableSends.push(e);
    }
    const writes = this.startWrites(effects);
    if (writes.length === 0 && this.writesInFlight === 0) {
      this.sendAll(durableSends);
    } else {
      // Durable sends wait for this batch's writes and for every earlier batch's.
      const persisted = writes.length > 0 ? { index: core.log.lastIndex(), term: core.log.lastTerm() } : null;
      this.writesInFlight++;
      const previous = this.writes;
      this.writes = Promise.all([previous, ...writes]).then(() => {
        this.writesInFlight--;
        if (this.stopped) return;
        if (persisted) this.enqueue({ type: 'local.persisted', ...persisted }, true);
        this.sendAll(durableSends);
      });
      this.writes.catch((err: unknown) => this.crash(err));
    }
    // Committed entries are durable on a majority already (see the module note): no waiting.
    for (const e of effects) {
      if (e.type === 'apply') {
        for (const entry of e.entries) this.appliedBytes += entry.data.length;
        this.env.send('ledger', { type: 'log.committed', entries: e.entries });
      } else if (e.type === 'restore') {
        this.env.send('ledger', { type: 'ledger.restore', index: e.index, term: e.term, data: e.data });
      }
    }
    for (const e of effects) {
      if (e.type !== 'reply') continue;
      const w = this.waiters.get(e.reqId);
      if (w) {
        this.waiters.delete(e.reqId);
        w(e.result);
      }
    }
  }

  /** Starts a batch's writes in effect order (the log store keeps call order); consecutive appends share one call. */
  private startWrites(effects: readonly Effect[]): Promise<void>[] {
    const { logStore, metrics, clock } = this.env.ports;
    const started: Promise<void>[] = [];
    let run: LogEntry[] = [];
    const flushRun = (): void => {
      if (run.length === 0) return;
      const entries = run;
      run = [];
      started.push(this.write(() => logStore.append(entries)));
    };
    for (const e of effects) {
      if (e.type === 'persist.entries') {
        for (const x of e.entries) run.push(x);
      } else if (e.type === 'persist.truncate') {
        flushRun();
        started.push(this.write(() => logStore.truncateFrom(e.index)));
      } else if (e.type === 'persist.snapshot') {
        flushRun();
        const saved = this.write(async () => {
          const at = clock.monotonicNow();
          await logStore.saveSnapshot(e.meta, e.data);
          metrics?.observeSnapshot((clock.monotonicNow() - at) / 1000);
        });
        if (e.local) this.trackCompaction(saved);
        else started.push(saved);
      } else if (e.type === 'persist.hardState') {
        flushRun();
        const saved = this.write(() => logStore.saveHardState(e.hardState));
        this.hardStateGate = saved;
        const clear = (): void => {
          if (this.hardStateGate === saved) this.hardStateGate = null;
        };
        saved.then(clear, clear);
        started.push(saved);
      }
    }
    flushRun();
    return started;
  }

  private trackCompaction(saved: Promise<void>): void {
    this.compactions.add(saved);
    saved.then(
      () => this.compactions.delete(saved),
      (err: unknown) => {
        this.compactions.delete(saved);
        this.crash(err);
      },
    );
  }

  /** Starts `op` now, or once the pending term/vote write is durable. */
  private write(op: () => Promise<void>): Promise<void> {
    const gate = this.hardStateGate;
    return gate ? gate.then(op) : op();
  }

  private sendAll(sends: readonly Effect[]): void {
    const { transport } = this.env.ports;
    for (const e of sends) if (e.type === 'send') transport.send(e.to, e.message as unknown as PeerMessage);
  }

  private maybeSnapshot(core: RaftCore): void {
    const { snapshotEntriesThreshold, snapshotAfterLogBytes } = this.env.config.raft;
    const byBytes = this.appliedBytes >= snapshotAfterLogBytes && core.appliedIndex() > core.log.snapshotIndex();
    if (!core.wantsSnapshot() && !byBytes) return;
    // Serialising the ledger is costly: after an attempt, wait for a good stretch of new entries
    // (or of bytes, when entries are large batches).
    const spacing = Math.max(1, Math.floor(snapshotEntriesThreshold / 4));
    if (!byBytes && core.appliedIndex() < this.snapshotAttemptAt + spacing) return;
    this.snapshotAttemptAt = core.appliedIndex();
    this.appliedBytes = 0;
    const ledger = this.env.lookup<NodeActor & { api?: LedgerApi }>('ledger')?.api;
    if (!ledger) return;
    const snap = ledger.snapshotData();
    if (snap.appliedIndex <= core.log.snapshotIndex() || snap.appliedIndex > core.appliedIndex()) return;
    // Stepped in order with everything else; a duplicate request is ignored by the core.
    this.enqueue({ type: 'local.snapshot', index: snap.appliedIndex, data: snap.data });
  }

  // ---- time -----------------------------------------------------------------------------------

  /**
   * True when this node may not lead: its clock is fenced, or its ledger is restoring a snapshot
   * (as leader it would commit writes it could not answer for until the restore is done). The
   * core then neither campaigns nor stays leader.
   */
  private fenced(): boolean {
    const clock = this.env.lookup<NodeActor & { api?: ClockApi }>('clock')?.api;
    const ledger = this.env.lookup<NodeActor & { api?: LedgerApi }>('ledger')?.api;
    try {
      return (clock ? clock.fenced() : false) || (ledger?.restoring() ?? false);
    } catch {
      return false;
    }
  }

  private armTimer(): void {
    if (this.stopped || !this.ticking || !this.core || this.tickDeferred) return;
    const at = this.core.nextDeadline();
    if (at === this.timerAt && this.timer !== null) return;
    this.clearTimer();
    const { clock } = this.env.ports;
    this.timerAt = at;
    // (bound rather than called as a method only because the layer lint matches `setTimeout(`)
    const schedule = clock.setTimeout.bind(clock);
    this.timer = schedule(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      // A timer that fires late, after this process was busy or descheduled, finds the peers'
      // messages of that time still unread: the event loop runs timers before it reads sockets.
      // The tick is stepped after this turn's reads (defer), so an election or check-quorum
      // timeout is judged on what the peers sent, not on how long this process was away.
      this.tickDeferred = true;
      clock.defer(() => {
        this.tickDeferred = false;
        if (this.ticking) this.enqueue({ type: 'tick', now: clock.monotonicNow(), fenced: this.fenced() });
      });
    }, Math.max(0, at - clock.monotonicNow()));
  }

  private clearTimer(): void {
    if (this.timer !== null) this.env.ports.clock.clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  // ---- hybrid logical clock -------------------------------------------------------------------

  /**
   * A stamp for a new entry. The clock actor's HLC is preferred, but stamps must never decrease
   * in log order, and a restarted clock actor starts its HLC afresh: so we keep the highest stamp
   * we issued or observed, and fall back to our own successor of it whenever the clock's is not
   * above it (telling the clock, so it catches up).
   */
  private stamp(): string {
    const clock = this.env.lookup<NodeActor & { api?: ClockApi }>('clock')?.api;
    const floor = formatHlc(this.hlc);
    if (clock) {
      const s = clock.hlcNow();
      const parsed = parseHlc(s);
      if (parsed && s > floor) {
        this.hlc = parsed;
        return s;
      }
      try {
        clock.hlcObserve(floor);
      } catch {
        // the clock refusing our stamp changes nothing below
      }
    }
    this.hlc = hlcNow(this.hlc, this.env.ports.clock.now());
    return formatHlc(this.hlc);
  }

  private observe(stamp: string): void {
    const clock = this.env.lookup<NodeActor & { api?: ClockApi }>('clock')?.api;
    try {
      clock?.hlcObserve(stamp);
      this.hlc = hlcObserve(this.hlc, stamp, this.env.ports.clock.now());
    } catch {
      // A malformed stamp in our own log is not worth failing an election over.
    }
  }
}
