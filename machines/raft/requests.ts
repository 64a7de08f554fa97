// Bookkeeping for client requests in flight, kept apart from the protocol rules: the leader's
// proposals waiting to commit (with the uncommitted-bytes budget), the request ids a follower
// forwarded to its leader, requests held until a leader is known, and ReadIndex rounds waiting
// for a heartbeat quorum. Each book answers "what is done" or "what has expired"; the core turns
// those into replies and messages. Deadlines are monotonic milliseconds; every book is kept in
// deadline order because each of its timeouts is fixed.
import type { NodeId } from '../types.ts';

export interface PendingProposal {
  readonly reqId: string;
  /** null: proposed on this node; otherwise the follower that forwarded it. */
  readonly origin: NodeId | null;
  readonly index: number;
  readonly term: number;
  readonly hlc: string;
  readonly bytes: number;
  readonly deadline: number;
}

/** The leader's proposals, by log index (so also in deadline order). */
export class ProposalBook {
  private readonly byIndex = new Map<number, PendingProposal>();
  private bytes = 0;

  get size(): number {
    return this.byIndex.size;
  }
  get uncommittedBytes(): number {
    return this.bytes;
  }

  add(p: PendingProposal): void {
    this.byIndex.set(p.index, p);
    this.bytes += p.bytes;
  }

  /** Proposals at or below `commit`, oldest first, removed from the book. */
  takeCommitted(commit: number): PendingProposal[] {
    return this.takeWhile((p) => p.index <= commit);
  }

  takeExpired(now: number): PendingProposal[] {
    return this.takeWhile((p) => p.deadline <= now);
  }

  takeAll(): PendingProposal[] {
    return this.takeWhile(() => true);
  }

  firstDeadline(): number {
    const first = this.byIndex.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.deadline;
  }

  private takeWhile(pred: (p: PendingProposal) => boolean): PendingProposal[] {
    const out: PendingProposal[] = [];
    for (const [index, p] of this.byIndex) {
      if (!pred(p)) break;
      this.byIndex.delete(index);
      this.bytes -= p.bytes;
      out.push(p);
    }
    return out;
  }
}

/**
 * Request ids a follower forwarded to its leader (proposals and reads), awaiting its answer. Each
 * remembers which leader it went to: once that node is no longer our leader (or our link to it
 * dropped) its answer may never come, and the caller should hear so at once, not at the deadline.
 */
export class ForwardBook {
  private readonly waiting = new Map<string, { readonly to: NodeId; readonly deadline: number }>();

  get size(): number {
    return this.waiting.size;
  }

  add(reqId: string, to: NodeId, deadline: number): void {
    this.waiting.set(reqId, { to, deadline });
  }

  /** True when `reqId` was waiting (and is no longer). */
  take(reqId: string): boolean {
    return this.waiting.delete(reqId);
  }

  /** Ids forwarded to any node other than `leader` (all of them when it is null), removed. */
  takeNotTo(leader: NodeId | null): string[] {
    return this.takeIf((f) => f.to !== leader, false);
  }

  /** Ids forwarded to `peer`, removed. */
  takeTo(peer: NodeId): string[] {
    return this.takeIf((f) => f.to === peer, false);
  }

  takeExpired(now: number): string[] {
    return this.takeIf((f) => f.deadline <= now, true);
  }

  firstDeadline(): number {
    const first = this.waiting.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.deadline;
  }

  /** With `ordered`, stop at the first miss (entries are in deadline order). */
  private takeIf(pred: (f: { readonly to: NodeId; readonly deadline: number }) => boolean, ordered: boolean): string[] {
    const out: string[] = [];
    for (const [reqId, f] of this.waiting) {
      if (!pred(f)) {
        if (ordered) break;
        continue;
      }
      this.waiting.delete(reqId);
      out.push(reqId);
    }
    return out;
  }
}

export interface LeaderWait {
  readonly reqId: string;
  readonly kind: 'propose' | 'read';
  /** The command, for a proposal ('' for a read). */
  readonly data: string;
  /** Give up (NO_LEADER) at this time if still no leader is reachable. */
  readonly deadline: number;
}

