// The Raft core: one node's whole consensus state, stepped one input at a time, answering with
// the list of effects to carry out (see effects.ts). It is deterministic and does no I/O: time
// arrives in the inputs, randomness and HLC stamps through the functions it is built with. Role
// decisions go through the leader-election machine, commit decisions through the log-replication
// machine and per-follower flow control through one peer-progress machine per follower, all
// stepped with XState's pure `transition()`; entries themselves never pass through XState.
//
// A proposal is answered by what the log shows at the position it was appended at, never by a
// change of leader: success once that entry commits, NOT_COMMITTED once another entry commits in
// its place, OUTCOME_UNKNOWN when nothing here can tell (a later term's snapshot, a timeout).
//
// The core mutates its own state in place (copying the log on every step would cost more than
// the rest of the protocol); callers must treat it as owned by one serial loop.
import { initialTransition, type SnapshotFrom } from 'xstate';
import { transition } from '../pure-transition.ts';
import type { Config } from '../config.ts';
import { leaderElectionMachine, roleOf, type ElectionEvent, type ElectionRole } from '../leader-election.machine.ts';
import { logReplicationMachine, type ReplicationEvent } from '../log-replication.machine.ts';
import { isPaused, peerProgressMachine, type ProgressEvent, type ProgressMode } from '../peer-progress.machine.ts';
import type { AppendEntries, AppendEntriesReply, InstallSnapshot, InstallSnapshotReply, RaftMessage } from '../raft-events.ts';
import type { HardState, LogEntry, NodeId } from '../types.ts';
import { textLength, type SnapshotText } from '../snapshot-text.ts';
import { appendedNotice, ERR, failure, placedFailure, placementOf, readAppendedNotice, type Effect, type ProposeResult, type ReplyResult } from './effects.ts';
import { LogView } from './log-view.ts';
import { majority, quorumIndex } from './quorum.ts';
import { termGate } from './term-gate.ts';
import { ForwardBook, LeaderWaitBook, ProposalBook, ReadBook, RecentRequests, type Forward, type PendingProposal } from './requests.ts';
import { chunkAt, SnapshotReceiver, type OutgoingSnapshot } from './snapshot-transfer.ts';
import { shouldGrantVote } from './vote.ts';

export interface RaftDeps {
  readonly self: NodeId;
  readonly peers: readonly NodeId[];
  readonly raft: Config['raft'];
  /** Uniform in [0, 1), from the node's seeded PRNG (election jitter). */
  readonly random: () => number;
  /** A fresh HLC stamp for an entry this node appends as leader. */
  readonly stamp: () => string;
  /** Merge a stamp into the node's HLC (a new leader observes its last entry first). */
  readonly observeStamp: (stamp: string) => void;
}

export interface RaftRecovered {
  readonly hardState: HardState;
  readonly snapshot: { readonly meta: { readonly index: number; readonly term: number }; readonly data: SnapshotText } | null;
  readonly entries: readonly LogEntry[];
}

export type RaftInput =
  | { readonly type: 'peer.message'; readonly from: NodeId; readonly message: RaftMessage; readonly now: number }
  | { readonly type: 'tick'; readonly now: number; readonly fenced: boolean }
  | { readonly type: 'client.propose'; readonly reqId: string; readonly data: string; readonly now: number }
  | { readonly type: 'client.readIndex'; readonly reqId: string; readonly now: number }
  | { readonly type: 'client.transfer'; readonly reqId: string; readonly target: NodeId | null; readonly now: number }
  /** Everything up to (index, term) is on this node's disk. */
  | { readonly type: 'local.persisted'; readonly index: number; readonly term: number }
  /** The ledger's state at `index` (for compaction). */
  | { readonly type: 'local.snapshot'; readonly index: number; readonly data: SnapshotText }
  /** The transport's link to `peer` came up or went down (sends to a down link are dropped). */
  | { readonly type: 'local.link'; readonly peer: NodeId; readonly up: boolean; readonly now: number };

type ElectionSnap = SnapshotFrom<typeof leaderElectionMachine>;
type ReplicationSnap = SnapshotFrom<typeof logReplicationMachine>;
type ProgressSnap = SnapshotFrom<typeof peerProgressMachine>;

interface Transfer {
  readonly target: NodeId;
  readonly reqId: string | null;
  readonly deadline: number;
  timeoutNowSent: boolean;
}

const ENTRY_OVERHEAD_BYTES = 64;

export class RaftCore {
  readonly self: NodeId;
  readonly peers: readonly NodeId[];
  private readonly cfg: Config['raft'];
  private readonly deps: RaftDeps;
  private readonly voters: readonly NodeId[];

  private election: ElectionSnap;
  private replication: ReplicationSnap;
  private progress = new Map<NodeId, ProgressSnap>();

  readonly log: LogView;
  private snapshot: { index: number; term: number; data: SnapshotText } | null;
  private durableIndex: number;
  private applied: number;

  private now = 0;
  private fenced = false;
  private electionDeadline = 0;
  private heartbeatDeadline = 0;
  private checkQuorumDeadline = 0;
  private lastLeaderContact = Number.NEGATIVE_INFINITY;
  /** When this node last heard from a leader or was one itself (an election's `quietMs`). */
  private quietSince = Number.NEGATIVE_INFINITY;
  private lastKnownLeader: NodeId | null = null;
  /** Peers the transport reported down (and that have not spoken since): nothing we send arrives. */
  private linksDown = new Set<NodeId>();
  /** When the leader last sent each follower an append, and last heard from it (heartbeats, check-quorum). */
  private readonly appendSentAt = new Map<NodeId, number>();
  private readonly heardAt = new Map<NodeId, number>();

  private readonly proposals = new ProposalBook();
  private readonly forwarded = new ForwardBook();
  /** Forwarded proposals received lately (a duplicated message must not append a request twice). */
  private readonly seenForwards: RecentRequests;
  private readonly waitingForLeader = new LeaderWaitBook();
  private readonly reads = new ReadBook();
  private transfer: Transfer | null = null;
  private outgoing = new Map<NodeId, OutgoingSnapshot>();
  private readonly incoming = new SnapshotReceiver();
  private broadcastDue = false;
  private commitDue = false;
  private heartbeatDue = false;

  private out: Effect[] = [];

