// The simulator carrying real ledger traffic: payments proposed through any node reach the real
// ledger actor on every replica, land exactly once, and leave identical state everywhere; a
// client retry after the leader dies moves no money twice. The ledger checks themselves are shown
// to fire on doctored states, so a broken check cannot pass silently.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster } from '../harness/cluster.ts';
import { SafetyViolation } from '../harness/checkers.ts';
import { LedgerChecks, type CheckedLedger } from '../harness/ledger-checks.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { encodeCommand } from '../../machines/ledger/codec.ts';
import { rulesFromConfig } from '../../machines/ledger/rules.ts';
import { createLedgerState } from '../../machines/ledger/state.ts';
import type { EntryOutcome, LedgerCommand, LedgerState, TransferInput } from '../../machines/ledger/types.ts';
import type { ProposeResult } from '../../machines/raft/effects.ts';
import type { LogEntry } from '../../machines/types.ts';
import { doctorTransfer } from '../ledger/helpers.ts';

const HLC = '000000000001000.000000';
const PLAIN = { linked: false, pending: false, post: false, void: false };

function pay(id: string, from: string, to: string, amount: bigint): LedgerCommand {
  const t: TransferInput = { id, debitAccountId: from, creditAccountId: to, amount, currency: 'USD', flags: PLAIN, pendingId: null, timeoutMs: 0, reference: null };
  return { type: 'transfer.create', transfers: [t], idempotency: null, via: null };
}

const OPEN_ALICE: LedgerCommand = {
  type: 'account.create',
  accounts: [{ id: 'alice', currency: 'USD', flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false, closed: false } }],
  idempotency: null,
  via: null,
};

function violates(rule: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SafetyViolation);
    assert.is((err as SafetyViolation).rule, rule, (err as Error).message);
    return;
  }
  assert.unreachable(`expected a ${rule} violation`);
}

// ---- the checks fire on doctored states -------------------------------------------------------

/** A ledger with `commands` applied at indexes 1.., and the checks fed as a simulator would. */
function replica(commands: readonly LedgerCommand[], checks: LedgerChecks, node: string): LedgerState {
  const state = createLedgerState();
  const rules = rulesFromConfig(DEFAULT_CONFIG.ledger);
  commands.forEach((command, i) => {
    const data = encodeCommand(command);
    const entry: LogEntry = { index: i + 1, term: 1, kind: 'command', hlc: HLC, data };
    checks.onOutcome(node, entry, applyEntry(state, rules, { index: entry.index, hlc: HLC, command }));
  });
  return state;
}

const view = (id: string, state: LedgerState, appliedIndex: number, hash = 'h'): CheckedLedger => ({ id, ledgerState: () => ({ state, appliedIndex, hash }) });

test('ledger checks: sound replicas pass, and the check counts what it looked at', () => {
  const cmds = [pay('t1', 'bank', 'bob', 700n), pay('t2', 'bob', 'carol', 200n)];
  const checks = new LedgerChecks();
  const a = replica(cmds, checks, 'a');
  const b = replica(cmds, checks, 'b');
  cmds.forEach((c, i) => checks.onAcknowledged(i + 1, 1, encodeCommand(c)));
  checks.final([view('a', a, 2), view('b', b, 2)]);
  assert.is(checks.counts.ackedItemsChecked, 4, 'two acknowledged transfers, checked on two replicas');
  assert.is(checks.counts.outcomesCompared, 2);
});

test('ledger checks: an acknowledged transfer missing from one replica is caught', () => {
  const cmds = [pay('t1', 'bank', 'bob', 700n)];
  const checks = new LedgerChecks();
  const a = replica(cmds, checks, 'a');
  const b = replica(cmds, checks, 'b');
  checks.onAcknowledged(1, 1, encodeCommand(cmds[0]!));
  // Doctor b: the transfer vanishes (and its money with it, so the invariants still hold).
  b.transfers.delete('t1');
  while (b.transferLog.length > 0) b.transferLog.pop();
  b.accounts.get('bank')!.debitsPosted = 0n;
  b.accounts.get('bob')!.creditsPosted = 0n;
  violates('acknowledged transfer lost', () => checks.final([view('a', a, 1), view('b', b, 1)]));
});

