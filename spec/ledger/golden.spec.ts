// Golden values that pin the ledger's formats across performance work: one fixed, varied history
// (currencies, account flags, pendings that are posted, voided and expire, linked chains that
// commit and fail, idempotent retries, unicode and lone-surrogate references, amounts past 2^53)
// must give exactly these command encodings, result codes, state hash (v2, with both SHA-256
// providers, hashed at once and incrementally) and snapshot text (v3). The values were computed
// by the code before the hot-path rewrite; a change here is a format change, not a refactor.
// GOLDEN_PRINT=1 prints the values instead of checking them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeSha256 } from '../../actors/ledger.actor.ts';
import { encodeCommand } from '../../machines/ledger/codec.ts';
import { IncrementalLedgerHash, ledgerStateHash } from '../../machines/ledger/hash.ts';
import { sha256Hex } from '../../machines/ledger/sha256.ts';
import { deserializeLedger, serializeLedger } from '../../machines/ledger/snapshot.ts';
import type { LedgerCommand, TransferInput } from '../../machines/ledger/types.ts';
import { createPrng } from '../../machines/prng.ts';
import { CLOSED, NO_OVERCREDIT, NO_OVERDRAFT, TestLog, accounts, tr, transfers } from './helpers.ts';
import { textOf } from '../../machines/snapshot-text.ts';

const GOLDEN = {
  commands: 'd50fefa02866ff518f178779204a3121db896b5b6bd622ab910f997baa9a6c01',
  codes: 'dbea18a67b042a32b60e8733cb2a8c06bc1dacb38f53bfb7e8e323221a16a030',
  hash: '858653e04b5d7fe21406e3a4b4f2312b460849071fdc52f80d65fe1e57ca5dc7',
  snapshot: 'e096b3d689575c9d7cbdfc4bef6902d7c8fa0f3c55df2475b42cdc507fdbc131',
};

const NAMES = ['alice', 'bob', 'carol', 'dave', 'yen1', 'yen2', 'shut', 'cap', 'fresh1', 'fresh2', 'bad id'];
const REFERENCES = [null, null, 'rent', 'caf\u00e9 \u20ac5', 'emoji \ud83d\udcb8', 'lone \ud800 high', 'lone \udc00 low', 'x'.repeat(300), ''];

/** A fixed history (a fixed seed, not a random one: the outputs are pinned). */
function history(): LedgerCommand[] {
  const rng = createPrng(20_261_126);
  const commands: LedgerCommand[] = [
    accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'bob' }, { id: 'carol', flags: NO_OVERCREDIT }, { id: 'dave' },
      { id: 'yen1', currency: 'JPY' }, { id: 'yen2', currency: 'JPY' }, { id: 'shut', flags: CLOSED }, { id: 'cap', flags: NO_OVERCREDIT }]),
    transfers([tr({ id: 'fund-a', from: 'dave', to: 'alice', amount: 1_000_000n }), tr({ id: 'fund-c', from: 'carol', to: 'dave', amount: 5n })]),
  ];
  const pendings: string[] = [];
  const sent: TransferInput[] = [];
  let n = 0;
  const id = (): string => `t${(n++).toString(36)}`;
  for (let entry = 0; entry < 60; entry++) {
    const list: TransferInput[] = [];
    const size = rng.int(1, 12);
    for (let k = 0; k < size; k++) {
      const roll = rng.next();
      const from = rng.pick(NAMES);
      const to = rng.pick(NAMES);
      const yen = from.startsWith('yen') || to.startsWith('yen');
      const amount = rng.chance(0.05) ? 123_456_789_012_345_678_901n : rng.chance(0.05) ? 0n : BigInt(rng.int(1, 5_000));
      const reference = rng.pick(REFERENCES);
      const linked = rng.chance(0.2);
      if (roll < 0.45) {
        const t = tr({ id: id(), from, to, amount, currency: yen ? 'JPY' : rng.chance(0.05) ? 'EUR' : 'USD', reference, linked });
        sent.push(t);
        list.push(t);
      } else if (roll < 0.65) {
        const p = id();
        pendings.push(p);
        list.push(tr({ id: p, from, to, amount, pending: true, timeoutMs: rng.pick([0, 0, 3, 40, 1000]), reference, linked }));
      } else if (roll < 0.8 && pendings.length > 0) {
        list.push(tr({ id: id(), post: true, pendingId: rng.pick(pendings), amount: rng.chance(0.5) ? null : BigInt(rng.int(1, 3_000)), reference, linked }));
      } else if (roll < 0.9 && pendings.length > 0) {
        list.push(tr({ id: id(), void: true, pendingId: rng.pick(pendings), reference, linked }));
      } else if (sent.length > 0 && rng.chance(0.5)) {
        // An exact retry of an earlier transfer, alone in its chain.
        list.push({ ...rng.pick(sent), flags: { linked: false, pending: false, post: false, void: false } });
      } else if (n > 0) {
        // A retry of an earlier id with other fields.
        list.push(tr({ id: `t${rng.int(0, n - 1).toString(36)}`, from, to, amount, reference, linked }));
      }
    }
    const idem = rng.chance(0.2) ? { key: `key-${rng.int(0, 6)}`, requestHash: `h${rng.int(0, 1)}` } : null;
    commands.push(transfers(list, idem));
  }
  // The codes a random history reaches only rarely, spelled out.
  commands.push(transfers([tr({ id: 'hold', from: 'dave', to: 'bob', amount: 70n, pending: true, timeoutMs: 100_000 })]));
  commands.push(transfers([tr({ id: 'hold-post', post: true, pendingId: 'hold', amount: 20n })]));
  commands.push(transfers([tr({ id: 'hold-post2', post: true, pendingId: 'hold' }), tr({ id: 'hold-void', void: true, pendingId: 'hold' })]));
  commands.push(transfers([tr({ id: 'hold', from: 'dave', to: 'bob', amount: 71n, pending: true, timeoutMs: 100_000 })]));
  commands.push(transfers([tr({ id: 'hold2', from: 'bob', to: 'dave', amount: 7n, pending: true })]));
  commands.push(transfers([tr({ id: 'hold2-void', void: true, pendingId: 'hold2' }), tr({ id: 'hold2-post', post: true, pendingId: 'hold2' })]));
  commands.push(transfers([tr({ id: 'overdraw', from: 'alice', to: 'bob', amount: 10_000_000n })]));
  commands.push({ type: 'transfer.post', id: 'late-post', pendingId: pendings[0] ?? 'none', amount: null, reference: null, idempotency: null,
    via: null });
  commands.push({ type: 'transfer.void', id: 'late-void', pendingId: pendings[1] ?? 'none', reference: 'why', idempotency: null, via: 'n2' });
  return commands;
}

