// Bookkeeping for client requests in flight, kept apart from the protocol rules: the proposals a
// node appended as leader and has not answered (with the uncommitted-bytes budget), the requests
// a follower forwarded to its leader (and where the leader appended them), forwarded ids a leader
// has seen, requests held until a leader is known, and ReadIndex rounds waiting for a heartbeat
// quorum. Each book answers "what is done" or "what has expired"; the core turns
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

/** Where a leader appended a proposal: what the answer about it will be decided on. */
export interface Placement {
  readonly index: number;
  readonly term: number;
  readonly hlc: string;
}

/**
 * Items in index order, taken from the front as a commit index moves. A new item almost always
 * has the highest index (it was just appended), but a node that lost leadership and won it again
 * can hold older proposals at or above the index it now appends at: the rare other case is a
 * binary-search insert. Taking advances a head instead of shifting the array on every commit.
 */
class IndexQueue<T extends { readonly index: number }> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  insert(item: T): void {
    const items = this.items;
    const last = items[items.length - 1];
    if (this.length === 0 || last === undefined || last.index <= item.index) {
      items.push(item);
      return;
    }
    let lo = this.head;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.index <= item.index) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
  }

  /** Items at or below `index`, in order, removed. */
  takeUpTo(index: number): T[] {
    const out: T[] = [];
    const items = this.items;
    while (this.head < items.length && items[this.head]!.index <= index) out.push(items[this.head++]!);
    if (this.head === items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  /** Drop the items `keep` rejects (leftovers of requests answered another way). */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }
}

/**
 * Proposals this node appended as leader and has not answered yet. A proposal stays here when
 * its node loses leadership: whether it committed is decided later by what the node learns
 * (the commit index passing its index, or a snapshot covering it), or it times out. Two orders
 * are kept: arrival order, which is also deadline order (time only moves forward and the timeout
 * is fixed), and index order, in which commits settle them. Leaving by expiry removes a proposal
 * from the arrival set only; the index list drops such leftovers lazily.
 */
export class ProposalBook {
  private readonly live = new Set<PendingProposal>();
  private readonly byIndex = new IndexQueue<PendingProposal>();
  private bytes = 0;

  get size(): number {
    return this.live.size;
  }
  get uncommittedBytes(): number {
    return this.bytes;
  }

  add(p: PendingProposal): void {
    this.live.add(p);
    this.bytes += p.bytes;
    this.byIndex.insert(p);
  }

  /** Proposals at or below `index` (what a commit index or a snapshot now covers), in index order, removed. */
  takeUpTo(index: number): PendingProposal[] {
    const out: PendingProposal[] = [];
    for (const p of this.byIndex.takeUpTo(index)) {
      if (!this.live.delete(p)) continue;
      this.bytes -= p.bytes;
      out.push(p);
    }
    return out;
  }

  takeExpired(now: number): PendingProposal[] {
    const out: PendingProposal[] = [];
    for (const p of this.live) {
      if (p.deadline > now) break;
      this.live.delete(p);
      this.bytes -= p.bytes;
      out.push(p);
    }
    if (out.length > 0 && this.byIndex.length > 2 * this.live.size + 64) this.byIndex.retain((p) => this.live.has(p));
    return out;
  }

  firstDeadline(): number {
    const first = this.live.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.deadline;
  }
}

export interface Forward {
  readonly reqId: string;
  readonly kind: 'propose' | 'read';
  /** The leader it went to. */
  readonly to: NodeId;
  readonly deadline: number;
  /** Set once that leader said where it appended the proposal. */
  placed: Placement | null;
}

/**
 * Requests a follower forwarded to its leader (proposals and reads), awaiting the answer. Each
 * remembers which leader it went to, and, for a proposal, where that leader appended it once
 * the leader says so. A proposal whose position is known no longer depends on that leader: this
 * node's own commit index decides it. Until then, if the leader is replaced or its link drops,
 * its answer may never come, and the caller should hear so at once, not at the deadline.
 */
