// Applying one transfer event (plain, pending, post or void) to the ledger. Every check runs in
// the precedence order of codes.ts and the first failure is returned; nothing is written until all
// checks pass. Inside a linked chain, writes go through an undo journal so the chain can be rolled
// back whole; a lone event needs none (it fails before writing anything), so it passes `null` and
// the hot path of plain batches allocates nothing but the transfer record.
import type { ResultCode } from './codes.ts';
import { isValidId, utf8Bytes } from './rules.ts';
import { NO_FLAGS, addAccount, addTransfer, setStatus, trackExpiry } from './state.ts';
import type { Account, LedgerRules, LedgerState, PendingStatus, Transfer, TransferInput } from './types.ts';

/** Everything a chain wrote, so a failed chain can be undone exactly (in reverse order). */
export interface Journal {
  readonly balances: Array<{ readonly account: Account; readonly saved: readonly [bigint, bigint, bigint, bigint] }>;
  readonly openedAccounts: string[];
  readonly statuses: Array<{ readonly seq: number; readonly previous: PendingStatus | null }>;
  /** transferLog length before the chain. */
  readonly transfersBefore: number;
  /** New pendings, added to the expiry heap only when the chain commits. */
  readonly newPendings: Transfer[];
}

export function openJournal(state: LedgerState): Journal {
  return { balances: [], openedAccounts: [], statuses: [], transfersBefore: state.transferLog.length, newPendings: [] };
}

export function rollback(state: LedgerState, j: Journal): void {
  for (let i = j.statuses.length - 1; i >= 0; i--) {
    const s = j.statuses[i]!;
    setStatus(state, s.seq, s.previous);
  }
  while (state.transferLog.length > j.transfersBefore) {
    const t = state.transferLog.at(state.transferLog.length - 1)!;
    // The index finds a transfer through the log, so it forgets the id first.
    state.transfers.delete(t.id);
    state.transferLog.pop();
    state.transfersByAccount.get(t.debitAccountId)?.pop();
    state.transfersByAccount.get(t.creditAccountId)?.pop();
  }
  for (let i = j.balances.length - 1; i >= 0; i--) {
    const b = j.balances[i]!;
    [b.account.debitsPosted, b.account.creditsPosted, b.account.debitsPending, b.account.creditsPending] = b.saved;
    state.changed.accounts.add(b.account);
  }
  for (const id of j.openedAccounts) {
    const opened = state.accounts.get(id);
    if (opened !== undefined) state.changed.accounts.add(opened);
    state.accounts.delete(id);
    state.transfersByAccount.delete(id);
  }
}

function touch(state: LedgerState, j: Journal | null, a: Account): Account {
  state.changed.accounts.add(a);
  j?.balances.push({ account: a, saved: [a.debitsPosted, a.creditsPosted, a.debitsPending, a.creditsPending] });
  return a;
}

export interface EntryContext {
  readonly hlc: string;
}

/** `j` is the chain's undo journal, or null for an event that is a chain of its own. */
export function applyTransfer(state: LedgerState, rules: LedgerRules, t: TransferInput, ctx: EntryContext, j: Journal | null): ResultCode {
  const f = t.flags;
  const twoPhaseEnd = f.post || f.void;
  if (!isValidId(t.id)) return 'id_invalid';
  if (Number(f.pending) + Number(f.post) + Number(f.void) > 1) return 'flags_invalid';
  if (twoPhaseEnd && t.pendingId === null) return 'pending_id_required';
  if (!twoPhaseEnd && t.pendingId !== null) return 'pending_id_must_be_empty';
  if (t.pendingId === t.id) return 'pending_id_same_as_id';
  const amountCode = checkAmount(rules, t);
  if (amountCode !== null) return amountCode;
  if (t.timeoutMs !== 0 && !f.pending) return 'timeout_reserved_for_pending';
  if (t.reference !== null && utf8Bytes(t.reference) > rules.referenceBytesMax) return 'reference_too_long';
  let debit: Account | undefined;
  let credit: Account | undefined;
  if (!twoPhaseEnd) {
    if (!Object.prototype.hasOwnProperty.call(rules.currencies, t.currency)) return 'currency_invalid';
    if (t.debitAccountId === t.creditAccountId) return 'same_account';
    // An existing account's id was valid when it was opened: only unknown ids need the pattern.
    debit = state.accounts.get(t.debitAccountId);
    credit = state.accounts.get(t.creditAccountId);
    if ((debit === undefined && !isValidId(t.debitAccountId)) || (credit === undefined && !isValidId(t.creditAccountId))) {
      return 'account_id_invalid';
    }
  }
  const existing = state.transfers.get(t.id);
  if (existing !== undefined) return sameTransfer(existing, t) ? 'exists' : 'exists_with_different_fields';
  return twoPhaseEnd ? finishPending(state, t, ctx, j) : createTransfer(state, rules, t, debit, credit, ctx, j);
}

