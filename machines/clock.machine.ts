// The clock machine: unsynced, synced or fenced, from per-peer offset windows
// (machines/clock/offset.ts) and the fencing rule (machines/clock/fencing.ts). It owns when the
// verdict changes; the actor owns the hybrid logical clock and the API. Stepped purely with XState's
// transition(): samples and ticks carry the monotonic time they happened at, guards re-assess after
// every event, and each verdict change comes back as a `noteVerdict` action for the actor to trace.
import { assign, setup } from 'xstate';
import type { NodeId } from './types.ts';
import { addSample, EMPTY_WINDOW, estimateOffset, ntpSample, type OffsetEstimate, type OffsetWindow } from './clock/offset.ts';
import { assessClock, type ClockAssessment, type ClockVerdict } from './clock/fencing.ts';

export interface ClockSettings {
  readonly maxClockOffsetMs: number;
  readonly sampleWindowSize: number;
  readonly sampleMaxAgeMs: number;
}

export interface ClockContext {
  readonly settings: ClockSettings;
  /** Peers plus this node. */
  readonly clusterSize: number;
  readonly windows: Readonly<Record<NodeId, OffsetWindow>>;
  /** Monotonic time of the latest event: what samples are aged against. */
  readonly nowMono: number;
}

export interface ClockInput {
  readonly peers: readonly NodeId[];
  readonly startMono: number;
  readonly settings: ClockSettings;
}

export type ClockEvent =
  | {
      readonly type: 'clock.sample';
      readonly peer: NodeId;
      readonly t0: number;
      readonly t1: number;
      readonly t2: number;
      readonly t3: number;
      readonly atMono: number;
    }
  | { readonly type: 'clock.tick'; readonly atMono: number };

export interface VerdictChange {
  readonly from: ClockVerdict;
  readonly to: ClockVerdict;
}

/** Each peer's current estimate (fresh samples only); peers without one are absent. */
export function peerEstimates(context: ClockContext): Record<NodeId, OffsetEstimate> {
  const out: Record<NodeId, OffsetEstimate> = {};
  for (const [peer, window] of Object.entries(context.windows)) {
    const est = estimateOffset(window, context.nowMono, context.settings.sampleMaxAgeMs);
    if (est) out[peer] = est;
  }
  return out;
}

/** The verdict the context supports; `current` is the machine's state, for fencing hysteresis. */
export function clockAssessment(context: ClockContext, current: ClockVerdict): ClockAssessment {
  const s = context.settings;
  return assessClock(Object.values(peerEstimates(context)), context.clusterSize, s.maxClockOffsetMs, current === 'fenced');
}

const VERDICTS: readonly ClockVerdict[] = ['unsynced', 'synced', 'fenced'];

const clockSetup = setup({
  types: {
    context: {} as ClockContext,
    events: {} as ClockEvent,
    input: {} as ClockInput,
  },
  guards: {
    isUsableSample: ({ context, event }) =>
      event.type === 'clock.sample' &&
      context.windows[event.peer] !== undefined &&
      ntpSample(event.t0, event.t1, event.t2, event.t3, event.atMono) !== null,
    verdictIs: ({ context }, p: { from: ClockVerdict; verdict: ClockVerdict }) =>
      clockAssessment(context, p.from).verdict === p.verdict,
  },
  actions: {
    addSample: assign(({ context, event }) => {
      if (event.type !== 'clock.sample') return {};
      const sample = ntpSample(event.t0, event.t1, event.t2, event.t3, event.atMono);
      const window = context.windows[event.peer];
      if (!sample || !window) return {};
      const next = addSample(window, sample, context.settings.sampleWindowSize);
      return { windows: { ...context.windows, [event.peer]: next }, nowMono: Math.max(context.nowMono, event.atMono) };
    }),
    advanceTime: assign(({ context, event }) => ({ nowMono: Math.max(context.nowMono, event.atMono) })),
    // Effects for the actor (log, trace): no-ops here, so transition() hands them back.
    noteRejectedSample: (_args, _p: { readonly peer: NodeId }) => {},
    noteVerdict: (_args, _change: VerdictChange) => {},
  },
});

/** Eventless transitions from `from` to whichever other verdict the context now supports. */
function reassess(from: ClockVerdict) {
  return VERDICTS.filter((to) => to !== from).map((to) => ({
    guard: { type: 'verdictIs' as const, params: { from, verdict: to } },
    target: to,
    actions: { type: 'noteVerdict' as const, params: { from, to } },
  }));
}

export const clockMachine = clockSetup.createMachine({
  id: 'clock',
  initial: 'unsynced',
  context: ({ input }) => ({
    settings: input.settings,
    clusterSize: input.peers.length + 1,
    windows: Object.fromEntries(input.peers.map((peer): [NodeId, OffsetWindow] => [peer, EMPTY_WINDOW])),
    nowMono: input.startMono,
  }),
  on: {
    'clock.sample': [
      { guard: 'isUsableSample', actions: 'addSample' },
      {
        actions: [
          'advanceTime',
          { type: 'noteRejectedSample', params: ({ event }) => ({ peer: event.type === 'clock.sample' ? event.peer : '' }) },
        ],
      },
    ],
    'clock.tick': { actions: 'advanceTime' },
  },
  states: {
    unsynced: { always: reassess('unsynced') },
    synced: { always: reassess('synced') },
    fenced: { always: reassess('fenced') },
  },
});

export type ClockMachine = typeof clockMachine;
