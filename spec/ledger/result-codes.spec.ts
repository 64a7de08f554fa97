// One table row per ledger result code: the setup, the event, the code it must produce, and (for
// every failure) proof that the ledger did not change. A final test fails when a code is added to
// codes.ts without a row here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESULT_CODES, RESULT_CODES_BY_PRECEDENCE, type ResultCode } from '../../machines/ledger/codes.ts';
import { checkInvariants } from '../../machines/ledger/invariants.ts';
import type { LedgerCommand, LedgerRules, LedgerState } from '../../machines/ledger/types.ts';
import { CLOSED, NO_OVERCREDIT, NO_OVERDRAFT, TestLog, accounts, stateContent, testRules, tr, transfers } from './helpers.ts';

interface Row {
  code: ResultCode;
  rules?: LedgerRules;
  setup?: LedgerCommand[];
  /** Time passing between the setup and the event (ms of HLC time). */
  waitMs?: number;
  event: LedgerCommand;
  /** Which item's code to read (default: the first). */
  item?: number;
}

const pending = (id: string, timeoutMs = 0) => transfers([tr({ id, pending: true, timeoutMs })]);
const post = (id: string, pendingId: string, amount: bigint | null = null) => transfers([tr({ id, post: true, pendingId, amount })]);
const voidOf = (id: string, pendingId: string) => transfers([tr({ id, void: true, pendingId })]);

const rows: Row[] = [
  { code: 'ok', event: transfers([tr({ id: 't1' })]) },
  { code: 'linked_event_failed', event: transfers([tr({ id: 't1', linked: true }), tr({ id: 't2', amount: 0n })]) },
  { code: 'linked_event_chain_open', event: transfers([tr({ id: 't1', linked: true })]) },
  { code: 'id_invalid', event: transfers([tr({ id: 'bad id!' })]) },
  { code: 'flags_invalid', event: transfers([tr({ id: 't1', pending: true, post: true, pendingId: 'p' })]) },
  { code: 'pending_id_required', event: transfers([tr({ id: 't1', post: true })]) },
  { code: 'pending_id_must_be_empty', event: transfers([tr({ id: 't1', pendingId: 'p1' })]) },
  { code: 'pending_id_same_as_id', event: post('p1', 'p1') },
  { code: 'amount_invalid', event: transfers([tr({ id: 't1', amount: 0n })]) },
  { code: 'timeout_reserved_for_pending', event: transfers([tr({ id: 't1', timeoutMs: 1000 })]) },
  { code: 'reference_too_long', event: transfers([tr({ id: 't1', reference: 'é'.repeat(129) })]) },
  { code: 'currency_invalid', event: transfers([tr({ id: 't1', currency: 'XXX' })]) },
  { code: 'same_account', event: transfers([tr({ id: 't1', from: 'alice', to: 'alice' })]) },
  { code: 'account_id_invalid', event: transfers([tr({ id: 't1', from: 'not valid' })]) },
  { code: 'exists_with_different_fields', setup: [transfers([tr({ id: 't1' })])], event: transfers([tr({ id: 't1', amount: 200n })]) },
  { code: 'exists', setup: [transfers([tr({ id: 't1' })])], event: transfers([tr({ id: 't1' })]) },
  { code: 'account_not_found', rules: testRules({ autoOpenAccounts: false }), setup: [accounts([{ id: 'alice' }])], event: transfers([tr({ id: 't1' })]) },
  { code: 'currency_mismatch', setup: [accounts([{ id: 'alice', currency: 'EUR' }])], event: transfers([tr({ id: 't1' })]) },
  { code: 'account_closed', setup: [accounts([{ id: 'bob', flags: CLOSED }])], event: transfers([tr({ id: 't1' })]) },
  { code: 'pending_not_found', event: post('t2', 'nope') },
  { code: 'pending_not_pending', setup: [transfers([tr({ id: 't1' })])], event: post('t2', 't1') },
  { code: 'pending_already_posted', setup: [pending('p1'), post('t2', 'p1')], event: post('t3', 'p1') },
  { code: 'pending_already_voided', setup: [pending('p1'), voidOf('t2', 'p1')], event: post('t3', 'p1') },
  { code: 'pending_expired', setup: [pending('p1', 1000)], waitMs: 1000, event: post('t3', 'p1') },
  { code: 'exceeds_pending_amount', setup: [pending('p1')], event: post('t2', 'p1', 101n) },
  { code: 'exceeds_credits', setup: [accounts([{ id: 'alice', flags: NO_OVERDRAFT }])], event: transfers([tr({ id: 't1' })]) },
  { code: 'exceeds_debits', setup: [accounts([{ id: 'bob', flags: NO_OVERCREDIT }])], event: transfers([tr({ id: 't1' })]) },
];