  constructor(deps: RaftDeps, recovered: RaftRecovered, now: number) {
    this.deps = deps;
    this.self = deps.self;
    this.peers = deps.peers.filter((p) => p !== deps.self);
    this.voters = [deps.self, ...this.peers];
    this.cfg = deps.raft;
    this.seenForwards = new RecentRequests(Math.max(1024, 2 * this.cfg.pendingProposalsMax));
    const snap = recovered.snapshot;
    this.log = new LogView(snap?.meta.index ?? 0, snap?.meta.term ?? 0, recovered.entries);
    this.snapshot = snap ? { index: snap.meta.index, term: snap.meta.term, data: snap.data } : null;
    this.durableIndex = this.log.lastIndex();
    this.applied = this.log.snapshotIndex();
    this.election = initialTransition(leaderElectionMachine, {
      self: this.self,
      voters: this.voters,
      term: recovered.hardState.term,
      votedFor: recovered.hardState.votedFor,
      preVote: this.cfg.preVote,
    })[0];
    this.replication = initialTransition(logReplicationMachine, {
      term: recovered.hardState.term,
      commitIndex: this.log.snapshotIndex(),
    })[0];
    this.now = now;
    this.resetElectionTimer();
  }

  // ---- reading ----------------------------------------------------------------------------

  role(): ElectionRole {
    return roleOf(this.election.value);
  }
  term(): number {
    return this.election.context.term;
  }
  votedFor(): NodeId | null {
    return this.election.context.votedFor;
  }
  leader(): NodeId | null {
    return this.election.context.leader;
  }
  commitIndex(): number {
    return this.replication.context.commitIndex;
  }
  appliedIndex(): number {
    return this.applied;
  }
  persistedIndex(): number {
    return this.durableIndex;
  }
  snapshotData(): { index: number; term: number; data: SnapshotText } | null {
    return this.snapshot;
  }
  electionState(): ElectionSnap {
    return this.election;
  }
  replicationState(): ReplicationSnap {
    return this.replication;
  }
  progressOf(peer: NodeId): { mode: ProgressMode; match: number; next: number; inflight: number } | undefined {
    const p = this.progress.get(peer);
    if (!p) return undefined;
    return { mode: p.value as ProgressMode, match: p.context.match, next: p.context.next, inflight: p.context.inflight.length };
  }
  /** The earliest monotonic time at which a tick has something to do. */
  nextDeadline(): number {
    let d = this.role() === 'leader' ? Math.min(this.heartbeatDeadline, this.checkQuorumDeadline) : this.electionDeadline;
    d = Math.min(d, this.proposals.firstDeadline(), this.forwarded.firstDeadline(), this.reads.firstDeadline(), this.waitingForLeader.firstDeadline());
    if (this.transfer) d = Math.min(d, this.transfer.deadline);
    return d;
  }
  /** True once more than the configured number of applied entries follow the last snapshot. */
  wantsSnapshot(): boolean {
    return this.applied - this.log.snapshotIndex() > this.cfg.snapshotEntriesThreshold;
  }
  /** The newest snapshot and every committed entry after it (what a restarted ledger replays). */
  committedHistory(): { snapshot: { index: number; term: number; data: SnapshotText } | null; entries: LogEntry[] } {
    return { snapshot: this.snapshot, entries: this.log.slice(this.log.firstIndex(), this.commitIndex()) };
  }

  // ---- stepping ---------------------------------------------------------------------------

  /** Step one input; returns the effects it asks for, in order. Call `flush()` after a batch. */
  step(input: RaftInput): Effect[] {
    switch (input.type) {
      case 'peer.message':
        this.now = Math.max(this.now, input.now);
        this.onMessage(input.from, input.message);
        break;
      case 'tick':
        this.now = Math.max(this.now, input.now);
        this.fenced = input.fenced;
        this.onTick();
        break;
      case 'client.propose':
        this.now = Math.max(this.now, input.now);
        this.onPropose(input.reqId, input.data, null);
        break;
      case 'client.readIndex':
        this.now = Math.max(this.now, input.now);
        this.onReadIndex(input.reqId, null);
        break;
      case 'client.transfer':
        this.now = Math.max(this.now, input.now);
        this.onTransfer(input.reqId, input.target);
        break;
      case 'local.persisted':
        this.onPersisted(input.index, input.term);
        break;
      case 'local.snapshot':
        this.onLocalSnapshot(input.index, input.data);
        break;
      case 'local.link':
        this.now = Math.max(this.now, input.now);
        this.onLinkState(input.peer, input.up);
        break;
    }
    if (this.waitingForLeader.size > 0 && this.reachableLeader() !== null) this.releaseWaiting();
    return this.take();
  }

  /**
   * Send what a batch of inputs made due: one append per follower for many proposals, one
   * heartbeat round for many reads. The shell calls it after stepping each batch.
   */
  flush(): Effect[] {
    if (this.role() === 'leader') {
      if (this.heartbeatDue) this.broadcastHeartbeat();
      // A new commit index is sent on its own only when nothing newer is in flight. Otherwise the
      // next append carries it, or the commit that entry brings, within a round: under load a
      // quarter of the appends followers handled (each with its answer) held nothing else.
      const commitAlone = this.commitDue && this.commitIndex() >= this.log.lastIndex();
      if (this.broadcastDue || commitAlone) for (const p of this.peers) this.sendAppends(p, commitAlone);
    }
    this.heartbeatDue = false;
    this.broadcastDue = false;
    this.commitDue = false;
    return this.take();
  }

