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

/** 1234n (exponent 2) -> "12.34". */
export function formatMinor(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(exponent + 1, '0');
  const whole = exponent === 0 ? digits : digits.slice(0, -exponent);
  const frac = exponent === 0 ? '' : `.${digits.slice(-exponent)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}