/**
 * Local client requests that arrived while no leader was reachable (between a leader's death and
 * its successor's election). They are held, briefly, and then handed to whichever leader emerges:
 * a client that waits sees a slow write instead of a failure. Nothing here was sent anywhere, so
 * giving up is a clean "not done".
 */
export class LeaderWaitBook {
  private queue: LeaderWait[] = [];

  get size(): number {
    return this.queue.length;
  }

  add(w: LeaderWait): void {
    this.queue.push(w);
  }

  takeAll(): LeaderWait[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  takeExpired(now: number): LeaderWait[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n]!.deadline <= now) n++;
    return n === 0 ? [] : this.queue.splice(0, n);
  }

  firstDeadline(): number {
    return this.queue[0]?.deadline ?? Number.POSITIVE_INFINITY;
  }
}

export interface ReadRequest {
  readonly reqId: string;
  readonly origin: NodeId | null;
  readonly deadline: number;
}
export interface ConfirmedRead extends ReadRequest {
  readonly index: number;
}

/**
 * ReadIndex on the leader. A read waits for an entry of the leader's term to commit (until then
 * the leader does not know the cluster's commit index), then records the commit index and a
 * heartbeat round number; it is confirmed once a majority has answered a heartbeat of that
 * round or a later one. Reads arriving together share one round.
 */
export class ReadBook {
  private awaitingCommit: ReadRequest[] = [];
  private rounds: Array<ReadRequest & { readonly index: number; readonly round: number }> = [];
  private round = 0;
  private roundOpen = false;
  private readonly acked = new Map<NodeId, number>();

  /** A read arrived before the leader committed in its term. */
  park(r: ReadRequest): void {
    this.awaitingCommit.push(r);
  }

  /** Everything parked, removed (the leader just committed in its term). */
  unpark(): ReadRequest[] {
    const out = this.awaitingCommit;
    this.awaitingCommit = [];
    return out;
  }

  /** Record a read at `index`; true when it opened a new round (a heartbeat must go out). */
  start(r: ReadRequest, index: number): boolean {
    const opened = !this.roundOpen;
    if (opened) {
      this.round++;
      this.roundOpen = true;
    }
    this.rounds.push({ ...r, index, round: this.round });
    return opened;
  }

  /** The round a heartbeat sent now confirms (0: no read waiting); closes the open round. */
  heartbeatContext(): number {
    this.roundOpen = false;
    return this.rounds.length > 0 ? this.round : 0;
  }

  /** A follower answered a heartbeat of round `ctx`: the reads now confirmed, in order. */
  ack(peer: NodeId, ctx: number, peers: readonly NodeId[], majority: number): ConfirmedRead[] {
    this.acked.set(peer, Math.max(this.acked.get(peer) ?? 0, ctx));
    const out: ConfirmedRead[] = [];
    while (this.rounds[0]) {
      const r = this.rounds[0];
      let acks = 1;
      for (const p of peers) if ((this.acked.get(p) ?? 0) >= r.round) acks++;
      if (acks < majority) break;
      this.rounds.shift();
      out.push({ reqId: r.reqId, origin: r.origin, deadline: r.deadline, index: r.index });
    }
    return out;
  }

  takeExpired(now: number): ReadRequest[] {
    const out: ReadRequest[] = [];
    while (this.rounds[0] && this.rounds[0].deadline <= now) out.push(this.rounds.shift()!);
    while (this.awaitingCommit[0] && this.awaitingCommit[0].deadline <= now) out.push(this.awaitingCommit.shift()!);
    return out;
  }

  takeAll(): ReadRequest[] {
    const out: ReadRequest[] = [...this.rounds, ...this.awaitingCommit];
    this.rounds = [];
    this.awaitingCommit = [];
    this.roundOpen = false;
    return out;
  }

  /** A new term of leadership: followers' answers to older rounds mean nothing now. */
  clearAcks(): void {
    this.acked.clear();
  }

  hasParked(): boolean {
    return this.awaitingCommit.length > 0;
  }

  firstDeadline(): number {
    return Math.min(this.rounds[0]?.deadline ?? Number.POSITIVE_INFINITY, this.awaitingCommit[0]?.deadline ?? Number.POSITIVE_INFINITY);
  }
}
