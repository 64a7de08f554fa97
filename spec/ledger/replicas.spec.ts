// A ledger-level simulation: three real ledger actors follow one committed log the way consensus
// feeds them (batches of varying size, re-deliveries, noops from new leaders, time that jumps and
// occasionally goes back), while one replica is now and then restarted (rebuilding from the
// committed history) or restored from another's snapshot. After every step the replicas at the
// same applied index must hold the same hash, the invariants must hold, and every transfer the
// log acknowledged as ok must exist exactly once. Seeded: LEDGER_SIM_SEED replays a run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLedgerActorWith, type LedgerActor } from '../../actors/ledger.actor.ts';
import { decodeEntry } from '../../machines/ledger/codec.ts';
import type { EntryOutcome } from '../../machines/ledger/types.ts';
import { createPrng } from '../../machines/prng.ts';
import type { LogEntry } from '../../machines/types.ts';
import { fakeEnv, type FakeEnv } from './fake-env.ts';
import { T0, stamp } from './helpers.ts';
import { LedgerTraffic } from './traffic.ts';

const SEED = Number(process.env.LEDGER_SIM_SEED ?? (Date.now() % 1_000_000_007));
console.log(`ledger replicas seed: ${SEED} (LEDGER_SIM_SEED=${SEED} to replay)`);

interface Replica {
  env: FakeEnv;
  actor: LedgerActor;
}

/** Seeds that once failed, replayed on every run. */
const REGRESSION_SEEDS = [
  // A snapshot of more than one restore step's rows, with a posted pending transfer and an
  // idempotency record: restores refused it as corrupt (snapshot-restore.ts, fixed).
  759009878,
];

test(`three replicas fed one log with restarts and snapshot installs agree everywhere (seed ${SEED})`, () => replicasAgree(SEED));

for (const seed of REGRESSION_SEEDS) {
  test(`regression: replicas agree with seed ${seed}`, () => replicasAgree(seed));
}

async function replicasAgree(seed: number): Promise<void> {
  const prng = createPrng(seed);
  const traffic = new LedgerTraffic(prng.fork());
  const log: LogEntry[] = [];
  const hashAt = new Map<number, string>();
  const okIds = new Set<string>();
  const observer = {
    onApply: (node: string, e: LogEntry, hash: string, outcome: EntryOutcome) => {
      const known = hashAt.get(e.index);
      if (known === undefined) hashAt.set(e.index, hash);
      else assert.is(hash, known, `${node} at ${e.index}`);
      if (e.kind !== 'command') return;
      // Group entries (some of the traffic) carry one outcome per command.
      const entry = decodeEntry(e.data);
      const commands = entry.type === 'group' ? entry.commands : [entry];
      const outcomes = outcome.status === 'group' ? outcome.members : [outcome];
      assert.is(outcomes.length, commands.length, `one outcome per command at ${e.index}`);
      commands.forEach((command, i) => {
        const o = outcomes[i]!;
        if (o.status === 'applied' && command.type !== 'account.create') {
          for (const r of o.response.results) if (r.code === 'ok') okIds.add(r.id);
        }
      });
    },
    onRestore: (node: string, index: number, hash: string) => {
      const known = hashAt.get(index);
      if (known !== undefined) assert.is(hash, known, `${node} restored at ${index}`);
    },
    onLedgerFault: (node: string, message: string) => assert.unreachable(`${node}: ${message}`),
  };
  const make = async (): Promise<Replica> => {
    const env = fakeEnv({ history: { snapshot: null, entries: log } });
    const actor = createLedgerActorWith({ observer, checkInvariants: true })(env) as LedgerActor;
    await actor.start();
    return { env, actor };
  };
  const replicas: Replica[] = [await make(), await make(), await make()];
  let term = 1;
  let ms = T0;
  const append = (kind: 'noop' | 'command', data: string) => {
    ms += prng.chance(0.05) ? -prng.int(0, 20) : prng.int(0, 30);
    log.push({ index: log.length + 1, term, kind, hlc: stamp(Math.max(T0, ms), log.length % 1000), data });
  };
  append('command', traffic.opening());
  for (let step = 0; step < 400; step++) {
    const roll = prng.next();
    if (roll < 0.04) {
      term++;
      append('noop', '');
    } else {
      for (let k = prng.int(1, 4); k > 0; k--) append('command', traffic.next());
    }
    for (const [i, r] of replicas.entries()) {
      const applied = r.actor.api.appliedIndex();
      if (prng.chance(0.02)) {
        // Crash and restart: a fresh actor rebuilds from the committed history.
        await r.actor.stop();
        replicas[i] = await make();
        continue;
      }
      if (prng.chance(0.02) && i > 0) {
        const donor = replicas[0]!.actor.api.snapshotData();
        r.actor.receive({ type: 'ledger.restore', index: donor.appliedIndex, term, data: donor.data });
        continue;
      }
      // Deliver a random-length batch, starting a little before what the replica has (re-delivery).
      const from = Math.max(0, applied - prng.int(0, 2));
      const to = prng.int(applied, log.length);
      r.actor.receive({ type: 'log.committed', entries: log.slice(from, to) });
    }
    for (const r of replicas) assert.equal(r.env.failures, []);
  }
  for (const r of replicas) r.actor.receive({ type: 'log.committed', entries: log });
  const final = replicas.map((r) => r.actor.api.ledgerHash());
  assert.ok(final.every((h) => h.appliedIndex === log.length && h.hash === final[0]!.hash));
  const state = replicas[0]!.actor.state();
  for (const id of okIds) assert.ok(state.transfers.has(id), `acknowledged ${id} missing`);
  assert.is(state.transferLog.length, okIds.size, 'every transfer in the ledger was acknowledged once, none applied twice');
  assert.ok(okIds.size > 100, `the traffic should move money (only ${okIds.size} ok)`);
  for (const r of replicas) await r.actor.stop();
}

test.run();
