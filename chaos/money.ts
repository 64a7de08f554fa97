// Exact conversions between bigint minor units and the API's decimal strings. The chaos suite
// never lets a float near money: amounts are chosen as integers and parsed back the same way.

/** "12.34" (exponent 2) -> 1234n; "-0.50" -> -50n. Throws on anything that is not a plain decimal. */
export function parseMinor(text: string, exponent: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const frac = m[3] ?? '';
  if (frac.length > exponent) throw new Error(`amount ${text} has more than ${exponent} decimals`);
  const digits = BigInt(m[2]! + frac.padEnd(exponent, '0'));
  return m[1] === '-' ? -digits : digits;
}

/** Minor units back to a decimal string: the ledger's own formatting. */
export { formatAmount as formatMinor } from '../machines/ledger/amount.ts';