  private take(): Effect[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private emit(e: Effect): void {
    this.out.push(e);
  }

  private send(to: NodeId, message: RaftMessage, early = false): void {
    this.out.push({ type: 'send', to, message, early });
  }

  private reply(reqId: string, result: ReplyResult): void {
    this.out.push({ type: 'reply', reqId, result });
  }

  private trace(type: string, fields: Record<string, unknown> = {}): void {
    this.out.push({ type: 'trace', event: { type, term: this.term(), ...fields } });
  }

  // ---- machines -----------------------------------------------------------------------------

  private elect(ev: ElectionEvent): void {
    const before = this.role();
    const termBefore = this.term();
    const leaderBefore = this.leader();
    const [next, actions] = transition(leaderElectionMachine, this.election, ev);
    this.election = next;
    for (const a of actions) {
      if (a.type === 'persistHardState') {
        const p = a.params as { term: number; votedFor: NodeId | null };
        this.emit({ type: 'persist.hardState', hardState: { term: p.term, votedFor: p.votedFor } });
      } else if (a.type === 'requestVotes') {
        const p = a.params as { term: number; pre: boolean; transfer: boolean };
        // How long this node had not heard from a leader: what an operator asks of an election.
        const quietMs = Number.isFinite(this.quietSince) ? this.now - this.quietSince : null;
        if (p.pre) this.trace('election.started', { pre: true, campaignTerm: p.term, quietMs });
        else this.trace('election.started', { pre: false, campaignTerm: p.term, transfer: p.transfer, quietMs });
        for (const peer of this.peers) {
          this.send(peer, {
            type: 'peer.requestVote',
            term: p.term,
            lastLogIndex: this.log.lastIndex(),
            lastLogTerm: this.log.lastTerm(),
            pre: p.pre,
            transfer: p.transfer,
          });
        }
      }
    }
    const after = this.role();
    if (this.leader() !== null) this.lastKnownLeader = this.leader();
    if (after !== before || this.term() !== termBefore) this.onRoleChange(before, after, termBefore);
    if (this.leader() !== leaderBefore) this.failForwarded(this.forwarded.takeNotTo(this.leader()), `leader ${leaderBefore ?? 'none'} was replaced (now ${this.leader() ?? 'none'}, term ${this.term()})`);
  }

  private replicate(ev: ReplicationEvent): void {
    const [next, actions] = transition(logReplicationMachine, this.replication, ev);
    this.replication = next;
    for (const a of actions) {
      if (a.type === 'deliverCommitted') this.deliverCommitted();
    }
  }

  private stepProgress(peer: NodeId, ev: ProgressEvent): ProgressSnap | undefined {
    const p = this.progress.get(peer);
    if (!p) return undefined;
    const next = transition(peerProgressMachine, p, ev)[0];
    this.progress.set(peer, next);
    return next;
  }

  private onRoleChange(before: ElectionRole, after: ElectionRole, termBefore: number): void {
    if (before === 'leader' && (after !== 'leader' || this.term() !== termBefore)) this.leaveLeadership();
    if (after !== before) this.trace('role.changed', { from: before, to: after, leader: this.leader() });
    if (after === 'leader') {
      this.becomeLeader();
      return;
    }
    this.replicate({ type: 'role.follower', term: this.term() });
    this.resetElectionTimer();
  }

  private becomeLeader(): void {
    this.trace('leader.elected', { leader: this.self });
    this.replicate({ type: 'role.leader', term: this.term() });
    this.lastKnownLeader = this.self;
    this.progress.clear();
    this.appendSentAt.clear();
    this.heardAt.clear();
    this.outgoing.clear();
    this.reads.clearAcks();
    for (const peer of this.peers) {
      this.progress.set(
        peer,
        initialTransition(peerProgressMachine, { match: 0, next: this.log.lastIndex() + 1, inflightMax: this.cfg.appendsInFlightMax })[0],
      );
    }
    this.heartbeatDeadline = this.now + this.cfg.heartbeatIntervalMs;
    this.checkQuorumDeadline = this.now + this.cfg.electionTimeoutMsMax;
    const last = this.log.entry(this.log.lastIndex());
    if (last) this.deps.observeStamp(last.hlc);
    // A no-op of our own term lets entries of earlier terms commit beneath it (Raft 5.4.2, 8).
    this.appendLocal({ index: this.log.lastIndex() + 1, term: this.term(), kind: 'noop', hlc: this.deps.stamp(), data: '' });
    for (const peer of this.peers) this.sendAppends(peer, true);
    this.maybeCommit();
  }

  /**
   * Pending proposals are not answered here: an entry appended in our term may still commit
   * under the next leader (or be replaced). They stay in the book until the commit index or a
   * snapshot covers them, or they time out. Reads have no effect, so they fail at once.
   */
  private leaveLeadership(): void {
    this.quietSince = this.now;
    const leader = this.leader();
    if (this.proposals.size > 0) this.trace('proposals.kept', { count: this.proposals.size, reason: 'leadership lost; the commit index will decide them' });
    const readWhy = failure(ERR.leaderChanged, 'leadership changed before the read was confirmed', leader, this.cfg.electionTimeoutMsMin);
    for (const r of this.reads.takeAll()) this.answerRead(r.reqId, r.origin, readWhy);
    if (this.transfer) {
      if (this.transfer.reqId) this.reply(this.transfer.reqId, { ok: true, leader: leader ?? this.transfer.target });
      this.transfer = null;
    }
    this.progress.clear();
    this.outgoing.clear();
  }

  // ---- timers -------------------------------------------------------------------------------

  private resetElectionTimer(): void {
    const span = Math.max(1, this.cfg.electionTimeoutMsMax - this.cfg.electionTimeoutMsMin);
    this.electionDeadline = this.now + this.cfg.electionTimeoutMsMin + Math.floor(this.deps.random() * span);
  }

  private inLease(): boolean {
    if (this.role() === 'leader') return true;
    return this.leader() !== null && this.now - this.lastLeaderContact < this.cfg.electionTimeoutMsMin;
  }

  private onTick(): void {
    if (this.role() === 'leader') {
      if (this.fenced) {
        this.trace('leader.stepDown', { reason: 'clock fenced' });
        this.elect({ type: 'leader.stepDown', reason: 'clock fenced' });
      } else {
        if (this.now >= this.checkQuorumDeadline) {
          // Active: heard from since the last check (which set the deadline now ending), ourselves included.
          const since = this.checkQuorumDeadline - this.cfg.electionTimeoutMsMax;
          this.checkQuorumDeadline = this.now + this.cfg.electionTimeoutMsMax;
          let active = 1;
          for (const peer of this.peers) if ((this.heardAt.get(peer) ?? Number.NEGATIVE_INFINITY) >= since) active++;
          if (this.cfg.checkQuorum && active < majority(this.voters.length)) {
            this.trace('leader.stepDown', { reason: 'check-quorum', active });
            this.elect({ type: 'leader.stepDown', reason: 'check-quorum' });
          }
        }
        if (this.role() === 'leader' && this.now >= this.heartbeatDeadline) this.broadcastHeartbeat();
        if (this.transfer && this.now >= this.transfer.deadline) {
          if (this.transfer.reqId) {
            this.reply(this.transfer.reqId, failure(ERR.timeout, `leader transfer to ${this.transfer.target} timed out`, this.self, 0));
          }
          this.transfer = null;
        }
      }
    } else if (this.now >= this.electionDeadline) {
      this.elect({ type: 'election.timeout', fenced: this.fenced });
      this.resetElectionTimer();
    }
    this.expireRequests();
  }

  private expireRequests(): void {
    const leader = this.leader();
    for (const p of this.proposals.takeExpired(this.now)) {
      this.answerProposal(p, this.notCommittedInTime(p.index, p.term, leader));
    }
    for (const f of this.forwarded.takeExpired(this.now)) {
      if (f.kind === 'read') this.reply(f.reqId, failure(ERR.timeout, 'the leader did not answer in time', leader, 0));
      else if (f.placed !== null) this.reply(f.reqId, this.notCommittedInTime(f.placed.index, f.placed.term, leader));
      else this.reply(f.reqId, failure(ERR.outcomeUnknown, `leader ${f.to} did not answer within ${this.cfg.proposalTimeoutMs} ms; the proposal may still commit`, leader, 0));
    }
    for (const w of this.waitingForLeader.takeExpired(this.now)) {
      const known = leader ?? this.lastKnownLeader;
      this.reply(w.reqId, failure(ERR.noLeader, `no reachable leader within ${this.cfg.proposalWaitForLeaderMs} ms (role ${this.role()}, term ${this.term()}, last known leader ${known ?? 'none'})`, known, this.cfg.heartbeatIntervalMs));
    }
    for (const r of this.reads.takeExpired(this.now)) {
      this.answerRead(r.reqId, r.origin, failure(ERR.timeout, 'the read could not be confirmed in time', leader, 0));
    }
  }

  // ---- inbound messages ---------------------------------------------------------------------

  private onMessage(from: NodeId, msg: RaftMessage): void {
    if (from === this.self || !this.voters.includes(from)) return;
    // Links carry both directions (one socket per pair): hearing from a peer means it is up again.
    this.linksDown.delete(from);
    const verdict = termGate({ term: this.term(), inLease: this.inLease() }, from, msg);
    if (verdict.kind === 'ignore') return;
    if (verdict.kind === 'reject') {
      if (verdict.reply) this.send(from, verdict.reply);
      return;
    }
    if (verdict.kind === 'stepDown') this.elect({ type: 'term.advance', term: verdict.term, leader: verdict.leader });
    if (this.role() === 'leader' && msg.term === this.term()) this.heardAt.set(from, this.now);

    switch (msg.type) {
      case 'peer.requestVote':
        return this.onRequestVote(from, msg);
      case 'peer.requestVoteReply':
        return this.elect({ type: 'vote.reply', from, term: msg.term, granted: msg.granted, pre: msg.pre });
      case 'peer.appendEntries':
        if (!this.acceptLeader(from)) return;
        return this.onAppend(from, msg);
      case 'peer.heartbeat':
        if (!this.acceptLeader(from)) return;
        this.commitTo(Math.min(msg.commit, this.log.lastIndex()));
        // Early: the answer claims nothing about this node's disk (the leader raises a follower's
        // match only from append answers), so it need not wait for the writes in flight, and
        // check-quorum and read confirmations measure whether the follower is there, not how
        // fast its disk is.
        return this.send(from, { type: 'peer.heartbeatReply', term: this.term(), ctx: msg.ctx, lastIndex: this.log.lastIndex() }, true);
      case 'peer.installSnapshot':
        if (!this.acceptLeader(from)) return;
        return this.onSnapshotChunk(from, msg);
      case 'peer.timeoutNow':
        if (this.role() === 'leader') return;
        this.trace('transfer.timeoutNow', { from });
        return this.elect({ type: 'election.timeoutNow', fenced: this.fenced });
      case 'peer.appendEntriesReply':
        if (this.role() === 'leader') this.onAppendReply(from, msg);
        return;
      case 'peer.heartbeatReply':
        if (this.role() === 'leader') this.onHeartbeatReply(from, msg.ctx, msg.lastIndex);
        return;
      case 'peer.installSnapshotReply':
        if (this.role() === 'leader') this.onSnapshotReply(from, msg);
        return;
      case 'peer.propose':
        return this.onPropose(msg.reqId, msg.data, from);
      case 'peer.readIndex':
        return this.onReadIndex(msg.reqId, from);
      case 'peer.proposeReply':
        return this.onProposeReply(from, msg);
      case 'peer.readIndexReply':
        if (this.forwarded.take(msg.reqId)) this.reply(msg.reqId, msg.result);
        return;
    }
  }

  /** A leader of our term spoke: follow it. False if that contradicts our own leadership. */
  private acceptLeader(from: NodeId): boolean {
    if (this.role() === 'leader') return false;
    if (this.role() !== 'follower' || this.leader() !== from) this.elect({ type: 'leader.seen', leader: from });
    this.lastLeaderContact = this.now;
    this.quietSince = this.now;
    this.resetElectionTimer();
    return true;
  }

  private onRequestVote(from: NodeId, msg: Extract<RaftMessage, { type: 'peer.requestVote' }>): void {
    const granted = shouldGrantVote(
      { term: this.term(), votedFor: this.votedFor(), leader: this.leader(), inLease: this.inLease() },
      {
        from,
        term: msg.term,
        pre: msg.pre,
        transfer: msg.transfer,
        logUpToDate: this.log.isUpToDate(msg.lastLogIndex, msg.lastLogTerm),
      },
    );
    if (granted && !msg.pre) {
      this.elect({ type: 'vote.grant', candidate: from });
      this.resetElectionTimer();
    } else if (granted) {
      // Give the asker a head start: whoever grants a pre-vote waits a full timeout before
      // campaigning, and a pre-candidate stands back, so two nodes that timed out together do
      // not both reach candidate and split the vote.
      if (this.role() === 'preCandidate') this.elect({ type: 'campaign.yield' });
      this.resetElectionTimer();
    }
    // A granted pre-vote answers at the term asked about; everything else at ours.
    const term = granted && msg.pre ? msg.term : this.term();
    this.send(from, { type: 'peer.requestVoteReply', term, granted, pre: msg.pre });
  }

  private onAppend(from: NodeId, msg: AppendEntries): void {
    const commit = this.commitIndex();
    if (msg.prevIndex < commit) {
      this.send(from, this.appendReply(true, commit));
      return;
    }
    if (!this.log.matchTerm(msg.prevIndex, msg.prevTerm)) {
      const last = this.log.lastIndex();
      let conflictTerm = 0;
      let conflictIndex = last + 1;
      if (msg.prevIndex <= last) {
        conflictTerm = this.log.term(msg.prevIndex) ?? 0;
        conflictIndex = this.log.firstIndexOfTermAt(msg.prevIndex);
      }
      this.send(from, { type: 'peer.appendEntriesReply', term: this.term(), success: false, index: msg.prevIndex, conflictTerm, conflictIndex, lastIndex: last });
      return;
    }
    const conflict = this.log.findConflict(msg.entries);
    if (conflict > 0) {
      if (conflict <= commit) throw new Error(`SYNCPAY_ERR_ASSERTION: append conflicts with committed entry ${conflict} (commit ${commit})`);
      if (conflict <= this.log.lastIndex()) {
        this.log.truncateFrom(conflict);
        this.durableIndex = Math.min(this.durableIndex, conflict - 1);
        this.emit({ type: 'persist.truncate', index: conflict });
      }
      const fresh = msg.entries.slice(conflict - msg.prevIndex - 1);
      this.log.append(fresh);
      this.emit({ type: 'persist.entries', entries: fresh });
    }
    const lastNew = msg.prevIndex + msg.entries.length;
    this.commitTo(Math.min(msg.commit, lastNew));
    this.send(from, this.appendReply(true, lastNew));
  }

  private appendReply(success: boolean, index: number): AppendEntriesReply {
    return { type: 'peer.appendEntriesReply', term: this.term(), success, index, conflictTerm: 0, conflictIndex: 0, lastIndex: this.log.lastIndex() };
  }

  private commitTo(index: number): void {
    if (index > this.commitIndex()) this.replicate({ type: 'commit.leader', index });
  }

  private onSnapshotChunk(from: NodeId, msg: InstallSnapshot): void {
    const answer = (nextOffset: number, done: boolean): void =>
      this.send(from, { type: 'peer.installSnapshotReply', term: this.term(), index: msg.index, nextOffset, done });
    if (msg.index <= this.commitIndex()) {
      // Already covered by what we know is committed: nothing to install.
      this.incoming.reset();
      answer(msg.total, true);
      return;
    }
    const verdict = this.incoming.accept(msg);
    if (verdict.kind === 'want') {
      answer(verdict.offset, false);
      return;
    }
    this.installSnapshot(verdict.index, verdict.term, verdict.data);
    answer(msg.total, true);
  }

  private installSnapshot(index: number, term: number, data: SnapshotText): void {
    const keepSuffix = this.log.term(index) === term;
    const lastBefore = this.log.lastIndex();
    this.log.restore(index, term);
    this.snapshot = { index, term, data };
    this.emit({ type: 'persist.snapshot', meta: { index, term }, data, local: false });
    if (!keepSuffix && lastBefore > index) this.emit({ type: 'persist.truncate', index: index + 1 });
    if (!keepSuffix) this.durableIndex = Math.min(this.durableIndex, index);
    this.replicate({ type: 'snapshot.installed', index });
    this.settle(this.commitIndex());
    if (this.applied < index) {
      this.applied = index;
      this.emit({ type: 'restore', index, term, data });
    }
    this.trace('snapshot.installed', { index, snapTerm: term });
  }

  // ---- leader: replication ------------------------------------------------------------------

  private appendLocal(entry: LogEntry): void {
    this.log.append([entry]);
    this.emit({ type: 'persist.entries', entries: [entry] });
  }

  /** Send to `peer` what its progress allows; `allowEmpty` sends a bare probe when nothing is new. */
  private sendAppends(peer: NodeId, allowEmpty: boolean): void {
    for (;;) {
      const p = this.progress.get(peer);
      if (!p) return;
      const mode = p.value as ProgressMode;
      if (isPaused(mode, p.context)) return;
      const next = p.context.next;
      const prevIndex = next - 1;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm === undefined) {
        this.startSnapshot(peer);
        return;
      }
      const entries = this.log.batch(next, this.cfg.entriesPerAppendMax, this.cfg.appendBytesMax);
      if (entries.length === 0 && !allowEmpty) return;
      const msg: AppendEntries = { type: 'peer.appendEntries', term: this.term(), prevIndex, prevTerm, entries, commit: this.commitIndex() };
      this.send(peer, msg, true);
      this.appendSentAt.set(peer, this.now);
      this.stepProgress(peer, { type: 'progress.sent', last: prevIndex + entries.length });
      if (entries.length === 0 || mode === 'probing') return;
      allowEmpty = false;
    }
  }

