// Ledger commands to and from the `data` string of a log entry. The text is JSON with amounts as
// decimal strings of minor units and flags as bit sets. Decoding validates the shape strictly: only
// our own encoder writes entries, so a malformed one is a bug or corruption and fails an assertion.
// Domain validity (a zero amount, an unknown currency) is not checked here: apply() answers that
// with a result code, identically on every replica.
import { assert } from '../assert.ts';
import { accountBits, accountFlags, transferBits, transferFlags } from './flags.ts';
import { amountOf } from './shared-amounts.ts';
import type { AccountInput, CommandGroup, EntryCommand, IdempotencyEnvelope, LedgerCommand, TransferInput } from './types.ts';

/** How a group entry's text opens; a single command's never does (its first key names its type). */
const GROUP_OPENING = '{"type":"group","commands":[';

/**
 * One entry holding several commands, each already encoded: their texts are joined, never parsed
 * or written again. The commands apply one after another at the entry's index, each with its own
 * outcome, exactly as if each had an entry of its own with the same stamp.
 */
export function encodeGroup(encoded: readonly string[]): string {
  return `${GROUP_OPENING}${encoded.join(',')}]}`;
}

/** The characters (all ASCII, so also the bytes) encodeGroup adds around `count` encoded commands. */
export function groupOverheadBytes(count: number): number {
  return GROUP_OPENING.length + 2 + Math.max(0, count - 1);
}

/** An entry's data: a single command, or a group (encodeGroup). */
export function decodeEntry(data: string): EntryCommand {
  if (!data.startsWith(GROUP_OPENING)) return decodeCommand(data);
  const doc = parseObject(data);
  assert(Array.isArray(doc.commands) && doc.commands.length >= 1, 'ledger entry: a group needs commands');
  const commands = (doc.commands as unknown[]).map((c) => {
    assert(c !== null && typeof c === 'object' && !Array.isArray(c), 'ledger entry: a group member is not an object');
    return decodeCommandObject(c as Record<string, unknown>);
  });
  const group: CommandGroup = { type: 'group', commands };
  return group;
}

export function encodeCommand(command: LedgerCommand): string {
  // Fields written out in the order the entry format fixes (type, body, idem, via) rather than
  // spread from a shared object: one object per entry instead of two, and the same bytes.
  const idem = command.idempotency === null ? null : [command.idempotency.key, command.idempotency.requestHash];
  const via = command.via;
  switch (command.type) {
    case 'account.create':
      return JSON.stringify({
        type: command.type,
        accounts: command.accounts.map((a) => [a.id, a.currency, accountBits(a.flags)]),
        idem,
        via,
      });
    case 'transfer.create':
      return JSON.stringify({ type: command.type, transfers: command.transfers.map(transferRow), idem, via });
    case 'transfer.post':
      return JSON.stringify({ type: command.type, id: command.id, pendingId: command.pendingId,
        amount: command.amount === null ? null : command.amount.toString(), reference: command.reference, idem, via });
    case 'transfer.void':
      return JSON.stringify({ type: command.type, id: command.id, pendingId: command.pendingId, reference: command.reference, idem, via });
  }
}

/** One transfer as the entry stores it: a 9-element array, amount as a decimal string of minor units. */
function transferRow(t: TransferInput): unknown[] {
  return [t.id, t.debitAccountId, t.creditAccountId, t.amount === null ? null : t.amount.toString(),
    t.currency, transferBits(t.flags), t.pendingId, t.timeoutMs, t.reference];
}

export function decodeCommand(data: string): LedgerCommand {
  return decodeCommandObject(parseObject(data));
}

function parseObject(data: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(data);
  } catch {
    assert(false, 'ledger entry: not JSON');
  }
  assert(doc !== null && typeof doc === 'object' && !Array.isArray(doc), 'ledger entry: not an object');
  return doc as Record<string, unknown>;
}

