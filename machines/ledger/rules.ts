// The ledger's rules as every replica must apply them, derived once from Config.ledger, plus the
// small pure checks on ids and references that both apply() and the HTTP layer use (one
// definition, so the API never accepts what the ledger would refuse).
import type { Config } from '../config.ts';
import { amountMaxMinor } from './amount.ts';
import type { LedgerRules } from './types.ts';

const ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Account and transfer ids: 1-128 characters of letters, digits and `._:@-`, case-sensitive. */
export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** UTF-8 length without TextEncoder, so the count is the same on every platform. */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export function rulesFromConfig(ledger: Config['ledger']): LedgerRules {
  const amountMax: Record<string, bigint> = {};
  for (const [code, exponent] of Object.entries(ledger.currencies)) {
    amountMax[code] = amountMaxMinor(ledger.amountMax, exponent);
  }
  return {
    autoOpenAccounts: ledger.autoOpenAccounts,
    currencies: ledger.currencies,
    amountMaxMinor: amountMax,
    referenceBytesMax: ledger.referenceBytesMax,
    idempotencyRetentionMs: ledger.idempotencyRetentionMs,
  };
}
