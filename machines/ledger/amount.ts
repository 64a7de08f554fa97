// Exact amounts at the edge: a client's decimal (a JSON number or a decimal string) becomes
// bigint minor units for a currency's exponent, and back. A JSON number is read through its
// shortest decimal text (String(n)), never by float arithmetic, so 150.75 is exactly 15075 cents.
// Every rejection has its own stable code so the HTTP layer can answer 400 precisely.
import { amountOf } from './shared-amounts.ts';

export type AmountError =
  | 'amount_required'
  | 'amount_type'
  | 'amount_not_finite'
  | 'amount_format'
  | 'amount_out_of_range'
  | 'amount_precision'
  | 'amount_not_positive'
  | 'amount_too_large';

export type AmountParse = { readonly ok: true; readonly minor: bigint } | { readonly ok: false; readonly code: AmountError };

/** Longest decimal text we read; anything longer cannot be a sane amount and costs work to parse. */
const TEXT_CHARS_MAX = 64;
/** Exponent notation is accepted only within this range (1e6, 1.5e-1); beyond it the text is refused. */
const EXPONENT_ABS_MAX = 64;
const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a decimal into minor units. `exponent` is the currency's minor-unit exponent (2 for USD);
 * `maxMinor`, when given, is the largest accepted amount. Trailing zeros beyond the exponent are
 * accepted because the value stays exact ("1000000.00" is a valid JPY amount); other extra decimals
 * are refused, never rounded.
 */
export function parseAmount(input: unknown, exponent: number, maxMinor?: bigint): AmountParse {
  const plain = typeof input === 'string' ? parsePlain(input, exponent, maxMinor)
    : typeof input === 'number' && Number.isFinite(input) ? parsePlain(String(input), exponent, maxMinor) : null;
  if (plain !== null) return plain;
  let text: string;
  if (input === undefined) return fail('amount_required');
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('amount_not_finite');
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return fail('amount_type');
  }
  if (/^[+-]?(nan|inf(inity)?)$/i.test(text)) return fail('amount_not_finite');
  if (text.length === 0 || text.length > TEXT_CHARS_MAX) return fail(text.length === 0 ? 'amount_format' : 'amount_out_of_range');
  const m = DECIMAL.exec(text);
  if (!m) return fail('amount_format');
  const negative = m[1] === '-';
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if (whole.length === 0 && fraction.length === 0) return fail('amount_format');
  if (m[3] !== undefined && fraction.length === 0) return fail('amount_format');
  let power = 0;
  if (m[4] !== undefined) {
    power = Number(m[4]);
    if (!Number.isSafeInteger(power) || Math.abs(power) > EXPONENT_ABS_MAX) return fail('amount_out_of_range');
  }
  const digits = BigInt(whole + fraction);
  // value = digits * 10^(power - fraction.length); in minor units multiply by 10^exponent.
  const shift = exponent + power - fraction.length;
  let minor: bigint;
  if (shift >= 0) {
    minor = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) return fail('amount_precision');
    minor = digits / divisor;
  }
  if (negative || minor === 0n) return fail('amount_not_positive');
  if (maxMinor !== undefined && minor > maxMinor) return fail('amount_too_large');
  return { ok: true, minor };
}

/** Most digits a plain decimal may have for its value to be exact as a double (10^15 < 2^53). */
const PLAIN_DIGITS_MAX = 15;
/** POWERS_OF_TEN[k] = 10^k, exact as doubles for k <= PLAIN_DIGITS_MAX. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: PLAIN_DIGITS_MAX + 1 }, (_, k) => 10 ** k);

/**
 * The common case read without the RegExp or bigint arithmetic: digits with an optional fraction
 * of at least one digit ("1.00", "250"), at most 15 digits in all and a result below 10^15, so
 * every step is exact in a double. Returns the same verdict parseAmount's general path would, or
 * null for any other text (a sign, an exponent, more digits...), which the general path then reads.
 * Runs for every item of every batch.
 */
function parsePlain(text: string, exponent: number, maxMinor: bigint | undefined): AmountParse | null {
  const n = text.length;
  if (n === 0 || n > PLAIN_DIGITS_MAX + 1 || !Number.isSafeInteger(exponent) || exponent < 0 || exponent > PLAIN_DIGITS_MAX) return null;
  let value = 0;
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) value = value * 10 + (c - 48);
    else if (c === 46 && dot < 0) dot = i;
    else return null;
  }
  // "1." and ".5" are formats the general path refuses or reads; leave them to it.
  if (dot === 0 || dot === n - 1) return null;
  const fraction = dot < 0 ? 0 : n - 1 - dot;
  // At most 16 characters: with a dot that is at most 15 digits, without one the check on
  // `digits + shift` below (shift >= 0) refuses a sixteenth.
  const digits = dot < 0 ? n : n - 1;
  const shift = exponent - fraction;
  let minor: number;
  if (shift >= 0) {
    if (digits + shift > PLAIN_DIGITS_MAX) return null;
    minor = value * POWERS_OF_TEN[shift]!;
  } else {
    const divisor = POWERS_OF_TEN[-shift]!;
    if (value % divisor !== 0) return fail('amount_precision');
    minor = value / divisor;
  }
  if (minor === 0) return fail('amount_not_positive');
  if (maxMinor !== undefined && minor > maxMinor) return fail('amount_too_large');
  return { ok: true, minor: amountOf(minor) };
}

/** Minor units back to a decimal string: 15075n, 2 -> "150.75"; -15075n -> "-150.75"; 5n, 0 -> "5". */
export function formatAmount(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const cut = padded.length - exponent;
  return `${negative ? '-' : ''}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

/** The configured maximum (a decimal string in major units) in minor units for one currency. */
export function amountMaxMinor(amountMax: string, exponent: number): bigint {
  const parsed = parseAmount(amountMax, exponent);
  if (!parsed.ok) throw new Error(`SYNCPAY_ERR_CONFIG: ledger.amountMax "${amountMax}" is not a valid amount (${parsed.code})`);
  return parsed.minor;
}

function fail(code: AmountError): AmountParse {
  return { ok: false, code };
}