test('ledger checks: an acknowledged entry that no replica reported applying is caught', () => {
  const checks = new LedgerChecks();
  const a = replica([pay('t1', 'bank', 'bob', 5n)], new LedgerChecks(), 'a');
  checks.onAcknowledged(1, 1, encodeCommand(pay('t1', 'bank', 'bob', 5n)));
  violates('acknowledged transfer lost', () => checks.final([view('a', a, 1)]));
});

test('ledger checks: an acknowledged transfer held with other accounts or amount is caught', () => {
  const cmd = pay('t1', 'bank', 'bob', 5n);
  const checks = new LedgerChecks();
  const a = replica([cmd], checks, 'a');
  checks.onAcknowledged(1, 1, encodeCommand(cmd));
  checks.final([view('a', a, 1)]);
  // Doctor the stored transfer to have gone to someone else (balances untouched: only the record lies).
  doctorTransfer(a.transferLog, a.transfers.get('t1')!.seq, { creditAccountId: 'carol' });
  violates('acknowledged transfer changed', () => checks.final([view('a', a, 1)]));
});

test('ledger checks: a replica that settled short of an acknowledged index is caught', () => {
  const cmds = [pay('t1', 'bank', 'bob', 5n), pay('t2', 'bank', 'bob', 6n)];
  const checks = new LedgerChecks();
  const a = replica(cmds, checks, 'a');
  const b = replica(cmds.slice(0, 1), checks, 'b');
  checks.onAcknowledged(2, 1, encodeCommand(cmds[1]!));
  violates('acknowledged transfer lost', () => checks.final([view('a', a, 2), view('b', b, 1, 'other')]));
});

test('ledger checks: a transfer applied twice is caught, acknowledged or not', () => {
  const checks = new LedgerChecks();
  const a = replica([pay('t1', 'bank', 'bob', 5n)], checks, 'a');
  a.transferLog.push({ ...a.transferLog.at(0)!, seq: a.transferLog.length });
  violates('transfer applied twice', () => checks.final([view('a', a, 1)]));
});

test('ledger checks: different hashes at the same applied index are caught', () => {
  const checks = new LedgerChecks();
  const a = replica([pay('t1', 'bank', 'bob', 5n)], checks, 'a');
  const b = replica([pay('t1', 'bank', 'bob', 5n)], checks, 'b');
  checks.final([view('a', a, 1, 'x'), view('b', b, 1, 'x')]);
  violates('ledger convergence', () => checks.final([view('a', a, 1, 'x'), view('b', b, 1, 'y')]));
});

test('ledger checks: broken conservation or limits are caught', () => {
  const checks = new LedgerChecks();
  const a = replica([OPEN_ALICE, pay('t1', 'bank', 'alice', 5n)], checks, 'a');
  a.accounts.get('alice')!.debitsPosted = 9n;
  violates('ledger invariants', () => checks.final([view('a', a, 2)]));
});

test('ledger checks: two replicas with different outcomes at one index are caught', () => {
  const checks = new LedgerChecks();
  const entry: LogEntry = { index: 3, term: 2, kind: 'command', hlc: HLC, data: '{}' };
  const ok: EntryOutcome = { status: 'applied', response: { index: 3, hlc: HLC, via: null, results: [{ id: 't', code: 'ok' }] } };
  const poor: EntryOutcome = { status: 'applied', response: { index: 3, hlc: HLC, via: null, results: [{ id: 't', code: 'exceeds_credits' }] } };
  checks.onOutcome('a', entry, ok);
  checks.onOutcome('b', entry, ok);
  violates('ledger determinism', () => checks.onOutcome('c', entry, poor));
});

// ---- a scripted cluster on the real ledger ----------------------------------------------------

async function settled(c: Cluster, p: Promise<ProposeResult>, ms: number): Promise<ProposeResult | null> {
  let out: ProposeResult | null = null;
  void p.then((r) => (out = r));
  await c.runUntil(() => out !== null, ms);
  return out;
}

function ok(c: Cluster, cond: boolean, what: string): void {
  if (!cond || c.violation) assert.unreachable(`${what}${c.violation ? `\n${c.violation.message}` : ''}\n${c.trace().join('\n')}`);
}

/** The ledger outcome of an acknowledged proposal, read from a node that applied it. */
async function outcomeOf(c: Cluster, id: string, r: ProposeResult): Promise<EntryOutcome | undefined> {
  assert.ok(r.ok);
  const at = r as { index: number; term: number };
  await c.runUntil(() => (c.node(id).ledger()?.api.appliedIndex() ?? 0) >= at.index, 1000);
  // The LedgerApi types it loosely (the HTTP layer narrows it); the real ledger stores EntryOutcome.
  return c.node(id).ledger()?.api.outcomeAt(at.index, at.term) as EntryOutcome | undefined;
}

