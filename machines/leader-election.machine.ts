// The role half of Raft: follower, preCandidate, candidate, leader, and the durable {term,
// votedFor}. The machine decides which role changes are legal and when the hard state must be
// persisted; it never counts entries or builds messages. Its custom actions come back from XState's
// pure `transition()` as effects (`persistHardState`, `requestVotes`) for the Raft core to carry out,
// so nothing here waits for a disk or touches a socket.
import { and, assign, setup } from 'xstate';
import { voteResult } from './raft/quorum.ts';
import type { NodeId } from './types.ts';

export interface ElectionContext {
  readonly self: NodeId;
  /** Every voter, self included. */
  readonly voters: readonly NodeId[];
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly leader: NodeId | null;
  readonly preVote: boolean;
  /** Answers in the current (pre-)campaign, self included. */
  readonly votes: Readonly<Record<NodeId, boolean>>;
  /** The current campaign was started by TimeoutNow (may break a leader lease). */
  readonly transfer: boolean;
}

export interface ElectionInput {
  readonly self: NodeId;
  readonly voters: readonly NodeId[];
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly preVote: boolean;
}

export type ElectionEvent =
  /** The randomised election timeout passed without hearing from a leader. */
  | { readonly type: 'election.timeout'; readonly fenced: boolean }
  /** The leader asked us to take over (leader transfer): campaign at once, skipping pre-vote. */
  | { readonly type: 'election.timeoutNow'; readonly fenced: boolean }
  | { readonly type: 'vote.reply'; readonly from: NodeId; readonly term: number; readonly granted: boolean; readonly pre: boolean }
  /** The term gate saw a newer term. */
  | { readonly type: 'term.advance'; readonly term: number; readonly leader: NodeId | null }
  /** A leader of our current term spoke to us. */
  | { readonly type: 'leader.seen'; readonly leader: NodeId }
  /** We grant our vote in the current term (the vote rule already said yes). */
  | { readonly type: 'vote.grant'; readonly candidate: NodeId }
  /** Check-quorum failed, the clock is fenced, or leadership was handed over. */
  | { readonly type: 'leader.stepDown'; readonly reason: string }
  /**
   * We granted another node's pre-vote while pre-campaigning ourselves: stand back. Two nodes
   * that time out together would otherwise both pass pre-vote and split the real vote.
   */
  | { readonly type: 'campaign.yield' };

export interface PersistHardStateParams {
  readonly term: number;
  readonly votedFor: NodeId | null;
}
export interface RequestVotesParams {
  readonly term: number;
  readonly pre: boolean;
  readonly transfer: boolean;
}

