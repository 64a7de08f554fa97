// The heartbeat actor: pings every peer each heartbeat interval, answers peers' pings, and keeps
// per-peer liveness (phi accrual, machines/heartbeat.machine.ts). Each pong is also a clock sample:
// its four NTP timestamps go to the clock actor. A thin shell: it reads time only from the Clock
// port, talks only through the Transport port, and reports state changes through Trace and the
// logger. Liveness is for /status and metrics; it never starts an election (that is Raft's job).
//
// Timing, which decides how fast a dead peer is noticed:
// - Rounds run on a fixed grid (start + k * interval), not "interval after the last round ended":
//   a re-armed timer stretches every period by the round's own work and by event-loop lag, which
//   raised the mean interval (and with it the time to detection) by up to a third under load.
// - Verdicts are not tied to rounds. After every step the actor computes when the next peer's phi
//   will cross a level (a closed form, see silenceToReachMs) and arms one check timer for that
//   moment, so a peer is declared down when phi crosses, not up to an interval later.
// - A verdict of down is confirmed once more on the next turn of the event loop (Clock.defer).
//   Node runs due timers before it reads sockets, so after this process itself stalled, the first
//   check would judge a silence whose pongs are already waiting unread; the confirmation runs
//   after they are read.
import { initialTransition } from 'xstate';
import { transition } from '../machines/pure-transition.ts';
import { createHeartbeatMachine, peerLevels, type HeartbeatEvent, type PeerStateChange } from '../machines/heartbeat.machine.ts';
import { intervalStats, phiAt, silenceToReachMs, suspectThreshold } from '../machines/heartbeat/phi.ts';
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
  let roundTimer: TimerId | null = null;
  let nextRoundMono = 0;
  let checkTimer: TimerId | null = null;
  /** When the armed check is due (monotonic ms), or +Infinity when none is armed. */
  let checkDueMono = Number.POSITIVE_INFINITY;
  /** A verdict of down awaits its confirmation on the next turn: no check is armed meanwhile. */
  let confirmPending = false;
  let unsubscribe: (() => void) | null = null;
  let running = false;

  function step(event: HeartbeatEvent): void {
    const [next, actions] = transition(machine, snapshot, event);
    if (next.status === 'error') throw next.error;
    snapshot = next;
    for (const action of actions) {
      if (action.type === 'notePeerState') report(action.params as PeerStateChange, event.atMono);
    }
    armCheck();
  }

  function report(change: PeerStateChange, atMono: number): void {
    const link = snapshot.context.links[change.peer];
    const phi = link ? phiAt(link.phi, atMono, snapshot.context.options) : 0;
    const type = change.to === 'alive' ? 'peer.up' : `peer.${change.to}`;
    const fields: Record<string, unknown> = { peer: change.peer, from: change.from, to: change.to, phi };
    if (change.to === 'down' && link) {
      // What the verdict rested on, so that a slow one can be explained from the timeline alone.
      const { mean, stdDev, spread } = intervalStats(link.phi.intervals);
      fields['silenceMs'] = link.downAfterMs;
      fields['meanIntervalMs'] = mean;
      fields['stdDevMs'] = stdDev;
      fields['spreadMs'] = spread;
    }
    trace({ actor: 'heartbeat', type, ...fields });
    if (change.to === 'down') env.logger.warn(fields, `peer ${change.peer} is down`);
    else env.logger.info(fields, `peer ${change.peer} is ${change.to === 'alive' ? 'up' : 'suspect'}`);
  }

  /** The next moment a peer's phi reaches the level above its current one, or +Infinity. */
  function nextCrossingMono(): number {
    const levels = peerLevels(snapshot.value);
    const o = snapshot.context.options;
    let due = Number.POSITIVE_INFINITY;
    for (const peer of env.peers) {
      const link = snapshot.context.links[peer];
      const level = levels[peer];
      if (!link || level === undefined || level === 'down') continue;
      const target = level === 'alive' ? suspectThreshold(o.threshold) : o.threshold;
      due = Math.min(due, link.phi.lastArrivalMono + silenceToReachMs(link.phi, target, o));
    }
    return due;
  }

  /**
   * Keep one check armed for the next crossing. A pong only moves crossings later, so an armed
   * check that is due sooner is left alone: it wakes, finds nothing, and re-arms (one wake-up per
   * acceptable pause per node, rather than a timer cancelled and re-armed on every pong).
   */
  function armCheck(): void {
    if (!running || confirmPending) return;
    const due = nextCrossingMono();
    if (checkTimer !== null && checkDueMono <= due) return;
    if (checkTimer !== null) clock.clearTimeout(checkTimer);
    checkTimer = null;
    checkDueMono = due;
    if (due === Number.POSITIVE_INFINITY) return;
    // Whole milliseconds, never 0: a check that wakes a fraction early simply re-arms for the rest.
    checkTimer = arm(guarded(() => check(false)), Math.max(1, Math.ceil(due - clock.monotonicNow())));
  }

  function check(confirming: boolean): void {
    checkTimer = null;
    checkDueMono = Number.POSITIVE_INFINITY;
    if (!running) return;
    const event: HeartbeatEvent = { type: 'heartbeat.check', atMono: clock.monotonicNow() };
    if (!confirming) {
      const [, actions] = transition(machine, snapshot, event);
      if (actions.some((a) => a.type === 'notePeerState' && (a.params as PeerStateChange).to === 'down')) {
        // Let pending socket reads run first (see the header); the confirmation judges afresh.
        confirmPending = true;
        clock.defer(guarded(() => {
          confirmPending = false;
          check(true);
        }));
        return;
      }
    }
    step(event);
  }

  function round(): void {
    roundTimer = null;
    if (!running) return;
    for (const peer of env.peers) {
      const seq = nextSeq++;
      const t0 = clock.now();
      const queue = pending.get(peer) ?? [];
      queue.push({ seq, t0, sentMono: clock.monotonicNow() });
      if (queue.length > pendingMax) queue.splice(0, queue.length - pendingMax);
      pending.set(peer, queue);
      // A ping the transport refused (link down) will get no pong: forget it.
      if (!transport.send(peer, { type: 'peer.ping', seq, t0 })) queue.pop();
    }
    // The next slot of the grid; slots missed while this process was stalled are skipped, not
    // sent in a burst.
    const now = clock.monotonicNow();
    do {
      nextRoundMono += hb.intervalMs;
    } while (nextRoundMono <= now);
    roundTimer = arm(guarded(round), nextRoundMono - now);
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

  /** Per-peer health, `downAfterMs` included: the silence at the last verdict of down. */
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
        downAfterMs: link?.downAfterMs ?? null,
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
      nextRoundMono = clock.monotonicNow();
      round();
      armCheck();
    },
    async stop() {
      running = false;
      if (roundTimer !== null) clock.clearTimeout(roundTimer);
      if (checkTimer !== null) clock.clearTimeout(checkTimer);
      roundTimer = null;
      checkTimer = null;
      checkDueMono = Number.POSITIVE_INFINITY;
      confirmPending = false;
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
        summary: Object.fromEntries(
          Object.entries(health).map(([id, h]) => {
            const link = snapshot.context.links[id];
            const { mean, stdDev, spread } = intervalStats(link?.phi.intervals ?? []);
            const round2 = (x: number) => Math.round(x * 100) / 100;
            return [id, {
              phi: round2(h.phi),
              rttMs: h.rttMs,
              meanIntervalMs: round2(mean),
              stdDevMs: round2(stdDev),
              spreadMs: round2(spread),
              samples: link?.phi.intervals.length ?? 0,
              downAfterMs: link?.downAfterMs ?? null,
            }];
          }),
        ),
      };
    },
  };
};