test('payments through a follower reach the real ledger on every node, once, also when retried after the leader dies', async () => {
  const seed = 31;
  console.log(`seed ${seed}`);
  const c = new Cluster({ seed, nodes: 3, traceLines: 80 });
  await c.start();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'a first leader settles');
  const leader = c.leader()!;
  const follower = c.ids.find((id) => id !== leader)!;

  const opened = await settled(c, c.propose(follower, encodeCommand(OPEN_ALICE)), 1000);
  ok(c, opened !== null && opened.ok, 'alice opened through a follower');
  const fund = encodeCommand(pay('fund-1', 'bank', 'alice', 500n));
  const funded = await settled(c, c.propose(follower, fund), 1000);
  ok(c, funded !== null && funded.ok, 'funding acknowledged');
  const fundOutcome = await outcomeOf(c, follower, funded!);
  assert.is(fundOutcome?.status, 'applied');
  assert.equal(fundOutcome?.status === 'applied' ? fundOutcome.response.results.map((x) => x.code) : null, ['ok']);

  const overdraft = await settled(c, c.propose(follower, encodeCommand(pay('over-1', 'alice', 'bob', 800n))), 1000);
  ok(c, overdraft !== null && overdraft.ok, 'the overdraft commits (as a rejected transfer)');
  const overOutcome = await outcomeOf(c, follower, overdraft!);
  assert.equal(overOutcome?.status === 'applied' ? overOutcome.response.results.map((x) => x.code) : null, ['exceeds_credits']);

  // The leader dies; the client retries the funding byte for byte through another node.
  c.crash(leader);
  const other = c.ids.find((id) => id !== leader && id !== follower)!;
  let retried: ProposeResult | null = null;
  for (let attempt = 0; attempt < 20 && !(retried?.ok ?? false); attempt++) {
    retried = await settled(c, c.propose(attempt % 2 === 0 ? other : follower, fund), 3000);
    ok(c, retried !== null, 'the retry settles');
  }
  ok(c, retried!.ok, 'the retry is acknowledged by the new leader');
  const retryOutcome = await outcomeOf(c, other, retried!);
  assert.equal(retryOutcome?.status === 'applied' ? retryOutcome.response.results.map((x) => x.code) : null, ['exists'], 'the retry moved nothing');

  await c.restart(leader);
  ok(c, await c.runUntil(() => c.converged(), 4000), 'the cluster converges with the old leader back');
  const hashes = new Set<string>();
  for (const id of c.ids) {
    const l = c.node(id).ledger()!;
    const alice = l.api.account('alice');
    assert.ok(alice, `${id}: alice exists`);
    assert.is(alice.creditsPosted, 500n, `${id}: alice was funded once`);
    assert.is(alice.debitsPosted, 0n, `${id}: the overdraft moved nothing`);
    assert.ok(l.api.transfer('fund-1') !== undefined && l.api.transfer('over-1') === undefined, `${id}: transfers`);
    hashes.add(l.api.ledgerHash().hash);
  }
  assert.is(hashes.size, 1, 'every node holds the same ledger');
  ok(c, c.finalCheck(), 'final checks');
  assert.ok((c.checkers.ledger?.counts.ackedItemsChecked ?? 0) >= 6, 'the acknowledged items were checked on every node');
  c.shutdown();
});

test('an invariant broken on one replica stops the run with a named violation', async () => {
  const c = new Cluster({ seed: 32, nodes: 3 });
  await c.start();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'a first leader settles');
  const victim = c.ids[0]!;
  // Doctor one replica's state behind the ledger's back: the next apply's invariant check fires.
  c.node(victim).ledger()!.state().accounts.set('ghost', { id: 'ghost', currency: 'USD', flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false, closed: false }, debitsPosted: 1n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n, timestamp: 0 });
  void c.propose(c.leader()!, encodeCommand(pay('x1', 'bank', 'bob', 1n)));
  await c.runFor(1000);
  assert.ok(c.violation !== null, 'a violation was raised');
  assert.is(c.violation!.rule, 'state machine safety');
  assert.match(c.violation!.message, /invariant broken/);
  c.shutdown();
});

test.run();