export const leaderElectionMachine = setup({
  types: {} as { context: ElectionContext; events: ElectionEvent; input: ElectionInput },
  actions: {
    // Effects: returned by transition(), carried out by the core (persist before any send).
    persistHardState: (_, _params: PersistHardStateParams) => {},
    requestVotes: (_, _params: RequestVotesParams) => {},
    enterPreCampaign: assign(({ context }) => ({ votes: { [context.self]: true }, leader: null, transfer: false })),
    enterCampaign: assign(({ context }) => ({
      term: context.term + 1,
      votedFor: context.self,
      votes: { [context.self]: true },
      leader: null,
    })),
    markTransfer: assign({ transfer: true }),
    clearTransfer: assign({ transfer: false }),
    recordVote: assign(({ context, event }) => {
      if (event.type !== 'vote.reply') return {};
      return { votes: { ...context.votes, [event.from]: event.granted } };
    }),
    adoptTerm: assign(({ event }) => {
      if (event.type !== 'term.advance') return {};
      return { term: event.term, votedFor: null, leader: event.leader, votes: {}, transfer: false };
    }),
    adoptLeader: assign(({ event }) => (event.type === 'leader.seen' ? { leader: event.leader, votes: {} } : {})),
    adoptVote: assign(({ event }) => (event.type === 'vote.grant' ? { votedFor: event.candidate } : {})),
    claimLeadership: assign(({ context }) => ({ leader: context.self, votes: {} })),
    forgetLeader: assign({ leader: null, votes: {} }),
  },
  guards: {
    mayCampaign: ({ event }) => (event.type === 'election.timeout' || event.type === 'election.timeoutNow') && !event.fenced,
    preVoteEnabled: ({ context }) => context.preVote,
    isPreVoteReply: ({ context, event }) =>
      event.type === 'vote.reply' &&
      event.pre &&
      (event.term === context.term + 1 || (!event.granted && event.term === context.term)),
    isVoteReply: ({ context, event }) => event.type === 'vote.reply' && !event.pre && event.term === context.term,
    won: ({ context }) => voteResult(context.voters, context.votes) === 'won',
    lost: ({ context }) => voteResult(context.voters, context.votes) === 'lost',
    isNewerTerm: ({ context, event }) => event.type === 'term.advance' && event.term > context.term,
  },
}).createMachine({
  id: 'leader-election',
  // Stepping builds an actor of the machine without input (once per machine, or once per call with
  // xstate's own transition()): default every field so that never throws.
  context: ({ input }) => ({
    self: input?.self ?? '',
    voters: input?.voters ?? [],
    term: input?.term ?? 0,
    votedFor: input?.votedFor ?? null,
    leader: null,
    preVote: input?.preVote ?? true,
    votes: {},
    transfer: false,
  }),
  initial: 'follower',
  on: {
    'term.advance': {
      guard: 'isNewerTerm',
      target: '.follower',
      actions: ['adoptTerm', { type: 'persistHardState', params: ({ context }) => ({ term: context.term, votedFor: null }) }],
    },
  },
  states: {
    follower: {
      on: {
        // Fenced (or otherwise barred): no transition; the core re-arms the timer.
        'election.timeout': [
          { guard: and(['mayCampaign', 'preVoteEnabled']), target: 'preCandidate' },
          { guard: 'mayCampaign', target: 'candidate', actions: 'clearTransfer' },
        ],
        'election.timeoutNow': { guard: 'mayCampaign', target: 'candidate', actions: 'markTransfer' },
        'leader.seen': { actions: 'adoptLeader' },
        'vote.grant': {
          actions: ['adoptVote', { type: 'persistHardState', params: ({ context }) => ({ term: context.term, votedFor: context.votedFor }) }],
        },
      },
    },
    preCandidate: {
      entry: [
        'enterPreCampaign',
        { type: 'requestVotes', params: ({ context }) => ({ term: context.term + 1, pre: true, transfer: false }) },
      ],
      always: [
        { guard: 'won', target: 'candidate' },
        { guard: 'lost', target: 'follower' },
      ],
      on: {
        'vote.reply': { guard: 'isPreVoteReply', actions: 'recordVote' },
        'campaign.yield': { target: 'follower' },
        'election.timeout': [{ guard: 'mayCampaign', target: 'preCandidate', reenter: true }, { target: 'follower' }],
        'leader.seen': { target: 'follower', actions: 'adoptLeader' },
      },
    },
    candidate: {
      entry: [
        'enterCampaign',
        { type: 'persistHardState', params: ({ context }) => ({ term: context.term, votedFor: context.self }) },
        { type: 'requestVotes', params: ({ context }) => ({ term: context.term, pre: false, transfer: context.transfer }) },
      ],
      always: [
        { guard: 'won', target: 'leader' },
        { guard: 'lost', target: 'follower' },
      ],
      on: {
        'vote.reply': { guard: 'isVoteReply', actions: 'recordVote' },
        'election.timeout': [
          { guard: and(['mayCampaign', 'preVoteEnabled']), target: 'preCandidate' },
          { guard: 'mayCampaign', target: 'candidate', reenter: true, actions: 'clearTransfer' },
          { target: 'follower' },
        ],
        'leader.seen': { target: 'follower', actions: 'adoptLeader' },
      },
    },
    leader: {
      entry: 'claimLeadership',
      on: {
        'leader.stepDown': { target: 'follower', actions: 'forgetLeader' },
      },
    },
  },
});

export type ElectionRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** The role named by a snapshot's state value (compound states report their parent). */
export function roleOf(value: unknown): ElectionRole {
  const name = typeof value === 'string' ? value : Object.keys(value as object)[0];
  if (name === 'follower' || name === 'preCandidate' || name === 'candidate' || name === 'leader') return name;
  throw new Error(`SYNCPAY_ERR_ASSERTION: unknown election state ${JSON.stringify(value)}`);
}
