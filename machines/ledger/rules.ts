// The ledger's rules as every replica must apply them, derived once from Config.ledger, plus the
// small pure checks on ids and references that both apply() and the HTTP layer use (one
// definition, so the API never accepts what the ledger would refuse).
import type { Config } from '../config.ts';
import { amountMaxMinor } from './amount.ts';
import type { LedgerRules } from './types.ts';

/** Longest id, in characters. */
const ID_CHARS_MAX = 128;

/**
 * ID_CHAR[c] is 1 for the code units an id may use: letters, digits and `._:@-`. A table walk,
 * not a RegExp: every transfer of every batch is checked on every replica, and the walk costs a
 * fraction of a regex call (a spec checks both agree).
 */
const ID_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-') ID_CHAR[c.charCodeAt(0)] = 1;

/** Account and transfer ids: 1-128 characters of letters, digits and `._:@-`, case-sensitive. */
export function isValidId(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const n = value.length;
  if (n === 0 || n > ID_CHARS_MAX) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || ID_CHAR[c] !== 1) return false;
  }
  return true;
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
