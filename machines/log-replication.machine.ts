// The log half of Raft at the level of decisions: whether this node leads replication or follows,
// and the commit index. It holds Raft's commit rule (5.4.2): a leader may only commit by counting
// replicas for an entry of its own term; older entries commit indirectly beneath it. Per-entry work
// (appending, batching) stays in the core; this machine sees one event per commit step.
import { assign, setup } from 'xstate';

export interface ReplicationContext {
  readonly term: number;
  readonly commitIndex: number;
}

export interface ReplicationInput {
  readonly term: number;
  readonly commitIndex: number;
}

export type ReplicationEvent =
  | { readonly type: 'role.leader'; readonly term: number }
  | { readonly type: 'role.follower'; readonly term: number }
  /** Leader: `index` is held by a majority (self counted only once durable); its entry has `entryTerm`. */
  | { readonly type: 'commit.quorum'; readonly index: number; readonly entryTerm: number }
  /** Follower: the leader's commit index, already capped to what we know matches its log. */
  | { readonly type: 'commit.leader'; readonly index: number }
  /** An installed snapshot (InstallSnapshot) covers everything up to `index`. */
  | { readonly type: 'snapshot.installed'; readonly index: number };

export interface DeliverParams {
  readonly from: number;
  readonly to: number;
}

export const logReplicationMachine = setup({
  types: {} as { context: ReplicationContext; events: ReplicationEvent; input: ReplicationInput },
  actions: {
    // Effect: hand entries (from, to] to the ledger once they are durable.
    deliverCommitted: (_, _params: DeliverParams) => {},
    adoptTerm: assign(({ event }) => (event.type === 'role.leader' || event.type === 'role.follower' ? { term: event.term } : {})),
    advanceCommit: assign(({ event }) =>
      event.type === 'commit.quorum' || event.type === 'commit.leader' ? { commitIndex: event.index } : {},
    ),
    coverSnapshot: assign(({ context, event }) =>
      event.type === 'snapshot.installed' ? { commitIndex: Math.max(context.commitIndex, event.index) } : {},
    ),
  },
  guards: {
    currentTermMajority: ({ context, event }) =>
      event.type === 'commit.quorum' && event.entryTerm === context.term && event.index > context.commitIndex,
    leaderAhead: ({ context, event }) => event.type === 'commit.leader' && event.index > context.commitIndex,
  },
}).createMachine({
  id: 'log-replication',
  // Stepping builds an actor of the machine without input (once per machine, or once per call with
  // xstate's own transition()): default every field so that never throws.
  context: ({ input }) => ({ term: input?.term ?? 0, commitIndex: input?.commitIndex ?? 0 }),
  initial: 'following',
  on: {
    'role.leader': { target: '.leading', actions: 'adoptTerm' },
    'role.follower': { target: '.following', actions: 'adoptTerm' },
    'snapshot.installed': { actions: 'coverSnapshot' },
  },
  states: {
    following: {
      on: {
        'commit.leader': {
          guard: 'leaderAhead',
          actions: [
            { type: 'deliverCommitted', params: ({ context, event }) => ({ from: context.commitIndex, to: (event as { index: number }).index }) },
            'advanceCommit',
          ],
        },
      },
    },
    leading: {
      on: {
        'commit.quorum': {
          guard: 'currentTermMajority',
          actions: [
            { type: 'deliverCommitted', params: ({ context, event }) => ({ from: context.commitIndex, to: (event as { index: number }).index }) },
            'advanceCommit',
          ],
        },
      },
    },
  },
});
