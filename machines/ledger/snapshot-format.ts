// The ledger snapshot's text format, shared by the writer (snapshot.ts) and the reader
// (snapshot-restore.ts). One line per record:
//
//   syncpay-ledger-snapshot,3,<now>,<accounts>,<transfers>,<statuses>,<idempotency records>,<state hash>
//   <account>      id,currency,flag bits,debits posted,credits posted,debits pending,credits pending,timestamp
//   @<hlc>,<timestamp>                      whenever the following transfers' entry stamp changes
//   <transfer>     id,debit,credit,amount[,currency,flag bits,pending id,timeout,reference]
//   <status>       seq,p|o|v|x             (pending, posted, voided, expired) for every pending transfer
//   <idempotency>  one JSON array per line
//
// Accounts are numbered by creation order (base 36) and transfers name them by number; a
// transfer's currency is omitted when it is its debit account's; the bracketed tail is present
// only when a field is not the default (same currency, no flags, no pending id, no timeout, no
// reference); the reference is a JSON string, so it may hold any text. Ids and currency codes are
// validated (letters, digits and `._:@-`; three letters), so they never contain a comma.
import type { PendingStatus } from './types.ts';

export const SNAPSHOT_MAGIC = 'syncpay-ledger-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 3;

/**
 * The longest snapshot text we build, in UTF-16 units. The text is kept as pieces (never one
 * string), so what bounds it is the snapshot file's u32 data length: 2^32 - 1 bytes of UTF-8,
 * and a unit takes at most three bytes: about 40 million transfers in batches, 20 million single
 * payments. Memory runs out first on most machines (docs/operations.md).
 */
export const SNAPSHOT_CHARS_MAX = Math.floor((2 ** 32 - 1) / 3);

export const STATUS_CODE: Readonly<Record<PendingStatus, string>> = { pending: 'p', posted: 'o', voided: 'v', expired: 'x' };
export const STATUS_OF: Readonly<Record<string, PendingStatus>> = { p: 'pending', o: 'posted', v: 'voided', x: 'expired' };
