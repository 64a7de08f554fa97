// The chaos checker judged on synthetic histories: a clean one passes, and each planted anomaly
// (lost acknowledged write, duplicate application, stale read, diverged nodes, broken
// conservation, and the rest of the catalogue) is reported under its own kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnomalyKind } from '../../chaos/anomaly.ts';
import { check, summarize, type CheckResult } from '../../chaos/checker.ts';
import type { History, NodeFinalState } from '../../chaos/history.ts';
import { applied, balancesOf, cleanHistory, finalOf, FUNDING, read, transfer, WORK } from './history-fixture.ts';

/** The result reports `kind`, and nothing beyond it except the named side effects of the same fault. */
function only(result: CheckResult, kind: AnomalyKind, alsoAllowed: readonly AnomalyKind[] = []): void {
  const found = Object.entries(result.counts).filter(([, n]) => n > 0).map(([k]) => k as AnomalyKind);
  assert.ok(result.counts[kind] > 0, `expected ${kind}, got ${found.join(', ') || 'nothing'}`);
  const extra = found.filter((k) => k !== kind && !alsoAllowed.includes(k));
  assert.equal(extra, [], `unexpected extra anomalies: ${extra.join(', ')}`);
  assert.not.ok(result.ok);
  assert.ok(result.anomalies.some((a) => a.kind === kind));
}

function withFinals(h: History, finals: NodeFinalState[]): History {
  return { ...h, finals };
}

test('a clean history passes, with its statistics', () => {
  const result = check(cleanHistory());
  assert.ok(result.ok, JSON.stringify(result.anomalies, null, 1));
  assert.is(result.stats.transfersAcknowledged, 4);
  assert.is(result.stats.transfersFailed, 1);
  assert.is(result.stats.readsChecked, 5);
  assert.is(result.stats.appliedTransfers, 7);
  assert.is(summarize(result), 'checker: PASS (no anomaly)');
});

test('an unknown transfer may be applied or not', () => {
  const h = cleanHistory();
  const lateUnknown = transfer('u1', 'c', 'b', 100n, 82, 99, 'unknown');
  const order = [...h.finals[0]!.transfers, ...applied([lateUnknown])];
  const withIt = { ...h, ops: [...h.ops, lateUnknown], finals: h.finals.map((f) => finalOf(f.node, order)) };
  assert.ok(check(withIt).ok);
  assert.is(check(withIt).stats.unknownApplied, 1);
  assert.ok(check({ ...h, ops: [...h.ops, lateUnknown] }).ok);
});

test('a lost acknowledged write is reported, naming the node', () => {
  const h = cleanHistory();
  const order = h.finals[0]!.transfers.filter((t) => t.id !== 't4');
  const finals = [...h.finals.slice(0, 2), finalOf('node3', order)];
  // node3 is also behind, so its balances differ: the lost write must still be named as such.
  const result = check(withFinals(h, finals));
  only(result, 'lost_write', ['diverged']);
  assert.ok(result.anomalies.some((a) => a.kind === 'lost_write' && a.node === 'node3' && a.id === 't4'));
});

test('a write lost on every node is reported even though nodes agree', () => {
  const h = cleanHistory();
  const order = h.finals[0]!.transfers.filter((t) => t.id !== 't2');
  const result = check(withFinals(h, ['node1', 'node2', 'node3'].map((n) => finalOf(n, order))));
  only(result, 'lost_write', ['stale_read']); // the read after t2 cannot be explained either
  assert.is(result.counts.lost_write, 3);
});

test('a duplicate application is reported', () => {
  const h = cleanHistory();
  const order = [...h.finals[0]!.transfers, h.finals[0]!.transfers[4]!];
  const result = check(withFinals(h, ['node1', 'node2', 'node3'].map((n) => finalOf(n, order))));
  only(result, 'duplicate_application');
  assert.is(result.counts.duplicate_application, 3);
});

test('a stale read (missing a write acknowledged before it began) is reported', () => {
  const h = cleanHistory();
  const stale = read('b', 10000n, 45, 50); // t1 and t2 acknowledged before: b must be 11500
  const result = check({ ...h, ops: [...h.ops, stale] });
  only(result, 'stale_read');
  assert.is(result.counts.stale_read, 1);
});

test('a read from the future (a write sent only after the read completed) is reported', () => {
  const h = cleanHistory();
  const future = read('a', 8200n, 41, 45); // t3 (a to 8200) was sent at 50
  only(check({ ...h, ops: [...h.ops, future] }), 'stale_read');
});

test('reads that go back in time are reported as non-monotonic', () => {
  const h = cleanHistory();
  const slow = transfer('t9', 'c', 'b', 100n, 100, 200);
  const order = [...h.finals[0]!.transfers, ...applied([slow])];
  const newer = read('b', 11600n, 110, 120, 'node1');
  const older = read('b', 11500n, 130, 140, 'node3');
  const clean = { ...h, ops: [...h.ops, slow, newer], finals: h.finals.map((f) => finalOf(f.node, order)) };
  assert.ok(check(clean).ok, 'each read alone is fine while t9 is in flight');
  only(check({ ...clean, ops: [...clean.ops, older] }), 'non_monotonic_read');
});

test('diverged nodes are reported: different hashes at the same index', () => {
  const h = cleanHistory();
  const finals = [h.finals[0]!, h.finals[1]!, { ...h.finals[2]!, ledgerHash: 'h-other' }];
  only(check(withFinals(h, finals)), 'diverged');
});

