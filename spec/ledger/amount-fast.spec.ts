// parseAmount's plain-decimal fast path (no RegExp, double arithmetic below 10^15) against the
// definition it must agree with: the decimal grammar read by a RegExp and scaled with bigints.
// Seeded random text leans on the fast path's edges (15 and 16 digits, a dot first or last, two
// dots) at exponents 0-6 under a random maximum, plus JSON numbers; a fixed list adds exponent 16
// and other edge cases.
// Set AMOUNT_FAST_SEED to replay; the seed is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAmount, type AmountParse } from '../../machines/ledger/amount.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';

const SEED = Number(process.env.AMOUNT_FAST_SEED ?? (Date.now() % 2_147_483_647));
console.log(`amount-fast spec seed: ${SEED} (AMOUNT_FAST_SEED=${SEED} to replay)`);

const GRAMMAR = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** The amount rules, stated plainly: the model the fast path is checked against. */
function model(input: unknown, exponent: number, maxMinor?: bigint): AmountParse {
  const no = (code: Extract<AmountParse, { ok: false }>['code']): AmountParse => ({ ok: false, code });
  if (input === undefined) return no('amount_required');
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return no('amount_not_finite');
    text = String(input);
  } else if (typeof input === 'string') text = input;
  else return no('amount_type');
  if (/^[+-]?(nan|inf(inity)?)$/i.test(text)) return no('amount_not_finite');
  if (text.length === 0) return no('amount_format');
  if (text.length > 64) return no('amount_out_of_range');
  const m = GRAMMAR.exec(text);
  if (m === null) return no('amount_format');
  const whole = m[2] ?? '';
  const fraction = m[3] ?? '';
  if ((whole === '' && fraction === '') || (m[3] !== undefined && fraction === '')) return no('amount_format');
  const power = m[4] === undefined ? 0 : Number(m[4]);
  if (!Number.isSafeInteger(power) || Math.abs(power) > 64) return no('amount_out_of_range');
  const digits = BigInt(whole + fraction);
  const shift = exponent + power - fraction.length;
  let minor: bigint;
  if (shift >= 0) minor = digits * 10n ** BigInt(shift);
  else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n) return no('amount_precision');
    minor = digits / divisor;
  }
  if (m[1] === '-' || minor === 0n) return no('amount_not_positive');
  if (maxMinor !== undefined && minor > maxMinor) return no('amount_too_large');
  return { ok: true, minor };
}

function digitRun(rng: Prng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** Text near the fast path's limits, sometimes spoiled by a character it must hand on. */
function randomText(rng: Prng): string {
  const total = rng.chance(0.3) ? rng.int(13, 17) : rng.int(0, 8);
  let s = digitRun(rng, total);
  const roll = rng.next();
  if (roll < 0.45 && s.length > 0) {
    const at = rng.int(0, s.length);
    s = `${s.slice(0, at)}.${s.slice(at)}`;
  } else if (roll < 0.5) s = `${s}.${digitRun(rng, rng.int(0, 3))}.${digitRun(rng, rng.int(0, 2))}`;
  if (rng.chance(0.15)) {
    const spoilers = ['-', '+', 'e2', 'E-1', 'e', ' ', '\n', 'x', '١', '0x1', '_'];
    const bit = rng.pick(spoilers);
    const at = rng.int(0, s.length);
    s = rng.chance(0.5) ? `${s.slice(0, at)}${bit}${s.slice(at)}` : bit === '-' ? `-${s}` : `${s}${bit}`;
  }
  return s;
}

test('the fast path agrees with the amount rules on random decimal text', () => {
  const rng = createPrng(SEED);
  let plainOk = 0;
  let refused = 0;
  for (let i = 0; i < 60_000; i++) {
    const text = randomText(rng);
    const exponent = rng.int(0, 6);
    // No maximum, one far away, or one within a few units of typical values so both sides show.
    const maxRoll = rng.next();
    const max = maxRoll < 0.3 ? undefined : maxRoll < 0.6 ? 10n ** 30n : BigInt(rng.int(0, 10 ** rng.int(1, 9)));
    const got = parseAmount(text, exponent, max);
    assert.equal(got, model(text, exponent, max), `${JSON.stringify(text)} exponent ${exponent} max ${String(max)}`);
    if (got.ok) plainOk++;
    else refused++;
  }
  // Both verdicts were exercised plenty.
  assert.ok(plainOk > 5_000 && refused > 5_000, `ok ${plainOk}, refused ${refused}`);
});

test('the fast path agrees on JSON numbers', () => {
  const rng = createPrng(SEED ^ 0x2545f491);
  for (let i = 0; i < 20_000; i++) {
    const scale = 10 ** rng.int(0, 6);
    const n = rng.chance(0.1) ? -rng.int(0, 1000) / scale : rng.int(0, 2 ** 31) / scale;
    const exponent = rng.int(0, 4);
    assert.equal(parseAmount(n, exponent, 10n ** 12n), model(n, exponent, 10n ** 12n), `${n} exponent ${exponent}`);
  }
  for (const n of [0, -0, 1e21, 1e-7, 123456789012345, 1234567890123456, 2 ** 53, Number.MAX_SAFE_INTEGER, 0.1, 5e-324]) {
    for (const exponent of [0, 2, 3]) assert.equal(parseAmount(n, exponent), model(n, exponent), `${n} exponent ${exponent}`);
  }
});

test('edges of the fast path: digit counts, dots, exponents and the maximum', () => {
  const cases: Array<[string, number, bigint | undefined]> = [
    ['999999999999999', 0, undefined], ['999999999999999', 1, undefined], ['9999999999999999', 0, undefined],
    ['99999999999999.9', 1, undefined], ['99999999999999.9', 2, undefined], ['0.00000000000001', 2, undefined],
    ['1.', 2, undefined], ['.1', 2, undefined], ['.', 2, undefined], ['', 2, undefined], ['1..0', 2, undefined],
    ['1.00', 2, 100n], ['1.01', 2, 100n], ['1.000', 2, undefined], ['1.001', 2, undefined], ['0.000', 2, undefined],
    ['00000000000000001', 2, undefined], ['1000000.00', 2, 100000000n], ['1000000.01', 2, 100000000n],
    ['131071', 0, undefined], ['131072', 0, undefined], ['1', 15, undefined], ['1', 16, undefined], ['12', 14, undefined],
  ];
  for (const [text, exponent, max] of cases) {
    assert.equal(parseAmount(text, exponent, max), model(text, exponent, max), `${JSON.stringify(text)} exponent ${exponent}`);
  }
});

test.run();
