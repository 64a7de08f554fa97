// The simulated cluster: N nodes built from the real consensus actors over simulated ports (one
// event queue, one network, one disk per node), driven by one seeded PRNG, checked after every
// event. Specs script it step by step (partition, crash, run for a while, assert); `runSeed`
// drives a whole randomised run: a faulty phase, then a calm phase in which liveness must hold.
// Proposals are real ledger commands (LedgerTraffic) applied by the real ledger actor, unless a
// spec asks for the recorder stand-in to propose opaque strings of its own.
import type { ConsensusApi } from '../../actors/apis.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { ERR, placementOf, type ProposeResult } from '../../machines/raft/effects.ts';
import type { NodeId } from '../../machines/types.ts';
import { LedgerTraffic } from '../ledger/traffic.ts';
import { Checkers, SafetyViolation } from './checkers.ts';
import { LedgerChecks } from './ledger-checks.ts';
import { createPrng, type Prng } from './prng.ts';
import { Scheduler } from './scheduler.ts';
import { CALM_NETWORK, SimNetwork, type NetworkFaults } from './sim-network.ts';
import { SimNode, type Assembly, type LedgerKind } from './sim-node.ts';
import { SimDisk } from './sim-storage.ts';

export interface ClusterOptions {
  readonly seed: number;
  readonly nodes?: number;
  readonly raft?: Partial<Config['raft']>;
  /** Lines of trace kept for a failure report. */
  readonly traceLines?: number;
  /** Run the full log-matching check every this many events (it is O(log size)). */
  readonly logMatchEvery?: number;
  /** How nodes are assembled (default `minimal`; `supervised` runs the real supervisor). */
  readonly assembly?: Assembly;
  /** Which ledger applies entries (default `real`: proposals are encoded ledger commands). */
  readonly ledger?: LedgerKind;
}

export const SIM_RAFT: Partial<Config['raft']> = {
  // The simulated network's fault schedules and the scenarios' waits are written for these, not
  // for the defaults (which leave room for real nodes sharing busy cores).
  electionTimeoutMsMin: 300,
  electionTimeoutMsMax: 600,
  snapshotEntriesThreshold: 30,
  snapshotChunkBytes: 40,
  entriesPerAppendMax: 8,
  appendBytesMax: 2048,
  appendsInFlightMax: 4,
  proposalTimeoutMs: 1500,
  leaderTransferTimeoutMs: 600,
};

/**
 * A real ledger's snapshot is the whole serialised ledger (tens of kilobytes after a run), not
 * the recorder's hundred bytes: chunks sized for the recorder would turn one InstallSnapshot into
 * thousands of messages. These still split it into many chunks, so chunking stays exercised.
 */
export const SIM_LEDGER_RAFT: Partial<Config['raft']> = {
  snapshotChunkBytes: 2048,
};

export type FaultKind =
  | 'drop/dup profile'
  | 'partition'
  | 'isolate leader'
  | 'one-way'
  | 'heal'
  | 'crash'
  | 'torn crash'
  | 'crash after ack'
  | 'restart'
  | 'clock jump'
  | 'actor crash';

export class Cluster {
  readonly sched = new Scheduler();
  readonly prng: Prng;
  readonly net: SimNetwork;
  readonly checkers = new Checkers();
  readonly nodes: SimNode[];
  readonly ids: NodeId[];
  readonly config: Config;
  readonly assembly: Assembly;
  readonly ledgerKind: LedgerKind;
  /** The client traffic, drawn from a PRNG stream of its own (derived from the seed). */
  readonly traffic: LedgerTraffic;
  /** Set once the opening command (limited accounts) was acknowledged. */
  opened = false;
  readonly faults = new Map<FaultKind, number>();
  violation: SafetyViolation | null = null;
  private readonly ring: string[] = [];
  private readonly ringMax: number;
  private readonly logMatchEvery: number;
  private readonly diskPrng: Prng;
  private proposalSeq = 0;
  /** Nodes to kill right after they next promise something durable (a vote or an append ack). */
  private readonly crashAfterAck = new Set<NodeId>();
  proposalsAcked = 0;
  proposalsFailed = 0;
  /** Failed proposals by code (NOT_COMMITTED and OUTCOME_UNKNOWN among them). */
  readonly failedBy = new Map<string, number>();
  /** How many times each payload was proposed (a retry proposes the same payload again). */
  private readonly proposedTimes = new Map<string, number>();
  /** Proposals whose promise has not settled yet. */
  outstanding = 0;

