// A write path lends the ledger the command it has just encoded, and this node applies its own
// entry from that command instead of decoding the entry (LedgerProposals.lendCommand). That is
// only sound while the lent command is exactly what decoding the entry gives, on this node and on
// every replica that decodes it: checked here for commands built from the HTTP checks' output, on
// random bodies, key by key (a field the codec does not carry would show up as a missing key).
// The same for groups of such commands (encodeGroup). Then the actor: a lent command or group is
// what gets applied, and once withdrawn the entry is decoded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLedgerActor, type LedgerActor } from '../../actors/ledger.actor.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { decodeCommand, decodeEntry, encodeCommand, encodeGroup } from '../../machines/ledger/codec.ts';
import type { EntryOutcome, LedgerCommand, TransferInput } from '../../machines/ledger/types.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';
import { checkAccount, checkFinish, checkPayment, checkTransfer } from '../../runtime/http/ledger-input.ts';
import { fakeEnv } from './fake-env.ts';
import { T0, stamp, tr, transfers } from './helpers.ts';

const config = DEFAULT_CONFIG;
const SEED = Number(process.env.LENT_SEED ?? Date.now() % 100_000);

const TEXTS = ['alice', 'bob', 'a"b', 'c\\d', 'é', '\u0001', '\ud800', '\udc00x', '😀', 'line\nbreak', ' padded ', ''];
const text = (r: Prng): string => Array.from({ length: r.int(1, 3) }, () => r.pick(TEXTS)).join('');
const maybe = <T>(r: Prng, value: () => T): T | undefined => (r.chance(0.5) ? value() : undefined);
/** A valid amount for a currency with `exponent` decimals. */
const amount = (r: Prng, exponent = 2): string => {
  const whole = String(r.pick([exponent === 0 ? 1 : 0, 1, 12, 999_999, r.int(1, 999_999)]));
  const fraction = exponent === 0 ? '' : String(r.int(whole === '0' ? 1 : 0, 10 ** exponent - 1)).padStart(exponent, '0');
  return fraction === '' ? whole : `${whole}.${fraction}`;
};

function transferBody(r: Prng, seed: boolean): Record<string, unknown> {
  const [debit, credit] = seed ? ['sender', 'receiver'] : ['debit_account_id', 'credit_account_id'];
  const currency = r.chance(0.3) ? r.pick(Object.keys(config.ledger.currencies)) : undefined;
  const exponent = config.ledger.currencies[currency ?? config.ledger.defaultCurrency] ?? 2;
  const body: Record<string, unknown> = { amount: amount(r, exponent), [debit]: `a${r.int(0, 9)}`, [credit]: `b${r.int(0, 9)}` };
  if (currency !== undefined) body.currency = currency;
  const id = maybe(r, () => `t-${r.int(0, 1e9)}`);
  if (id !== undefined) body.id = id;
  const reference = maybe(r, () => text(r));
  if (reference !== undefined) body.reference = reference;
  if (!seed) {
    if (r.chance(0.3)) body.pending = true;
    if (r.chance(0.3)) body.linked = r.chance(0.5);
    if (body.pending === true && r.chance(0.5)) body.timeout_ms = r.int(1, 100_000);
  }
  return body;
}

const idem = (r: Prng) => (r.chance(0.5) ? null : { key: `k-${text(r)}`, requestHash: 'ab'.repeat(32) });
const via = (r: Prng) => (r.chance(0.2) ? null : r.pick(['node1', 'node2', 'node3']));

/** Commands as the routes build them from checked bodies (ledger-routes.ts). */
function randomCommand(r: Prng): LedgerCommand {
  switch (r.int(0, 3)) {
    case 0: {
      const seed = r.chance(0.5);
      const items: TransferInput[] = [];
      for (let i = r.int(1, 5); i > 0; i--) {
        const checked = seed ? checkPayment(transferBody(r, true), config) : checkTransfer(transferBody(r, false), config);
        assert.ok(checked.ok, `the generator makes valid bodies: ${checked.ok ? '' : checked.problem.detail}`);
        if (checked.ok) items.push(checked.value);
        if (seed) break;
      }
      return { type: 'transfer.create', transfers: items, idempotency: idem(r), via: via(r) };
    }
    case 1: {
      const body: Record<string, unknown> = { id: `acc-${r.int(0, 1e6)}`, currency: r.pick(Object.keys(config.ledger.currencies)) };
      if (r.chance(0.5)) body.flags = r.chance(0.5) ? { debits_must_not_exceed_credits: true } : { credits_must_not_exceed_debits: true };
      const checked = checkAccount(body, config);
      assert.ok(checked.ok, 'the generator makes valid accounts');
      if (!checked.ok) throw new Error('unreachable');
      return { type: 'account.create', accounts: [checked.value], idempotency: idem(r), via: via(r) };
    }
    default: {
      const post = r.chance(0.5);
      const body: Record<string, unknown> = {};
      if (r.chance(0.5)) body.id = `f-${r.int(0, 1e6)}`;
      if (r.chance(0.5)) body.reference = text(r);
      if (post && r.chance(0.5)) body.amount = amount(r);
      const checked = checkFinish(body, `p-${r.int(0, 1e6)}`, post, config, 2);
      assert.ok(checked.ok, 'the generator makes valid finishes');
      if (!checked.ok) throw new Error('unreachable');
      const { id, amount: minor, reference } = checked.value;
      const pendingId = `p-${r.int(0, 1e6)}`;
      return post
        ? { type: 'transfer.post', id, pendingId, amount: minor, reference, idempotency: idem(r), via: via(r) }
        : { type: 'transfer.void', id, pendingId, reference, idempotency: idem(r), via: via(r) };
    }
  }
}

