// The write path shared by every mutating ledger route: Idempotency-Key handling (local answer
// from an applied record, 409 while the same key is in flight on this node, 422 for a key reused
// with another body), then encode -> propose (at once when nothing of this node's is in flight,
// else with the other requests of the turn, as one group entry) -> wait until applied -> read the
// outcome at (index, term). A write that cannot be served becomes a 503 with Retry-After and the leader
// this node knows of, and its code says what a retry risks: most mean "nothing was written";
// SYNCPAY_ERR_NOT_COMMITTED means "it was appended but can never commit"; only
// SYNCPAY_ERR_OUTCOME_UNKNOWN means "it may have committed", and there a retry is harmless only
// under the same transfer id or Idempotency-Key (the answer names the ids to look up).
import { createHash } from 'node:crypto';
import { encodeCommand, encodeGroup, groupOverheadBytes } from '../../machines/ledger/codec.ts';
import { ERR } from '../../machines/raft/effects.ts';
import type { ConsensusApi } from '../../actors/apis.ts';
import type { EntryCommand, EntryOutcome, LedgerCommand, StoredResponse } from '../../machines/ledger/types.ts';
import type { Problem } from './problem.ts';
import type { NodeServices } from './services.ts';

export type WriteResult =
  | { readonly ok: true; readonly response: StoredResponse; readonly replayed: boolean }
  | { readonly ok: false; readonly problem: Problem; readonly retryAfterMs?: number };

