// Applying one committed log entry to the ledger: advance ledger time to the entry's HLC time,
// expire due pendings and idempotency records (so expiry happens in log order, identically on
// every replica), then run the command. Deterministic: no clock, no randomness, integer money.
// Domain failures are result codes in the outcome, never exceptions.
import type { ResultCode } from './codes.ts';
import { deadlineOf, heapPeek, heapPop } from './expiry.ts';
import { parseHlc } from '../clock/hlc.ts';
import { assert } from '../assert.ts';
import { isValidId } from './rules.ts';
import { NO_FLAGS, addAccount, setStatus, trackExpiry } from './state.ts';
import { applyTransfer, openJournal, rollback, type EntryContext } from './transfer.ts';
import type {
  AccountInput, CommandOutcome, EntryCommand, EntryOutcome, ItemResult, LedgerCommand, LedgerRules, LedgerState, StoredResponse,
  TransferInput,
} from './types.ts';

export interface EntryToApply {
  readonly index: number;
  readonly hlc: string;
  /** null for a noop entry: it still moves ledger time (and so expiry) forward. */
  readonly command: EntryCommand | null;
}

export function applyEntry(state: LedgerState, rules: LedgerRules, entry: EntryToApply): EntryOutcome {
  const stamp = parseHlc(entry.hlc);
  assert(stamp !== null, `ledger: entry ${entry.index} has a malformed HLC stamp`);
  advanceTime(state, rules, stamp.physicalMs);
  const command = entry.command;
  if (command === null) return { status: 'noop' };
  if (command.type !== 'group') return applyCommand(state, rules, command, entry.index, entry.hlc);
  const members = new Array<CommandOutcome>(command.commands.length);
  for (let i = 0; i < members.length; i++) members[i] = applyCommand(state, rules, command.commands[i]!, entry.index, entry.hlc);
  return { status: 'group', members };
}

/**
 * Ledger time never goes backwards even if a new leader's stamps do (max of all entries seen).
 * Expired pendings release their reservation; idempotency records past retention are forgotten.
 */
export function advanceTime(state: LedgerState, rules: LedgerRules, physicalMs: number): void {
  if (physicalMs > state.now) state.now = physicalMs;
  for (let top = heapPeek(state.expiry); top !== undefined && deadlineOf(top) <= state.now; top = heapPeek(state.expiry)) {
    heapPop(state.expiry);
    if (state.transferLog.statusAt(top.seq) !== 'pending') continue;
    const d = state.accounts.get(top.debitAccountId)!;
    const c = state.accounts.get(top.creditAccountId)!;
    d.debitsPending -= top.amount;
    c.creditsPending -= top.amount;
    state.changed.accounts.add(d).add(c);
    setStatus(state, top.seq, 'expired');
  }
  for (const record of state.idempotency.values()) {
    if (record.createdAt + rules.idempotencyRetentionMs > state.now) break;
    state.idempotency.delete(record.key);
    state.changed.idempotency.add(record);
  }
}

export function applyCommand(state: LedgerState, rules: LedgerRules, command: LedgerCommand, index: number, hlc: string): CommandOutcome {
  const idem = command.idempotency;
  if (idem !== null) {
    const seen = state.idempotency.get(idem.key);
    if (seen !== undefined) {
      return seen.requestHash === idem.requestHash
        ? { status: 'replayed', response: seen.response }
        : { status: 'idempotency_mismatch', key: idem.key };
    }
  }
  const ctx: EntryContext = { hlc };
  let results: ItemResult[];
  switch (command.type) {
    case 'account.create':
      results = command.accounts.map((a) => ({ id: a.id, code: createAccount(state, rules, a) }));
      break;
    case 'transfer.create':
      results = applyBatch(state, rules, command.transfers, ctx);
      break;
    case 'transfer.post':
    case 'transfer.void': {
      const post = command.type === 'transfer.post';
      const input: TransferInput = {
        id: command.id,
        debitAccountId: '',
        creditAccountId: '',
        amount: command.type === 'transfer.post' ? command.amount : null,
        currency: '',
        flags: { linked: false, pending: false, post, void: !post },
        pendingId: command.pendingId,
        timeoutMs: 0,
        reference: command.reference,
      };
      results = applyBatch(state, rules, [input], ctx);
      break;
    }
  }
  const response: StoredResponse = { index, hlc, via: command.via, results };
  if (idem !== null) {
    const record = { key: idem.key, requestHash: idem.requestHash, createdAt: state.now, response };
    state.idempotency.set(idem.key, record);
    state.changed.idempotency.add(record);
  }
  return { status: 'applied', response };
}

/**
 * A batch is a sequence of chains: consecutive events flagged `linked` belong to the chain closed
 * by the next unlinked event. A chain applies whole or not at all; in a failed chain the failing
 * event reports its own code and the others `linked_event_failed`. Any non-ok result, `exists`
 * included, fails a chain (a retried chain must be retried as a whole, with an Idempotency-Key).
 */
function applyBatch(state: LedgerState, rules: LedgerRules, transfers: readonly TransferInput[], ctx: EntryContext): ItemResult[] {
  const n = transfers.length;
  const codes: ResultCode[] = new Array<ResultCode>(n);
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && transfers[end]!.flags.linked) end++;
    if (end === n) {
      // The batch ended inside a chain: nothing of it is applied.
      for (let i = start; i < end; i++) codes[i] = i === end - 1 ? 'linked_event_chain_open' : 'linked_event_failed';
      break;
    }
    if (end === start) {
      // A chain of one: it either fails before writing anything or commits, so no journal.
      codes[start] = applyTransfer(state, rules, transfers[start]!, ctx, null);
      start++;
      continue;
    }
    const journal = openJournal(state);
    let failed = -1;
    for (let i = start; i <= end; i++) {
      const code = applyTransfer(state, rules, transfers[i]!, ctx, journal);
      codes[i] = code;
      if (code !== 'ok') {
        failed = i;
        break;
      }
    }
    if (failed >= 0) {
      rollback(state, journal);
      for (let i = start; i <= end; i++) if (i !== failed) codes[i] = 'linked_event_failed';
    } else {
      for (const p of journal.newPendings) trackExpiry(state, p);
    }
    start = end + 1;
  }
  const results = new Array<ItemResult>(n);
  for (let i = 0; i < n; i++) results[i] = { id: transfers[i]!.id, code: codes[i]! };
  return results;
}

function createAccount(state: LedgerState, rules: LedgerRules, a: AccountInput): ResultCode {
  if (!isValidId(a.id)) return 'id_invalid';
  if (a.flags.debitsMustNotExceedCredits && a.flags.creditsMustNotExceedDebits) return 'flags_invalid';
  if (!Object.prototype.hasOwnProperty.call(rules.currencies, a.currency)) return 'currency_invalid';
  const existing = state.accounts.get(a.id);
  if (existing !== undefined) {
    const same = existing.currency === a.currency
      && existing.flags.debitsMustNotExceedCredits === a.flags.debitsMustNotExceedCredits
      && existing.flags.creditsMustNotExceedDebits === a.flags.creditsMustNotExceedDebits
      && existing.flags.closed === a.flags.closed;
    return same ? 'exists' : 'exists_with_different_fields';
  }
  const flags = a.flags.debitsMustNotExceedCredits || a.flags.creditsMustNotExceedDebits || a.flags.closed ? a.flags : NO_FLAGS;
  addAccount(state, {
    id: a.id, currency: a.currency, flags,
    debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n,
    timestamp: state.now,
  });
  return 'ok';
}
