// One node of the simulated cluster across its incarnations: its disk survives crashes, while
// each start builds fresh ports (a new clock, a new transport endpoint, a new LogStore handle)
// and fresh actors, exactly as a restarted process would. The actors are the real consensus
// actors, and so is the ledger (with the checkers as its observer and invariants checked after
// every apply) unless a spec asks for the recorder stand-in to propose opaque strings.
import type { ActorDescription, ActorEnv, ActorEvent, NodeActor } from '../../actors/actor.ts';
import type { Logger, Ports, TraceEvent } from '../../actors/ports.ts';
import { defaultFactories } from '../../actors/factories.ts';
import { createLedgerActorWith, type LedgerActor, type LedgerObserver } from '../../actors/ledger.actor.ts';
import { LeaderElectionActor } from '../../actors/leader-election.actor.ts';
import { LogReplicationActor } from '../../actors/log-replication.actor.ts';
import { Supervisor } from '../../actors/supervisor.ts';
import { ACTOR_IDS } from '../../machines/types.ts';
import type { Config } from '../../machines/config.ts';
import type { RaftCore } from '../../machines/raft/core.ts';
import type { ActorId, LogEntry, NodeId } from '../../machines/types.ts';
import type { EntryOutcome } from '../../machines/ledger/types.ts';
import type { Checkers } from './checkers.ts';
import type { Prng } from './prng.ts';
import { RecorderLedger } from './recorder-ledger.ts';
import type { Scheduler } from './scheduler.ts';
import { SimClock } from './sim-clock.ts';
import type { SimNetwork } from './sim-network.ts';
import type { SimDisk } from './sim-storage.ts';

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

interface Incarnation {
  readonly clock: SimClock;
  /** Minimal assembly: the actors by id. */
  readonly actors: Map<ActorId, NodeActor>;
  /** Full assembly: the real supervisor hosting every actor (restarts included). */
  readonly supervisor: Supervisor | null;
  dead: boolean;
}

/**
 * How a node is put together. `minimal`: the two consensus actors and the ledger, wired directly.
 * `supervised`: the real supervisor with the real clock, heartbeat, consensus and ledger actors.
 */
export type Assembly = 'minimal' | 'supervised';

/**
 * Which ledger applies committed entries. `real`: the ledger actor, fed encoded ledger commands.
 * `recorder`: the hash-chain stand-in, for specs that propose opaque strings and assert on them.
 */
export type LedgerKind = 'real' | 'recorder';

export interface SimNodeDeps {
  readonly sched: Scheduler;
  readonly net: SimNetwork;
  readonly disk: SimDisk;
  readonly config: Config;
  readonly peers: readonly NodeId[];
  readonly checkers: Checkers;
  readonly prng: Prng;
  readonly clockRate: number;
  readonly log: (line: string) => void;
  readonly onFail: (node: NodeId, error: unknown) => void;
  readonly onTrace?: (node: NodeId, event: TraceEvent) => void;
  readonly assembly?: Assembly;
  readonly ledger?: LedgerKind;
}

export class SimNode {
  private inc: Incarnation | null = null;
  private clockOffsetMs = 0;
  incarnations = 0;

  constructor(
    readonly id: NodeId,
    private readonly deps: SimNodeDeps,
  ) {}

  isUp(): boolean {
    return this.inc !== null && !this.inc.dead;
  }

  core(): RaftCore | null {
    return this.logReplication()?.engine.raft() ?? null;
  }

  actor<A extends NodeActor = NodeActor>(id: ActorId): A | undefined {
    if (!this.isUp()) return undefined;
    const inc = this.inc!;
    return (inc.supervisor ? inc.supervisor.lookup<A>(id) : inc.actors.get(id)) as A | undefined;
  }

  logReplication(): LogReplicationActor | undefined {
    return this.actor<LogReplicationActor>('log-replication');
  }

  /** The real ledger actor while the node is up (undefined with the recorder stand-in). */
  ledger(): LedgerActor | undefined {
    if ((this.deps.ledger ?? 'real') !== 'real') return undefined;
    const a = this.actor<LedgerActor>('ledger');
    return a && typeof (a as Partial<LedgerActor>).state === 'function' ? a : undefined;
  }

  /** What the final ledger checks read: the live state, its applied index and its hash. */
  ledgerState(): { state: ReturnType<LedgerActor['state']>; appliedIndex: number; hash: string } | null {
    const l = this.ledger();
    if (!l) return null;
    const { hash, appliedIndex } = l.api.ledgerHash();
    return { state: l.state(), appliedIndex, hash };
  }

  /**
   * The checkers as the ledger actor's observer. A violation they raise is reported to the
   * cluster (which stops the run) instead of being thrown through the actor, whose caller here is
   * a microtask with nobody to catch it.
   */
  private observer(): LedgerObserver {
    const d = this.deps;
    const guard = (call: () => void): void => {
      try {
        call();
      } catch (err) {
        d.onFail(this.id, err);
      }
    };
    return {
      onApply: (node: NodeId, entry: LogEntry, hash: string, outcome: EntryOutcome) => guard(() => d.checkers.onApply(node, entry, hash, outcome)),
      onRestore: (node: NodeId, index: number, hash: string) => guard(() => d.checkers.onRestore(node, index, hash)),
      onLedgerFault: (node: NodeId, message: string) => guard(() => d.checkers.onLedgerFault(node, message)),
    };
  }

