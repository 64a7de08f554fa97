// The heartbeat machine: the liveness of every peer link as one parallel region per peer, each
// alive, suspect or down by phi accrual (machines/heartbeat/phi.ts). It owns when a peer's state
// changes; the actor owns pinging and timers. Stepped purely with XState's transition(): time
// arrives in events (`atMono`), and each state change comes back as a `notePeerState` action for
// the actor to trace and log. Link liveness is reported, never acted on: elections stay Raft's.
import { assign, setup } from 'xstate';
import type { NodeId } from './types.ts';
import {
  phiAt,
  phiLevel,
  phiRecord,
  phiResume,
  phiSeed,
  suspectThreshold,
  type PeerLevel,
  type PhiHistory,
  type PhiOptions,
} from './heartbeat/phi.ts';

export interface PeerLink {
  readonly phi: PhiHistory;
  /** Monotonic time of the last pong, null before the first. */
  readonly lastSeenMono: number | null;
  /** Round trip of the last pong (monotonic ms), null before the first. */
  readonly rttMs: number | null;
  /**
   * Silence (ms since the last heartbeat) when the peer was last declared down, null if never:
   * what the detector's bound is about, recorded at the moment of the verdict so that an
   * observer need not time it from outside.
   */
  readonly downAfterMs: number | null;
}

export interface HeartbeatContext {
  readonly options: PhiOptions;
  readonly links: Readonly<Record<NodeId, PeerLink>>;
}

export interface HeartbeatInput {
  readonly peers: readonly NodeId[];
  readonly startMono: number;
  readonly intervalMs: number;
  readonly options: PhiOptions;
}

export type HeartbeatEvent =
  | { readonly type: 'peer.pong'; readonly peer: NodeId; readonly atMono: number; readonly rttMs: number | null }
  | { readonly type: 'heartbeat.check'; readonly atMono: number };

/** The effect a state change produces (the params of the `notePeerState` action). */
export interface PeerStateChange {
  readonly peer: NodeId;
  readonly from: PeerLevel;
  readonly to: PeerLevel;
}

type PeerParams = { readonly peer: NodeId };

function linkOf(context: HeartbeatContext, peer: NodeId): PeerLink | undefined {
  return context.links[peer];
}

function phiNow(context: HeartbeatContext, peer: NodeId, atMono: number): number {
  const link = linkOf(context, peer);
  return link === undefined ? 0 : phiAt(link.phi, atMono, context.options);
}

const heartbeatSetup = setup({
  types: {
    context: {} as HeartbeatContext,
    events: {} as HeartbeatEvent,
    input: {} as HeartbeatInput,
  },
  guards: {
    isFromPeer: ({ event }, p: PeerParams) => event.type === 'peer.pong' && event.peer === p.peer,
    phiReachesDown: ({ context, event }, p: PeerParams) =>
      phiLevel(phiNow(context, p.peer, event.atMono), context.options.threshold) === 'down',
    phiReachesSuspect: ({ context, event }, p: PeerParams) =>
      phiLevel(phiNow(context, p.peer, event.atMono), context.options.threshold) === 'suspect',
    phiBelowSuspect: ({ context, event }, p: PeerParams) =>
      phiNow(context, p.peer, event.atMono) < suspectThreshold(context.options.threshold),
  },
  actions: {
    recordPong: assign(({ context, event }, p: PeerParams) => updateLink(context, event, p.peer, 'record')),
    resumePeer: assign(({ context, event }, p: PeerParams) => updateLink(context, event, p.peer, 'resume')),
    markDown: assign(({ context, event }, p: PeerParams) => {
      const link = linkOf(context, p.peer);
      if (link === undefined) return {};
      const next: PeerLink = { ...link, downAfterMs: Math.max(0, event.atMono - link.phi.lastArrivalMono) };
      return { links: { ...context.links, [p.peer]: next } };
    }),
    // An effect for the actor (trace + log): no-op here, so transition() hands it back.
    notePeerState: (_args, _change: PeerStateChange) => {},
  },
});

