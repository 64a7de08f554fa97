// Group entries: several commands in one log entry (codec.ts encodeGroup/decodeEntry, apply.ts
// applyEntry). A write path joins the requests of one turn this way, so a group must mean exactly
// what its commands would mean as consecutive entries with the same stamp: the same ledger, the
// same result per command, each command's Idempotency-Key and failures its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { decodeCommand, decodeEntry, encodeCommand, encodeGroup, groupOverheadBytes } from '../../machines/ledger/codec.ts';
import { createLedgerState } from '../../machines/ledger/state.ts';
import type { CommandOutcome, EntryOutcome, LedgerCommand, LedgerState } from '../../machines/ledger/types.ts';
import { NO_OVERDRAFT, T0, accounts, stamp, stateContent, testRules, tr, transfers } from './helpers.ts';

const rules = testRules();

function members(outcome: EntryOutcome): readonly CommandOutcome[] {
  if (outcome.status !== 'group') throw new Error(`expected a group outcome, got ${outcome.status}`);
  return outcome.members;
}

function codesOf(o: CommandOutcome): string[] {
  if (o.status !== 'applied' && o.status !== 'replayed') throw new Error(`expected results, got ${o.status}`);
  return o.response.results.map((r) => r.code);
}

const opening = accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'bob' }, { id: 'bank' }]);
const fund = transfers([tr({ id: 'fund', from: 'bank', to: 'alice', amount: 500n })]);

function freshLedger(): LedgerState {
  const state = createLedgerState();
  applyEntry(state, rules, { index: 1, hlc: stamp(T0), command: opening });
  applyEntry(state, rules, { index: 2, hlc: stamp(T0 + 1), command: fund });
  return state;
}

test('a group entry decodes to its commands, each as decodeCommand reads it alone', () => {
  const commands: LedgerCommand[] = [
    transfers([tr({ id: 'a1', amount: 5n, reference: 'quote " and \\ backslash' })], { key: 'k1', requestHash: 'h1' }),
    { type: 'transfer.void', id: 'v1', pendingId: 'p1', reference: null, idempotency: null, via: 'node2' },
    accounts([{ id: 'carol' }]),
  ];
  const encoded = commands.map(encodeCommand);
  const data = encodeGroup(encoded);
  assert.equal(decodeEntry(data), { type: 'group', commands: encoded.map(decodeCommand) });
  assert.is(data.length, groupOverheadBytes(encoded.length) + encoded.reduce((n, e) => n + e.length, 0));
  assert.is(encodeGroup([encoded[0]!]).length, groupOverheadBytes(1) + encoded[0]!.length);
  // A command alone stays a command: the entries written before groups existed read as before.
  assert.equal(decodeEntry(encoded[0]!), commands[0]);
});

test('a malformed group fails an assertion rather than applying part of it', () => {
  assert.throws(() => decodeEntry('{"type":"group","commands":[]}'), /group needs commands/);
  assert.throws(() => decodeEntry('{"type":"group","commands":[[1,2]]}'), /not an object/);
  assert.throws(() => decodeEntry(`{"type":"group","commands":[${encodeCommand(fund)},{"type":"nope","idem":null,"via":null}]}`), /unknown command type/);
});

test('a group leaves the ledger and each result as its commands would as entries of their own with the same stamp', () => {
  // No Idempotency-Keys here: their stored answers name the entry's index, which differs by design.
  const commands: LedgerCommand[] = [
    transfers([tr({ id: 't1', from: 'alice', to: 'bob', amount: 300n })]),
    transfers([tr({ id: 't2', from: 'alice', to: 'bob', amount: 300n })]), // alice may not overdraw: refused
    transfers([tr({ id: 't3', from: 'bank', to: 'bob', amount: 7n, pending: true, timeoutMs: 1000 })]),
    transfers([tr({ id: 't1', from: 'alice', to: 'bob', amount: 300n })]), // the same id again: exists
    { type: 'transfer.post', id: 't4', pendingId: 't3', amount: null, reference: null, idempotency: null, via: 'node1' },
    transfers([tr({ id: 'l1', from: 'bank', to: 'bob', amount: 1n, linked: true }), tr({ id: 'l2', from: 'alice', to: 'bob', amount: 999n })]),
  ];
  const hlc = stamp(T0 + 10);
  const grouped = freshLedger();
  const outcome = applyEntry(grouped, rules, { index: 3, hlc, command: decodeEntry(encodeGroup(commands.map(encodeCommand))) });
  const apart = freshLedger();
  const alone = commands.map((c, i) => applyEntry(apart, rules, { index: 3 + i, hlc, command: c }));
  assert.equal(members(outcome).map(codesOf), alone.map((o) => codesOf(o as CommandOutcome)));
  assert.equal(members(outcome).map(codesOf), [['ok'], ['exceeds_credits'], ['ok'], ['exists'], ['ok'], ['linked_event_failed', 'exceeds_credits']]);
  assert.is(stateContent(grouped), stateContent(apart));
  assert.is(grouped.transferLog.length, 4, 'fund, t1, the pending t3 and its post t4');
});

test('each command of a group keeps its own Idempotency-Key: a repeat replays, another body under the key is refused', () => {
  const state = freshLedger();
  const first = transfers([tr({ id: 'k-a', from: 'bank', to: 'bob', amount: 5n })], { key: 'key-1', requestHash: 'h-a' });
  const repeat = transfers([tr({ id: 'k-a', from: 'bank', to: 'bob', amount: 5n })], { key: 'key-1', requestHash: 'h-a' });
  const other = transfers([tr({ id: 'k-b', from: 'bank', to: 'bob', amount: 6n })], { key: 'key-1', requestHash: 'h-b' });
  const free = transfers([tr({ id: 'k-c', from: 'bank', to: 'bob', amount: 8n })]);
  const outcome = applyEntry(state, rules, { index: 3, hlc: stamp(T0 + 5), command: { type: 'group', commands: [first, repeat, other, free] } });
  const [a, b, c, d] = members(outcome);
  assert.is(a?.status, 'applied');
  // The repeat answers with the first member's stored answer.
  assert.equal(b, a?.status === 'applied' ? { status: 'replayed', response: a.response } : undefined);
  assert.equal(c, { status: 'idempotency_mismatch', key: 'key-1' });
  assert.equal(codesOf(d!), ['ok']);
  assert.is(state.transferLog.length, 3, 'fund, k-a once, k-c');
  assert.is(state.accounts.get('bob')?.creditsPosted, 13n);
});

test.run();