  private startSnapshot(peer: NodeId): void {
    const snap = this.snapshot;
    if (!snap) throw new Error(`SYNCPAY_ERR_ASSERTION: ${peer} needs compacted entries but there is no snapshot`);
    const out: OutgoingSnapshot = { index: snap.index, term: snap.term, data: snap.data, offset: 0 };
    this.outgoing.set(peer, out);
    this.stepProgress(peer, { type: 'progress.snapshotSent', index: snap.index });
    this.trace('snapshot.sending', { to: peer, index: snap.index });
    this.sendChunk(peer, out);
  }

  private sendChunk(peer: NodeId, out: OutgoingSnapshot): void {
    this.send(peer, { type: 'peer.installSnapshot', term: this.term(), ...chunkAt(out, this.cfg.snapshotChunkBytes) }, true);
  }

  private onSnapshotReply(from: NodeId, msg: InstallSnapshotReply): void {
    const out = this.outgoing.get(from);
    const p = this.progress.get(from);
    if (!out || !p || p.value !== 'snapshotting' || msg.index !== out.index) return;
    if (msg.done) {
      this.outgoing.delete(from);
      this.stepProgress(from, { type: 'progress.acked', index: msg.index });
      this.sendAppends(from, true);
      this.maybeCommit();
      return;
    }
    if (msg.nextOffset > textLength(out.data)) return;
    out.offset = msg.nextOffset;
    this.sendChunk(from, out);
  }