function updateLink(
  context: HeartbeatContext,
  event: HeartbeatEvent,
  peer: NodeId,
  how: 'record' | 'resume',
): Partial<HeartbeatContext> {
  const link = linkOf(context, peer);
  if (event.type !== 'peer.pong' || link === undefined) return {};
  // The first pong ends a silence that was link setup (dialling, authenticating, the peer still
  // booting), not a sample of the link's rhythm: like an outage, it restarts the clock only.
  const record = how === 'record' && link.lastSeenMono !== null;
  const phi = record ? phiRecord(link.phi, event.atMono, context.options.windowSize) : phiResume(link.phi, event.atMono);
  const next: PeerLink = { ...link, phi, lastSeenMono: event.atMono, rttMs: event.rttMs ?? link.rttMs };
  return { links: { ...context.links, [peer]: next } };
}

function note(peer: NodeId, from: PeerLevel, to: PeerLevel) {
  return { type: 'notePeerState' as const, params: { peer, from, to } };
}

function goDown(peer: NodeId, from: PeerLevel) {
  return [{ type: 'markDown' as const, params: { peer } }, note(peer, from, 'down')];
}

/** One region per peer. Pongs only ever make a peer alive; only checks (the passing of time) degrade it. */
function peerRegion(peer: NodeId) {
  const p = { peer };
  const pong = (from: PeerLevel, action: 'recordPong' | 'resumePeer') => ({
    guard: { type: 'isFromPeer' as const, params: p },
    target: 'alive' as const,
    actions: from === 'alive' ? [{ type: action, params: p }] : [{ type: action, params: p }, note(peer, from, 'alive')],
  });
  return {
    initial: 'alive' as const,
    states: {
      alive: {
        on: {
          'peer.pong': pong('alive', 'recordPong'),
          'heartbeat.check': [
            { guard: { type: 'phiReachesDown' as const, params: p }, target: 'down' as const, actions: goDown(peer, 'alive') },
            { guard: { type: 'phiReachesSuspect' as const, params: p }, target: 'suspect' as const, actions: note(peer, 'alive', 'suspect') },
          ],
        },
      },
      suspect: {
        on: {
          'peer.pong': pong('suspect', 'recordPong'),
          'heartbeat.check': [
            { guard: { type: 'phiReachesDown' as const, params: p }, target: 'down' as const, actions: goDown(peer, 'suspect') },
            { guard: { type: 'phiBelowSuspect' as const, params: p }, target: 'alive' as const, actions: note(peer, 'suspect', 'alive') },
          ],
        },
      },
      down: {
        on: { 'peer.pong': pong('down', 'resumePeer') },
      },
    },
  };
}

/**
 * The machine for a given set of peers (a region each, named by peer id). Every peer starts
 * alive with a seeded history as of `startMono`, so one that never answers goes down on the same
 * schedule as one that stops answering.
 */
export function createHeartbeatMachine(peers: readonly NodeId[]) {
  const regions: Record<string, ReturnType<typeof peerRegion>> = {};
  for (const peer of peers) regions[peer] = peerRegion(peer);
  return heartbeatSetup.createMachine({
    id: 'heartbeat',
    type: 'parallel',
    context: ({ input }) => ({
      options: input.options,
      links: Object.fromEntries(
        input.peers.map((peer): [NodeId, PeerLink] => [
          peer,
          { phi: phiSeed(input.startMono, input.intervalMs), lastSeenMono: null, rttMs: null, downAfterMs: null },
        ]),
      ),
    }),
    states: regions,
  });
}

export type HeartbeatMachine = ReturnType<typeof createHeartbeatMachine>;

/** The level of each peer in a snapshot's state value. */
export function peerLevels(value: unknown): Record<NodeId, PeerLevel> {
  const out: Record<NodeId, PeerLevel> = {};
  if (value && typeof value === 'object') {
    for (const [peer, level] of Object.entries(value as Record<string, unknown>)) {
      if (level === 'alive' || level === 'suspect' || level === 'down') out[peer] = level;
    }
  }
  return out;
}