/** The state without its clock, which moves with every entry even when nothing else does. */
function content(state: LedgerState): string {
  return stateContent(state);
}

for (const row of rows) {
  test(`result code ${row.code} (${RESULT_CODES[row.code]})`, () => {
    const log = new TestLog(row.rules);
    for (const command of row.setup ?? []) log.apply(command);
    // Let time pass on a noop first, so expiry's own changes are not blamed on the event.
    if (row.waitMs !== undefined) log.apply(null, row.waitMs);
    const before = content(log.state);
    const codes = log.codes(row.event);
    assert.is(codes[row.item ?? 0], row.code);
    if (row.code !== 'ok') assert.equal(content(log.state), before, 'a failed event must not change the ledger');
    else assert.not.equal(content(log.state), before);
    assert.equal(checkInvariants(log.state), []);
  });
}

test('every result code has a table row', () => {
  const covered = new Set(rows.map((r) => r.code));
  assert.equal(RESULT_CODES_BY_PRECEDENCE.filter((c) => !covered.has(c)), []);
});

test('codes are unique numbers', () => {
  const numbers = RESULT_CODES_BY_PRECEDENCE.map((c) => RESULT_CODES[c]);
  assert.equal(new Set(numbers).size, numbers.length);
});

const precedence: Array<[string, LedgerCommand[], LedgerCommand, ResultCode]> = [
  ['currency_invalid wins over same_account', [], transfers([tr({ id: 't1', from: 'a', to: 'a', currency: 'XXX' })]), 'currency_invalid'],
  ['amount_invalid wins over an unknown currency', [], transfers([tr({ id: 't1', amount: -1n, currency: 'XXX' })]), 'amount_invalid'],
  ['id_invalid wins over everything', [], transfers([tr({ id: '', amount: 0n, from: 'a', to: 'a' })]), 'id_invalid'],
  ['exists wins over exceeds_credits (a retry answers what happened)',
    [accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'bob' }]), transfers([tr({ id: 'fund', from: 'bob', to: 'alice' })]), transfers([tr({ id: 't1' })]), transfers([tr({ id: 't2' })])],
    transfers([tr({ id: 't1' })]), 'exists'],
  ['exists_with_different_fields wins over account_closed',
    [transfers([tr({ id: 't1' })]), accounts([{ id: 'carol', flags: CLOSED }])], transfers([tr({ id: 't1', to: 'carol' })]), 'exists_with_different_fields'],
  ['currency_mismatch wins over account_closed', [accounts([{ id: 'alice', currency: 'EUR', flags: CLOSED }])], transfers([tr({ id: 't1' })]), 'currency_mismatch'],
  ['account_closed wins over exceeds_credits',
    [accounts([{ id: 'alice', flags: { ...NO_OVERDRAFT, closed: true } }])], transfers([tr({ id: 't1' })]), 'account_closed'],
  ['pending_already_posted wins over exceeds_pending_amount',
    [pending('p1'), post('t2', 'p1')], post('t3', 'p1', 1000n), 'pending_already_posted'],
];
for (const [name, setup, event, code] of precedence) {
  test(`precedence: ${name}`, () => {
    const log = new TestLog();
    for (const command of setup) log.apply(command);
    assert.is(log.codes(event)[0], code);
  });
}

const accountRows: Array<[string, LedgerCommand[], LedgerCommand, ResultCode]> = [
  ['ok', [], accounts([{ id: 'alice' }]), 'ok'],
  ['exists', [accounts([{ id: 'alice' }])], accounts([{ id: 'alice' }]), 'exists'],
  ['exists_with_different_fields', [accounts([{ id: 'alice' }])], accounts([{ id: 'alice', currency: 'EUR' }]), 'exists_with_different_fields'],
  ['id_invalid', [], accounts([{ id: 'x'.repeat(129) }]), 'id_invalid'],
  ['flags_invalid', [], accounts([{ id: 'alice', flags: { ...NO_OVERDRAFT, creditsMustNotExceedDebits: true } }]), 'flags_invalid'],
  ['currency_invalid', [], accounts([{ id: 'alice', currency: 'usd' }]), 'currency_invalid'],
];
for (const [name, setup, event, code] of accountRows) {
  test(`account.create result ${name}`, () => {
    const log = new TestLog();
    for (const command of setup) log.apply(command);
    const before = log.state.accounts.size;
    assert.is(log.codes(event)[0], code);
    assert.is(log.state.accounts.size, before + (code === 'ok' ? 1 : 0));
  });
}

test.run();
