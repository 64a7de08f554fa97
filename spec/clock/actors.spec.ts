// The clock and heartbeat actors together, on fake ports written here: one simulated timeline
// whose timers the test drives, a per-node wall clock with a settable skew (whole milliseconds,
// like the real one), and an in-memory network with seeded jitter that can kill a node. Nothing
// sleeps: time passes only when the test advances it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createClockActor, type ClockActor } from '../../actors/clock.actor.ts';
import { createHeartbeatActor, type HeartbeatActor } from '../../actors/heartbeat.actor.ts';
import type { ActorEnv, ActorEvent } from '../../actors/actor.ts';
import type { Clock, Logger, LogStore, Ports, TraceEvent, Transport } from '../../actors/ports.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import type { ActorId, NodeId, PeerMessage } from '../../machines/types.ts';

const SEED = Number(process.env['SEED'] ?? 424242);
console.log(`actors.spec seed=${SEED}`);

const EPOCH = 1_764_150_000_000;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** One timeline for the whole cluster: timers and message deliveries run in time order. */
class SimTime {
  now = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; seq: number; fn: () => void }>();
  schedule(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + Math.max(0, ms), seq: id, fn });
    return id;
  }
  cancel(id: unknown): void {
    this.timers.delete(id as number);
  }
  pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= until && (!next || entry[1].at < next[1].at || (entry[1].at === next[1].at && entry[1].seq < next[1].seq))) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = until;
  }
}

interface SimNode {
  readonly id: NodeId;
  skewMs: number;
  clockActor: ClockActor;
  heartbeat: HeartbeatActor;
  readonly traces: Array<TraceEvent & { at: number }>;
  readonly logs: Array<{ level: string; obj: object; msg?: string }>;
  readonly sent: Array<{ to: ActorId; event: ActorEvent }>;
  readonly failures: unknown[];
  readonly handlers: Set<(from: NodeId, m: PeerMessage) => void>;
}

class SimCluster {
  readonly time = new SimTime();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly dead = new Set<NodeId>();
  /** Every delivered ping/pong round trip's network time, per ordered pair "a>b" (a pinged b). */
  readonly minRtt = new Map<string, number>();
  private readonly inFlight = new Map<string, number>();
  private readonly rnd: () => number;

  constructor(
    readonly ids: readonly NodeId[],
    readonly config: Config,
    seed: number,
    readonly delayMs = (rnd: () => number) => 0.3 + rnd() * 4,
  ) {
    this.rnd = prng(seed);
    for (const id of ids) this.nodes.set(id, this.build(id, 0));
  }

  node(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private build(id: NodeId, skewMs: number): SimNode {
    const time = this.time;
    const node = {
      id,
      skewMs,
      traces: [],
      logs: [],
      sent: [],
      failures: [],
      handlers: new Set(),
    } as unknown as SimNode;
    const clock: Clock = {
      now: () => Math.floor(EPOCH + time.now + node.skewMs),
      monotonicNow: () => 5_000 + time.now,
      setTimeout: (fn, ms) => time.schedule(fn, ms),
      clearTimeout: (t) => time.cancel(t),
      defer: (fn) => void time.schedule(fn, 0),
    };
    const transport: Transport = {
      self: id,
      send: (to, message) => this.deliver(id, to, message),
      subscribe: (h) => {
        node.handlers.add(h);
        return () => node.handlers.delete(h);
      },
      onLinkState: () => () => {},
      connectedPeers: () => this.ids.filter((p) => p !== id && !this.dead.has(p)),
    };
    const logger = (bindings: Record<string, unknown>): Logger => {
      const at = (level: string) => (obj: object, msg?: string) => void node.logs.push({ level, obj: { ...bindings, ...obj }, msg });
      return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => logger({ ...bindings, ...b }) };
    };
    const ports: Ports = {
      transport,
      logStore: {} as LogStore,
      clock,
      random: { next: this.rnd },
      logger: logger({ node: id }),
      trace: (e) => void node.traces.push({ ...e, at: time.now }),
    };
    const envFor = (actor: ActorId): ActorEnv => ({
      nodeId: id,
      peers: this.ids.filter((p) => p !== id),
      config: this.config,
      ports,
      logger: ports.logger.child({ actor }),
      send: (to, event) => {
        node.sent.push({ to, event });
        time.schedule(() => (to === 'clock' ? node.clockActor.receive(event) : undefined), 0);
      },
      lookup: () => undefined,
      fail: (e) => void node.failures.push(e),
    });
    node.clockActor = createClockActor(envFor('clock')) as ClockActor;
    node.heartbeat = createHeartbeatActor(envFor('heartbeat')) as HeartbeatActor;
    return node;
  }