  constructor(opts: ClusterOptions) {
    const n = opts.nodes ?? 3;
    this.ledgerKind = opts.ledger ?? 'real';
    this.prng = createPrng(opts.seed);
    this.ringMax = opts.traceLines ?? 60;
    this.logMatchEvery = opts.logMatchEvery ?? 64;
    this.assembly = opts.assembly ?? 'minimal';
    this.traffic = new LedgerTraffic(createPrng((opts.seed ^ 0x5eed1ed9) >>> 0));
    if (this.ledgerKind === 'real') this.checkers.ledger = new LedgerChecks();
    this.ids = Array.from({ length: n }, (_, i) => `n${i + 1}`);
    this.config = {
      ...DEFAULT_CONFIG,
      cluster: {
        ...DEFAULT_CONFIG.cluster,
        nodes: this.ids.map((id, i) => ({ id, host: '127.0.0.1', apiPort: 5000 + i, peerPort: 5100 + i })),
      },
      raft: { ...DEFAULT_CONFIG.raft, ...SIM_RAFT, ...(this.ledgerKind === 'real' ? SIM_LEDGER_RAFT : {}), ...(opts.raft ?? {}) },
      // A run applies a few hundred entries: a ring of 64 k outcomes per (re)started ledger would
      // only cost allocation and garbage collection.
      ledger: { ...DEFAULT_CONFIG.ledger, recentOutcomesMax: 1024 },
    };
    this.net = new SimNetwork(this.sched, this.prng.fork(), this.ids, (l) => this.log(l));
    this.diskPrng = this.prng.fork();
    this.net.onSend = (from, _to, m) => {
      if (!this.crashAfterAck.has(from)) return;
      const promise = (m.type === 'peer.requestVoteReply' && m.granted === true && m.pre === false) || (m.type === 'peer.appendEntriesReply' && m.success === true);
      if (!promise) return;
      this.crashAfterAck.delete(from);
      this.sched.after(0, () => {
        this.crash(from, false, true);
        this.sched.after(this.prng.int(20, 800), () => this.restartInBackground(from));
      });
    };
    this.nodes = this.ids.map((id) => {
      const diskRandom = this.prng.fork();
      // Some disks are slow: a wider window between a write and its fsync exposes ordering bugs.
      const slow = diskRandom.chance(0.4);
      const disk = new SimDisk(this.sched, () => (slow ? diskRandom.int(2, 25) : diskRandom.int(0, 2)) + 0.5);
      return new SimNode(id, {
        sched: this.sched,
        net: this.net,
        disk,
        config: this.config,
        peers: this.ids.filter((p) => p !== id),
        checkers: this.checkers,
        prng: this.prng.fork(),
        clockRate: 0.98 + this.prng.next() * 0.04,
        assembly: this.assembly,
        ledger: this.ledgerKind,
        log: (l) => this.log(l),
        onFail: (node, err) => {
          if (err instanceof SafetyViolation) this.violation ??= err;
          this.violation ??= new SafetyViolation('actor failure', `${node}: ${err instanceof Error ? err.message : String(err)}`);
        },
      });
    });
  }

  // ---- trace ------------------------------------------------------------------------------

  log(line: string): void {
    this.ring.push(`[${this.sched.now().toFixed(1).padStart(8)}ms] ${line}`);
    if (this.ring.length > this.ringMax) this.ring.shift();
  }

  trace(): string[] {
    return [...this.ring];
  }

  private count(kind: FaultKind): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  // ---- scripting --------------------------------------------------------------------------

