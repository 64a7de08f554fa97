// Construction of an empty ledger state and the small mutations shared by apply, expiry and
// restore (opening an account, recording a transfer in the indexes). Kept apart from apply.ts so
// snapshot restore rebuilds the derived indexes with exactly the code that builds them live.
import { heapPush } from './expiry.ts';
import { SeqList } from './seq-list.ts';
import { TransferIndex } from './transfer-index.ts';
import { TransferLog } from './transfer-log.ts';
import type { Account, AccountFlags, LedgerState, PendingStatus, Transfer } from './types.ts';

export const NO_FLAGS: AccountFlags = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false, closed: false };

/** `indexSeed` places ids in the transfer index (see transfer-index.ts); no result depends on it. */
export function createLedgerState(indexSeed = 0): LedgerState {
  const transferLog = new TransferLog();
  return {
    accounts: new Map(),
    transfers: new TransferIndex(transferLog, indexSeed),
    transferLog,
    transfersByAccount: new Map(),
    idempotency: new Map(),
    expiry: { items: [] },
    now: 0,
    changed: { accounts: new Set(), statuses: new Set(), idempotency: new Set() },
  };
}

export function addAccount(state: LedgerState, account: Account): void {
  state.accounts.set(account.id, account);
  state.transfersByAccount.set(account.id, new SeqList());
  state.changed.accounts.add(account);
}

/** Records a transfer in the map, the log and both accounts' indexes (its seq must be next). */
export function addTransfer(state: LedgerState, t: Transfer): void {
  state.transferLog.push(t);
  state.transfers.set(t.id, t);
  state.transfersByAccount.get(t.debitAccountId)?.push(t.seq);
  state.transfersByAccount.get(t.creditAccountId)?.push(t.seq);
}

/** Changes the status of the pending transfer at `seq` (every status change goes through here, for the hash). */
export function setStatus(state: LedgerState, seq: number, status: PendingStatus | null): void {
  state.transferLog.setStatus(seq, status);
  state.changed.statuses.add(seq);
}

/** Pending transfers with a timeout join the expiry heap; 0 means "never expires". */
export function trackExpiry(state: LedgerState, t: Transfer): void {
  // The log's status, not `t`'s: a chain may have posted or voided `t` since `t` was built.
  if (t.timeoutMs > 0 && state.transferLog.statusAt(t.seq) === 'pending') heapPush(state.expiry, t);
}
