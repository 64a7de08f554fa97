// The ledger actor through its public face: applying committed entries in order (ignoring
// re-delivery), outcomes by (index, term), waitApplied on the injected clock, snapshot restore,
// rebuilding from the log-replication sibling, queries, and crashing on corrupt entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLedgerActor, createLedgerActorWith, checkInvariants, type LedgerActor, type LedgerObserver } from '../../actors/ledger.actor.ts';
import { ledgerStateHash } from '../../machines/ledger/hash.ts';
import { encodeCommand } from '../../machines/ledger/codec.ts';
import type { LedgerCommand } from '../../machines/ledger/types.ts';
import type { LogEntry } from '../../machines/types.ts';
import { fakeEnv, type FakeEnv } from './fake-env.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { T0, stamp, tr, transfers } from './helpers.ts';
import { joinText, textOf } from '../../machines/snapshot-text.ts';

function entry(index: number, command: LedgerCommand | null, term = 1, ms = T0 + index): LogEntry {
  return command === null
    ? { index, term, kind: 'noop', hlc: stamp(ms), data: '' }
    : { index, term, kind: 'command', hlc: stamp(ms), data: encodeCommand(command) };
}

const pay = (id: string, amount = 100n) => transfers([tr({ id, amount })]);

async function started(env: FakeEnv = fakeEnv()): Promise<{ actor: LedgerActor; env: FakeEnv }> {
  const actor = createLedgerActor(env) as LedgerActor;
  await actor.start();
  return { actor, env };
}

test('starts empty without a log-replication sibling and applies committed entries', async () => {
  const { actor } = await started();
  assert.is(actor.api.appliedIndex(), 0);
  assert.equal(actor.describe().state, 'ready');
  actor.receive({ type: 'log.committed', entries: [entry(1, null), entry(2, pay('t1', 15075n))] });
  assert.is(actor.api.appliedIndex(), 2);
  assert.is(actor.api.account('alice')!.debitsPosted, 15075n);
  assert.equal(actor.api.outcomeAt(2, 1), { status: 'applied', response: { index: 2, hlc: stamp(T0 + 2), via: 'node1', results: [{ id: 't1', code: 'ok' }] } });
  assert.equal(actor.api.outcomeAt(1, 1), { status: 'noop' });
  assert.is(actor.api.outcomeAt(2, 2), undefined, 'another term at that index means the proposal was overwritten');
  assert.equal(checkInvariants(actor.state()), []);
  await actor.stop();
});

test('re-delivered entries are ignored', async () => {
  const { actor } = await started();
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1')), entry(2, pay('t2'))] });
  assert.is(actor.api.transferCount(), 2);
  assert.is(actor.api.account('bob')!.creditsPosted, 200n);
});

test('waitApplied resolves when the index is applied, or false after the timeout on the injected clock', async () => {
  const { actor, env } = await started();
  const reached = actor.api.waitApplied(2, 1000);
  const timedOut = actor.api.waitApplied(5, 1000);
  assert.is(await actor.api.waitApplied(0, 1), true);
  actor.receive({ type: 'log.committed', entries: [entry(1, null), entry(2, pay('t1'))] });
  assert.is(await reached, true);
  env.clock.advance(1000);
  assert.is(await timedOut, false);
  assert.is(env.clock.pending(), 0, 'no timer may be left behind');
});

test('stop releases waiters with false', async () => {
  const { actor } = await started();
  const waiting = actor.api.waitApplied(3, 10_000);
  await actor.stop();
  assert.is(await waiting, false);
});

test('ledger.restore replaces the state; hashes match the node that replayed', async () => {
  const a = await started();
  const entries = [entry(1, pay('t1')), entry(2, transfers([tr({ id: 'p', pending: true, timeoutMs: 50 })])), entry(3, pay('t3'))];
  a.actor.receive({ type: 'log.committed', entries });
  const snap = a.actor.api.snapshotData();
  const b = await started();
  b.actor.receive({ type: 'ledger.restore', index: snap.appliedIndex, term: 1, data: snap.data });
  assert.equal(b.actor.api.ledgerHash(), a.actor.api.ledgerHash());
  const more = [entry(4, null, 1, T0 + 100), entry(5, pay('t5'), 1, T0 + 101)];
  a.actor.receive({ type: 'log.committed', entries: more });
  b.actor.receive({ type: 'log.committed', entries: more });
  assert.equal(b.actor.api.ledgerHash(), a.actor.api.ledgerHash());
  assert.is(b.actor.api.transfer('p')!.status, 'expired');
  assert.is(b.actor.describe().summary!.restores, 1);
});

test('a corrupt snapshot is refused: the actor fails instead of serving a wrong state', async () => {
  const a = await started();
  a.actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1', 250n)), entry(2, pay('t2'))] });
  const snap = a.actor.api.snapshotData();
  const b = await started();
  b.actor.receive({ type: 'ledger.restore', index: snap.appliedIndex, term: 1, data: textOf(joinText(snap.data).replace(',250\n', ',251\n')) });
  assert.is(b.env.failures.length, 1);
  assert.match(String(b.env.failures[0]), /state hash mismatch/);
});