  node(id: NodeId): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  async start(): Promise<void> {
    for (const n of this.nodes) await this.startNode(n);
  }

  private async startNode(n: SimNode): Promise<void> {
    const done = n.start();
    // load() completes on the event queue: run it until the node is up.
    let ready = false;
    void done.then(() => (ready = true));
    while (!ready) await this.sched.runUntil(this.sched.now() + 1, () => this.afterEvent());
  }

  /** Advance simulated time by `ms`; false if a checker failed. */
  async runFor(ms: number): Promise<boolean> {
    if (this.violation) return false;
    await this.sched.runUntil(this.sched.now() + ms, () => this.afterEvent());
    return this.violation === null;
  }

  /** Run until `cond` holds (checked after each event) or `ms` pass; returns whether it held. */
  async runUntil(cond: () => boolean, ms: number): Promise<boolean> {
    const until = this.sched.now() + ms;
    if (cond()) return true;
    let met = false;
    await this.sched.runUntil(until, () => {
      if (!this.afterEvent()) return false;
      met = cond();
      return !met;
    });
    return met;
  }

  private afterEvent(): boolean {
    if (this.violation) return false;
    try {
      this.checkers.afterEvent(this.nodes);
      if (this.checkers.checks % this.logMatchEvery === 0) this.checkers.checkLogMatching(this.nodes);
    } catch (err) {
      if (err instanceof SafetyViolation) this.violation = err;
      else this.violation = new SafetyViolation('checker crashed', String(err));
      return false;
    }
    return true;
  }

  /** The leader of the highest term among live nodes, if any. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const n of this.nodes) {
      const c = n.core();
      if (c && c.role() === 'leader' && (!best || c.term() > best.term)) best = { id: n.id, term: c.term() };
    }
    return best?.id ?? null;
  }

  api(id: NodeId): ConsensusApi | undefined {
    return this.node(id).logReplication()?.api;
  }

  /** kill -9 `id`; with `loseAllUnsynced` nothing unsynced reaches the disk (the harshest case). */
  crash(id: NodeId, tear = false, loseAllUnsynced = false): void {
    this.count(tear ? 'torn crash' : 'crash');
    this.node(id).crash(tear, loseAllUnsynced);
  }

  /** Restart a crashed node and run the queue until it has loaded its disk (for scripts). */
  async restart(id: NodeId): Promise<void> {
    const n = this.node(id);
    if (n.isUp()) return;
    this.count('restart');
    await this.startNode(n);
  }

  /** Restart from inside a simulator event: the running queue carries the start to its end. */
  restartInBackground(id: NodeId): void {
    const n = this.node(id);
    if (n.isUp()) return;
    this.count('restart');
    void n.start().catch((err: unknown) => {
      this.violation ??= new SafetyViolation('restart failed', `${id}: ${String(err)}`);
    });
  }

  /** The next client command: an encoded ledger command, or an opaque string for the recorder. */
  command(): string {
    return this.ledgerKind === 'real' ? this.traffic.next() : `p${++this.proposalSeq}`;
  }

  /** Propose `data` through node `id`; acknowledged results are checked against the history. */
  propose(id: NodeId, data?: string): Promise<ProposeResult> {
    const api = this.api(id);
    const payload = data ?? this.command();
    if (!api) return Promise.resolve({ ok: false, code: 'SIM_NODE_DOWN', detail: id, leader: null, retryAfterMs: 0 });
    this.outstanding++;
    this.proposedTimes.set(payload, (this.proposedTimes.get(payload) ?? 0) + 1);
    return api.propose(payload).then((r) => {
      this.outstanding--;
      try {
        if (r.ok) {
          this.proposalsAcked++;
          this.checkers.onAcknowledged(r.index, r.term, payload);
        } else {
          this.proposalsFailed++;
          this.failedBy.set(r.code, (this.failedBy.get(r.code) ?? 0) + 1);
          if (r.code === ERR.notCommitted) {
            const at = placementOf(r);
            if (at === null) throw new SafetyViolation('not-committed answer committed', `NOT_COMMITTED for "${payload}" without the position it was appended at`);
            this.checkers.onNotCommitted(at.index, at.term, payload, () => this.proposedTimes.get(payload) === 1);
          }
        }
      } catch (err) {
        this.violation ??= err as SafetyViolation;
      }
      return r as ProposeResult;
    });
  }

