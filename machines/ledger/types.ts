// The ledger's data: accounts, transfers, idempotency records, and the commands that change
// them. Money is always bigint minor units here; decimal strings exist only at the edges
// (amount.ts, codec.ts, snapshot.ts). Nothing in this file has behaviour.
import type { ResultCode } from './codes.ts';
import type { SeqList } from './seq-list.ts';
import type { TransferIndex } from './transfer-index.ts';
import type { TransferLog } from './transfer-log.ts';

export interface AccountFlags {
  /** No overdraft: debits (posted + pending) may never exceed posted credits. */
  readonly debitsMustNotExceedCredits: boolean;
  readonly creditsMustNotExceedDebits: boolean;
  readonly closed: boolean;
}

export interface Account {
  readonly id: string;
  readonly currency: string;
  readonly flags: AccountFlags;
  debitsPosted: bigint;
  creditsPosted: bigint;
  debitsPending: bigint;
  creditsPending: bigint;
  /** Ledger time (ms) of the entry that opened the account. */
  readonly timestamp: number;
}

export interface TransferFlags {
  readonly linked: boolean;
  readonly pending: boolean;
  readonly post: boolean;
  readonly void: boolean;
}

/** Where a pending transfer stands; plain, post and void transfers are `null`. */
export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

export interface Transfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** The amount that moved (for a post: the posted part; for a void: the released amount). */
  readonly amount: bigint;
  readonly currency: string;
  readonly flags: TransferFlags;
  readonly pendingId: string | null;
  /** Only pending transfers: milliseconds of ledger time until expiry; 0 = never. */
  readonly timeoutMs: number;
  readonly reference: string | null;
  /** Ledger time (ms) of the entry that created it. */
  readonly timestamp: number;
  readonly hlc: string;
  /** Position among all transfers, in apply order (0-based); cursors use it. */
  readonly seq: number;
  status: PendingStatus | null;
}

/** A transfer as a command asks for it (before the ledger fills in time, sequence, status). */
export interface TransferInput {
  readonly id: string;
  /** Empty for posts and voids: they take their accounts from the pending transfer. */
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** null on a post means "the whole pending amount"; on a void it is ignored. */
  readonly amount: bigint | null;
  /** Empty for posts and voids. */
  readonly currency: string;
  readonly flags: TransferFlags;
  readonly pendingId: string | null;
  readonly timeoutMs: number;
  readonly reference: string | null;
}

export interface AccountInput {
  readonly id: string;
  readonly currency: string;
  readonly flags: AccountFlags;
}

/** Item result inside a command's outcome; `id` names the event (transfer or account id). */
export interface ItemResult {
  readonly id: string;
  readonly code: ResultCode;
}

/** What the ledger remembers of a request made with an Idempotency-Key (its stored response). */
export interface IdempotencyRecord {
  readonly key: string;
  /** Hash of the request (method, route and body) as the HTTP layer computed it. */
  readonly requestHash: string;
  /** Ledger time (ms) when first applied; the record is dropped after the retention. */
  readonly createdAt: number;
  readonly response: StoredResponse;
}

/** The first answer to a request, enough to render the identical HTTP response again. */
export interface StoredResponse {
  readonly index: number;
  readonly hlc: string;
  readonly via: string | null;
  readonly results: readonly ItemResult[];
}

export interface IdempotencyEnvelope {
  readonly key: string;
  readonly requestHash: string;
}

interface CommandBase {
  /** Present when the client sent an Idempotency-Key. */
  readonly idempotency: IdempotencyEnvelope | null;
  /** The node the proposal was sent to (the leader as the proposer knew it), for `processed_by`. */
  readonly via: string | null;
}

export interface AccountCreateCommand extends CommandBase {
  readonly type: 'account.create';
  readonly accounts: readonly AccountInput[];
}

export interface TransferCreateCommand extends CommandBase {
  readonly type: 'transfer.create';
  readonly transfers: readonly TransferInput[];
}

export interface TransferPostCommand extends CommandBase {
  readonly type: 'transfer.post';
  readonly id: string;
  readonly pendingId: string;
  readonly amount: bigint | null;
  readonly reference: string | null;
}

export interface TransferVoidCommand extends CommandBase {
  readonly type: 'transfer.void';
  readonly id: string;
  readonly pendingId: string;
  readonly reference: string | null;
}

export type LedgerCommand = AccountCreateCommand | TransferCreateCommand | TransferPostCommand | TransferVoidCommand;

/** Several commands in one log entry, applied in order, each with its own outcome. */
export interface CommandGroup {
  readonly type: 'group';
  readonly commands: readonly LedgerCommand[];
}

/** What a command entry holds. */
export type EntryCommand = LedgerCommand | CommandGroup;

/** The outcome of one log entry, as the HTTP layer receives it through `outcomeAt`. */
export type EntryOutcome =
  /** A group entry: the outcome of each of its commands, in order. */
  | { readonly status: 'group'; readonly members: readonly CommandOutcome[] }
  | CommandOutcome;

/** The outcome of one command. */
export type CommandOutcome =
  | { readonly status: 'noop' }
  | { readonly status: 'applied'; readonly response: StoredResponse }
  /** The Idempotency-Key was seen before with the same request: here is the first answer. */
  | { readonly status: 'replayed'; readonly response: StoredResponse }
  /** The Idempotency-Key was seen before with a different request. */
  | { readonly status: 'idempotency_mismatch'; readonly key: string };

/** The rules every replica applies identically (a projection of Config.ledger). */
export interface LedgerRules {
  readonly autoOpenAccounts: boolean;
  /** ISO 4217 code -> minor-unit exponent. */
  readonly currencies: Readonly<Record<string, number>>;
  /** Largest amount of one transfer, per currency, in minor units. */
  readonly amountMaxMinor: Readonly<Record<string, bigint>>;
  readonly referenceBytesMax: number;
  readonly idempotencyRetentionMs: number;
}

/**
 * Pending transfers ordered by expiry; a binary min-heap, rebuilt from transfers on restore. Its
 * items are the records built when each pending was applied or restored: their `status` is not
 * kept up to date, the log's (`transferLog.statusAt`) is the one that counts.
 */
export interface ExpiryHeap {
  readonly items: Transfer[];
}

/**
 * What changed since the incremental hasher (hash.ts) last looked, beyond the transfers appended
 * since (which it finds by position in `transferLog`). Derived bookkeeping, never serialised:
 * marking is a Set.add on the hot path, and the hashing work happens only when someone asks.
 */
export interface ChangedRecords {
  readonly accounts: Set<Account>;
  /** Seqs of the transfers whose pending status changed (posted, voided, expired, or rolled back). */
  readonly statuses: Set<number>;
  readonly idempotency: Set<IdempotencyRecord>;
}

export interface LedgerState {
  readonly accounts: Map<string, Account>;
  /** By id: a Map-like index over `transferLog` (see transfer-index.ts for why not a Map). */
  readonly transfers: TransferIndex;
  /** Every transfer in apply order (position = seq), by column (see transfer-log.ts). */
  readonly transferLog: TransferLog;
  /** Per account: seqs of the transfers that touch it, ascending. */
  readonly transfersByAccount: Map<string, SeqList>;
  /** Insertion order is creation order, which is also expiry order (ledger time never goes back). */
  readonly idempotency: Map<string, IdempotencyRecord>;
  readonly expiry: ExpiryHeap;
  /** Ledger time: the largest physical HLC time of any applied entry (ms). */
  now: number;
  readonly changed: ChangedRecords;
}
