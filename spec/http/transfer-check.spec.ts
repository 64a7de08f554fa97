// checkTransfer and checkPayment (which accept each field's common form inline) against the
// field-by-field composition they must agree with: presence, names, currency, amount, same
// account, id, reference, then pending, linked and timeout, each refusal from the exported check
// for that field. Seeded random items mix valid values with every kind of wrong one; a generated
// id (no id sent) is compared by shape. Also the id generator itself: 22 characters, letters and
// digits only, no repeats, and every character drawn about equally often.
// Set TRANSFER_CHECK_SEED to replay; the seed is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';
import type { TransferInput } from '../../machines/ledger/types.ts';
import { amountMaxMinor, parseAmount, type AmountError } from '../../machines/ledger/amount.ts';
import {
  checkCurrency, checkId, checkName, checkObject, checkPayment, checkReference, checkTransfer, generateId, type Checked,
} from '../../runtime/http/ledger-input.ts';

const SEED = Number(process.env.TRANSFER_CHECK_SEED ?? (Date.now() % 2_147_483_647));
console.log(`transfer-check spec seed: ${SEED} (TRANSFER_CHECK_SEED=${SEED} to replay)`);

const GENERATED = /^[0-9A-Za-z]{22}$/;

type Fields = { debit: string; credit: string; twoPhase: boolean };

/** The API's text for each amount refusal but the maximum (which names the configured value). */
const AMOUNT_TEXT: Record<Exclude<AmountError, 'amount_too_large'>, string> = {
  amount_required: 'amount is required',
  amount_type: 'amount must be a number or a decimal string',
  amount_not_finite: 'amount must be a finite number',
  amount_format: 'amount is not a decimal number',
  amount_out_of_range: 'amount is out of range',
  amount_precision: 'amount has more decimals than the currency allows',
  amount_not_positive: 'amount must be positive',
};

function fieldType(field: string, text: string): Checked<never> {
  return { ok: false, problem: { status: 400, code: 'SYNCPAY_ERR_FIELD_TYPE', detail: text, field } };
}

/** The item rules composed from the exported field checks, in their order of precedence. */
function model(body: unknown, config: Config, names: Fields): Checked<TransferInput> {
  const obj = checkObject(body);
  if (!obj.ok) return obj;
  const b = obj.value;
  for (const field of ['amount', names.debit, names.credit]) {
    if (b[field] === undefined) {
      const code = field === 'amount' ? 'SYNCPAY_ERR_AMOUNT_REQUIRED' : 'SYNCPAY_ERR_FIELD_REQUIRED';
      return { ok: false, problem: { status: 400, code, detail: `${field} is required`, field } };
    }
  }
  const debit = checkName(b, names.debit);
  if (!debit.ok) return debit;
  const credit = checkName(b, names.credit);
  if (!credit.ok) return credit;
  const currency = checkCurrency(b, config);
  if (!currency.ok) return currency;
  // The amount straight from the configuration (not through the route's per-configuration unit cache).
  const exponent = config.ledger.currencies[currency.value] ?? 2;
  const amount = parseAmount(b.amount, exponent, amountMaxMinor(config.ledger.amountMax, exponent));
  if (!amount.ok) {
    const detail = amount.code === 'amount_too_large' ? `amount is above the maximum ${config.ledger.amountMax}` : AMOUNT_TEXT[amount.code];
    return { ok: false, problem: { status: 400, code: `SYNCPAY_ERR_${amount.code.toUpperCase()}`, detail, field: 'amount' } };
  }
  if (debit.value === credit.value) {
    return { ok: false, problem: { status: 400, code: 'SYNCPAY_ERR_SAME_ACCOUNT', detail: `${names.debit} and ${names.credit} must differ`, field: names.credit } };
  }
  const id = checkId(b);
  if (!id.ok) return id;
  const reference = checkReference(b, config);
  if (!reference.ok) return reference;
  let pending = false;
  let linked = false;
  let timeoutMs = 0;
  if (names.twoPhase) {
    for (const field of ['pending', 'linked'] as const) {
      const raw = b[field];
      if (raw === undefined || raw === null) continue;
      if (typeof raw !== 'boolean') return fieldType(field, `${field} must be true or false`);
      if (field === 'pending') pending = raw;
      else linked = raw;
    }
    const raw = b.timeout_ms;
    if (raw !== undefined && raw !== null) {
      const problem = { status: 400, code: 'SYNCPAY_ERR_TIMEOUT_INVALID', field: 'timeout_ms' };
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
        return { ok: false, problem: { ...problem, detail: 'timeout_ms must be a non-negative integer of milliseconds' } };
      }
      if (raw > 0 && !pending) return { ok: false, problem: { ...problem, detail: 'only a pending transfer may have timeout_ms' } };
      timeoutMs = raw;
    }
  }
  return {
    ok: true,
    value: {
      id: id.value, debitAccountId: debit.value!, creditAccountId: credit.value!, amount: amount.minor, currency: currency.value,
      flags: { linked, pending, post: false, void: false }, pendingId: null, timeoutMs, reference: reference.value,
    },
  };
}