  private deliver(from: NodeId, to: NodeId, message: PeerMessage): boolean {
    if (this.dead.has(from) || this.dead.has(to)) return false;
    const wire = JSON.parse(JSON.stringify(message)) as PeerMessage;
    const delay = this.delayMs(this.rnd);
    const key = `${from}>${to}:${String(message['seq'])}`;
    if (message.type === 'peer.ping') this.inFlight.set(key, delay);
    if (message.type === 'peer.pong') {
      const up = this.inFlight.get(`${to}>${from}:${String(message['seq'])}`);
      if (up !== undefined) {
        const pair = `${to}>${from}`;
        this.minRtt.set(pair, Math.min(this.minRtt.get(pair) ?? Infinity, up + delay));
      }
    }
    this.time.schedule(() => {
      if (this.dead.has(to) || this.dead.has(from)) return;
      for (const h of [...this.node(to).handlers]) h(from, wire);
    }, delay);
    return true;
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes.values()) {
      await n.clockActor.start();
      await n.heartbeat.start();
    }
  }

  /** kill -9: the node's actors vanish and its links go silent. */
  async kill(id: NodeId): Promise<void> {
    this.dead.add(id);
    const n = this.node(id);
    await n.heartbeat.stop();
    await n.clockActor.stop();
  }

  /** A fresh process for `id`, as after a restart. */
  async restart(id: NodeId): Promise<void> {
    this.dead.delete(id);
    const n = this.build(id, this.node(id).skewMs);
    this.nodes.set(id, n);
    await n.clockActor.start();
    await n.heartbeat.start();
  }

  async stopAll(): Promise<void> {
    for (const n of this.nodes.values()) {
      await n.heartbeat.stop();
      await n.clockActor.stop();
    }
  }

  failures(): unknown[] {
    return [...this.nodes.values()].flatMap((n) => n.failures);
  }
}

const IDS = ['node1', 'node2', 'node3'];

function withConfig(patch: { heartbeat?: Partial<Config['heartbeat']>; clock?: Partial<Config['clock']> }): Config {
  return {
    ...DEFAULT_CONFIG,
    heartbeat: { ...DEFAULT_CONFIG.heartbeat, ...patch.heartbeat },
    clock: { ...DEFAULT_CONFIG.clock, ...patch.clock },
  };
}

test('ping/pong: every peer alive with a round trip; clocks synced; pongs become clock samples', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED);
  await c.startAll();
  c.time.advance(1_000);
  for (const id of IDS) {
    const n = c.node(id);
    const health = n.heartbeat.api.peerHealth();
    assert.equal(Object.keys(health).sort(), IDS.filter((p) => p !== id));
    for (const h of Object.values(health)) {
      assert.is(h.state, 'alive');
      assert.ok(h.healthy);
      assert.ok(h.rttMs !== null && h.rttMs >= 0.6 && h.rttMs <= 8.6, String(h.rttMs)); // two one-way delays of 0.3-4.3 ms
      assert.ok(h.lastSeenMsAgo !== null && h.lastSeenMsAgo < DEFAULT_CONFIG.heartbeat.intervalMs + 10, String(h.lastSeenMsAgo));
      assert.ok(h.phi < 1, String(h.phi));
    }
    assert.is(n.clockActor.api.fenced(), false);
    assert.is(n.clockActor.describe().state, 'synced');
    assert.ok(n.traces.some((t) => t.type === 'clock.synced'));
    const offset = n.clockActor.api.offsetMs();
    assert.ok(offset !== null && Math.abs(offset) <= 3, String(offset));
    // The heartbeat actor talks to the clock actor only, and never about elections.
    assert.ok(n.sent.length >= 2 * (1_000 / DEFAULT_CONFIG.heartbeat.intervalMs) - 2, String(n.sent.length));
    assert.ok(n.sent.every((s) => s.to === 'clock' && s.event.type === 'clock.sample'));
  }
  assert.equal(c.failures(), []);
  await c.stopAll();
});

test('a node skewed by 2 s: offset estimates within half the minimum round trip + 1 ms', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED + 1);
  c.node('node3').skewMs = 2_000;
  await c.startAll();
  c.time.advance(600);
  for (const [from, to, truth] of [['node1', 'node3', 2_000], ['node2', 'node3', 2_000], ['node3', 'node1', -2_000]] as const) {
    const est = c.node(from).clockActor.api.peerOffsets()[to];
    const minRtt = c.minRtt.get(`${from}>${to}`);
    assert.ok(est && minRtt !== undefined);
    const err = Math.abs(est.offsetMs - truth);
    assert.ok(err <= minRtt / 2 + 1, `${from}->${to}: estimate ${est.offsetMs}, min rtt ${minRtt}, error ${err} (seed ${SEED + 1})`);
  }
  // Cluster time on the skewed node is the majority's; its offset from it is about +2 s.
  const n3 = c.node('node3').clockActor.api;
  assert.ok(Math.abs((n3.offsetMs() ?? NaN) - 2_000) <= 3, String(n3.offsetMs()));
  assert.ok(Math.abs(n3.clusterNow() - c.node('node1').clockActor.api.clusterNow()) <= 3);
  await c.stopAll();
});