export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The ledger face the routes use (the supervisor's getter is typed loosely). */
/** JSON with object keys sorted, so two spellings of the same body hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What identifies "the same request" for an Idempotency-Key: method, path and canonical body. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body ?? null)}`).digest('hex');
}

/** Each command type without the fields the writer adds (distributes over the union). */
type Unplaced<C> = C extends LedgerCommand ? Omit<C, 'idempotency' | 'via'> : never;
/** A command as a route makes it: the writer adds the idempotency envelope and the node it went through. */
export type UnplacedCommand = Unplaced<LedgerCommand>;

export interface WriteRequest {
  readonly key: string | null;
  readonly hash: string;
  readonly command: UnplacedCommand;
}

/** A request's command on its way to an entry: proposed at once, or queued for the end of the turn. */
interface Queued {
  readonly data: string;
  /** UTF-8 length of `data`: peer messages and the group limit count bytes, not characters. */
  readonly bytes: number;
  readonly command: LedgerCommand;
  readonly settle: (placed: Placed) => void;
  /** An exception on the way to consensus reaches the request as it did before requests shared entries. */
  readonly fail: (err: unknown) => void;
}

/** Consensus's answer for the entry a request went into, and its place in that entry's group (null: the entry is the request's alone). */
interface Placed {
  readonly proposed: Awaited<ReturnType<ConsensusApi['propose']>>;
  readonly member: number | null;
}

export class LedgerWriter {
  private readonly inFlightKeys = new Set<string>();
  private inFlight = 0;
  private queue: Queued[] = [];
  /** Entries this writer proposed that are not yet applied here (or given up on: an error, a refusal, the wait timed out). */
  private proposing = 0;

  constructor(private readonly services: NodeServices) {}

  async write(request: WriteRequest): Promise<WriteResult> {
    const { services } = this;
    const key = request.key;
    if (key !== null) {
      const known = services.ledger()?.idempotencyRecord(key);
      if (known !== undefined) return this.answerKnown(key, known.requestHash, request.hash, known.response);
      if (this.inFlightKeys.has(key)) {
        return { ok: false, problem: { status: 409, code: 'SYNCPAY_ERR_IDEMPOTENCY_KEY_IN_PROGRESS', detail: `a request with Idempotency-Key ${key} is still in progress` } };
      }
    }
    if (this.inFlight >= services.config.http.pendingRequestsMax) {
      return retry('SYNCPAY_ERR_OVERLOADED', 'too many requests in progress on this node', services.consensus()?.leader() ?? null, 1000);
    }
    this.inFlight++;
    if (key !== null) this.inFlightKeys.add(key);
    try {
      return await this.propose(request);
    } finally {
      this.inFlight--;
      if (key !== null) this.inFlightKeys.delete(key);
    }
  }

  private async propose(request: WriteRequest): Promise<WriteResult> {
    const { services } = this;
    const consensus = services.consensus();
    if (consensus === undefined || services.ledger() === undefined) {
      return retry('SYNCPAY_ERR_UNAVAILABLE', 'the node is recovering', null, 1000);
    }
    const via = consensus.leader() ?? services.nodeId;
    const idem = request.key === null ? null : { key: request.key, requestHash: request.hash };
    const command: LedgerCommand = { ...request.command, idempotency: idem, via };
    const data = encodeCommand(command);
    const bytes = Buffer.byteLength(data);
    if (bytes > this.entryBytesMax()) {
      return { ok: false, problem: { status: 413, code: 'SYNCPAY_ERR_ENTRY_TOO_LARGE', detail: 'the request makes a log entry larger than a peer message may carry' } };
    }
    const placed = await new Promise<Placed>((settle, fail) => {
      const queued: Queued = { data, bytes, command, settle, fail };
      // With nothing of this node's in flight, waiting for the end of the turn would only add to
      // the latency of a lone client: propose at once. Requests that come while entries are in
      // flight have time to gather, and go together at the end of the turn.
      if (this.proposing === 0 && this.queue.length === 0) {
        this.proposeEntry([queued]);
        return;
      }
      this.queue.push(queued);
      if (this.queue.length === 1) setImmediate(this.flush);
    });
    return this.answer(placed, command);
  }

  /** One entry travels in one peer message: leave room for the frame around it. */
  private entryBytesMax(): number {
    return this.services.config.link.messageBytesMax / 2;
  }

  /**
   * Proposes what this turn queued, in order: as group entries (encodeGroup) of as many commands as
   * fit `http.groupBytesMax` and one peer message, a command with no room beside it as an entry of
   * its own. Followers then store, hash-chain, frame and parse one entry where they would have
   * handled one per request.
   */
  private readonly flush = (): void => {
    const queued = this.queue;
    this.queue = [];
    const bytesMax = Math.min(this.services.config.http.groupBytesMax, this.entryBytesMax());
    let from = 0;
    while (from < queued.length) {
      // `to` is where the entry ends; `bytes` counts its commands alone, the group adds its own.
      let to = from + 1;
      let bytes = queued[from]!.bytes;
      while (to < queued.length && bytes + queued[to]!.bytes + groupOverheadBytes(to + 1 - from) <= bytesMax) bytes += queued[to++]!.bytes;
      this.proposeEntry(queued.slice(from, to));
      from = to;
    }
  };

  /** Proposes one entry of `members`; an exception reaches each of them. */
  private proposeEntry(members: readonly Queued[]): void {
    this.proposing++;
    this.submit(members)
      .catch((err: unknown) => {
        for (const m of members) m.fail(err);
      })
      .finally(() => this.proposing--);
  }

  /** Proposes one entry and tells each of its requests where it went (settling twice is harmless). */
  private async submit(members: readonly Queued[]): Promise<void> {
    const { services } = this;
    const consensus = services.consensus();
    const ledger = services.ledger();
    if (consensus === undefined || ledger === undefined) {
      for (const m of members) m.settle({ proposed: { ok: false, code: 'SYNCPAY_ERR_UNAVAILABLE', detail: 'the node is recovering', leader: null, retryAfterMs: 1000 }, member: null });
      return;
    }
    const grouped = members.length > 1;
    const data = grouped ? encodeGroup(members.map((m) => m.data)) : members[0]!.data;
    const command: EntryCommand = grouped ? { type: 'group', commands: members.map((m) => m.command) } : members[0]!.command;
    // The ledger applies this node's own entry from the command itself rather than decoding it.
    const withdraw = ledger.lendCommand(data, command);
    try {
      const proposed = await consensus.propose(data);
      for (let i = 0; i < members.length; i++) members[i]!.settle({ proposed, member: grouped ? i : null });
      if (proposed.ok) await ledger.waitApplied(proposed.index, services.config.http.requestTimeoutMs);
    } finally {
      withdraw();
    }
  }

  /** The answer to one request from its entry's fate and, once applied, the ledger's outcome. */
  private async answer(placed: Placed, command: LedgerCommand): Promise<WriteResult> {
    const { services } = this;
    const { proposed, member } = placed;
    if (!proposed.ok) {
      if (proposed.code === ERR.notCommitted) return notCommitted(proposed.detail, proposed.leader, proposed.retryAfterMs);
      if (proposed.code === ERR.outcomeUnknown) return outcomeUnknown(proposed.detail, proposed.leader, proposed.retryAfterMs, command);
      // The consensus actor stopping (a restart by the supervisor, shutdown) answers every request
      // in flight alike, including proposals it had already appended: what became of it is unknown.
      if (proposed.code === ERR.stopped) return outcomeUnknown(`consensus stopped with the request in flight (${proposed.detail}); it may have been appended`, proposed.leader, proposed.retryAfterMs, command);
      return retry(proposed.code, proposed.detail, proposed.leader, proposed.retryAfterMs);
    }
    // From here on the entry is committed at (index, term): only its ledger result can be missing.
    const ledger = services.ledger();
    const reached = ledger !== undefined && await ledger.waitApplied(proposed.index, services.config.http.requestTimeoutMs);
    const leader = services.consensus()?.leader() ?? null;
    if (!reached) {
      return outcomeUnknown(`the entry committed at ${proposed.index} but was not applied on this node within ${services.config.http.requestTimeoutMs} ms, so its result is not known here`, leader, 500, command, true);
    }
    const entry = services.ledger()?.outcomeAt(proposed.index, proposed.term) as EntryOutcome | undefined;
    if (entry === undefined) {
      return outcomeUnknown(`the entry committed at ${proposed.index}, but this node no longer keeps its result (the ledger restarted or restored a snapshot since)`, leader, 100, command, true);
    }
    const o = member === null ? entry : entry.status === 'group' ? entry.members[member] : undefined;
    switch (o?.status) {
      case 'applied':
        return { ok: true, response: o.response, replayed: false };
      case 'replayed':
        return { ok: true, response: o.response, replayed: true };
      case 'idempotency_mismatch':
        return mismatch(o.key);
      default:
        // Consensus answered success for (index, term), so the entry there is ours: a no-op, or
        // an entry of another shape, there means the two disagree, and nobody can say what
        // happened to the request.
        return outcomeUnknown(`the ledger holds ${o?.status === 'noop' ? 'a no-op' : 'an entry of another shape'} at ${proposed.index}, where this request was reported committed`, leader, 100, command, true);
    }
  }

  private answerKnown(key: string, storedHash: string, hash: string, response: StoredResponse): WriteResult {
    if (storedHash !== hash) return mismatch(key);
    return { ok: true, response, replayed: true };
  }
}

function mismatch(key: string): WriteResult {
  return {
    ok: false,
    problem: { status: 422, code: 'SYNCPAY_ERR_IDEMPOTENCY_KEY_REUSED', detail: `Idempotency-Key ${key} was already used with a different request` },
  };
}

/** Appended, then another entry committed in its place: it never will. Retrying is harmless. */
function notCommitted(detail: string, leader: string | null, retryAfterMs: number): WriteResult {
  return { ok: false, problem: { status: 503, code: ERR.notCommitted, detail, leader, retryable: true, committed: false }, retryAfterMs };
}

/**
 * It may have committed (or did, with its result unknown here). A retry under the same transfer
 * id or Idempotency-Key returns the first result; a retry without them may move money twice. The
 * answer carries the ids so a client that let the server pick them can look the result up.
 */
function outcomeUnknown(detail: string, leader: string | null, retryAfterMs: number, command: LedgerCommand, committed = false): WriteResult {
  const accounts = command.type === 'account.create';
  const ids = idsOf(command);
  const named = accounts ? (ids.length === 1 ? { account_id: ids[0] } : { account_ids: ids }) : ids.length === 1 ? { transaction_id: ids[0] } : { transaction_ids: ids };
  return {
    ok: false,
    problem: {
      status: 503,
      code: ERR.outcomeUnknown,
      detail: `${detail}; retry only with the same ${accounts ? 'account id' : 'transfer id'} or Idempotency-Key`,
      leader,
      retryable: true,
      committed: committed ? true : null,
      ...named,
      idempotency_key: command.idempotency?.key ?? null,
    },
    retryAfterMs,
  };
}

function idsOf(command: LedgerCommand): string[] {
  switch (command.type) {
    case 'transfer.create':
      return command.transfers.map((t) => t.id);
    case 'transfer.post':
    case 'transfer.void':
      return [command.id];
    case 'account.create':
      return command.accounts.map((a) => a.id);
  }
}

function retry(code: string, detail: string, leader: string | null, retryAfterMs: number): WriteResult {
  return { ok: false, problem: { status: 503, code, detail, leader, retryable: true }, retryAfterMs };
}

/** A 503 for reads (no read barrier, or the ledger did not catch up in time). */
export function retryProblem(code: string, detail: string, leader: string | null, retryAfterMs: number): WriteResult & { ok: false } {
  return retry(code, detail, leader, retryAfterMs) as WriteResult & { ok: false };
}