const NAMES = ['alice', 'bob', 'r1-a7', 'wmi0q3k1x-a1999', ' alice ', 'alice smith', '', '   ', 'a'.repeat(128), 'a'.repeat(129), 'é', '<x>', 'bob\n'];
const OTHERS = [undefined, undefined, undefined, null, 42, true, {}, ['a']];
const AMOUNTS = ['1.00', '1', '150.75', '0.001', '1000000.00', '1000000.01', '-1', '0', '1e2', 'abc', '', 150.75, 0.1, 7, -3, Number.NaN, null, undefined, true];

/** One of `common` (80%) or of `rare`; either may hold undefined (the field left out). */
function pick(rng: Prng, common: readonly unknown[], rare: readonly unknown[]): unknown {
  const list = rng.chance(0.8) ? common : rare;
  return list[rng.int(0, list.length - 1)];
}

/** An item that is usually close to valid, with one or two fields often wrong. */
function randomItem(rng: Prng, names: Fields): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  const put = (field: string, value: unknown): void => {
    if (value !== undefined || rng.chance(0.2)) item[field] = value;
  };
  put('amount', pick(rng, AMOUNTS.slice(0, 4), AMOUNTS));
  put(names.debit, pick(rng, NAMES.slice(0, 4), [...NAMES, ...OTHERS]));
  put(names.credit, pick(rng, NAMES.slice(0, 4), [...NAMES, ...OTHERS]));
  put('currency', pick(rng, [undefined, undefined, 'USD', 'JPY', 'KWD'], ['usd', 'XYZ', 7, null, '']));
  put('id', pick(rng, [undefined, undefined, 'tx-1', 'T.2'], ['has space', '', 'x'.repeat(129), 5, null]));
  put('reference', pick(rng, [undefined, undefined, 'invoice 7'], ['r'.repeat(257), 'é'.repeat(200), 3, null]));
  put('pending', pick(rng, [undefined, undefined, false, true], ['yes', 1, null]));
  put('linked', pick(rng, [undefined, undefined, false, true], ['no', 0, null]));
  put('timeout_ms', pick(rng, [undefined, undefined, 0, 5000], [-1, 1.5, '5', null, 2 ** 60]));
  return item;
}

function compare(got: Checked<TransferInput>, want: Checked<TransferInput>, label: string): void {
  if (!got.ok || !want.ok) {
    assert.equal(got, want, label);
    return;
  }
  if (GENERATED.test(want.value.id)) {
    // No id was sent: each side generated its own.
    assert.match(got.value.id, GENERATED, label);
    assert.equal({ ...got.value, id: '', flags: { ...got.value.flags } }, { ...want.value, id: '' }, label);
  } else {
    assert.equal({ ...got.value, flags: { ...got.value.flags } }, want.value, label);
  }
}