test('a node skewed by 10 s fences (trace, warn log) and unfences when the skew is removed', async () => {
  const c = new SimCluster(IDS, withConfig({ clock: { maxClockOffsetMs: 500 } }), SEED + 2);
  const n2 = c.node('node2');
  n2.skewMs = 10_000;
  await c.startAll();
  c.time.advance(1_000);
  assert.is(n2.clockActor.api.fenced(), true);
  assert.is(n2.clockActor.describe().state, 'fenced');
  assert.ok(n2.traces.some((t) => t.type === 'clock.fenced'));
  assert.ok(n2.logs.some((l) => l.level === 'warn' && (l.obj as { code?: string }).code === 'SYNCPAY_ERR_CLOCK_UNSYNCHRONIZED'));
  assert.is(c.node('node1').clockActor.api.fenced(), false);
  assert.is(c.node('node3').clockActor.api.fenced(), false);
  // Fenced or not, its cluster time follows the majority, so its HLC stamps stay near theirs.
  assert.ok(Math.abs(n2.clockActor.api.clusterNow() - c.node('node1').clockActor.api.clusterNow()) <= 5);
  assert.ok(Math.abs((n2.clockActor.api.offsetMs() ?? NaN) - 10_000) <= 5, String(n2.clockActor.api.offsetMs()));

  n2.skewMs = 0;
  const fixedAt = c.time.now;
  c.time.advance(1_000);
  assert.is(n2.clockActor.api.fenced(), false);
  assert.is(n2.clockActor.describe().state, 'synced');
  const unfenced = n2.traces.find((t) => t.type === 'clock.unfenced');
  assert.ok(unfenced && unfenced.at - fixedAt <= 3 * DEFAULT_CONFIG.heartbeat.intervalMs, String(unfenced?.at));
  assert.equal(c.failures(), []);
  await c.stopAll();
});

test('a killed peer goes down within acceptablePause + 3 intervals, and is up again after restart', async () => {
  const config = withConfig({ heartbeat: { phiMinStdDevMs: 25 } });
  const hb = config.heartbeat;
  const c = new SimCluster(IDS, config, SEED + 3);
  await c.startAll();
  c.time.advance(3_000);
  await c.kill('node3');
  const killedAt = c.time.now;
  c.time.advance(hb.acceptablePauseMs + 3 * hb.intervalMs);
  for (const id of ['node1', 'node2']) {
    const n = c.node(id);
    assert.is(n.heartbeat.api.peerHealth()['node3']?.state, 'down', id);
    assert.is(n.heartbeat.api.peerHealth()['node3']?.healthy, false);
    assert.ok((n.heartbeat.api.peerHealth()['node3']?.phi ?? 0) >= hb.phiThreshold);
    const types = n.traces.filter((t) => t['peer'] === 'node3').map((t) => t.type);
    assert.equal(types, ['peer.suspect', 'peer.down'], id);
    const down = n.traces.find((t) => t.type === 'peer.down');
    assert.ok(down && down.at - killedAt <= hb.acceptablePauseMs + 3 * hb.intervalMs);
    assert.ok(n.logs.some((l) => l.level === 'warn' && l.msg === 'peer node3 is down'));
    assert.is(n.heartbeat.api.peerHealth()['node2' === id ? 'node1' : 'node2']?.state, 'alive');
  }
  await c.restart('node3');
  const restartedAt = c.time.now;
  c.time.advance(2 * hb.intervalMs);
  for (const id of ['node1', 'node2']) {
    const n = c.node(id);
    assert.is(n.heartbeat.api.peerHealth()['node3']?.state, 'alive', id);
    const up = n.traces.find((t) => t.type === 'peer.up' && t['peer'] === 'node3');
    assert.ok(up && up.at - restartedAt <= 2 * hb.intervalMs);
  }
  // The restarted node sees its peers alive too.
  c.time.advance(500);
  const h3 = c.node('node3').heartbeat.api.peerHealth();
  assert.equal([h3['node1']?.state, h3['node2']?.state], ['alive', 'alive']);
  assert.equal(c.failures(), []);
  await c.stopAll();
});

