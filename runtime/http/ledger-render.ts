// How ledger records look on the wire: the seed's shapes (`POST /payment`, `GET /transactions`)
// and the `/v1` views. Money leaves as decimal strings formatted from bigint minor units (and, in
// the v1 views, the minor units too, as strings); times as epoch seconds from the leader's HLC.
import type { Config } from '../../machines/config.ts';
import { formatAmount } from '../../machines/ledger/amount.ts';
import { RESULT_TEXT, type ResultCode } from '../../machines/ledger/codes.ts';
import { parseHlc } from '../../machines/clock/hlc.ts';
import type { Account, ItemResult, Transfer } from '../../machines/ledger/types.ts';
import type { Problem } from './problem.ts';

export function exponentOf(config: Config, currency: string): number {
  return config.ledger.currencies[currency] ?? 2;
}

/** Epoch seconds (with milliseconds) of a leader's HLC stamp, as the seed reported `timestamp`. */
export function stampSeconds(hlc: string): number {
  return (parseHlc(hlc)?.physicalMs ?? 0) / 1000;
}

/** The seed's status words: a plain transfer is a completed payment. */
function seedStatus(t: Readonly<Transfer>): string {
  return t.status === null ? 'success' : t.status;
}

export function seedPaymentBody(t: Readonly<Transfer>, processedBy: string, config: Config): Record<string, unknown> {
  return {
    status: 'success',
    transaction_id: t.id,
    timestamp: stampSeconds(t.hlc),
    processed_by: processedBy,
    amount: formatAmount(t.amount, exponentOf(config, t.currency)),
    sender: t.debitAccountId,
    receiver: t.creditAccountId,
    currency: t.currency,
    hlc: t.hlc,
  };
}

export function seedTransaction(t: Readonly<Transfer>, nodeId: string, config: Config): Record<string, unknown> {
  return {
    id: t.id,
    amount: formatAmount(t.amount, exponentOf(config, t.currency)),
    sender: t.debitAccountId,
    receiver: t.creditAccountId,
    currency: t.currency,
    timestamp: stampSeconds(t.hlc),
    status: seedStatus(t),
    node_id: nodeId,
  };
}

export function transferView(t: Readonly<Transfer>, config: Config): Record<string, unknown> {
  return {
    id: t.id,
    debit_account_id: t.debitAccountId,
    credit_account_id: t.creditAccountId,
    amount: formatAmount(t.amount, exponentOf(config, t.currency)),
    amount_minor: t.amount.toString(),
    currency: t.currency,
    flags: { pending: t.flags.pending, post: t.flags.post, void: t.flags.void, linked: t.flags.linked },
    pending_id: t.pendingId,
    timeout_ms: t.timeoutMs,
    reference: t.reference,
    status: t.status ?? 'posted',
    timestamp: stampSeconds(t.hlc),
    hlc: t.hlc,
  };
}

export function accountView(a: Readonly<Account>, config: Config): Record<string, unknown> {
  const e = exponentOf(config, a.currency);
  const balance = a.creditsPosted - a.debitsPosted;
  return {
    id: a.id,
    currency: a.currency,
    /** Credits minus debits, posted: a payer reads negative ("-150.75"), a payee positive. */
    balance: formatAmount(balance, e),
    flags: {
      debits_must_not_exceed_credits: a.flags.debitsMustNotExceedCredits,
      credits_must_not_exceed_debits: a.flags.creditsMustNotExceedDebits,
      closed: a.flags.closed,
    },
    balances: {
      debits_posted: formatAmount(a.debitsPosted, e),
      credits_posted: formatAmount(a.creditsPosted, e),
      debits_pending: formatAmount(a.debitsPending, e),
      credits_pending: formatAmount(a.creditsPending, e),
    },
    balances_minor: {
      balance: balance.toString(),
      debits_posted: a.debitsPosted.toString(),
      credits_posted: a.creditsPosted.toString(),
      debits_pending: a.debitsPending.toString(),
      credits_pending: a.creditsPending.toString(),
    },
    timestamp: a.timestamp / 1000,
  };
}

/** A ledger refusal (422) with the result code as the stable `code`. */
export function ledgerProblem(code: ResultCode, id: string, extra: Record<string, unknown> = {}): Problem {
  return { status: 422, code, detail: RESULT_TEXT[code], transaction_id: id, ...extra };
}

/**
 * The answer to a batch of transfers, `{"results":[{"index","id","code","ok"}...],"hlc"}`, written
 * as text: a batch answers up to `ledger.batchTransfersMax` items, and building an object per item
 * for the serialiser to walk again cost the leader more than writing the text. Exactly the bytes
 * JSON.stringify gives for the object form (spec/http/batch-answer.spec.ts).
 */
export function batchAnswerJson(results: readonly ItemResult[], hlc: string): string {
  let out = '{"results":[';
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    const ok = r.code === 'ok' || r.code === 'exists';
    out += `${i === 0 ? '' : ','}{"index":${i},"id":${JSON.stringify(r.id)},"code":${JSON.stringify(r.code)},"ok":${ok}}`;
  }
  return `${out}],"hlc":${JSON.stringify(hlc)}}`;
}
