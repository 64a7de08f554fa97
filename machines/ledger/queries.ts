// Read-side views of the ledger: newest-first pages of transfers (all, or one account's) with
// cursors. A cursor is the seq of the last transfer returned; the next page holds the transfers
// with a smaller seq, so pages stay stable while new transfers arrive at the head.
import type { LedgerState, Transfer } from './types.ts';

export interface TransferPage {
  readonly items: readonly Transfer[];
  /** Pass back as `before` for the next (older) page; null when there is none. */
  readonly nextCursor: number | null;
}

export interface PageRequest {
  readonly account?: string;
  readonly limit: number;
  /** Return only transfers with seq below this (a previous page's nextCursor). */
  readonly before?: number;
}

export function pageTransfers(state: LedgerState, req: PageRequest): TransferPage {
  const items: Transfer[] = [];
  if (req.account === undefined) {
    let i = Math.min(req.before ?? state.transferLog.length, state.transferLog.length) - 1;
    for (; i >= 0 && items.length < req.limit; i--) items.push(state.transferLog.at(i)!);
    return { items, nextCursor: i >= 0 && items.length > 0 ? items[items.length - 1]!.seq : null };
  }
  const seqs = state.transfersByAccount.get(req.account);
  if (seqs === undefined) return { items, nextCursor: null };
  let i = seqs.countBelow(req.before ?? Number.MAX_SAFE_INTEGER) - 1;
  for (; i >= 0 && items.length < req.limit; i--) items.push(state.transferLog.at(seqs.at(i))!);
  return { items, nextCursor: i >= 0 && items.length > 0 ? items[items.length - 1]!.seq : null };
}

export function countTransfers(state: LedgerState, account?: string): number {
  if (account === undefined) return state.transferLog.length;
  return state.transfersByAccount.get(account)?.length ?? 0;
}
