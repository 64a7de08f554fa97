// A deterministic model of heartbeat actors on real Node processes, for detection-time specs.
// What it models is what made detection slow on real processes: each node is one event loop that
// runs a callback late when it is busy (a small per-callback lag, plus stalls of tens to hundreds
// of ms: CPU contention, GC, a big batch), and after a stall it runs due timers before it reads
// its sockets, as Node does. Messages between nodes take a seeded network delay and stay in order
// per link (TCP). Nothing sleeps; a run is a pure function of its seed.
import { createHeartbeatActor, type HeartbeatActor } from '../../actors/heartbeat.actor.ts';
import type { ActorEnv } from '../../actors/actor.ts';
import type { Clock, Logger, LogStore, Ports, TraceEvent, Transport } from '../../actors/ports.ts';
import type { Config } from '../../machines/config.ts';
import type { NodeId, PeerMessage } from '../../machines/types.ts';

export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** How busy the processes and the network are. */
export interface LoadModel {
  /** One-way network delay, ms: uniform in [min, max]. */
  readonly netMs: readonly [number, number];
  /** Extra delay before any callback runs, ms: uniform in [0, lagMs]. */
  readonly lagMs: number;
  /** Stalls per second per node (a Poisson process). */
  readonly stallsPerSecond: number;
  /** Stall length, ms: exponential with this mean, capped at stallMaxMs. */
  readonly stallMeanMs: number;
  readonly stallMaxMs: number;
}

/** An idle cluster on a shared machine: sub-ms network, rare stalls of up to a quarter second. */
export const IDLE: LoadModel = { netMs: [0.1, 0.6], lagMs: 2, stallsPerSecond: 0.2, stallMeanMs: 80, stallMaxMs: 250 };

/**
 * A cluster that has just served 1,000 payments on two cores shared with other work (load
 * average 6-8): calibrated so that a 200 ms heartbeat sees what the real processes saw, an
 * inter-arrival std dev of 16-96 ms and a spread of 12-53 ms, with stalls up to about 600 ms.
 */
export const LOADED: LoadModel = { netMs: [0.2, 6], lagMs: 40, stallsPerSecond: 1.5, stallMeanMs: 70, stallMaxMs: 600 };

/**
 * Order of callbacks due at the same instant, as in one turn of Node's loop: timers, then I/O
 * (poll), then deferred work (setImmediate, the check phase).
 */
type Phase = 0 | 1 | 2;

interface Scheduled {
  readonly at: number;
  readonly kind: Phase;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export interface LoopNode {
  readonly id: NodeId;
  actor: HeartbeatActor;
  alive: boolean;
  readonly traces: Array<TraceEvent & { at: number }>;
  readonly failures: unknown[];
  /** Events the actor sent to its siblings. */
  readonly sent: Array<{ readonly to: string; readonly type: string }>;
  readonly handlers: Set<(from: NodeId, m: PeerMessage) => void>;
  /** Busy intervals [start, end) of this node's event loop, sorted. */
  stalls: Array<readonly [number, number]>;
}

export class LoopSim {
  now = 0;
  private seq = 0;
  private queue: Scheduled[] = [];
  readonly nodes = new Map<NodeId, LoopNode>();
  private readonly rnd: () => number;
  /** Last delivery time per ordered link, so that messages never overtake each other. */
  private readonly linkClock = new Map<string, number>();

  constructor(
    readonly ids: readonly NodeId[],
    readonly config: Config,
    seed: number,
    readonly load: LoadModel,
    /** Simulated span over which stalls are drawn (ms). */
    horizonMs: number,
  ) {
    this.rnd = prng(seed);
    for (const id of ids) this.nodes.set(id, this.build(id, this.drawStalls(horizonMs)));
  }

  node(id: NodeId): LoopNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private drawStalls(horizonMs: number): Array<readonly [number, number]> {
    const out: Array<readonly [number, number]> = [];
    const { stallsPerSecond: rate, stallMeanMs: mean, stallMaxMs: max } = this.load;
    if (rate <= 0) return out;
    let t = 0;
    for (;;) {
      t += (-Math.log(1 - this.rnd()) / rate) * 1000;
      if (t > horizonMs) return out;
      const len = Math.min(max, -Math.log(1 - this.rnd()) * mean);
      out.push([t, t + len]);
      t += len;
    }
  }

