// The clock actor: per-peer offset estimates (fed by the heartbeat actor's pongs), cluster time by
// Marzullo's intersection, the self-fencing verdict (machines/clock.machine.ts) and the node's
// hybrid logical clock. The HLC lives here in the shell rather than in the machine because it is
// stepped once per log entry: far too often for a machine transition, and its rule is already a
// pure function (machines/clock/hlc.ts). Its physical part is cluster time, so stamps from
// different nodes stay close to each other even when one node's wall clock is off.
import { initialTransition } from 'xstate';
import { transition } from '../machines/pure-transition.ts';
import { clockAssessment, clockMachine, peerEstimates, type ClockEvent, type VerdictChange } from '../machines/clock.machine.ts';
import type { ClockAssessment, ClockVerdict } from '../machines/clock/fencing.ts';
import { estimateDriftPpm } from '../machines/clock/offset.ts';
import { formatHlc, hlcNow, hlcObserve, parseHlc, HLC_ZERO, type Hlc } from '../machines/clock/hlc.ts';
import type { NodeId } from '../machines/types.ts';
import type { ActorEnv, ActorEvent, ActorFactory, NodeActor } from './actor.ts';
import type { ClockApi } from './apis.ts';
import type { TimerId } from './ports.ts';

/** Drift is reported only over windows at least this long: shorter slopes are mostly noise. */
const DRIFT_MIN_SPAN_MS = 500;

