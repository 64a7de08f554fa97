// Validation of client requests for the ledger routes, before anything is proposed: every
// bad input gets a 400 with its own stable code and nothing is written. The rules mirror the
// ledger's own (amount.ts, rules.ts), so what passes here is only ever refused by the ledger for
// reasons that depend on its state (balances, existing ids) or on a batch as a whole (a linked
// chain left open at its end, which the ledger answers per item as TigerBeetle does), with 422.
import { customAlphabet } from 'nanoid';
import type { Config } from '../../machines/config.ts';
import { amountMaxMinor, parseAmount, type AmountError } from '../../machines/ledger/amount.ts';
import { transferFlags } from '../../machines/ledger/flags.ts';
import { isValidId, rulesFromConfig, utf8Bytes } from '../../machines/ledger/rules.ts';
import type { AccountFlags, LedgerRules, TransferInput } from '../../machines/ledger/types.ts';
import type { Problem } from './problem.ts';

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: Problem };

/** Generated ids use only characters every id rule accepts (nanoid's default alphabet has `_`). */
const newId = customAlphabet('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 22);
export function generateId(): string {
  return newId();
}

function bad(code: string, detail: string, field?: string): { ok: false; problem: Problem } {
  return { ok: false, problem: { status: 400, code, detail, ...(field === undefined ? {} : { field }) } };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function checkObject(body: unknown): Checked<Record<string, unknown>> {
  return isPlainObject(body) ? { ok: true, value: body } : notObject();
}

function notObject(): { ok: false; problem: Problem } {
  return bad('SYNCPAY_ERR_BODY_NOT_OBJECT', 'the request body must be a JSON object');
}

/** An account name: trimmed, then 1-128 characters of letters, digits and `._:@-`. */
export function checkName(body: Record<string, unknown>, field: string, required = true): Checked<string | null> {
  const raw = body[field];
  if (raw === undefined || raw === null) {
    return required ? bad('SYNCPAY_ERR_FIELD_REQUIRED', `${field} is required`, field) : { ok: true, value: null };
  }
  if (typeof raw !== 'string') return bad('SYNCPAY_ERR_FIELD_TYPE', `${field} must be a string`, field);
  const name = raw.trim();
  if (name.length === 0) return bad('SYNCPAY_ERR_NAME_EMPTY', `${field} is empty`, field);
  if (name.length > 128) return bad('SYNCPAY_ERR_NAME_TOO_LONG', `${field} is longer than 128 characters`, field);
  if (!isValidId(name)) return bad('SYNCPAY_ERR_NAME_INVALID', `${field} may contain only letters, digits and ._:@-`, field);
  return { ok: true, value: name };
}

export function checkId(body: Record<string, unknown>, field = 'id'): Checked<string> {
  const raw = body[field];
  if (raw === undefined || raw === null) return { ok: true, value: generateId() };
  if (typeof raw !== 'string' || !isValidId(raw)) {
    return bad('SYNCPAY_ERR_ID_INVALID', `${field} must be 1-128 characters of letters, digits and ._:@-`, field);
  }
  return { ok: true, value: raw };
}

export function checkCurrency(body: Record<string, unknown>, config: Config): Checked<string> {
  const raw = body.currency;
  if (raw === undefined || raw === null) return { ok: true, value: config.ledger.defaultCurrency };
  if (typeof raw !== 'string') return bad('SYNCPAY_ERR_FIELD_TYPE', 'currency must be a string', 'currency');
  if (!Object.prototype.hasOwnProperty.call(config.ledger.currencies, raw)) {
    return bad('SYNCPAY_ERR_CURRENCY_UNKNOWN', `currency ${raw} is not accepted (${Object.keys(config.ledger.currencies).join(', ')})`, 'currency');
  }
  return { ok: true, value: raw };
}

const AMOUNT_TEXT: Readonly<Record<string, string>> = {
  amount_required: 'amount is required',
  amount_type: 'amount must be a number or a decimal string',
  amount_not_finite: 'amount must be a finite number',
  amount_format: 'amount is not a decimal number',
  amount_out_of_range: 'amount is out of range',
  amount_precision: 'amount has more decimals than the currency allows',
  amount_not_positive: 'amount must be positive',
  amount_too_large: 'amount is above the maximum',
};

/** The ledger's rules for a configuration, derived once (the per-currency maximum parses a decimal). */
const RULES = new WeakMap<Config['ledger'], LedgerRules>();

function rulesOf(config: Config): LedgerRules {
  let rules = RULES.get(config.ledger);
  if (rules === undefined) {
    rules = rulesFromConfig(config.ledger);
    RULES.set(config.ledger, rules);
  }
  return rules;
}

function amountProblem(code: AmountError, config: Config, field: string): { ok: false; problem: Problem } {
  const detail = code === 'amount_too_large' ? `amount is above the maximum ${config.ledger.amountMax}` : AMOUNT_TEXT[code] ?? code;
  return bad(`SYNCPAY_ERR_${code.toUpperCase()}`, detail, field);
}

export function checkReference(body: Record<string, unknown>, config: Config): Checked<string | null> {
  const raw = body.reference;
  if (raw === undefined || raw === null) return { ok: true, value: null };
  if (typeof raw !== 'string') return bad('SYNCPAY_ERR_FIELD_TYPE', 'reference must be a string', 'reference');
  if (utf8Bytes(raw) > config.ledger.referenceBytesMax) {
    return bad('SYNCPAY_ERR_REFERENCE_TOO_LONG', `reference is longer than ${config.ledger.referenceBytesMax} bytes`, 'reference');
  }
  return { ok: true, value: raw };
}

function checkBoolean(body: Record<string, unknown>, field: string): Checked<boolean> {
  const raw = body[field];
  if (raw === undefined || raw === null) return { ok: true, value: false };
  if (typeof raw !== 'boolean') return bad('SYNCPAY_ERR_FIELD_TYPE', `${field} must be true or false`, field);
  return { ok: true, value: raw };
}

function checkTimeout(body: Record<string, unknown>, pending: boolean): Checked<number> {
  const raw = body.timeout_ms;
  if (raw === undefined || raw === null) return { ok: true, value: 0 };
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    return bad('SYNCPAY_ERR_TIMEOUT_INVALID', 'timeout_ms must be a non-negative integer of milliseconds', 'timeout_ms');
  }
  if (raw > 0 && !pending) return bad('SYNCPAY_ERR_TIMEOUT_INVALID', 'only a pending transfer may have timeout_ms', 'timeout_ms');
  return { ok: true, value: raw };
}

/**
 * An account name as checkName reads it, or its refusal. A valid id has no whitespace and at most
 * 128 characters (rules.ts), the same limit checkName applies, so it is its own trimmed form and
 * checkName would accept it unchanged: only other values need the full check.
 */
function accountName(b: Record<string, unknown>, field: string, raw: unknown): string | { ok: false; problem: Problem } {
  if (isValidId(raw)) return raw;
  const c = checkName(b, field);
  return c.ok ? c.value! : c;
}

interface TransferFields { readonly debit: string; readonly credit: string; readonly twoPhase: boolean }
const PAYMENT_FIELDS: TransferFields = { debit: 'sender', credit: 'receiver', twoPhase: false };
const TRANSFER_FIELDS: TransferFields = { debit: 'debit_account_id', credit: 'credit_account_id', twoPhase: true };

/** The seed's `POST /payment` body (sender pays receiver). */
export function checkPayment(body: unknown, config: Config): Checked<TransferInput> {
  return checkTransferBody(body, config, PAYMENT_FIELDS);
}

/** A `POST /v1/transfers` item. */
export function checkTransfer(body: unknown, config: Config): Checked<TransferInput> {
  return checkTransferBody(body, config, TRANSFER_FIELDS);
}

/**
 * One transfer item; runs for every item of every batch. Each field's common, valid form (an
 * absent optional field, an id-shaped name) is accepted inline, without the `{ok, value}` wrapper
 * the exported checks return, and the amount goes straight to parseAmount; anything else goes
 * through the exported checks, so every refusal keeps its exact code, text and precedence.
 */
function checkTransferBody(b: unknown, config: Config, names: TransferFields): Checked<TransferInput> {
  if (!isPlainObject(b)) return notObject();
  // Presence first, so a client missing several fields learns the first one by a stable rule.
  const rawAmount = b.amount;
  if (rawAmount === undefined) return bad('SYNCPAY_ERR_AMOUNT_REQUIRED', 'amount is required', 'amount');
  const rawDebit = b[names.debit];
  if (rawDebit === undefined) return bad('SYNCPAY_ERR_FIELD_REQUIRED', `${names.debit} is required`, names.debit);
  const rawCredit = b[names.credit];
  if (rawCredit === undefined) return bad('SYNCPAY_ERR_FIELD_REQUIRED', `${names.credit} is required`, names.credit);
  const debit = accountName(b, names.debit, rawDebit);
  if (typeof debit !== 'string') return debit;
  const credit = accountName(b, names.credit, rawCredit);
  if (typeof credit !== 'string') return credit;
  let currency: string;
  const rawCurrency = b.currency;
  if (rawCurrency === undefined || rawCurrency === null) currency = config.ledger.defaultCurrency;
  else {
    const c = checkCurrency(b, config);
    if (!c.ok) return c;
    currency = c.value;
  }
  const exponent = config.ledger.currencies[currency] ?? 2;
  const parsed = parseAmount(rawAmount, exponent, rulesOf(config).amountMaxMinor[currency] ?? amountMaxMinor(config.ledger.amountMax, exponent));
  if (!parsed.ok) return amountProblem(parsed.code, config, 'amount');
  if (debit === credit) {
    return bad('SYNCPAY_ERR_SAME_ACCOUNT', `${names.debit} and ${names.credit} must differ`, names.credit);
  }
  let id: string;
  const rawId = b.id;
  if (rawId === undefined || rawId === null) id = generateId();
  else if (isValidId(rawId)) id = rawId;
  else {
    const c = checkId(b);
    if (!c.ok) return c;
    id = c.value;
  }
  let reference: string | null = null;
  if (b.reference !== undefined && b.reference !== null) {
    const c = checkReference(b, config);
    if (!c.ok) return c;
    reference = c.value;
  }
  let pending = false;
  let linked = false;
  let timeoutMs = 0;
  if (names.twoPhase) {
    if (b.pending !== undefined) {
      const p = checkBoolean(b, 'pending');
      if (!p.ok) return p;
      pending = p.value;
    }
    if (b.linked !== undefined) {
      const l = checkBoolean(b, 'linked');
      if (!l.ok) return l;
      linked = l.value;
    }
    if (b.timeout_ms !== undefined && b.timeout_ms !== null) {
      const t = checkTimeout(b, pending);
      if (!t.ok) return t;
      timeoutMs = t.value;
    }
  }
  return {
    ok: true,
    value: {
      id,
      debitAccountId: debit,
      creditAccountId: credit,
      amount: parsed.minor,
      currency,
      // The shared flag objects the codec decodes to: frozen, one per bit pattern (bits 1 and 2).
      flags: transferFlags((linked ? 1 : 0) | (pending ? 2 : 0)),
      pendingId: null,
      timeoutMs,
      reference,
    },
  };
}

/** `POST /v1/transfers/:id/post` and `/void` bodies: `{id?, amount?, reference?}` (may be empty). */
export function checkFinish(body: unknown, pendingId: string, post: boolean, config: Config, exponent: number):
Checked<{ id: string; amount: bigint | null; reference: string | null }> {
  if (!isValidId(pendingId)) return bad('SYNCPAY_ERR_ID_INVALID', 'the pending transfer id is not a valid id', 'pending_id');
  const b = body === undefined || body === null ? {} : body;
  const obj = checkObject(b);
  if (!obj.ok) return obj;
  const id = checkId(obj.value);
  if (!id.ok) return id;
  const reference = checkReference(obj.value, config);
  if (!reference.ok) return reference;
  let amount: bigint | null = null;
  if (obj.value.amount !== undefined && obj.value.amount !== null) {
    if (!post) return bad('SYNCPAY_ERR_FIELD_UNEXPECTED', 'a void releases the whole pending amount: omit amount', 'amount');
    // The caller found the pending transfer and passes its currency's exponent; the ledger itself
    // refuses an amount above the pending one.
    const parsed = parseAmount(obj.value.amount, exponent);
    if (!parsed.ok) return amountProblem(parsed.code, config, 'amount');
    amount = parsed.minor;
  }
  return { ok: true, value: { id: id.value, amount, reference: reference.value } };
}

/** `POST /v1/accounts`: `{id, currency?, flags?: {debits_must_not_exceed_credits?, credits_must_not_exceed_debits?}}`. */
export function checkAccount(body: unknown, config: Config): Checked<{ id: string; currency: string; flags: AccountFlags }> {
  const obj = checkObject(body);
  if (!obj.ok) return obj;
  const b = obj.value;
  const id = checkName(b, 'id');
  if (!id.ok) return id;
  const currency = checkCurrency(b, config);
  if (!currency.ok) return currency;
  const rawFlags = b.flags ?? {};
  if (!isPlainObject(rawFlags)) return bad('SYNCPAY_ERR_FIELD_TYPE', 'flags must be an object', 'flags');
  const dmnec = checkBoolean(rawFlags, 'debits_must_not_exceed_credits');
  if (!dmnec.ok) return dmnec;
  const cmned = checkBoolean(rawFlags, 'credits_must_not_exceed_debits');
  if (!cmned.ok) return cmned;
  if (dmnec.value && cmned.value) {
    return bad('SYNCPAY_ERR_FLAGS_INVALID', 'an account cannot limit both its debits and its credits', 'flags');
  }
  return {
    ok: true,
    value: { id: id.value!, currency: currency.value, flags: { debitsMustNotExceedCredits: dmnec.value, creditsMustNotExceedDebits: cmned.value, closed: false } },
  };
}
