// Account and transfer flags as compact bit sets, the form they take in log entries and
// snapshots (smaller than objects of booleans, and one canonical spelling for hashing). Decoding
// hands out one shared, frozen object per bit pattern: flags are never mutated, and millions of
// transfers then share a handful of flag objects instead of allocating one each.
import type { AccountFlags, TransferFlags } from './types.ts';

export function accountBits(f: AccountFlags): number {
  return (f.debitsMustNotExceedCredits ? 1 : 0) | (f.creditsMustNotExceedDebits ? 2 : 0) | (f.closed ? 4 : 0);
}

const ACCOUNT_FLAGS: readonly AccountFlags[] = Array.from({ length: 8 }, (_, bits) =>
  Object.freeze({ debitsMustNotExceedCredits: (bits & 1) !== 0, creditsMustNotExceedDebits: (bits & 2) !== 0, closed: (bits & 4) !== 0 }));

/** `bits` must be 0-7 (callers validate). */
export function accountFlags(bits: number): AccountFlags {
  return ACCOUNT_FLAGS[bits & 7]!;
}

export function transferBits(f: TransferFlags): number {
  return (f.linked ? 1 : 0) | (f.pending ? 2 : 0) | (f.post ? 4 : 0) | (f.void ? 8 : 0);
}

const TRANSFER_FLAGS: readonly TransferFlags[] = Array.from({ length: 16 }, (_, bits) =>
  Object.freeze({ linked: (bits & 1) !== 0, pending: (bits & 2) !== 0, post: (bits & 4) !== 0, void: (bits & 8) !== 0 }));

/** `bits` must be 0-15 (callers validate). */
export function transferFlags(bits: number): TransferFlags {
  return TRANSFER_FLAGS[bits & 15]!;
}
