// The node's root: starts the five actors one after another in dependency order, restarts a
// crashed one on its own (one_for_one), and gives up when restarts come too fast (restart
// intensity, as in OTP): past `restartsMax` within `restartPeriodMs` the node stops cleanly and
// exits non-zero, so systemd or Kubernetes restarts the whole process from durable state.
//
// The machine is pure: children are spawned from the logic named `actorHost`, which the shell
// (actors/supervisor.ts) provides; crash times arrive on the events.
import { assign, setup, spawnChild, stopChild } from 'xstate';
import type { ActorId } from './types.ts';

export interface SupervisorInput {
  readonly order: readonly ActorId[];
  readonly restartsMax: number;
  readonly restartPeriodMs: number;
}

export interface SupervisorContext extends SupervisorInput {
  /** How many actors have reported ready during start-up. */
  readonly startedCount: number;
  readonly restarts: Readonly<Record<string, number>>;
  /** Times (monotonic ms) of recent restarts, for the intensity check. */
  readonly recentRestartsMs: readonly number[];
  readonly exitReason: string | null;
}

export type SupervisorEvent =
  | { type: 'actor.ready'; id: ActorId }
  | { type: 'actor.crashed'; id: ActorId; error: string; atMs: number }
  | { type: 'node.shutdown'; reason: string }
  | { type: 'node.stopped' };

const recentWithin = (ctx: SupervisorContext, atMs: number): number[] =>
  ctx.recentRestartsMs.filter((t) => atMs - t < ctx.restartPeriodMs);

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    input: {} as SupervisorInput,
  },
  actors: {
    // Replaced by the shell with a callback actor that runs one NodeActor.
    actorHost: {} as import('xstate').AnyActorLogic,
  },
  guards: {
    moreToStart: ({ context }) => context.startedCount + 1 < context.order.length,
    withinIntensity: ({ context, event }) =>
      event.type === 'actor.crashed' && recentWithin(context, event.atMs).length < context.restartsMax,
  },
  actions: {
    spawnNext: spawnChild('actorHost', {
      id: ({ context }: { context: SupervisorContext }) => context.order[context.startedCount] ?? 'none',
      input: ({ context }: { context: SupervisorContext }) => ({ id: context.order[context.startedCount] }),
    }),
    countStarted: assign({ startedCount: ({ context }) => context.startedCount + 1 }),
    recordRestart: assign(({ context, event }) => {
      if (event.type !== 'actor.crashed') return {};
      return {
        restarts: { ...context.restarts, [event.id]: (context.restarts[event.id] ?? 0) + 1 },
        recentRestartsMs: [...recentWithin(context, event.atMs), event.atMs],
      };
    }),
    stopCrashed: stopChild(({ event }) => (event.type === 'actor.crashed' ? event.id : 'none')),
    spawnCrashed: spawnChild('actorHost', {
      id: ({ event }: { event: SupervisorEvent }) => (event.type === 'actor.crashed' ? event.id : 'none'),
      input: ({ event }: { event: SupervisorEvent }) => ({ id: event.type === 'actor.crashed' ? event.id : undefined }),
    }),
    recordEscalation: assign({
      exitReason: ({ event }) =>
        event.type === 'actor.crashed'
          ? `restart intensity exceeded: ${event.id} crashed (${event.error})`
          : null,
    }),
    recordShutdown: assign({
      exitReason: ({ event, context }) =>
        event.type === 'node.shutdown' ? context.exitReason ?? event.reason : context.exitReason,
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({
    ...input,
    startedCount: 0,
    restarts: Object.fromEntries(input.order.map((id) => [id, 0])),
    recentRestartsMs: [],
    exitReason: null,
  }),
  initial: 'starting',
  states: {
    starting: {
      entry: 'spawnNext',
      on: {
        'actor.ready': [
          { guard: 'moreToStart', actions: ['countStarted', 'spawnNext'] },
          { target: 'running', actions: 'countStarted' },
        ],
      },
    },
    running: {},
    escalated: {
      description: 'Restart intensity exceeded: the shell stops every actor and exits non-zero.',
      on: { 'node.stopped': 'stopped' },
    },
    stopping: {
      description: 'Graceful shutdown: the shell stops the actors in reverse start order.',
      on: { 'node.stopped': 'stopped' },
    },
    stopped: { type: 'final' },
  },
  on: {
    'actor.crashed': [
      { guard: 'withinIntensity', actions: ['recordRestart', 'stopCrashed', 'spawnCrashed'] },
      { target: '.escalated', actions: 'recordEscalation' },
    ],
    'node.shutdown': { target: '.stopping', actions: 'recordShutdown' },
  },
});