  private onAppendReply(from: NodeId, msg: AppendEntriesReply): void {
    const p = this.progress.get(from);
    if (!p) return;
    if (msg.success) {
      this.stepProgress(from, { type: 'progress.acked', index: msg.index });
      this.maybeCommit();
      this.maybeSendTimeoutNow(from);
      this.sendAppends(from, false);
      return;
    }
    if (p.value === 'probing' && msg.index === p.context.next - 1 && msg.lastIndex < p.context.match) {
      // The follower no longer holds what it once acknowledged (its disk was replaced).
      this.trace('progress.lost', { peer: from, match: p.context.match, lastIndex: msg.lastIndex });
      this.stepProgress(from, { type: 'progress.lost', lastIndex: msg.lastIndex });
    } else {
      let next = msg.conflictIndex;
      if (msg.conflictTerm > 0) {
        const mine = this.log.lastIndexOfTerm(msg.conflictTerm);
        if (mine > 0) next = mine + 1;
      }
      this.stepProgress(from, { type: 'progress.rejected', rejected: msg.index, next: Math.max(1, next) });
    }
    this.sendAppends(from, true);
  }

  private onHeartbeatReply(from: NodeId, ctx: number, lastIndex: number): void {
    let p = this.progress.get(from);
    if (!p) return;
    if (lastIndex < p.context.match && p.value === 'replicating' && p.context.inflight.length === 0) {
      // It no longer holds what it acknowledged (its disk was replaced): find its log again.
      // Checked only when nothing is in flight; a reordered old reply can still land here, and
      // lowering match only delays commits, never breaks them.
      this.trace('progress.lost', { peer: from, match: p.context.match, lastIndex });
      p = this.stepProgress(from, { type: 'progress.lost', lastIndex })!;
    }
    if (p.value === 'snapshotting') {
      const out = this.outgoing.get(from);
      if (out) this.sendChunk(from, out);
    } else {
      this.stepProgress(from, { type: 'progress.heartbeatAck' });
      if (p.context.match < this.log.lastIndex()) this.sendAppends(from, true);
    }
    if (ctx > 0) {
      for (const r of this.reads.ack(from, ctx, this.peers, majority(this.voters.length))) this.answerRead(r.reqId, r.origin, { ok: true, index: r.index });
    }
  }