test(`commands built from checked bodies decode from their entry to themselves, key by key (seed ${SEED})`, () => {
  console.log(`lent-commands seed ${SEED} (LENT_SEED=${SEED} to repeat)`);
  const r = createPrng(SEED);
  const kinds = new Set<string>();
  const recent: LedgerCommand[] = [];
  let groups = 0;
  for (let n = 0; n < 3000; n++) {
    const command = randomCommand(r);
    kinds.add(command.type);
    const decoded = decodeCommand(encodeCommand(command));
    // uvu's equal compares own keys and values deeply (bigints by value), so an extra or missing
    // field on either side fails here.
    assert.equal(decoded, command, `command ${n}: ${encodeCommand(command)}`);
    recent.push(command);
    if (recent.length === 4) {
      // The write path lends a group as the commands it joined.
      const group = recent.splice(0, r.int(2, 4));
      assert.equal(decodeEntry(encodeGroup(group.map(encodeCommand))), { type: 'group', commands: group }, `group ending at command ${n}`);
      groups++;
    }
  }
  assert.equal([...kinds].sort(), ['account.create', 'transfer.create', 'transfer.post', 'transfer.void']);
  assert.ok(groups > 500, `groups checked: ${groups}`);
});

function entryOf(index: number, data: string) {
  return { index, term: 1, kind: 'command' as const, hlc: stamp(T0 + index), data };
}

test('the actor applies a lent command instead of decoding its entry, and decodes again once it is withdrawn', async () => {
  const actor = createLedgerActor(fakeEnv()) as LedgerActor;
  await actor.start();
  const data = encodeCommand(transfers([tr({ id: 't1', amount: 100n })]));
  // A lent command that differs from the entry on purpose, so the spec can tell which was applied.
  const withdraw = actor.api.lendCommand(data, transfers([tr({ id: 't1', amount: 700n })]));
  actor.receive({ type: 'log.committed', entries: [entryOf(1, data)] });
  assert.is(actor.api.transfer('t1')?.amount, 700n, 'the lent command was applied');
  withdraw();
  const data2 = encodeCommand(transfers([tr({ id: 't2', amount: 5n })]));
  const withdraw2 = actor.api.lendCommand(data2, transfers([tr({ id: 't2', amount: 9n })]));
  withdraw2();
  actor.receive({ type: 'log.committed', entries: [entryOf(2, data2)] });
  assert.is(actor.api.transfer('t2')?.amount, 5n, 'after withdrawal the entry itself was decoded');
  await actor.stop();
});

test('a lent group is applied as lent, member by member', async () => {
  const actor = createLedgerActor(fakeEnv()) as LedgerActor;
  await actor.start();
  const commands = [transfers([tr({ id: 'g1', amount: 100n })]), transfers([tr({ id: 'g2', amount: 200n })])];
  const data = encodeGroup(commands.map(encodeCommand));
  // Lent with other amounts on purpose, so the spec can tell which was applied.
  const withdraw = actor.api.lendCommand(data, { type: 'group', commands: [transfers([tr({ id: 'g1', amount: 1n })]), transfers([tr({ id: 'g2', amount: 2n })])] });
  actor.receive({ type: 'log.committed', entries: [entryOf(1, data)] });
  withdraw();
  assert.equal([actor.api.transfer('g1')?.amount, actor.api.transfer('g2')?.amount], [1n, 2n]);
  const outcome = actor.api.outcomeAt(1, 1) as EntryOutcome;
  assert.is(outcome.status, 'group');
  await actor.stop();
});

test('a withdrawal does not take back a newer loan of the same data', async () => {
  const actor = createLedgerActor(fakeEnv()) as LedgerActor;
  await actor.start();
  const data = encodeCommand(transfers([tr({ id: 't1', amount: 100n })]));
  const first = actor.api.lendCommand(data, transfers([tr({ id: 't1', amount: 100n })]));
  actor.api.lendCommand(data, transfers([tr({ id: 't1', amount: 300n })]));
  first();
  actor.receive({ type: 'log.committed', entries: [entryOf(1, data)] });
  assert.is(actor.api.transfer('t1')?.amount, 300n, 'the second loan stayed');
  await actor.stop();
});

test.run();