  finalCheck(): boolean {
    if (this.violation) return false;
    try {
      this.checkers.final(this.nodes);
    } catch (err) {
      this.violation = err as SafetyViolation;
      return false;
    }
    return true;
  }

  /** Converged: one leader, every node up, every log committed and every ledger applied to the same point. */
  converged(): boolean {
    const leader = this.leader();
    if (!leader) return false;
    const lc = this.node(leader).core()!;
    for (const n of this.nodes) {
      const c = n.core();
      if (!c) return false;
      if (c.commitIndex() !== lc.log.lastIndex() || c.appliedIndex() !== lc.log.lastIndex()) return false;
      // The core counts an entry applied when it hands it over; the ledger gets it after the
      // entry's fsync. Settled means the ledgers hold it too.
      const ledger = n.ledger();
      if (ledger && ledger.api.appliedIndex() !== lc.log.lastIndex()) return false;
    }
    return true;
  }

  shutdown(): void {
    for (const n of this.nodes) if (n.isUp()) n.crash(false);
  }

  // ---- randomised faults ------------------------------------------------------------------

  randomNetwork(): NetworkFaults {
    const p = this.prng;
    const lossy = p.chance(0.7);
    const delayMsMin = p.int(1, 5);
    return {
      dropRate: lossy ? p.next() * 0.3 : 0,
      duplicateRate: p.chance(0.5) ? p.next() * 0.05 : 0,
      delayMsMin,
      delayMsMax: delayMsMin + p.int(0, 40),
      reorder: p.chance(0.6),
    };
  }

  /** One random fault now; some schedule their own undoing. */
  injectFault(): void {
    const p = this.prng;
    const up = this.nodes.filter((n) => n.isUp());
    const roll = p.int(0, 99);
    if (roll < 15) {
      this.net.faults = this.randomNetwork();
      this.count('drop/dup profile');
      this.log(`fault: network ${JSON.stringify(this.net.faults)}`);
    } else if (roll < 30) {
      const shuffled = [...this.ids].sort(() => p.next() - 0.5);
      const k = p.int(1, Math.floor(this.ids.length / 2));
      const a = shuffled.slice(0, k);
      const b = shuffled.slice(k);
      this.net.partition(a, b);
      this.count('partition');
      this.log(`fault: partition ${a.join(',')} | ${b.join(',')}`);
    } else if (roll < 42) {
      const leader = this.leader();
      if (leader) {
        this.net.isolate(leader);
        this.count('isolate leader');
        this.log(`fault: isolate leader ${leader}`);
      }
    } else if (roll < 52) {
      const from = p.pick(this.ids);
      const to = p.pick(this.ids.filter((x) => x !== from));
      this.net.cutLink(from, to);
      this.count('one-way');
      this.log(`fault: one-way cut ${from}->${to}`);
    } else if (roll < 67) {
      this.net.heal();
      this.count('heal');
      this.log('fault: heal');
    } else if (roll < 77) {
      if (up.length > 0) {
        const victim = p.pick(up).id;
        this.crashAfterAck.add(victim);
        this.count('crash after ack');
        this.log(`fault: ${victim} will crash right after its next vote or append ack`);
      }
    } else if (roll < 89) {
      if (up.length > 0) {
        const victim = p.chance(0.4) ? (this.leader() ?? p.pick(up).id) : p.pick(up).id;
        const tear = p.chance(0.5);
        this.crash(victim, tear);
        const downFor = p.int(20, 1500);
        this.sched.after(downFor, () => this.restartInBackground(victim));
      }
    } else if (this.assembly === 'supervised' && roll < 93) {
      if (up.length > 0) {
        const n = p.pick(up);
        const actor = p.pick(['log-replication', 'leader-election', 'clock', 'heartbeat', 'ledger'] as const);
        if (n.crashActor(actor)) {
          this.count('actor crash');
          this.log(`fault: ${n.id} actor ${actor} crashes (supervisor restarts it)`);
        }
      }
    } else if (up.length > 0) {
      const n = p.pick(up);
      const delta = p.int(-5000, 5000);
      n.jumpClock(delta);
      this.count('clock jump');
      this.log(`fault: ${n.id} clock jumps ${delta} ms`);
    }
  }