function decodeCommandObject(d: Record<string, unknown>): LedgerCommand {
  const idempotency = decodeIdem(d.idem);
  assert(d.via === null || typeof d.via === 'string', 'ledger entry: bad via');
  const via = d.via;
  switch (d.type) {
    case 'account.create':
      assert(Array.isArray(d.accounts), 'ledger entry: accounts must be an array');
      return { type: 'account.create', accounts: (d.accounts as unknown[]).map(decodeAccount), idempotency, via };
    case 'transfer.create':
      assert(Array.isArray(d.transfers), 'ledger entry: transfers must be an array');
      return { type: 'transfer.create', transfers: (d.transfers as unknown[]).map(decodeTransfer), idempotency, via };
    case 'transfer.post':
      assert(typeof d.id === 'string' && typeof d.pendingId === 'string', 'ledger entry: bad post ids');
      return { type: 'transfer.post', id: d.id, pendingId: d.pendingId, amount: optionalAmount(d.amount),
        reference: optionalString(d.reference), idempotency, via };
    case 'transfer.void':
      assert(typeof d.id === 'string' && typeof d.pendingId === 'string', 'ledger entry: bad void ids');
      return { type: 'transfer.void', id: d.id, pendingId: d.pendingId, reference: optionalString(d.reference), idempotency, via };
    default:
      assert(false, `ledger entry: unknown command type ${String(d.type)}`);
  }
}

function decodeIdem(v: unknown): IdempotencyEnvelope | null {
  if (v === null) return null;
  assert(Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string', 'ledger entry: bad idempotency');
  return { key: v[0] as string, requestHash: v[1] as string };
}

function decodeAccount(v: unknown): AccountInput {
  assert(Array.isArray(v) && v.length === 3, 'ledger entry: bad account');
  const [id, currency, bits] = v as unknown[];
  assert(typeof id === 'string' && typeof currency === 'string' && isBits(bits, 7), 'ledger entry: bad account fields');
  return { id, currency, flags: accountFlags(bits) };
}

function decodeTransfer(v: unknown): TransferInput {
  // Indexed reads rather than destructuring: this runs once per transfer of every batch.
  assert(Array.isArray(v) && v.length === 9, 'ledger entry: bad transfer');
  const id: unknown = v[0], debit: unknown = v[1], credit: unknown = v[2], currency: unknown = v[4];
  const bits: unknown = v[5], timeoutMs: unknown = v[7];
  assert(typeof id === 'string' && typeof debit === 'string' && typeof credit === 'string' && typeof currency === 'string'
    && isBits(bits, 15) && typeof timeoutMs === 'number' && Number.isSafeInteger(timeoutMs) && timeoutMs >= 0,
  'ledger entry: bad transfer fields');
  return {
    id, debitAccountId: debit, creditAccountId: credit, amount: optionalAmount(v[3]), currency,
    flags: transferFlags(bits), pendingId: optionalString(v[6]), timeoutMs, reference: optionalString(v[8]),
  };
}

/** Amounts are decimal strings of minor units: an optional minus sign and 1-80 digits. */
function optionalAmount(v: unknown): bigint | null {
  if (v === null) return null;
  assert(typeof v === 'string', 'ledger entry: bad amount');
  const from = v.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const n = v.length - from;
  assert(n >= 1 && n <= 80, 'ledger entry: bad amount');
  let small = 0;
  for (let i = from; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    assert(d >= 0 && d <= 9, 'ledger entry: bad amount');
    small = small * 10 + d;
  }
  // Up to 15 digits the value is exact as a double, and BigInt(number) skips parsing text again.
  if (n > 15) return BigInt(v);
  return from === 1 ? -BigInt(small) : amountOf(small);
}

function optionalString(v: unknown): string | null {
  assert(v === null || typeof v === 'string', 'ledger entry: expected a string or null');
  return v;
}

function isBits(v: unknown, mask: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && (v & ~mask) === 0;
}