test('malformed, unknown-sender and unmatched messages are logged and dropped', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED + 4);
  await c.startAll();
  c.time.advance(300);
  const n1 = c.node('node1');
  const deliver = (from: NodeId, m: PeerMessage) => {
    for (const h of [...n1.handlers]) h(from, m);
  };
  const sentBefore = n1.sent.length;
  deliver('node2', { type: 'peer.ping', seq: 'x' });
  deliver('node2', { type: 'peer.ping', seq: 1 });
  deliver('node2', { type: 'peer.pong', seq: 1, t0: 1, t1: 'later', t2: 3 });
  deliver('intruder', { type: 'peer.ping', seq: 1, t0: 5 });
  deliver('node2', { type: 'peer.pong', seq: 999_999, t0: 1, t1: 2, t2: 3 });
  const warns = n1.logs.filter((l) => l.level === 'warn').map((l) => l.msg);
  assert.equal(warns, ['malformed peer.ping dropped', 'malformed peer.ping dropped', 'malformed peer.pong dropped', 'heartbeat from unknown node dropped']);
  assert.ok(n1.logs.some((l) => l.level === 'debug' && l.msg === 'unmatched peer.pong dropped'));
  assert.is(n1.sent.length, sentBefore, 'no clock sample from a bad pong');
  n1.clockActor.receive({ type: 'clock.sample', peer: 'node2', t0: 'soon' });
  n1.clockActor.receive({ type: 'clock.bogus' });
  assert.ok(n1.logs.some((l) => l.level === 'warn' && l.msg === 'malformed clock.sample dropped'));
  assert.ok(n1.logs.some((l) => l.level === 'warn' && l.msg === 'clock actor: unknown event dropped'));
  c.time.advance(300);
  assert.is(n1.heartbeat.api.peerHealth()['node2']?.state, 'alive');
  assert.equal(c.failures(), []);
  await c.stopAll();
});

test('stop unsubscribes from the transport and cancels every timer', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED + 5);
  await c.startAll();
  c.time.advance(250);
  assert.ok([...c.nodes.values()].every((n) => n.handlers.size === 1));
  await c.stopAll();
  c.time.advance(50); // let messages already in flight land
  assert.ok([...c.nodes.values()].every((n) => n.handlers.size === 0));
  assert.is(c.time.pending(), 0);
});

test('HLC stamps from the clock actor increase across a backwards clock jump and observed stamps', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED + 6);
  await c.startAll();
  c.time.advance(500);
  const n1 = c.node('node1');
  const api = n1.clockActor.api;
  const stamps = [api.hlcNow()];
  n1.skewMs = 5_000;
  c.time.advance(1);
  stamps.push(api.hlcNow());
  n1.skewMs = -5_000;
  c.time.advance(1);
  stamps.push(api.hlcNow(), api.hlcNow());
  const far = `${String(EPOCH + 60_000).padStart(15, '0')}.000042`;
  api.hlcObserve(far);
  stamps.push(api.hlcNow());
  api.hlcObserve('not a stamp');
  stamps.push(api.hlcNow());
  for (let i = 1; i < stamps.length; i++) assert.ok(stamps[i - 1]! < stamps[i]!, `${stamps[i - 1]} < ${stamps[i]}`);
  assert.ok(stamps[4]! > far);
  assert.ok(n1.logs.some((l) => l.level === 'warn' && l.msg === 'malformed HLC stamp ignored'));
  assert.ok(n1.logs.some((l) => l.level === 'warn' && l.msg === 'observed HLC stamp is far ahead of cluster time'));
  await c.stopAll();
});

test('100 forced leader changes with skewed, jumping clocks: entry stamps strictly increase in log order', async () => {
  const c = new SimCluster(IDS, DEFAULT_CONFIG, SEED + 7);
  const rnd = prng(SEED + 7);
  await c.startAll();
  c.time.advance(500);
  const log: string[] = [];
  for (let change = 0; change < 100; change++) {
    const leader = c.node(IDS[Math.floor(rnd() * IDS.length)]!);
    leader.skewMs = Math.round((rnd() - 0.5) * 20_000);
    c.time.advance(1 + Math.floor(rnd() * 50));
    // What a new leader does before stamping: merge the last committed stamp (log-replication's job).
    const last = log[log.length - 1];
    if (last !== undefined) leader.clockActor.api.hlcObserve(last);
    const entries = 1 + Math.floor(rnd() * 5);
    for (let i = 0; i < entries; i++) log.push(leader.clockActor.api.hlcNow());
  }
  for (let i = 1; i < log.length; i++) assert.ok(log[i - 1]! < log[i]!, `entry ${i}: ${log[i - 1]} then ${log[i]} (seed ${SEED + 7})`);
  assert.equal(c.failures(), []);
  await c.stopAll();
});

test.run();
