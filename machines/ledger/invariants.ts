// The ledger's safety properties, checked after every apply in specs and by the simulator:
// per currency, total debits equal total credits (posted and pending separately), no balance is
// negative, and no account breaks the limit its flags set. Returns the violations (empty = sound)
// so a checker can report all of them at once.
import type { LedgerState } from './types.ts';

export function checkInvariants(state: LedgerState): string[] {
  const problems: string[] = [];
  const totals = new Map<string, { dp: bigint; cp: bigint; dpe: bigint; cpe: bigint }>();
  for (const a of state.accounts.values()) {
    let t = totals.get(a.currency);
    if (t === undefined) totals.set(a.currency, (t = { dp: 0n, cp: 0n, dpe: 0n, cpe: 0n }));
    t.dp += a.debitsPosted;
    t.cp += a.creditsPosted;
    t.dpe += a.debitsPending;
    t.cpe += a.creditsPending;
    if (a.debitsPosted < 0n || a.creditsPosted < 0n || a.debitsPending < 0n || a.creditsPending < 0n) {
      problems.push(`account ${a.id}: negative balance component`);
    }
    if (a.flags.debitsMustNotExceedCredits && a.debitsPosted + a.debitsPending > a.creditsPosted) {
      problems.push(`account ${a.id}: debits exceed credits`);
    }
    if (a.flags.creditsMustNotExceedDebits && a.creditsPosted + a.creditsPending > a.debitsPosted) {
      problems.push(`account ${a.id}: credits exceed debits`);
    }
  }
  for (const [currency, t] of totals) {
    if (t.dp !== t.cp) problems.push(`${currency}: posted debits ${t.dp} != posted credits ${t.cp}`);
    if (t.dpe !== t.cpe) problems.push(`${currency}: pending debits ${t.dpe} != pending credits ${t.cpe}`);
  }
  return problems;
}

/**
 * A deeper check (O(transfers)): balances agree with the transfer records. Per currency, posted
 * debits equal the sum of plain transfers and posts, and pending debits equal the sum of the
 * pendings still pending. Catches money that moved without a record, or a record without money.
 */
export function checkTransferTotals(state: LedgerState): string[] {
  const posted = new Map<string, bigint>();
  const pending = new Map<string, bigint>();
  for (const t of state.transferLog) {
    if (t.flags.pending) {
      if (t.status === 'pending') pending.set(t.currency, (pending.get(t.currency) ?? 0n) + t.amount);
    } else if (!t.flags.void) {
      posted.set(t.currency, (posted.get(t.currency) ?? 0n) + t.amount);
    }
  }
  const balances = new Map<string, { dp: bigint; dpe: bigint }>();
  for (const a of state.accounts.values()) {
    const b = balances.get(a.currency) ?? { dp: 0n, dpe: 0n };
    b.dp += a.debitsPosted;
    b.dpe += a.debitsPending;
    balances.set(a.currency, b);
  }
  const problems: string[] = [];
  for (const [currency, b] of balances) {
    if (b.dp !== (posted.get(currency) ?? 0n)) problems.push(`${currency}: posted debits ${b.dp} != transfers ${posted.get(currency) ?? 0n}`);
    if (b.dpe !== (pending.get(currency) ?? 0n)) problems.push(`${currency}: pending debits ${b.dpe} != pendings ${pending.get(currency) ?? 0n}`);
  }
  return problems;
}