  private maybeCommit(): void {
    const matches = [this.durableIndex];
    for (const peer of this.peers) matches.push(this.progress.get(peer)?.context.match ?? 0);
    const q = quorumIndex(matches);
    if (q <= this.commitIndex()) return;
    const entryTerm = this.log.term(q);
    if (entryTerm === undefined) return;
    this.replicate({ type: 'commit.quorum', index: q, entryTerm });
  }

  /** The commit index moved: answer proposals, hand entries to the ledger, release reads. */
  private deliverCommitted(): void {
    const commit = this.commitIndex();
    if (this.applied < commit) {
      const entries = this.log.slice(this.applied + 1, commit);
      if (entries.length > 0) this.emit({ type: 'apply', entries });
      this.applied = commit;
    }
    this.settle(commit);
    if (this.role() === 'leader') {
      // Followers learn the new commit index at once (an empty append if nothing else is due),
      // so they can apply, and serve reads, without waiting for the next heartbeat.
      this.commitDue = true;
      if (this.reads.hasParked() && this.log.term(commit) === this.term()) {
        for (const r of this.reads.unpark()) this.startRead(r.reqId, r.origin, r.deadline);
      }
    }
  }

  private onPersisted(index: number, term: number): void {
    if (this.log.term(index) !== term) return;
    this.durableIndex = Math.max(this.durableIndex, index);
    if (this.role() === 'leader') this.maybeCommit();
  }

  private onLocalSnapshot(index: number, data: SnapshotText): void {
    if (index <= this.log.snapshotIndex() || index > this.applied) return;
    const term = this.log.term(index);
    if (term === undefined) return;
    this.log.compact(index, term);
    this.snapshot = { index, term, data };
    this.emit({ type: 'persist.snapshot', meta: { index, term }, data, local: true });
    this.trace('snapshot.taken', { index });
  }

  private broadcastHeartbeat(): void {
    this.heartbeatDeadline = this.now + this.cfg.heartbeatIntervalMs;
    const ctx = this.reads.heartbeatContext();
    for (const peer of this.peers) {
      // Skipped while appends flow both ways: one sent within the interval told the follower the
      // leader is there, and an answer heard within it told check-quorum the follower is. A
      // follower whose disk holds its append answers back gets the heartbeat, which it answers at
      // once. Reads waiting for confirmation always need the heartbeat's round.
      const hb = this.cfg.heartbeatIntervalMs;
      if (ctx === 0 && this.now - (this.appendSentAt.get(peer) ?? Number.NEGATIVE_INFINITY) < hb
        && this.now - (this.heardAt.get(peer) ?? Number.NEGATIVE_INFINITY) < hb) continue;
      const match = this.progress.get(peer)?.context.match ?? 0;
      this.send(peer, { type: 'peer.heartbeat', term: this.term(), commit: Math.min(match, this.commitIndex()), ctx }, true);
    }
  }

  // ---- client requests ----------------------------------------------------------------------