export class ForwardBook {
  /** Arrival order, also deadline order. */
  private readonly waiting = new Map<string, Forward>();
  /** Placed proposals in index order (leftovers of answered ones are dropped lazily). */
  private readonly placed = new IndexQueue<{ readonly index: number; readonly f: Forward }>();

  get size(): number {
    return this.waiting.size;
  }

  add(reqId: string, to: NodeId, deadline: number, kind: 'propose' | 'read' = 'propose'): void {
    this.waiting.set(reqId, { reqId, kind, to, deadline, placed: null });
  }

  get(reqId: string): Forward | undefined {
    return this.waiting.get(reqId);
  }

  /** The request, if it was waiting (and is no longer). */
  take(reqId: string): Forward | undefined {
    const f = this.waiting.get(reqId);
    if (f) this.waiting.delete(reqId);
    return f;
  }

  /**
   * Leader `from` appended proposal `reqId` at `at`. True when that was news. Only the leader it
   * went to can place it, and only once (a repeated notice changes nothing).
   */
  place(reqId: string, from: NodeId, at: Placement): boolean {
    const f = this.waiting.get(reqId);
    if (!f || f.kind !== 'propose' || f.to !== from || f.placed !== null) return false;
    f.placed = { index: at.index, term: at.term, hlc: at.hlc };
    this.placed.insert({ index: at.index, f });
    return true;
  }

  /** Unplaced requests forwarded to any node other than `leader` (all of them when it is null), removed. */
  takeNotTo(leader: NodeId | null): Forward[] {
    return this.takeIf((f) => f.placed === null && f.to !== leader, false);
  }

  /** Unplaced requests forwarded to `peer`, removed. */
  takeTo(peer: NodeId): Forward[] {
    return this.takeIf((f) => f.placed === null && f.to === peer, false);
  }

  /** Placed proposals at or below `index`, in index order, removed. */
  takePlacedUpTo(index: number): Forward[] {
    const out: Forward[] = [];
    for (const { f } of this.placed.takeUpTo(index)) {
      if (this.waiting.get(f.reqId) !== f) continue;
      this.waiting.delete(f.reqId);
      out.push(f);
    }
    return out;
  }

  takeExpired(now: number): Forward[] {
    const out = this.takeIf((f) => f.deadline <= now, true);
    if (out.length > 0 && this.placed.length > 2 * this.waiting.size + 64) this.placed.retain((x) => this.waiting.get(x.f.reqId) === x.f);
    return out;
  }

  firstDeadline(): number {
    const first = this.waiting.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.deadline;
  }

  /** With `ordered`, stop at the first miss (entries are in deadline order). */
  private takeIf(pred: (f: Forward) => boolean, ordered: boolean): Forward[] {
    const out: Forward[] = [];
    for (const [reqId, f] of this.waiting) {
      if (!pred(f)) {
        if (ordered) break;
        continue;
      }
      this.waiting.delete(reqId);
      out.push(f);
    }
    return out;
  }
}

/**
 * Forwarded request ids a leader has already received, for a while: a network that delivers a
 * message twice must not make the leader append one client request twice (one copy could then
 * be answered "not committed" while the other commits). Entries expire in arrival order; the
 * set is bounded, dropping the oldest when full.
 */
export class RecentRequests {
  private readonly until = new Map<string, number>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.until.size;
  }

  /** True when `key` was seen within its time to live; otherwise records it until `now + ttl`. */
  seen(key: string, now: number, ttl: number): boolean {
    for (const [k, t] of this.until) {
      if (t > now) break;
      this.until.delete(k);
    }
    if (this.until.has(key)) return true;
    this.until.set(key, now + ttl);
    if (this.until.size > this.max) {
      const oldest = this.until.keys().next();
      if (!oldest.done) this.until.delete(oldest.value);
    }
    return false;
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