test('checkTransfer agrees with the field checks composed in order, on random items', () => {
  const rng = createPrng(SEED);
  const names: Fields = { debit: 'debit_account_id', credit: 'credit_account_id', twoPhase: true };
  let accepted = 0;
  const codes = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const item = rng.chance(0.01) ? pick(rng, [null, [], 'x', 3], [undefined]) : randomItem(rng, names);
    const got = checkTransfer(item, DEFAULT_CONFIG);
    compare(got, model(item, DEFAULT_CONFIG, names), JSON.stringify(item) ?? String(item));
    if (got.ok) accepted++;
    else codes.add(got.problem.code);
  }
  assert.ok(accepted > 1_000, `accepted ${accepted}`);
  // Every kind of refusal the item rules have was reached.
  for (const code of ['SYNCPAY_ERR_BODY_NOT_OBJECT', 'SYNCPAY_ERR_AMOUNT_REQUIRED', 'SYNCPAY_ERR_FIELD_REQUIRED', 'SYNCPAY_ERR_FIELD_TYPE',
    'SYNCPAY_ERR_NAME_EMPTY', 'SYNCPAY_ERR_NAME_TOO_LONG', 'SYNCPAY_ERR_NAME_INVALID', 'SYNCPAY_ERR_CURRENCY_UNKNOWN', 'SYNCPAY_ERR_AMOUNT_FORMAT',
    'SYNCPAY_ERR_AMOUNT_PRECISION', 'SYNCPAY_ERR_AMOUNT_TOO_LARGE', 'SYNCPAY_ERR_AMOUNT_NOT_POSITIVE', 'SYNCPAY_ERR_AMOUNT_TYPE',
    'SYNCPAY_ERR_SAME_ACCOUNT', 'SYNCPAY_ERR_ID_INVALID', 'SYNCPAY_ERR_REFERENCE_TOO_LONG', 'SYNCPAY_ERR_TIMEOUT_INVALID']) {
    assert.ok(codes.has(code), `never produced ${code}`);
  }
});

test('checkPayment agrees with the field checks composed in order, on random items', () => {
  const rng = createPrng(SEED ^ 0x1b873593);
  const names: Fields = { debit: 'sender', credit: 'receiver', twoPhase: false };
  let accepted = 0;
  for (let i = 0; i < 10_000; i++) {
    const item = randomItem(rng, names);
    const got = checkPayment(item, DEFAULT_CONFIG);
    compare(got, model(item, DEFAULT_CONFIG, names), JSON.stringify(item));
    if (got.ok) accepted++;
  }
  assert.ok(accepted > 500, `accepted ${accepted}`);
});

test('a configuration of its own: USD at another exponent, other currencies, default and maximum', () => {
  const config: Config = { ...DEFAULT_CONFIG, ledger: { ...DEFAULT_CONFIG.ledger, currencies: { BHD: 3, ISK: 0, USD: 3 }, defaultCurrency: 'ISK', amountMax: '5000' } };
  const names: Fields = { debit: 'debit_account_id', credit: 'credit_account_id', twoPhase: true };
  const rng = createPrng(SEED ^ 0x68e31da4);
  for (let i = 0; i < 3_000; i++) {
    const item = randomItem(rng, names);
    if (rng.chance(0.3)) item.currency = rng.pick(['BHD', 'ISK', 'USD']);
    if (rng.chance(0.3)) item.amount = rng.pick(['5000', '5000.000', '5000.001', '4999.999', '12', '0.5']);
    // Alternate with the default configuration, so a per-configuration cache is exercised.
    const which = rng.chance(0.5) ? config : DEFAULT_CONFIG;
    compare(checkTransfer(item, which), model(item, which, names), `${JSON.stringify(item)} ${which === config ? 'own' : 'default'}`);
  }
});

test('generated ids: 22 letters and digits, distinct, each character about equally likely', () => {
  const counts = new Map<string, number>();
  const seen = new Set<string>();
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const id = generateId();
    assert.match(id, GENERATED);
    seen.add(id);
    for (const c of id) counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  assert.is(seen.size, n);
  assert.is(counts.size, 62);
  // 440,000 draws over 62 characters: ~7,097 each, standard deviation ~84; 20% off would be ~17 sigma.
  const expected = (n * 22) / 62;
  for (const [c, k] of counts) assert.ok(Math.abs(k - expected) < expected * 0.2, `${c}: ${k} of ~${expected.toFixed(0)}`);
});

test.run();