  /** Add a stall to a node's loop (a test's deliberate pause). */
  stall(id: NodeId, from: number, lengthMs: number): void {
    const n = this.node(id);
    n.stalls = [...n.stalls, [from, from + lengthMs] as const].sort((a, b) => a[0] - b[0]);
  }

  /**
   * When a callback due at `due` on `node` actually runs: when a stall covering it ends (all that
   * piled up during the stall is ready together), else after a little lag.
   */
  private runAt(node: LoopNode, due: number): number {
    let t = due;
    for (const [a, b] of node.stalls) {
      if (a > t) break;
      if (t < b) t = b;
    }
    return t > due ? t : t + this.rnd() * this.load.lagMs;
  }

  private push(at: number, kind: Phase, fn: () => void): Scheduled {
    const ev: Scheduled = { at: Math.max(at, this.now), kind, seq: this.seq++, fn, cancelled: false };
    this.queue.push(ev);
    return ev;
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let best = -1;
      for (let i = 0; i < this.queue.length; i++) {
        const e = this.queue[i]!;
        if (e.cancelled || e.at > until) continue;
        const b = best < 0 ? undefined : this.queue[best]!;
        if (!b || e.at < b.at || (e.at === b.at && (e.kind < b.kind || (e.kind === b.kind && e.seq < b.seq)))) best = i;
      }
      if (best < 0) break;
      const [ev] = this.queue.splice(best, 1);
      this.now = ev!.at;
      ev!.fn();
      if (this.queue.length > 256) this.queue = this.queue.filter((e) => !e.cancelled);
    }
    this.now = until;
  }

  private build(id: NodeId, stalls: Array<readonly [number, number]>): LoopNode {
    const node = { id, alive: true, traces: [], failures: [], sent: [], handlers: new Set(), stalls } as unknown as LoopNode;
    const clock: Clock = {
      now: () => Math.floor(1_764_150_000_000 + this.now),
      monotonicNow: () => 10_000 + this.now,
      // Node's setTimeout waits at least 1 ms (0 becomes 1).
      setTimeout: (fn, ms) => this.push(this.runAt(node, this.now + Math.max(1, ms)), 0, () => node.alive && fn()),
      clearTimeout: (t) => void ((t as Scheduled).cancelled = true),
      defer: (fn) => void this.push(this.now, 2, () => node.alive && fn()),
    };
    const transport: Transport = {
      self: id,
      send: (to, message) => this.deliver(node, to, message),
      subscribe: (h) => {
        node.handlers.add(h);
        return () => void node.handlers.delete(h);
      },
      onLinkState: () => () => {},
      connectedPeers: () => this.ids.filter((p) => p !== id && this.node(p).alive),
    };
    const quiet = (): Logger => ({ debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet() });
    const ports: Ports = {
      transport,
      logStore: {} as LogStore,
      clock,
      random: { next: this.rnd },
      logger: quiet(),
      trace: (e) => void node.traces.push({ ...e, at: this.now }),
    };
    const env: ActorEnv = {
      nodeId: id,
      peers: this.ids.filter((p) => p !== id),
      config: this.config,
      ports,
      logger: quiet(),
      send: (to, event) => void node.sent.push({ to, type: event.type }),
      lookup: () => undefined,
      fail: (e) => void node.failures.push(e),
    };
    node.actor = createHeartbeatActor(env) as HeartbeatActor;
    return node;
  }

  private deliver(from: LoopNode, to: NodeId, message: PeerMessage): boolean {
    const target = this.nodes.get(to);
    if (!from.alive || !target?.alive) return false;
    const [lo, hi] = this.load.netMs;
    const link = `${from.id}>${to}`;
    const arrives = Math.max(this.now + lo + this.rnd() * (hi - lo), this.linkClock.get(link) ?? 0);
    this.linkClock.set(link, arrives);
    const wire = JSON.parse(JSON.stringify(message)) as PeerMessage;
    this.push(this.runAt(target, arrives), 1, () => {
      if (!target.alive || this.nodes.get(to) !== target) return;
      for (const h of [...target.handlers]) h(from.id, wire);
    });
    return true;
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes.values()) await n.actor.start();
  }

  /** kill -9: the process is gone at once; nothing it armed runs, nothing reaches it. */
  kill(id: NodeId): void {
    this.node(id).alive = false;
  }

  /** A fresh process for `id`. */
  async restart(id: NodeId): Promise<void> {
    const old = this.node(id);
    const n = this.build(id, old.stalls);
    this.nodes.set(id, n);
    await n.actor.start();
  }
}
