// Ledger result codes: the domain outcomes of applying a command (DESIGN section 7, kind 3).
// They are numbered and listed in precedence order: checks run in this order and the first one
// that fails names the result, so every replica and every retry reports the same code. Never
// thrown: apply() returns them. Numbers are stable wire values; add new codes at the end of a group.

export const RESULT_CODES = {
  ok: 0,
  // Chain bookkeeping comes first: a member of a failed chain reports the chain, not itself.
  linked_event_failed: 1,
  linked_event_chain_open: 2,
  // Shape of the event itself, independent of any state.
  id_invalid: 10,
  flags_invalid: 11,
  pending_id_required: 12,
  pending_id_must_be_empty: 13,
  pending_id_same_as_id: 14,
  amount_invalid: 15,
  timeout_reserved_for_pending: 16,
  reference_too_long: 17,
  currency_invalid: 18,
  same_account: 19,
  account_id_invalid: 20,
  // Idempotency: a known id answers before anything that depends on current balances.
  exists_with_different_fields: 30,
  exists: 31,
  // Things that depend on the accounts.
  account_not_found: 40,
  currency_mismatch: 41,
  account_closed: 42,
  // Two-phase transfers.
  pending_not_found: 50,
  pending_not_pending: 51,
  pending_already_posted: 52,
  pending_already_voided: 53,
  pending_expired: 54,
  exceeds_pending_amount: 55,
  // Balance limits come last: they are the only checks that depend on balances.
  exceeds_credits: 60,
  exceeds_debits: 61,
} as const;

export type ResultCode = keyof typeof RESULT_CODES;

/** Human wording for each code, used by the HTTP layer's problem `detail`. */
export const RESULT_TEXT: Readonly<Record<ResultCode, string>> = {
  ok: 'ok',
  linked_event_failed: 'another event of the linked chain failed, so this one was not applied',
  linked_event_chain_open: 'the last event of the batch is linked: the chain was never closed',
  id_invalid: 'the id must be 1-128 characters of letters, digits and ._:@-',
  flags_invalid: 'the flags contradict each other',
  pending_id_required: 'posting or voiding needs the id of a pending transfer',
  pending_id_must_be_empty: 'only a post or a void names a pending transfer',
  pending_id_same_as_id: 'a transfer cannot post or void itself',
  amount_invalid: 'the amount must be a positive number of minor units no larger than the maximum',
  timeout_reserved_for_pending: 'only a pending transfer may have a timeout',
  reference_too_long: 'the reference is longer than allowed',
  currency_invalid: 'the currency is not one this ledger accepts',
  same_account: 'the debit and the credit account are the same',
  account_id_invalid: 'an account id must be 1-128 characters of letters, digits and ._:@-',
  exists_with_different_fields: 'this id is already used by a different transfer or account',
  exists: 'this transfer or account already exists with the same fields',
  account_not_found: 'the account does not exist',
  currency_mismatch: 'the currency does not match the account',
  account_closed: 'the account is closed',
  pending_not_found: 'no pending transfer has this id',
  pending_not_pending: 'the transfer named is not a pending transfer',
  pending_already_posted: 'the pending transfer was already posted',
  pending_already_voided: 'the pending transfer was already voided',
  pending_expired: 'the pending transfer expired',
  exceeds_pending_amount: 'the amount is larger than the pending amount',
  exceeds_credits: 'insufficient funds: the debit would exceed the account\'s credits',
  exceeds_debits: 'the credit would exceed the account\'s debits',
};

/** Codes ordered by precedence (lowest number first), e.g. for documentation and specs. */
export const RESULT_CODES_BY_PRECEDENCE: readonly ResultCode[] = (Object.keys(RESULT_CODES) as ResultCode[])
  .sort((a, b) => RESULT_CODES[a] - RESULT_CODES[b]);

export function isResultCode(value: unknown): value is ResultCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RESULT_CODES, value);
}