test('diverged nodes are reported: same transfers in another order', () => {
  const h = cleanHistory();
  const order = [...h.finals[0]!.transfers];
  [order[5], order[6]] = [order[6]!, order[5]!];
  const finals = [h.finals[0]!, h.finals[1]!, finalOf('node3', order)];
  const result = check(withFinals(h, finals));
  assert.ok(result.counts.diverged > 0);
});

test('broken conservation is reported when money appears from nowhere', () => {
  const h = cleanHistory();
  const f = h.finals[1]!;
  const balances = { ...f.balances, c: f.balances['c']! + 500n, bank: f.balances['bank']! - 500n };
  const result = check(withFinals(h, [h.finals[0]!, { ...f, balances }, h.finals[2]!]));
  only(result, 'conservation', ['balance_mismatch']);
  assert.ok(result.anomalies.some((a) => a.kind === 'conservation' && a.node === 'node2'));
});

test('debits not matching credits is reported as broken conservation', () => {
  const h = cleanHistory();
  const f = h.finals[0]!;
  const balances = { ...f.balances, bank: f.balances['bank']! + 1n };
  only(check(withFinals(h, [{ ...f, balances }, h.finals[1]!, h.finals[2]!])), 'conservation', ['balance_mismatch']);
});

test('an overdrawn constrained account is reported', () => {
  const h = cleanHistory();
  const big = transfer('t6', 'a', 'b', 9000n, 96, 98);
  const order = [...h.finals[0]!.transfers, ...applied([big])];
  const result = check({ ...h, ops: [...h.ops, big], finals: h.finals.map((f) => finalOf(f.node, order)) });
  only(result, 'overdraft');
});

test('a refused transfer that was applied anyway is reported', () => {
  const h = cleanHistory();
  const t5 = WORK[4]!;
  const smallRefused = transfer('t5', t5.from, t5.to, 10n, t5.invokeMs, t5.completeMs, 'fail');
  const order = [...h.finals[0]!.transfers, ...applied([smallRefused])];
  const ops = h.ops.map((o) => (o.kind === 'transfer' && o.id === 't5' ? smallRefused : o));
  only(check({ ...h, ops, finals: h.finals.map((f) => finalOf(f.node, order)) }), 'failed_write_applied');
});

test('a transfer applied with other fields than sent, or sent by nobody, is reported', () => {
  const h = cleanHistory();
  const order = h.finals[0]!.transfers.map((t) => (t.id === 't3' ? { ...t, amountMinor: 701n } : t));
  only(check(withFinals(h, h.finals.map((f) => finalOf(f.node, order)))), 'wrong_fields', ['stale_read']);
  const ghost = [...h.finals[0]!.transfers, { id: 'ghost', from: 'b', to: 'c', amountMinor: 1n, currency: 'USD' }];
  only(check(withFinals(h, h.finals.map((f) => finalOf(f.node, ghost)))), 'unexpected_transfer');
});

test('a retry refused as exists_with_different_fields is reported', () => {
  const h = cleanHistory();
  const refused = transfer('t7', 'a', 'b', 5n, 96, 99, 'unknown', { code: 'exists_with_different_fields', attempts: 2 });
  only(check({ ...h, ops: [...h.ops, refused] }), 'wrong_fields');
});

test('balances that disagree with the node\'s own transfers are reported', () => {
  const h = cleanHistory();
  const f = h.finals[2]!;
  const balances = { ...f.balances, a: f.balances['a']! + 100n, b: f.balances['b']! - 100n };
  only(check(withFinals(h, [h.finals[0]!, h.finals[1]!, { ...f, balances }])), 'balance_mismatch');
});

test('nodes left at different applied indexes are reported as not settled', () => {
  const h = cleanHistory();
  const f = h.finals[1]!;
  only(check(withFinals(h, [h.finals[0]!, { ...f, appliedIndex: 11, ledgerHashIndex: 11, ledgerHash: 'h-11' }, h.finals[2]!])), 'not_settled');
});

test('a transfer ordered before one acknowledged before it was sent is reported', () => {
  const h = cleanHistory();
  const order = [...h.finals[0]!.transfers];
  [order[3], order[4]] = [order[4]!, order[3]!]; // t2 (sent at 30) before t1 (acked at 20)
  const finals = ['node1', 'node2', 'node3'].map((n) => ({ ...finalOf(n, order), balances: balancesOf(order) }));
  const result = check({ ...h, ops: h.ops.filter((o) => o.kind === 'transfer'), finals });
  only(result, 'write_order');
});

test('funding transfers count as acknowledged writes', () => {
  const h = cleanHistory();
  const order = h.finals[0]!.transfers.filter((t) => t.id !== FUNDING[2]!.id);
  only(check(withFinals(h, h.finals.map((f) => finalOf(f.node, order)))), 'lost_write', ['conservation', 'stale_read']);
});

test('many anomalies of one kind are all counted, with a bounded list of examples', () => {
  const h = cleanHistory();
  const ghosts = Array.from({ length: 60 }, (_, i) => ({ id: `ghost-${i}`, from: 'b', to: 'c', amountMinor: 0n, currency: 'USD' }));
  const order = [...h.finals[0]!.transfers, ...ghosts];
  const result = check(withFinals(h, h.finals.map((f) => finalOf(f.node, order))));
  assert.is(result.counts.unexpected_transfer, 180);
  assert.ok(result.anomalies.length <= 25);
  assert.is(summarize(result), 'checker: FAIL (unexpected_transfer x180)');
});

test.run();