  private onPropose(reqId: string, data: string, origin: NodeId | null): void {
    // Whatever role we hold, a forwarded request is acted on once: a second copy answered
    // "no leader" could overtake the first copy's notice, or a second copy could be appended.
    if (origin !== null && this.seenForwards.seen(`${origin} ${reqId}`, this.now, this.cfg.proposalTimeoutMs)) return;
    const answer = (result: ReplyResult): void => this.answerPropose(reqId, origin, result);
    const role = this.role();
    if (role !== 'leader') {
      if (origin !== null || !this.mayWaitForLeader()) {
        answer(this.noLeader());
        return;
      }
      this.forwardOrWait(reqId, 'propose', data);
      return;
    }
    if (this.transfer) {
      answer(failure(ERR.transferring, `leadership is moving to ${this.transfer.target}`, this.transfer.target, this.cfg.heartbeatIntervalMs));
      return;
    }
    const bytes = data.length + ENTRY_OVERHEAD_BYTES;
    const book = this.proposals;
    if (book.size >= this.cfg.pendingProposalsMax || book.uncommittedBytes + bytes > this.cfg.uncommittedBytesMax) {
      answer(failure(ERR.overloaded, `too much uncommitted work (${book.size} proposals, ${book.uncommittedBytes} bytes)`, this.self, this.cfg.heartbeatIntervalMs));
      return;
    }
    const entry: LogEntry = { index: this.log.lastIndex() + 1, term: this.term(), kind: 'command', hlc: this.deps.stamp(), data };
    this.appendLocal(entry);
    book.add({ reqId, origin, index: entry.index, term: entry.term, hlc: entry.hlc, bytes, deadline: this.now + this.cfg.proposalTimeoutMs });
    // The follower learns the position at once, so it can settle the request from its own commit
    // index should we go away before answering. It promises nothing durable: it may leave early.
    if (origin !== null) this.send(origin, { type: 'peer.proposeReply', term: this.term(), reqId, result: appendedNotice(this.self, entry.index, entry.term, entry.hlc) }, true);
    this.broadcastDue = true;
    if (this.peers.length === 0) this.maybeCommit();
  }

  /** A leader we can reach, if any: ourselves, or the leader we follow while its link is up. */
  private reachableLeader(): NodeId | null {
    if (this.role() === 'leader') return this.self;
    const leader = this.leader();
    return leader !== null && !this.linksDown.has(leader) ? leader : null;
  }

  /** False when no leader is reachable and requests may not wait for one (they fail at once). */
  private mayWaitForLeader(): boolean {
    return this.reachableLeader() !== null || this.cfg.proposalWaitForLeaderMs > 0;
  }

  /**
   * A local request on a node that does not lead: send it to the leader, or, while none is
   * reachable, hold it until one is (or until the wait runs out). A known leader behind a down
   * link counts as none: it is most likely dead, and its successor is what the request needs.
   */
  private forwardOrWait(reqId: string, kind: 'propose' | 'read', data: string): void {
    if (this.forwarded.size + this.waitingForLeader.size >= this.cfg.pendingProposalsMax) {
      this.reply(reqId, failure(ERR.overloaded, 'too many requests forwarded to the leader or waiting for one', this.leader(), this.cfg.heartbeatIntervalMs));
      return;
    }
    const leader = this.reachableLeader();
    if (leader === null) {
      this.waitingForLeader.add({ reqId, kind, data, deadline: this.now + this.cfg.proposalWaitForLeaderMs });
      return;
    }
    this.forwarded.add(reqId, leader, this.now + this.cfg.proposalTimeoutMs, kind);
    if (kind === 'propose') this.send(leader, { type: 'peer.propose', term: this.term(), reqId, data });
    else this.send(leader, { type: 'peer.readIndex', term: this.term(), reqId });
  }

  /** A leader became reachable: the held requests go to it (or are served here if it is us). */
  private releaseWaiting(): void {
    for (const w of this.waitingForLeader.takeAll()) {
      if (this.role() === 'leader') {
        if (w.kind === 'propose') this.onPropose(w.reqId, w.data, null);
        else this.onReadIndex(w.reqId, null);
      } else {
        this.forwardOrWait(w.reqId, w.kind, w.data);
      }
    }
  }

  /**
   * Forwarded requests whose answer can no longer come (that leader was replaced, or our link to
   * it dropped) and whose position we do not know fail now rather than at their deadline. A read
   * may simply be retried. A proposal may have been appended before the leader went, and nobody
   * told us where: OUTCOME_UNKNOWN, to be retried only under the same id or Idempotency-Key.
   * (Proposals whose position we know are not here: our commit index decides them.)
   */
  private failForwarded(forwards: readonly Forward[], why: string): void {
    if (forwards.length === 0) return;
    const leader = this.leader() ?? this.lastKnownLeader;
    for (const f of forwards) {
      if (f.kind === 'read') this.reply(f.reqId, failure(ERR.leaderChanged, `${why}; the read was not confirmed`, leader, this.cfg.heartbeatIntervalMs));
      else this.reply(f.reqId, failure(ERR.outcomeUnknown, `${why} before saying where it appended the proposal; it may still commit`, leader, this.cfg.heartbeatIntervalMs));
    }
    this.trace('forwarded.failed', { count: forwards.length, reason: why });
  }

  /**
   * The leader's answer to a forwarded proposal, or its notice of where it appended it. Once the
   * position is known only a verdict about that position settles the request: success, or a
   * failure that carries the same position.
   */
  private onProposeReply(from: NodeId, msg: Extract<RaftMessage, { type: 'peer.proposeReply' }>): void {
    const at = readAppendedNotice(msg.result);
    if (at !== null) {
      // A notice overtaken by our own commit index is decided at once, not at the next commit.
      if (this.forwarded.place(msg.reqId, from, at) && at.index <= this.commitIndex()) this.settle(this.commitIndex());
      return;
    }
    const f = this.forwarded.get(msg.reqId);
    if (!f) return;
    if (f.placed !== null && !msg.result.ok) {
      const where = placementOf(msg.result);
      if (where === null || where.index !== f.placed.index || where.term !== f.placed.term) return;
    }
    this.forwarded.take(msg.reqId);
    // The leader answers success once (index, term) is committed. If this log holds that entry,
    // it holds the leader's log up to it, so all of it is committed: learning that here saves the
    // wait for the next append to say so (the write's answer on this node waits for its apply).
    const done = msg.result;
    if (done.ok && 'term' in done && this.log.term(done.index) === done.term) this.commitTo(done.index);
    this.reply(msg.reqId, msg.result);
  }

  private onLinkState(peer: NodeId, up: boolean): void {
    if (peer === this.self || !this.voters.includes(peer)) return;
    if (up) {
      this.linksDown.delete(peer);
      return;
    }
    this.linksDown.add(peer);
    this.failForwarded(this.forwarded.takeTo(peer), `the link to leader ${peer} went down`);
  }

