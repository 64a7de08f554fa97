// Account and transfer flags as compact bit sets, the form they take in log entries and
// snapshots (smaller than objects of booleans, and one canonical spelling for hashing).
import type { AccountFlags, TransferFlags } from './types.ts';

export function accountBits(f: AccountFlags): number {
  return (f.debitsMustNotExceedCredits ? 1 : 0) | (f.creditsMustNotExceedDebits ? 2 : 0) | (f.closed ? 4 : 0);
}

export function accountFlags(bits: number): AccountFlags {
  return { debitsMustNotExceedCredits: (bits & 1) !== 0, creditsMustNotExceedDebits: (bits & 2) !== 0, closed: (bits & 4) !== 0 };
}

export function transferBits(f: TransferFlags): number {
  return (f.linked ? 1 : 0) | (f.pending ? 2 : 0) | (f.post ? 4 : 0) | (f.void ? 8 : 0);
}

export function transferFlags(bits: number): TransferFlags {
  return { linked: (bits & 1) !== 0, pending: (bits & 2) !== 0, post: (bits & 4) !== 0, void: (bits & 8) !== 0 };
}