export interface ClockActor extends NodeActor {
  readonly api: ClockApi;
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const verdictOf = (value: unknown): ClockVerdict => (value === 'synced' || value === 'fenced' ? value : 'unsynced');

export const createClockActor: ActorFactory = (env: ActorEnv): ClockActor => {
  const { clock, trace } = env.ports;
  const settings = env.config.clock;
  const peers = new Set<NodeId>(env.peers);
  // The lint rule forbids any `setTimeout(` call, the port's included: bind the port's once.
  const arm = clock.setTimeout.bind(clock);

  let snapshot = initialTransition(clockMachine, {
    peers: env.peers,
    startMono: clock.monotonicNow(),
    settings: {
      maxClockOffsetMs: settings.maxClockOffsetMs,
      sampleWindowSize: settings.sampleWindowSize,
      sampleMaxAgeMs: settings.sampleMaxAgeMs,
    },
  })[0];
  let assessment: ClockAssessment = clockAssessment(snapshot.context, verdictOf(snapshot.value));
  let hlc: Hlc = HLC_ZERO;
  let timer: TimerId | null = null;
  let running = false;

  function step(event: ClockEvent): void {
    const [next, actions] = transition(clockMachine, snapshot, event);
    if (next.status === 'error') throw next.error;
    snapshot = next;
    assessment = clockAssessment(snapshot.context, verdictOf(snapshot.value));
    for (const action of actions) {
      if (action.type === 'noteVerdict') report(action.params as VerdictChange);
      if (action.type === 'noteRejectedSample') {
        env.logger.debug({ peer: (action.params as { peer: string }).peer }, 'clock sample rejected (unknown peer or impossible timestamps)');
      }
    }
  }

  function report(change: VerdictChange): void {
    const type =
      change.to === 'fenced' ? 'clock.fenced' : change.from === 'fenced' ? 'clock.unfenced' : `clock.${change.to}`;
    const fields = {
      from: change.from,
      to: change.to,
      offsetMs: offsetMs(),
      agreeing: assessment.agreeing,
      sources: assessment.sources,
      majority: assessment.majority,
      maxClockOffsetMs: settings.maxClockOffsetMs,
    };
    trace({ actor: 'clock', type, ...fields });
    if (change.to === 'fenced') {
      env.logger.warn({ ...fields, code: 'SYNCPAY_ERR_CLOCK_UNSYNCHRONIZED' }, 'clock fenced: too far from a majority of the cluster; not leading, no lease reads');
    } else {
      env.logger.info(fields, `clock ${change.to}`);
    }
  }

  function tick(): void {
    timer = null;
    if (!running) return;
    try {
      step({ type: 'clock.tick', atMono: clock.monotonicNow() });
    } catch (error) {
      running = false;
      env.fail(error);
      return;
    }
    timer = arm(tick, env.config.heartbeat.intervalMs);
  }

  function offsetMs(): number | null {
    if (verdictOf(snapshot.value) === 'unsynced' || assessment.clusterOffsetMs === null) return null;
    return -assessment.clusterOffsetMs;
  }

  function clusterNow(): number {
    return clock.now() + (assessment.clusterOffsetMs ?? 0);
  }

  function onSample(event: ActorEvent): void {
    const { peer, t0, t1, t2, t3 } = event;
    if (typeof peer !== 'string' || !peers.has(peer) || !isTime(t0) || !isTime(t1) || !isTime(t2) || !isTime(t3)) {
      env.logger.warn({ event }, 'malformed clock.sample dropped');
      return;
    }
    step({ type: 'clock.sample', peer, t0, t1, t2, t3, atMono: clock.monotonicNow() });
  }

  const api: ClockApi = {
    hlcNow() {
      hlc = hlcNow(hlc, clusterNow());
      return formatHlc(hlc);
    },
    hlcObserve(stamp) {
      const seen = typeof stamp === 'string' ? parseHlc(stamp) : null;
      if (!seen) return void env.logger.warn({ stamp }, 'malformed HLC stamp ignored');
      const now = clusterNow();
      if (seen.physicalMs > now + settings.maxClockOffsetMs) {
        // Still merged: ordering must hold. But a stamp this far ahead means some clock is wrong.
        env.logger.warn({ stamp, aheadMs: seen.physicalMs - now }, 'observed HLC stamp is far ahead of cluster time');
      }
      hlc = hlcObserve(hlc, seen, now);
    },
    offsetMs,
    peerOffsets() {
      const out: Record<NodeId, { offsetMs: number; rttMs: number }> = {};
      for (const [peer, est] of Object.entries(peerEstimates(snapshot.context))) {
        out[peer] = { offsetMs: est.offsetMs, rttMs: est.delayMs };
      }
      return out;
    },
    fenced: () => verdictOf(snapshot.value) === 'fenced',
    clusterNow,
  };

  /** Per-peer drift (ppm, peer relative to us), where there is enough data for one. */
  function driftPpm(): Record<NodeId, number | null> {
    const ctx = snapshot.context;
    const out: Record<NodeId, number | null> = {};
    for (const [peer, window] of Object.entries(ctx.windows)) {
      out[peer] = estimateDriftPpm(window, ctx.nowMono, ctx.settings.sampleMaxAgeMs, DRIFT_MIN_SPAN_MS);
    }
    return out;
  }

  return {
    id: 'clock',
    machine: clockMachine,
    api,
    async start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
    },
    receive(event) {
      if (!running) return;
      if (event.type !== 'clock.sample') {
        env.logger.warn({ type: event.type }, 'clock actor: unknown event dropped');
        return;
      }
      try {
        onSample(event);
      } catch (error) {
        running = false;
        env.fail(error);
      }
    },
    describe() {
      const estimates = peerEstimates(snapshot.context);
      const drift = driftPpm();
      return {
        state: snapshot.value,
        children: env.peers.map((peer) => ({ id: peer, state: estimates[peer] ? 'estimated' : 'no-estimate' })),
        summary: {
          offsetMs: offsetMs(),
          fenced: api.fenced(),
          agreeing: assessment.agreeing,
          sources: assessment.sources,
          hlc: formatHlc(hlc),
          peers: Object.fromEntries(
            Object.entries(estimates).map(([peer, e]) => [peer, { offsetMs: e.offsetMs, rttMs: e.delayMs, errorMs: e.errorMs, driftPpm: drift[peer] ?? null }]),
          ),
        },
      };
    },
  };
};