test('a snapshot from the leader is restored over many turns; the old state serves until it is whole, then the entries after it apply', async () => {
  const a = await started();
  const bulk = transfers(Array.from({ length: 5000 }, (_, i) => tr({ id: `bulk-${i}`, amount: BigInt(i + 1) })));
  a.actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1')), entry(2, bulk)] });
  const snap = a.actor.api.snapshotData();
  a.actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3'))] });
  // A slice of no time: every step of the restore (a few thousand rows) ends the turn.
  const config = { ...DEFAULT_CONFIG, ledger: { ...DEFAULT_CONFIG.ledger, applySliceMs: 0 } };
  const b = await started(fakeEnv({ config }));
  b.actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  b.actor.receive({ type: 'ledger.restore', index: snap.appliedIndex, term: 1, data: snap.data });
  b.actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3'))] });
  assert.is(b.actor.api.appliedIndex(), 1, 'still the state before the snapshot');
  assert.is(b.actor.api.transferCount(), 1);
  assert.is(b.actor.describe().state, 'restoring');
  let turns = 0;
  while (b.actor.api.appliedIndex() < 3 && turns < 100) {
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    turns++;
  }
  assert.ok(turns >= 2, `restored over ${turns} turns`);
  assert.is(b.actor.api.appliedIndex(), 3);
  assert.is(b.actor.describe().state, 'ready');
  assert.equal(b.actor.api.ledgerHash(), a.actor.api.ledgerHash());
  assert.is(b.env.failures.length, 0);
  assert.is(joinText(b.actor.api.snapshotData().data), joinText(a.actor.api.snapshotData().data), 'the restored writer follows the new state');
});

test('a ledger too large for one snapshot answers applied index 0 (no snapshot) and keeps working', async () => {
  const env = fakeEnv();
  const actor = createLedgerActorWith({ snapshotCharsMax: 400 })(env) as LedgerActor;
  await actor.start();
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  const small = actor.api.snapshotData();
  assert.is(small.appliedIndex, 1, 'a small state still fits');
  const many = transfers(Array.from({ length: 20 }, (_, i) => tr({ id: `bulk-${i}` })));
  actor.receive({ type: 'log.committed', entries: [entry(2, many)] });
  assert.equal(actor.api.snapshotData(), { appliedIndex: 0, data: [] });
  assert.ok(env.traces.some((t) => t.type === 'ledger.snapshotTooLarge'));
  actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3'))] });
  assert.is(actor.api.appliedIndex(), 3);
  assert.is(env.failures.length, 0);
});

test('a long replay at start keeps the outcomes of its last entries only (the ring would overwrite the rest)', async () => {
  const config = { ...DEFAULT_CONFIG, ledger: { ...DEFAULT_CONFIG.ledger, recentOutcomesMax: 4 } };
  const log = Array.from({ length: 10 }, (_, i) => entry(i + 1, pay(`r${i + 1}`)));
  const { actor } = await started(fakeEnv({ config, history: { snapshot: null, entries: log } }));
  assert.is(actor.api.appliedIndex(), 10);
  assert.is(actor.api.outcomeAt(6, 1), undefined);
  for (const index of [7, 8, 9, 10]) {
    assert.equal(actor.api.outcomeAt(index, 1), { status: 'applied', response: { index, hlc: stamp(T0 + index), via: 'node1', results: [{ id: `r${index}`, code: 'ok' }] } });
  }
});

test('a snapshot older than the applied state is ignored', async () => {
  const { actor, env } = await started();
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  const older = actor.api.snapshotData();
  actor.receive({ type: 'log.committed', entries: [entry(2, pay('t2'))] });
  const hash = actor.api.ledgerHash();
  // A valid snapshot, only older: restoring it would lose t2.
  actor.receive({ type: 'ledger.restore', index: older.appliedIndex, term: 1, data: older.data });
  assert.equal(env.failures, []);
  assert.is(actor.api.transferCount(), 2);
  assert.equal(actor.api.ledgerHash(), hash);
});

test('a (re)started ledger rebuilds from the sibling\'s snapshot and committed entries', async () => {
  const a = await started();
  a.actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1')), entry(2, pay('t2'))] });
  const snap = a.actor.api.snapshotData();
  a.actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3'))] });
  const env = fakeEnv({ history: { snapshot: { index: 2, term: 1, data: snap.data }, entries: [entry(3, pay('t3'))] } });
  const b = await started(env);
  assert.is(b.actor.api.appliedIndex(), 3);
  assert.equal(b.actor.api.ledgerHash(), a.actor.api.ledgerHash());
});

test('a gap in delivered entries is filled from the committed history', async () => {
  const env = fakeEnv();
  const { actor } = await started(env);
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  env.history = { snapshot: null, entries: [entry(1, pay('t1')), entry(2, pay('t2')), entry(3, pay('t3'))] };
  actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3')), entry(4, pay('t4'))] });
  assert.is(actor.api.appliedIndex(), 4);
  assert.is(actor.api.transferCount(), 4);
  assert.equal(env.failures, []);
});