function run(): { commands: string; codes: string; hash: string; snapshot: string; incremental: string[]; full: string } {
  const log = new TestLog();
  const inc = new IncrementalLedgerHash(nodeSha256);
  const encoded: string[] = [];
  const codes: string[] = [];
  const incremental: string[] = [];
  for (const [i, command] of history().entries()) {
    encoded.push(encodeCommand(command));
    const outcome = log.apply(command, i % 7 === 0 ? 30 : 1);
    codes.push(outcome.status === 'applied' ? outcome.response.results.map((r) => r.code).join(',') : outcome.status);
    if (i % 9 === 0) incremental.push(inc.digest(log.state));
  }
  // Time passes with nothing else happening: the remaining pendings with a timeout expire.
  log.apply(null, 5_000);
  const text = serializeLedger(log.state);
  return {
    commands: sha256Hex(encoded.join('\n')),
    codes: sha256Hex(codes.join('\n')),
    hash: ledgerStateHash(log.state),
    snapshot: sha256Hex(text),
    incremental: [...incremental, inc.digest(log.state)],
    full: ledgerStateHash(deserializeLedger(textOf(text)), nodeSha256),
  };
}

test('a fixed history gives the pinned encodings, codes, state hash and snapshot', () => {
  const got = run();
  if (process.env.GOLDEN_PRINT) {
    console.log(JSON.stringify({ commands: got.commands, codes: got.codes, hash: got.hash, snapshot: got.snapshot }, null, 2));
  }
  assert.is(got.commands, GOLDEN.commands, 'command wire format');
  assert.is(got.codes, GOLDEN.codes, 'result codes and their precedence');
  assert.is(got.hash, GOLDEN.hash, 'state hash v2');
  assert.is(got.snapshot, GOLDEN.snapshot, 'snapshot text v3');
  assert.is(got.incremental[got.incremental.length - 1], got.hash, 'the incremental hasher agrees with the full hash');
  assert.is(got.full, got.hash, 'a restored state hashes the same with node:crypto');
});

test('the fixed history exercises what it claims to', () => {
  const codes = new Set<string>();
  const log = new TestLog();
  for (const command of history()) {
    const outcome = log.apply(command);
    if (outcome.status === 'applied') for (const r of outcome.response.results) codes.add(r.code);
    else codes.add(outcome.status);
  }
  for (const code of ['ok', 'exists', 'exists_with_different_fields', 'linked_event_failed', 'amount_invalid', 'account_id_invalid',
    'account_closed', 'exceeds_credits', 'pending_already_posted', 'pending_already_voided', 'replayed', 'idempotency_mismatch']) {
    assert.ok(codes.has(code), `no ${code} in the history: ${[...codes].join(' ')}`);
  }
  assert.ok([...log.state.transfers.values()].some((t) => t.status === 'pending'), 'a pending is still pending');
});

test.run();