  private ledgerFactory(): (env: ActorEnv) => NodeActor {
    const d = this.deps;
    if ((d.ledger ?? 'real') === 'recorder') return (env) => new RecorderLedger(env, d.checkers);
    return createLedgerActorWith({ observer: this.observer(), checkInvariants: true });
  }

  /** Crash one actor as a failed assertion would (supervised assembly only). */
  crashActor(id: ActorId): boolean {
    return this.isUp() && this.inc!.supervisor !== null && this.inc!.supervisor.crash(id, 'simulated fault');
  }

  clock(): SimClock | undefined {
    return this.inc?.clock;
  }

  async start(): Promise<void> {
    const d = this.deps;
    this.incarnations++;
    const clock = new SimClock(d.sched, d.clockRate, this.clockOffsetMs);
    d.net.setUp(this.id, true);
    const actors = new Map<ActorId, NodeActor>();
    let incRef: Incarnation | null = null;
    const logStore = d.disk.open({
      onTruncate: (index) => d.checkers.onTruncate(this.id, incRef && !incRef.dead ? this.core() : null, index),
      onContractBroken: (err) => d.onFail(this.id, err),
    });
    // An actor crash the simulator did not inject is a failed assertion: a bug.
    const watchful: Logger = {
      ...silentLogger,
      error: (obj: object, msg?: string) => {
        const err = String((obj as { err?: unknown }).err ?? '');
        if (msg === 'actor crashed' && !err.startsWith('injected crash')) d.onFail(this.id, new Error(err));
      },
      child: () => watchful,
    };
    const ports: Ports = {
      transport: d.net.transportFor(this.id),
      logStore,
      clock,
      random: d.prng.fork(),
      logger: watchful,
      trace: (e) => {
        if (e.type === 'election.started' || e.type === 'role.changed' || e.type === 'leader.elected' || e.type.startsWith('snapshot') || e.type.startsWith('clock.') || e.type === 'leader.stepDown') {
          d.log(`${this.id} ${e.type} t${String(e.term ?? '')}${e.type === 'role.changed' ? ` ${String(e.from)}->${String(e.to)}` : ''}`);
        }
        d.onTrace?.(this.id, e);
      },
    };
    if (d.assembly === 'supervised') {
      const supervisor = new Supervisor({
        nodeId: this.id,
        config: d.config,
        ports,
        factories: { ...defaultFactories, ledger: this.ledgerFactory() },
        order: ACTOR_IDS,
        onEscalate: (reason) => d.log(`${this.id} supervisor escalated: ${reason}`),
      });
      incRef = { clock, actors, supervisor, dead: false };
      this.inc = incRef;
      await supervisor.start();
      d.log(`${this.id} started, supervised (incarnation ${this.incarnations})`);
      return;
    }
    const env: ActorEnv = {
      nodeId: this.id,
      peers: d.peers,
      config: d.config,
      ports,
      logger: watchful,
      send: (to: ActorId, event: ActorEvent) => {
        queueMicrotask(() => {
          if (incRef && !incRef.dead) actors.get(to)?.receive(event);
        });
      },
      lookup: <A extends NodeActor = NodeActor>(id: ActorId) => (incRef && !incRef.dead ? (actors.get(id) as A | undefined) : undefined),
      fail: (error: unknown) => d.onFail(this.id, error),
    };
    const ledger = this.ledgerFactory()(env);
    const logRep = new LogReplicationActor(env);
    const election = new LeaderElectionActor(env);
    incRef = { clock, actors, supervisor: null, dead: false };
    this.inc = incRef;
    for (const a of [ledger, logRep, election] as NodeActor[]) {
      actors.set(a.id, a);
      await a.start();
    }
    d.log(`${this.id} started (incarnation ${this.incarnations})`);
  }

  /** kill -9: timers and sockets die with the process; the disk keeps what it synced. */
  crash(tear: boolean, loseAllUnsynced = false): number {
    const inc = this.inc;
    if (!inc || inc.dead) return 0;
    inc.dead = true;
    inc.clock.kill();
    this.clockOffsetMs = inc.clock.offset();
    if (inc.supervisor) void inc.supervisor.stop('kill -9');
    for (const a of inc.actors.values()) void a.stop();
    this.deps.net.setUp(this.id, false);
    this.deps.checkers.forgetNode(this.id);
    const lost = this.deps.disk.crash(this.deps.prng, tear, loseAllUnsynced);
    this.deps.log(`${this.id} crashed (${lost} unsynced writes lost${tear ? ', last torn' : ''})`);
    return lost;
  }

  jumpClock(deltaMs: number): void {
    if (this.inc && !this.inc.dead) this.inc.clock.jump(deltaMs);
    else this.clockOffsetMs += deltaMs;
  }

  /** Put the wall clock back on true time (the calm phase). */
  resetClock(): void {
    if (this.inc && !this.inc.dead) this.inc.clock.jump(-this.inc.clock.offset());
    this.clockOffsetMs = 0;
  }

  describe(): Record<string, ActorDescription> {
    const out: Record<string, ActorDescription> = {};
    for (const id of ACTOR_IDS) {
      const a = this.actor(id);
      if (a) out[id] = a.describe();
    }
    return out;
  }
}