  faultCount(): number {
    let total = 0;
    for (const v of this.faults.values()) total += v;
    return total;
  }

  /** Keep a stream of proposals flowing through random live nodes. */
  startWorkload(untilMs: number, gapMsMax = 40): void {
    if (this.ledgerKind === 'real') this.openAccounts(untilMs);
    const tick = (): void => {
      if (this.sched.now() >= untilMs || this.violation) return;
      const up = this.nodes.filter((n) => n.isUp());
      if (up.length > 0) void this.propose(this.prng.pick(up).id);
      this.sched.after(this.prng.int(2, gapMsMax), tick);
    };
    this.sched.after(1, tick);
  }

  /**
   * Propose the opening command (the overdraft-limited accounts) through random live nodes until
   * one attempt is acknowledged, as a client retrying under one Idempotency-Key would. Transfers
   * that commit before it open those accounts without limits: that is a valid history too.
   */
  openAccounts(untilMs: number): void {
    const opening = this.traffic.opening();
    const attempt = (): void => {
      if (this.opened || this.sched.now() >= untilMs || this.violation) return;
      const up = this.nodes.filter((n) => n.isUp());
      if (up.length > 0) {
        void this.propose(this.prng.pick(up).id, opening).then((r) => {
          if (r.ok) this.opened = true;
        });
      }
      this.sched.after(this.prng.int(50, 150), attempt);
    };
    this.sched.after(1, attempt);
  }

  /** Calm everything: heal the network, stop losses, restart every crashed node. */
  async calm(): Promise<void> {
    this.net.heal();
    this.net.faults = { ...CALM_NETWORK };
    for (const n of this.nodes) n.resetClock();
    for (const n of this.nodes) if (!n.isUp()) await this.restart(n.id);
  }
}

export interface SeedOptions {
  readonly seed: number;
  readonly nodes?: number;
  /** Length of the faulty phase (simulated ms). */
  readonly faultMs?: number;
  /** Bound for liveness once faults stop (simulated ms). */
  readonly livenessMs?: number;
  readonly faultGapMs?: readonly [number, number];
  readonly assembly?: Assembly;
  readonly ledger?: LedgerKind;
}

export interface SeedResult {
  readonly seed: number;
  readonly nodes: number;
  readonly ok: boolean;
  readonly violation: string | null;
  readonly trace: readonly string[];
  readonly faults: ReadonlyMap<FaultKind, number>;
  readonly simMs: number;
  readonly events: number;
  readonly acked: number;
  /** Proposals answered NOT_COMMITTED (each checked never to commit) and OUTCOME_UNKNOWN. */
  readonly notCommitted: number;
  readonly outcomeUnknown: number;
  /** Every failed proposal, by code. */
  readonly failedCodes: Readonly<Record<string, number>>;
  readonly committed: number;
  readonly terms: number;
  /** How often each safety rule was checked against live state during the run. */
  readonly exercised: Readonly<Record<string, number>>;
  /** The settled ledger's hash and applied index (null with the recorder or if nothing settled). */
  readonly ledgerHash: { readonly hash: string; readonly appliedIndex: number } | null;
  /** Real-ledger checks performed (all zero with the recorder). */
  readonly ledgerChecks: Readonly<LedgerChecks['counts']>;
}

