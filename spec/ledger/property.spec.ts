// Property-based check (fast-check) over random sequences of transfers, pendings, posts, voids,
// linked chains, idempotent retries and time passing: after every entry money is conserved per
// currency, no account breaks its limit, balances agree with the transfer records; and a node
// restored from a snapshot taken midway (a few rows per restore step) reaches the same hash as one
// that applied everything.
// Seeded: set LEDGER_SEED to replay a run; the seed is printed.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { IncrementalLedgerHash, ledgerStateHash } from '../../machines/ledger/hash.ts';
import { checkInvariants, checkTransferTotals } from '../../machines/ledger/invariants.ts';
import { deserializeLedger, serializeLedger } from '../../machines/ledger/snapshot.ts';
import { createLedgerState } from '../../machines/ledger/state.ts';
import type { LedgerCommand, TransferInput } from '../../machines/ledger/types.ts';
import { NO_OVERCREDIT, NO_OVERDRAFT, accounts, stamp, testRules, tr, transfers } from './helpers.ts';
import { textOf } from '../../machines/snapshot-text.ts';

const SEED = Number(process.env.LEDGER_SEED ?? (Date.now() % 2_147_483_647));
const RUNS = Number(process.env.LEDGER_RUNS ?? 150);
console.log(`ledger property seed: ${SEED} (LEDGER_SEED=${SEED} to replay)`);

const NAMES = ['cash', 'alice', 'bob', 'carol', 'yen1', 'yen2', 'loan', 'new'];
const pickName = fc.constantFrom(...NAMES);
const pickCurrency = fc.constantFrom('USD', 'USD', 'JPY');
const amount = fc.bigInt({ min: 1n, max: 2_000n });
const pendingRef = fc.integer({ min: 0, max: 30 });

const op = fc.oneof(
  fc.record({ kind: fc.constant('transfer' as const), from: pickName, to: pickName, amount, currency: pickCurrency }),
  fc.record({ kind: fc.constant('pending' as const), from: pickName, to: pickName, amount, currency: pickCurrency,
    timeoutMs: fc.constantFrom(0, 5, 20, 100) }),
  fc.record({ kind: fc.constant('post' as const), ref: pendingRef, amount: fc.option(amount, { nil: null }) }),
  fc.record({ kind: fc.constant('void' as const), ref: pendingRef }),
  fc.record({ kind: fc.constant('chain' as const), legs: fc.array(fc.record({ from: pickName, to: pickName, amount }), { minLength: 2, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('retry' as const), ref: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
);

type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/** Turns generated ops into commands; ids are sequential so posts and retries can refer back. */
function toCommands(ops: Op[]): Array<{ command: LedgerCommand | null; advanceMs: number }> {
  const out: Array<{ command: LedgerCommand | null; advanceMs: number }> = [
    { command: accounts([
      { id: 'alice', flags: NO_OVERDRAFT }, { id: 'bob', flags: NO_OVERDRAFT }, { id: 'loan', flags: NO_OVERCREDIT },
      { id: 'yen1', currency: 'JPY', flags: NO_OVERDRAFT }, { id: 'yen2', currency: 'JPY' }, { id: 'cash' },
    ]), advanceMs: 1 },
  ];
  const pendings: string[] = [];
  const sent: LedgerCommand[] = [];
  let n = 0;
  for (const o of ops) {
    let command: LedgerCommand | null = null;
    let advanceMs = 1;
    const id = `t${n++}`;
    switch (o.kind) {
      case 'transfer':
        command = transfers([tr({ id, from: o.from, to: o.to, amount: o.amount, currency: o.currency })]);
        break;
      case 'pending':
        pendings.push(id);
        command = transfers([tr({ id, from: o.from, to: o.to, amount: o.amount, currency: o.currency, pending: true, timeoutMs: o.timeoutMs })]);
        break;
      case 'post':
        command = { type: 'transfer.post', id, pendingId: pendings[o.ref % Math.max(1, pendings.length)] ?? 'none', amount: o.amount, reference: null, idempotency: null, via: null };
        break;
      case 'void':
        command = { type: 'transfer.void', id, pendingId: pendings[o.ref % Math.max(1, pendings.length)] ?? 'none', reference: null, idempotency: null, via: null };
        break;
      case 'chain': {
        const legs: TransferInput[] = o.legs.map((l, i) => tr({ id: `${id}.${i}`, from: l.from, to: l.to, amount: l.amount, linked: i < o.legs.length - 1 }));
        command = transfers(legs, { key: `key-${id}`, requestHash: id });
        break;
      }
      case 'retry':
        command = sent[o.ref % Math.max(1, sent.length)] ?? null;
        break;
      case 'wait':
        advanceMs = o.ms;
        break;
    }
    if (command !== null) sent.push(command);
    out.push({ command, advanceMs });
  }
  return out;
}

test(`random ledger histories conserve money, respect limits, and restore to the same hash (seed ${SEED})`, () => {
  const rules = testRules();
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), fc.integer({ min: 0, max: 80 }), (ops, cut) => {
      const steps = toCommands(ops);
      const live = createLedgerState();
      let restored = null as ReturnType<typeof createLedgerState> | null;
      let ms = 1_700_000_000_000;
      const incremental = new IncrementalLedgerHash();
      steps.forEach((step, i) => {
        ms += step.advanceMs;
        const command = step.command === null ? null : decodeCommand(encodeCommand(step.command));
        const entry = { index: i + 1, hlc: stamp(ms), command };
        const outcome = applyEntry(live, rules, entry);
        if (restored !== null) assert.equal(applyEntry(restored, rules, entry), outcome);
        // Results tell the truth: an ok event left its transfer stamped by this entry, a failed one none.
        if (outcome.status === 'applied' && command?.type !== 'account.create') {
          for (const r of outcome.response.results) {
            const madeHere = live.transfers.get(r.id)?.hlc === entry.hlc;
            assert.is(madeHere, r.code === 'ok', `entry ${i + 1}: ${r.id} ${r.code}`);
          }
        }
        const problems = [...checkInvariants(live), ...checkTransferTotals(live)];
        assert.equal(problems, [], `after entry ${i + 1}`);
        // Restored a few rows per step (1-7, from `cut`), so the restore hashes as it goes, between
        // accounts, transfers, statuses and records, as a restore of millions of rows does.
        if (i === cut % steps.length) {
          restored = deserializeLedger(textOf(serializeLedger(live)), new IncrementalLedgerHash(), undefined, 0, 1 + (cut % 7));
        }
        // Ask for the incremental hash now and then, so it has to follow changes across entries.
        if ((i + cut) % 4 === 0) assert.is(incremental.digest(live), ledgerStateHash(live), `incremental hash after entry ${i + 1}`);
      });
      assert.ok(restored !== null);
      assert.is(ledgerStateHash(restored), ledgerStateHash(live));
      assert.is(incremental.digest(live), ledgerStateHash(live));
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

test.run();
