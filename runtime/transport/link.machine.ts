// The dialling side's reconnect logic for one peer, as a statechart:
//
//   idle --link.start--> connecting --link.opened--> open --link.closed--> backoff
//                           |  ^                                             |
//                           |  +--------------(after backoffDelay)-----------+
//                           +--link.failed--> backoff
//   any --link.stop--> stopped (final)
//
// The machine decides *when* to dial; the shell (dialler.ts) does the dialling through the
// `dial` and `hangUp` actions it provides, and reports back with events. XState fits because the
// whole point is the states and the one timer, which `after` gives us (cancelled automatically
// when the state is left by link.stop). Randomness comes in as input, so a test can fix the jitter.
import { assign, setup } from 'xstate';
import { fullJitterDelayMs } from './backoff.ts';

export interface LinkInput {
  readonly backoffMsMin: number;
  readonly backoffMsMax: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export interface LinkContext extends LinkInput {
  /** Failed attempts since the last successful open. */
  readonly attempt: number;
  /** The delay chosen for the current backoff. */
  readonly delayMs: number;
}

export type LinkEvent =
  | { type: 'link.start' }
  | { type: 'link.opened' }
  | { type: 'link.failed' }
  | { type: 'link.closed' }
  | { type: 'link.stop' };

export const linkMachine = setup({
  types: {
    context: {} as LinkContext,
    events: {} as LinkEvent,
    input: {} as LinkInput,
  },
  actions: {
    // Placeholders: the shell provides the real ones with `linkMachine.provide`.
    dial: () => {},
    hangUp: () => {},
    countReconnect: () => {},
    planRetry: assign(({ context }) => ({
      delayMs: fullJitterDelayMs(context.attempt, context.backoffMsMin, context.backoffMsMax, context.random()),
      attempt: context.attempt + 1,
    })),
    resetAttempts: assign({ attempt: 0, delayMs: 0 }),
  },
  delays: {
    backoffDelay: ({ context }) => context.delayMs,
  },
}).createMachine({
  id: 'peerLink',
  context: ({ input }) => ({ ...input, attempt: 0, delayMs: 0 }),
  initial: 'idle',
  on: {
    'link.stop': { target: '.stopped' },
  },
  states: {
    idle: {
      on: { 'link.start': { target: 'connecting' } },
    },
    connecting: {
      entry: 'dial',
      on: {
        'link.opened': { target: 'open', actions: 'resetAttempts' },
        'link.failed': { target: 'backoff', actions: 'planRetry' },
      },
    },
    open: {
      on: {
        'link.closed': { target: 'backoff', actions: 'planRetry' },
      },
    },
    backoff: {
      after: {
        backoffDelay: { target: 'connecting', actions: 'countReconnect' },
      },
    },
    stopped: {
      type: 'final',
      entry: 'hangUp',
    },
  },
});