/** One randomised run: a pure function of its seed. */
export async function runSeed(opts: SeedOptions): Promise<SeedResult> {
  const nodes = opts.nodes ?? 3;
  const faultMs = opts.faultMs ?? 3000;
  const livenessMs = opts.livenessMs ?? 8000;
  const [gapMin, gapMax] = opts.faultGapMs ?? [100, 600];
  const c = new Cluster({ seed: opts.seed, nodes, assembly: opts.assembly, ledger: opts.ledger });
  let violation: string | null = null;
  try {
    c.net.faults = c.randomNetwork();
    await c.start();
    c.startWorkload(faultMs);
    const scheduleFault = (): void => {
      if (c.sched.now() >= faultMs) return;
      c.injectFault();
      c.sched.after(c.prng.int(gapMin, gapMax), scheduleFault);
    };
    c.sched.after(c.prng.int(gapMin, gapMax), scheduleFault);
    await c.runFor(faultMs);
    if (!c.violation) {
      await c.calm();
      c.log('calm: faults stopped');
      const start = c.sched.now();
      // Liveness: a leader emerges and fresh proposals commit within the bound.
      const probes: Array<Promise<ProposeResult>> = [];
      const probe = async (k: number): Promise<ProposeResult> => {
        // A real client retries the very same command: its transfer id keeps the retry harmless.
        const data = c.ledgerKind === 'real' ? c.command() : `live${k}`;
        for (;;) {
          const target = c.leader() ?? c.prng.pick(c.ids);
          const r = await c.propose(target, data);
          if (r.ok || c.sched.now() - start > livenessMs || c.violation) return r;
          await new Promise<void>((resolve) => c.sched.after(Math.max(10, r.retryAfterMs / 4), resolve));
        }
      };
      for (let k = 0; k < 3; k++) probes.push(probe(k));
      let settled = 0;
      const results: ProposeResult[] = [];
      for (const pr of probes) void pr.then((r) => (results.push(r), settled++));
      // Every proposal still pending from the faulty phase must settle too (commit or time out).
      const ok = await c.runUntil(() => settled === probes.length && c.outstanding === 0 && c.converged(), livenessMs);
      if (!c.violation && (!ok || results.some((r) => !r.ok))) {
        const failed = results.find((r) => !r.ok);
        c.violation = new SafetyViolation(
          'liveness',
          `not converged ${livenessMs} ms after faults stopped (leader ${c.leader() ?? 'none'}, probes ${settled}/${probes.length}, outstanding ${c.outstanding}${failed && !failed.ok ? `, ${failed.code}` : ''})`,
        );
      }
    }
    c.finalCheck();
  } catch (err) {
    c.violation ??= new SafetyViolation('harness', err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
  violation = c.violation ? c.violation.message : null;
  const result: SeedResult = {
    seed: opts.seed,
    nodes,
    ok: violation === null,
    violation,
    trace: c.trace(),
    faults: c.faults,
    simMs: c.sched.now(),
    events: c.sched.eventsRun,
    acked: c.proposalsAcked,
    notCommitted: c.failedBy.get(ERR.notCommitted) ?? 0,
    outcomeUnknown: c.failedBy.get(ERR.outcomeUnknown) ?? 0,
    failedCodes: Object.fromEntries(c.failedBy),
    committed: c.checkers.history.size,
    terms: c.checkers.leaders.size,
    exercised: { ...c.checkers.exercised },
    ledgerHash: c.nodes.map((n) => n.ledger()?.api.ledgerHash() ?? null).find((h) => h !== null) ?? null,
    ledgerChecks: { ...(c.checkers.ledger?.counts ?? { outcomesCompared: 0, ackedItemsChecked: 0, ledgersChecked: 0 }) },
  };
  c.shutdown();
  return result;
}

/** A readable account of a failed run. */
export function formatFailure(r: SeedResult, assembly: Assembly = 'minimal', ledger: LedgerKind = 'real'): string {
  return [
    `seed ${r.seed} (${r.nodes} nodes) violated ${r.violation}`,
    `replay: npm run sim -- --seeds 1 --from ${r.seed} --nodes ${r.nodes}${assembly === 'supervised' ? ' --supervised' : ''}${ledger === 'recorder' ? ' --recorder' : ''}`,
    'last events:',
    ...r.trace.map((l) => `  ${l}`),
  ].join('\n');
}