function checkAmount(rules: LedgerRules, t: TransferInput): ResultCode | null {
  if (t.flags.void) return t.amount === null ? null : 'amount_invalid';
  if (t.amount === null) return t.flags.post ? null : 'amount_invalid';
  if (t.amount <= 0n) return 'amount_invalid';
  const max = t.flags.post ? undefined : rules.amountMaxMinor[t.currency];
  if (max !== undefined && t.amount > max) return 'amount_invalid';
  return null;
}

/** `exists` only when the retry asks for exactly what was done (a post's omitted amount matches). */
function sameTransfer(e: Transfer, t: TransferInput): boolean {
  if (e.flags.linked !== t.flags.linked || e.flags.pending !== t.flags.pending) return false;
  if (e.flags.post !== t.flags.post || e.flags.void !== t.flags.void) return false;
  if (e.pendingId !== t.pendingId || e.reference !== t.reference || e.timeoutMs !== t.timeoutMs) return false;
  if (t.flags.post || t.flags.void) return t.amount === null || t.amount === e.amount;
  return e.debitAccountId === t.debitAccountId && e.creditAccountId === t.creditAccountId
    && e.amount === t.amount && e.currency === t.currency;
}

function createTransfer(state: LedgerState, rules: LedgerRules, t: TransferInput, debit: Account | undefined, credit: Account | undefined,
  ctx: EntryContext, j: Journal | null): ResultCode {
  const amount = t.amount!;
  if ((debit === undefined || credit === undefined) && !rules.autoOpenAccounts) return 'account_not_found';
  // An account that would be opened on demand has the transfer's currency and no flags, so it can
  // fail none of the checks below: only existing accounts need them.
  if ((debit !== undefined && debit.currency !== t.currency) || (credit !== undefined && credit.currency !== t.currency)) {
    return 'currency_mismatch';
  }
  if (debit?.flags.closed || credit?.flags.closed) return 'account_closed';
  if (debit?.flags.debitsMustNotExceedCredits && debit.debitsPosted + debit.debitsPending + amount > debit.creditsPosted) {
    return 'exceeds_credits';
  }
  if (credit?.flags.creditsMustNotExceedDebits && credit.creditsPosted + credit.creditsPending + amount > credit.debitsPosted) {
    return 'exceeds_debits';
  }
  const d = touch(state, j, debit ?? openAccount(state, t.debitAccountId, t.currency, j));
  const c = touch(state, j, credit ?? openAccount(state, t.creditAccountId, t.currency, j));
  if (t.flags.pending) {
    d.debitsPending += amount;
    c.creditsPending += amount;
  } else {
    d.debitsPosted += amount;
    c.creditsPosted += amount;
  }
  // The log keeps the record's fields in its columns (transfer-log.ts); the object itself lives on
  // only in the expiry heap, for a pending transfer with a timeout.
  const record: Transfer = {
    id: t.id,
    debitAccountId: d.id,
    creditAccountId: c.id,
    amount,
    currency: t.currency,
    flags: t.flags,
    pendingId: null,
    timeoutMs: t.timeoutMs,
    reference: t.reference,
    timestamp: state.now,
    hlc: ctx.hlc,
    seq: state.transferLog.length,
    status: t.flags.pending ? 'pending' : null,
  };
  addTransfer(state, record);
  if (t.flags.pending) {
    if (j === null) trackExpiry(state, record);
    else j.newPendings.push(record);
  }
  return 'ok';
}

function openAccount(state: LedgerState, id: string, currency: string, j: Journal | null): Account {
  const account: Account = {
    id, currency, flags: NO_FLAGS,
    debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n,
    timestamp: state.now,
  };
  addAccount(state, account);
  j?.openedAccounts.push(id);
  return account;
}

function finishPending(state: LedgerState, t: TransferInput, ctx: EntryContext, j: Journal | null): ResultCode {
  const p = state.transfers.get(t.pendingId!);
  if (p === undefined) return 'pending_not_found';
  if (!p.flags.pending) return 'pending_not_pending';
  if (p.status === 'posted') return 'pending_already_posted';
  if (p.status === 'voided') return 'pending_already_voided';
  if (p.status === 'expired') return 'pending_expired';
  const amount = t.flags.post ? (t.amount ?? p.amount) : p.amount;
  if (amount > p.amount) return 'exceeds_pending_amount';
  const d = touch(state, j, state.accounts.get(p.debitAccountId)!);
  const c = touch(state, j, state.accounts.get(p.creditAccountId)!);
  d.debitsPending -= p.amount;
  c.creditsPending -= p.amount;
  if (t.flags.post) {
    d.debitsPosted += amount;
    c.creditsPosted += amount;
  }
  j?.statuses.push({ seq: p.seq, previous: p.status });
  setStatus(state, p.seq, t.flags.post ? 'posted' : 'voided');
  addTransfer(state, {
    id: t.id,
    debitAccountId: p.debitAccountId,
    creditAccountId: p.creditAccountId,
    amount,
    currency: p.currency,
    flags: t.flags,
    pendingId: p.id,
    timeoutMs: 0,
    reference: t.reference,
    timestamp: state.now,
    hlc: ctx.hlc,
    seq: state.transferLog.length,
    status: null,
  });
  return 'ok';
}