  /**
   * Answer every proposal whose fate is now decided: those at or below `upTo`, a point the commit
   * index or an installed snapshot has reached. Both our own (appended as leader, perhaps in an
   * earlier term) and those we forwarded and know the position of.
   */
  private settle(upTo: number): void {
    for (const p of this.proposals.takeUpTo(upTo)) this.answerProposal(p, this.verdict(p.index, p.term, p.hlc));
    for (const f of this.forwarded.takePlacedUpTo(upTo)) {
      const at = f.placed!;
      this.reply(f.reqId, this.verdict(at.index, at.term, at.hlc));
    }
  }

  /** The answer for a proposal appended at (index, term), once `index` is committed here. */
  private verdict(index: number, term: number, hlc: string): ProposeResult {
    const fate = this.fate(index, term);
    if (fate === 'committed') return { ok: true, index, term, hlc };
    const leader = this.leader() ?? this.lastKnownLeader;
    this.trace('proposal.settled', { index, entryTerm: term, fate });
    if (fate === 'replaced') {
      return placedFailure(ERR.notCommitted, `another entry committed at ${index}, where this proposal was appended in term ${term}: it will never commit, retrying is safe`, leader, this.cfg.heartbeatIntervalMs, index, term);
    }
    return placedFailure(ERR.outcomeUnknown, `a snapshot of a later term covers ${index}, where this proposal was appended in term ${term}: whether it committed is not known here`, leader, this.cfg.heartbeatIntervalMs, index, term);
  }

  /**
   * Whether the entry (index, term), appended by the leader of `term`, is the one committed at
   * `index`, for an index the commit index (or a snapshot) has reached. With the entry still in
   * the log the terms decide. Under a snapshot ending at (S, T): if T equals the entry's term,
   * the entry at S was appended by the same leader after ours, so by log matching ours is in the
   * committed prefix; if T is lower, every committed entry up to S has a term at most T, so ours
   * is not one of them; if T is higher, nothing here tells. (An uncommitted entry of another term
   * at `index` proves nothing: ours may still commit, Raft figure 8.)
   */
  private fate(index: number, term: number): 'committed' | 'replaced' | 'unknown' {
    const at = this.log.term(index);
    if (at !== undefined) return at === term ? 'committed' : 'replaced';
    if (index > this.log.snapshotIndex()) return 'unknown';
    const snapTerm = this.log.snapshotTerm();
    if (snapTerm === term) return 'committed';
    return snapTerm < term ? 'replaced' : 'unknown';
  }

  private answerProposal(p: PendingProposal, result: ReplyResult): void {
    this.answerPropose(p.reqId, p.origin, result);
  }

  private answerPropose(reqId: string, origin: NodeId | null, result: ReplyResult): void {
    if (origin === null) this.reply(reqId, result);
    else this.send(origin, { type: 'peer.proposeReply', term: this.term(), reqId, result: result as never });
  }

  /** Neither leading nor able to wait for a leader: the answer names the last leader we knew. */
  private noLeader(): ReplyResult {
    const known = this.leader() ?? this.lastKnownLeader;
    return failure(ERR.noLeader, `no leader is known (role ${this.role()}, term ${this.term()}, last known leader ${known ?? 'none'})`, known, this.cfg.electionTimeoutMsMin);
  }

  private notCommittedInTime(index: number, term: number, leader: NodeId | null): ReplyResult {
    return placedFailure(ERR.outcomeUnknown, `the proposal appended at ${index} (term ${term}) did not commit within ${this.cfg.proposalTimeoutMs} ms; it may still commit`, leader, 0, index, term);
  }

  private answerRead(reqId: string, origin: NodeId | null, result: ReplyResult): void {
    if (origin === null) this.reply(reqId, result);
    else this.send(origin, { type: 'peer.readIndexReply', term: this.term(), reqId, result: result as never });
  }

  private onReadIndex(reqId: string, origin: NodeId | null): void {
    if (this.role() !== 'leader') {
      if (origin !== null || !this.mayWaitForLeader()) {
        this.answerRead(reqId, origin, this.noLeader());
        return;
      }
      this.forwardOrWait(reqId, 'read', '');
      return;
    }
    const deadline = this.now + this.cfg.proposalTimeoutMs;
    // Until an entry of our term commits we do not know the cluster's commit index (Raft 8).
    if (this.log.term(this.commitIndex()) !== this.term()) {
      this.reads.park({ reqId, origin, deadline });
      return;
    }
    this.startRead(reqId, origin, deadline);
  }

  private startRead(reqId: string, origin: NodeId | null, deadline: number): void {
    if (this.peers.length === 0) {
      this.answerRead(reqId, origin, { ok: true, index: this.commitIndex() });
      return;
    }
    // Reads arriving in one batch share one heartbeat round.
    if (this.reads.start({ reqId, origin, deadline }, this.commitIndex())) this.heartbeatDue = true;
  }

  private onTransfer(reqId: string, target: NodeId | null): void {
    if (this.role() !== 'leader') {
      this.reply(reqId, failure(ERR.notLeader, 'only the leader can hand over leadership', this.leader() ?? this.lastKnownLeader, 0));
      return;
    }
    let to = target;
    if (to === null) {
      let best = -1;
      for (const peer of this.peers) {
        const m = this.progress.get(peer)?.context.match ?? 0;
        if (m > best) {
          best = m;
          to = peer;
        }
      }
    }
    if (to === null || to === this.self) {
      this.reply(reqId, { ok: true, leader: this.self });
      return;
    }
    if (!this.peers.includes(to)) {
      this.reply(reqId, failure(ERR.notLeader, `unknown transfer target ${to}`, this.self, 0));
      return;
    }
    if (this.transfer?.reqId) this.reply(this.transfer.reqId, failure(ERR.transferring, 'superseded by a newer transfer', this.self, 0));
    this.transfer = { target: to, reqId, deadline: this.now + this.cfg.leaderTransferTimeoutMs, timeoutNowSent: false };
    this.trace('transfer.started', { target: to });
    this.maybeSendTimeoutNow(to);
    if (!this.transfer.timeoutNowSent) this.sendAppends(to, true);
  }

  private maybeSendTimeoutNow(peer: NodeId): void {
    const t = this.transfer;
    if (!t || t.target !== peer || t.timeoutNowSent) return;
    if ((this.progress.get(peer)?.context.match ?? 0) < this.log.lastIndex()) return;
    t.timeoutNowSent = true;
    this.send(peer, { type: 'peer.timeoutNow', term: this.term() }, true);
  }
}