test('a gap nobody can fill crashes the actor rather than applying out of order', async () => {
  const env = fakeEnv();
  const { actor } = await started(env);
  actor.receive({ type: 'log.committed', entries: [entry(3, pay('t3'))] });
  assert.is(env.failures.length, 1);
  assert.is(actor.api.appliedIndex(), 0);
  assert.equal(actor.describe().state, 'failed');
});

test('a committed history with a gap fails the start instead of serving a partial ledger', async () => {
  const env = fakeEnv({ history: { snapshot: null, entries: [entry(2, pay('t2')), entry(3, pay('t3'))] } });
  const { actor } = await started(env);
  assert.is(env.failures.length, 1);
  assert.is(actor.api.appliedIndex(), 0);
});

test('a corrupt entry is a bug: the actor reports a failure', async () => {
  const env = fakeEnv();
  const { actor } = await started(env);
  actor.receive({ type: 'log.committed', entries: [{ index: 1, term: 1, kind: 'command', hlc: stamp(T0), data: '{"type":"x"}' }] });
  assert.match(String(env.failures[0]), /SYNCPAY_ERR_ASSERTION/);
});

test('queries: accounts, transfers, pages and counts', async () => {
  const { actor } = await started();
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1')), entry(2, pay('t2')), entry(3, transfers([tr({ id: 't3', from: 'carol', to: 'bob' })]))] });
  assert.is(actor.api.accountCount(), 3);
  assert.is(actor.api.transferCount('alice'), 2);
  assert.equal(actor.api.transfers({ limit: 2 }).items.map((t) => t.id), ['t3', 't2']);
  assert.equal(actor.api.transfers({ account: 'carol', limit: 10 }).items.map((t) => t.id), ['t3']);
  assert.is(actor.api.currencyExponent('JPY'), 0);
  assert.is(actor.api.currencyExponent('toString'), undefined);
  assert.is(actor.api.ledgerNow(), T0 + 3);
});

test('the state hash is cached per applied index', async () => {
  const { actor } = await started();
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  const h1 = actor.api.ledgerHash();
  assert.is(actor.api.ledgerHash(), h1);
  actor.receive({ type: 'log.committed', entries: [entry(2, pay('t2'))] });
  assert.is.not(actor.api.ledgerHash().hash, h1.hash);
  assert.is(actor.api.ledgerHash().appliedIndex, 2);
});

test('events that arrive before start are applied after recovery, in order', async () => {
  const env = fakeEnv();
  const actor = createLedgerActor(env) as LedgerActor;
  actor.receive({ type: 'log.committed', entries: [entry(1, pay('t1'))] });
  await actor.start();
  assert.is(actor.api.appliedIndex(), 1);
});

function recordingObserver(throwOnApplyAt = -1) {
  const seen: string[] = [];
  const observer: LedgerObserver = {
    onApply: (node, e, hash, outcome) => {
      if (e.index === throwOnApplyAt) throw new Error('checker says no');
      seen.push(`apply ${node} ${e.index} ${hash.length} ${outcome.status}`);
    },
    onRestore: (node, index) => { seen.push(`restore ${node} ${index}`); },
    onLedgerFault: (node, message) => { seen.push(`fault ${node} ${message.slice(0, 40)}`); },
  };
  return { seen, observer };
}

test('the observed actor reports every apply with the state hash, and restores', async () => {
  const { seen, observer } = recordingObserver();
  const env = fakeEnv();
  const actor = createLedgerActorWith({ observer, checkInvariants: true })(env) as LedgerActor;
  await actor.start();
  actor.receive({ type: 'log.committed', entries: [entry(1, null), entry(2, pay('t1'))] });
  assert.equal(seen, ['apply node1 1 64 noop', 'apply node1 2 64 applied']);
  assert.is(actor.api.ledgerHash().hash, ledgerStateHash(actor.state()));
  actor.receive({ type: 'ledger.restore', index: 2, term: 1, data: actor.api.snapshotData().data });
  assert.is(seen[2], 'restore node1 2');
  assert.equal(env.failures, []);
});

test('an observer exception propagates to the caller and does not crash the actor', async () => {
  const { observer } = recordingObserver(2);
  const env = fakeEnv();
  const actor = createLedgerActorWith({ observer })(env) as LedgerActor;
  await actor.start();
  assert.throws(() => actor.receive({ type: 'log.committed', entries: [entry(1, null), entry(2, pay('t1'))] }), /checker says no/);
  assert.equal(env.failures, []);
});

test('a ledger fault is reported to the observer and crashes the actor', async () => {
  const { seen, observer } = recordingObserver();
  const env = fakeEnv();
  const actor = createLedgerActorWith({ observer })(env) as LedgerActor;
  await actor.start();
  actor.receive({ type: 'log.committed', entries: [{ index: 1, term: 1, kind: 'command', hlc: 'bad', data: '' }] });
  assert.is(seen.length, 1);
  assert.match(seen[0]!, /^fault node1 SYNCPAY_ERR_ASSERTION/);
  assert.is(env.failures.length, 1);
});

test.run();
