// Amount parsing and formatting: every bad-input rule of issue 4, and exactness of JSON numbers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { amountMaxMinor, formatAmount, parseAmount } from '../../machines/ledger/amount.ts';

const MAX_USD = amountMaxMinor('1000000.00', 2);

const good: Array<[unknown, number, bigint]> = [
  [150.75, 2, 15075n],
  ['150.75', 2, 15075n],
  [0.01, 2, 1n],
  [0.1, 2, 10n],
  [0.3, 2, 30n], // 0.1 + 0.2 style float noise must never appear: String(0.3) is "0.3"
  [1.005, 3, 1005n],
  ['1000000.00', 2, 100000000n],
  [1000000, 2, 100000000n],
  ['1e2', 2, 10000n],
  ['1.5e1', 2, 1500n],
  ['25E-1', 2, 250n],
  ['150.750', 2, 15075n], // trailing zeros keep the value exact
  ['7', 0, 7n],
  ['1000000.00', 0, 1000000n],
  ['0.001', 3, 1n],
  ['.5', 2, 50n],
  ['007', 2, 700n],
];
for (const [input, exponent, minor] of good) {
  test(`parses ${JSON.stringify(input)} at exponent ${exponent} to ${minor}`, () => {
    assert.equal(parseAmount(input, exponent, MAX_USD), { ok: true, minor });
  });
}

const bad: Array<[string, unknown, number, string]> = [
  ['missing', undefined, 2, 'amount_required'],
  ['null', null, 2, 'amount_type'],
  ['true', true, 2, 'amount_type'],
  ['false', false, 2, 'amount_type'],
  ['an object', { value: 1 }, 2, 'amount_type'],
  ['an array', [1], 2, 'amount_type'],
  ['NaN number', Number.NaN, 2, 'amount_not_finite'],
  ['Infinity number', Number.POSITIVE_INFINITY, 2, 'amount_not_finite'],
  ['-Infinity number', Number.NEGATIVE_INFINITY, 2, 'amount_not_finite'],
  ['"NaN" string', 'NaN', 2, 'amount_not_finite'],
  ['"Infinity" string', 'Infinity', 2, 'amount_not_finite'],
  ['"-inf" string', '-inf', 2, 'amount_not_finite'],
  ['empty string', '', 2, 'amount_format'],
  ['spaces', ' 1.00', 2, 'amount_format'],
  ['comma decimal', '1,50', 2, 'amount_format'],
  ['plus sign', '+5', 2, 'amount_format'],
  ['hex', '0x10', 2, 'amount_format'],
  ['dot only', '.', 2, 'amount_format'],
  ['trailing dot', '5.', 2, 'amount_format'],
  ['two dots', '1.2.3', 2, 'amount_format'],
  ['exponent beyond range', '1e400', 2, 'amount_out_of_range'],
  ['tiny exponent beyond range', '1e-400', 2, 'amount_out_of_range'],
  ['JSON number overflow', 1e400, 2, 'amount_not_finite'],
  ['absurdly long text', '1'.repeat(100), 2, 'amount_out_of_range'],
  ['three decimals for USD', '150.755', 2, 'amount_precision'],
  ['three decimals as a number', 150.755, 2, 'amount_precision'],
  ['decimals for JPY', '1.5', 0, 'amount_precision'],
  ['tiny number', 1e-7, 2, 'amount_precision'],
  ['zero', 0, 2, 'amount_not_positive'],
  ['zero string', '0.00', 2, 'amount_not_positive'],
  ['negative', -5, 2, 'amount_not_positive'],
  ['negative string', '-150.75', 2, 'amount_not_positive'],
  ['above maximum', '1000000.01', 2, 'amount_too_large'],
  ['far above maximum as exponent', 1e21, 2, 'amount_too_large'],
];
for (const [name, input, exponent, code] of bad) {
  test(`rejects ${name} with ${code}`, () => {
    assert.equal(parseAmount(input, exponent, MAX_USD), { ok: false, code });
  });
}

test('no maximum when none is given', () => {
  assert.equal(parseAmount('99999999999', 2), { ok: true, minor: 9999999999900n });
});

const formats: Array<[bigint, number, string]> = [
  [15075n, 2, '150.75'],
  [-15075n, 2, '-150.75'],
  [5n, 2, '0.05'],
  [-5n, 2, '-0.05'],
  [0n, 2, '0.00'],
  [100000000n, 2, '1000000.00'],
  [7n, 0, '7'],
  [-7n, 0, '-7'],
  [1005n, 3, '1.005'],
];
for (const [minor, exponent, text] of formats) {
  test(`formats ${minor} at exponent ${exponent} as ${text}`, () => {
    assert.is(formatAmount(minor, exponent), text);
    if (minor > 0n) assert.equal(parseAmount(text, exponent), { ok: true, minor });
  });
}

test('a bad configured maximum is a configuration error naming the key', () => {
  assert.throws(() => amountMaxMinor('1000000.005', 2), /ledger\.amountMax/);
});

test.run();
