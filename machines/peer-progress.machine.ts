// What the leader knows about one follower's log, and how fast it may send to it: probing (one
// append in flight until the follower's position is known), replicating (pipelined, up to
// `inflightMax` appends outstanding), snapshotting (the follower needs entries the leader has
// compacted; an InstallSnapshot transfer is under way). Stepped once per append batch or reply, never
// per entry. All arithmetic on indexes happens here so the rules are testable on their own.
import { assign, setup } from 'xstate';

export interface ProgressContext {
  /** Highest index known to be durable on the follower and to match the leader's log. */
  readonly match: number;
  /** Next index to send. */
  readonly next: number;
  /** Last index of each append outstanding (replicating only), oldest first. */
  readonly inflight: readonly number[];
  readonly inflightMax: number;
  /** Probing: an append is outstanding, wait for its answer (or a heartbeat reply). */
  readonly probeSent: boolean;
  /** Snapshotting: index of the snapshot being installed. */
  readonly pendingSnapshot: number;
}

export interface ProgressInput {
  readonly match: number;
  readonly next: number;
  readonly inflightMax: number;
}

export type ProgressEvent =
  | { readonly type: 'progress.sent'; readonly last: number }
  | { readonly type: 'progress.acked'; readonly index: number }
  /** `rejected`: the prevIndex the follower refused; `next`: where the hint says to resume. */
  | { readonly type: 'progress.rejected'; readonly rejected: number; readonly next: number }
  | { readonly type: 'progress.heartbeatAck' }
  | { readonly type: 'progress.snapshotSent'; readonly index: number }
  | { readonly type: 'progress.snapshotAborted' }
  /** The follower reports a log shorter than what it once acknowledged (its disk was wiped). */
  | { readonly type: 'progress.lost'; readonly lastIndex: number };

export const peerProgressMachine = setup({
  types: {} as { context: ProgressContext; events: ProgressEvent; input: ProgressInput },
  actions: {
    markProbeSent: assign({ probeSent: true }),
    clearProbe: assign({ probeSent: false }),
    trackInflight: assign(({ context, event }) => {
      if (event.type !== 'progress.sent' || event.last < context.next) return {};
      return { next: event.last + 1, inflight: [...context.inflight, event.last] };
    }),
    ackReplicating: assign(({ context, event }) => {
      if (event.type !== 'progress.acked') return {};
      const match = Math.max(context.match, event.index);
      return { match, next: Math.max(context.next, match + 1), inflight: context.inflight.filter((i) => i > event.index) };
    }),
    ackProbe: assign(({ context, event }) => {
      if (event.type !== 'progress.acked') return {};
      const match = Math.max(context.match, event.index);
      return { match, next: match + 1, inflight: [], probeSent: false };
    }),
    backOff: assign(({ context, event }) => {
      if (event.type !== 'progress.rejected') return {};
      return { next: Math.max(context.match + 1, Math.min(event.rejected, event.next)), inflight: [], probeSent: false };
    }),
    freeFirstIfFull: assign(({ context }) =>
      context.inflight.length >= context.inflightMax ? { inflight: context.inflight.slice(1) } : {},
    ),
    beginSnapshot: assign(({ event }) =>
      event.type === 'progress.snapshotSent' ? { pendingSnapshot: event.index, inflight: [], probeSent: false } : {},
    ),
    endSnapshot: assign(({ context }) => ({ next: context.match + 1, pendingSnapshot: 0, probeSent: false })),
    forgetMatch: assign(({ context, event }) => {
      if (event.type !== 'progress.lost') return {};
      const match = Math.min(context.match, event.lastIndex);
      return { match, next: match + 1, inflight: [], probeSent: false, pendingSnapshot: 0 };
    }),
  },
  guards: {
    ackNotStale: ({ context, event }) => event.type === 'progress.acked' && event.index >= context.match,
    snapshotCovered: ({ context, event }) =>
      event.type === 'progress.acked' && Math.max(context.match, event.index) >= context.pendingSnapshot,
    rejectNotStale: ({ context, event }) => event.type === 'progress.rejected' && event.rejected > context.match,
    rejectOfProbe: ({ context, event }) => event.type === 'progress.rejected' && event.rejected === context.next - 1,
  },
}).createMachine({
  id: 'peer-progress',
  // Stepping builds an actor of the machine without input (once per machine, or once per call with
  // xstate's own transition()): default every field so that never throws.
  context: ({ input }) => ({
    match: input?.match ?? 0,
    next: input?.next ?? 1,
    inflight: [],
    inflightMax: input?.inflightMax ?? 1,
    probeSent: false,
    pendingSnapshot: 0,
  }),
  initial: 'probing',
  on: {
    'progress.lost': { target: '.probing', actions: 'forgetMatch' },
    'progress.snapshotSent': { target: '.snapshotting', actions: 'beginSnapshot' },
  },
  states: {
    probing: {
      on: {
        'progress.sent': { actions: 'markProbeSent' },
        'progress.acked': { guard: 'ackNotStale', target: 'replicating', actions: 'ackProbe' },
        'progress.rejected': { guard: 'rejectOfProbe', actions: 'backOff' },
        'progress.heartbeatAck': { actions: 'clearProbe' },
      },
    },
    replicating: {
      on: {
        'progress.sent': { actions: 'trackInflight' },
        'progress.acked': { actions: 'ackReplicating' },
        'progress.rejected': { guard: 'rejectNotStale', target: 'probing', actions: 'backOff' },
        'progress.heartbeatAck': { actions: 'freeFirstIfFull' },
      },
    },
    snapshotting: {
      on: {
        'progress.acked': { guard: 'snapshotCovered', target: 'probing', actions: ['ackReplicating', 'endSnapshot'] },
        'progress.snapshotAborted': { target: 'probing', actions: 'endSnapshot' },
      },
    },
  },
});

export type ProgressMode = 'probing' | 'replicating' | 'snapshotting';

/** Whether the leader must hold further appends to this follower for now. */
export function isPaused(mode: ProgressMode, ctx: ProgressContext): boolean {
  if (mode === 'probing') return ctx.probeSent;
  if (mode === 'replicating') return ctx.inflight.length >= ctx.inflightMax;
  return true;
}
