// Shared builders for the ledger specs: rules from the default config, HLC stamps, transfer and
// command literals, and a tiny "log" that applies commands at increasing indexes and times.
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { rulesFromConfig } from '../../machines/ledger/rules.ts';
import { serializeLedger } from '../../machines/ledger/snapshot.ts';
import { createLedgerState } from '../../machines/ledger/state.ts';
import type { TransferLog } from '../../machines/ledger/transfer-log.ts';
import type {
  AccountInput, EntryOutcome, IdempotencyEnvelope, LedgerCommand, LedgerRules, LedgerState, Transfer, TransferInput,
} from '../../machines/ledger/types.ts';

export const T0 = 1_700_000_000_000;

export function stamp(ms: number, logical = 0): string {
  return `${String(ms).padStart(15, '0')}.${String(logical).padStart(6, '0')}`;
}

export function testRules(overrides: Partial<Config['ledger']> = {}): LedgerRules {
  return rulesFromConfig({ ...DEFAULT_CONFIG.ledger, ...overrides });
}

export interface TransferSpec {
  id: string;
  from?: string;
  to?: string;
  amount?: bigint | null;
  currency?: string;
  pending?: boolean;
  post?: boolean;
  void?: boolean;
  linked?: boolean;
  pendingId?: string | null;
  timeoutMs?: number;
  reference?: string | null;
}

export function tr(s: TransferSpec): TransferInput {
  const twoPhaseEnd = Boolean(s.post || s.void);
  return {
    id: s.id,
    debitAccountId: s.from ?? (twoPhaseEnd ? '' : 'alice'),
    creditAccountId: s.to ?? (twoPhaseEnd ? '' : 'bob'),
    amount: s.amount === undefined ? (twoPhaseEnd ? null : 100n) : s.amount,
    currency: s.currency ?? (twoPhaseEnd ? '' : 'USD'),
    flags: { linked: s.linked ?? false, pending: s.pending ?? false, post: s.post ?? false, void: s.void ?? false },
    pendingId: s.pendingId ?? null,
    timeoutMs: s.timeoutMs ?? 0,
    reference: s.reference ?? null,
  };
}

export function transfers(list: TransferInput[], idempotency: IdempotencyEnvelope | null = null): LedgerCommand {
  return { type: 'transfer.create', transfers: list, idempotency, via: 'node1' };
}

export function accounts(list: Array<Partial<AccountInput> & { id: string }>): LedgerCommand {
  return {
    type: 'account.create',
    accounts: list.map((a) => ({
      id: a.id,
      currency: a.currency ?? 'USD',
      flags: a.flags ?? { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false, closed: false },
    })),
    idempotency: null,
    via: 'node1',
  };
}

export const NO_OVERDRAFT = { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false, closed: false };
export const NO_OVERCREDIT = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true, closed: false };
export const CLOSED = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false, closed: true };

/** A ledger fed through the real codec, one entry per command, a millisecond apart by default. */
export class TestLog {
  readonly state: LedgerState = createLedgerState();
  index = 0;
  ms = T0;

  constructor(readonly rules: LedgerRules = testRules()) {}

  apply(command: LedgerCommand | null, advanceMs = 1): EntryOutcome {
    this.index++;
    this.ms += advanceMs;
    const decoded = command === null ? null : decodeCommand(encodeCommand(command));
    return applyEntry(this.state, this.rules, { index: this.index, hlc: stamp(this.ms), command: decoded });
  }

  /** Codes of the items of an applied command (throws if it was not applied). */
  codes(command: LedgerCommand, advanceMs = 1): string[] {
    const outcome = this.apply(command, advanceMs);
    if (outcome.status !== 'applied') throw new Error(`expected applied, got ${outcome.status}`);
    return outcome.response.results.map((r) => r.code);
  }

  balance(id: string): { dp: bigint; cp: bigint; dpe: bigint; cpe: bigint } | undefined {
    const a = this.state.accounts.get(id);
    return a && { dp: a.debitsPosted, cp: a.creditsPosted, dpe: a.debitsPending, cpe: a.creditsPending };
  }
}

/**
 * The state's records as snapshot text without the header line, whose clock and hash move with
 * every entry even when nothing else does: equal content means no record changed.
 */
export function stateContent(state: LedgerState): string {
  const text = serializeLedger(state);
  return text.slice(text.indexOf('\n') + 1);
}

/**
 * Rewrites the transfer at `seq` behind the ledger's back, as a diverged or corrupt replica would
 * hold it: the log is cut back to `seq` and refilled with the changed copy and the rest. The id
 * index is left alone (a changed id is then not found under either id).
 */
export function doctorTransfer(log: TransferLog, seq: number, change: Partial<Transfer>): void {
  const rest: Transfer[] = [];
  while (log.length > seq) {
    rest.unshift(log.at(log.length - 1)!);
    log.pop();
  }
  rest.forEach((t, i) => log.push(i === 0 ? { ...t, ...change, seq } : t));
}
