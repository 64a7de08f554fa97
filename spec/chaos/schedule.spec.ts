// The chaos fault schedule is a pure function of its seed: same seed, same plan; every enabled
// kind shows up in a short run; faults never overlap and all end before the cooldown; partition
// shapes split the cluster as named. Plus the suite's small pure helpers (money, options).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChaosArgs } from '../../chaos/args.ts';
import { availability } from '../../chaos/availability.ts';
import type { TransferOp } from '../../chaos/history.ts';
import { formatMinor, parseMinor } from '../../chaos/money.ts';
import { partitionGroups, planFaults } from '../../chaos/schedule.ts';

const SEEDS = [1, 7, 42, 20261126];

test('the same seed gives the same plan; another seed another', () => {
  const opts = { durationMs: 120000, kinds: ['kill', 'pause', 'partition', 'clock'] as const, electionTimeoutMsMax: 600 };
  assert.equal(planFaults({ ...opts, kinds: [...opts.kinds], seed: 5 }), planFaults({ ...opts, kinds: [...opts.kinds], seed: 5 }));
  assert.not.equal(planFaults({ ...opts, kinds: [...opts.kinds], seed: 5 }), planFaults({ ...opts, kinds: [...opts.kinds], seed: 6 }));
});

test('plans cover every enabled kind, never overlap, and end before the cooldown', () => {
  for (const seed of SEEDS) {
    console.log(`schedule seed ${seed}`);
    const plan = planFaults({ seed, durationMs: 45000, kinds: ['kill', 'pause', 'partition'], electionTimeoutMsMax: 600 });
    assert.equal(new Set(plan.map((f) => f.kind)), new Set(['kill', 'pause', 'partition']), `seed ${seed}`);
    for (let i = 0; i < plan.length; i++) {
      const f = plan[i]!;
      assert.ok(f.durationMs >= 1200, 'longer than two election timeouts');
      assert.ok(f.atMs + f.durationMs <= 42000, 'healed before the cooldown');
      if (i > 0) assert.ok(f.atMs >= plan[i - 1]!.atMs + plan[i - 1]!.durationMs + 2000, 'a quiet spell between faults');
    }
  }
  assert.equal(planFaults({ seed: 1, durationMs: 60000, kinds: [], electionTimeoutMsMax: 600 }), []);
});

test('long plans rotate through every partition shape and target the leader', () => {
  const plan = planFaults({ seed: 3, durationMs: 600000, kinds: ['kill', 'pause', 'partition'], electionTimeoutMsMax: 600 });
  const shapes = new Set(plan.flatMap((f) => (f.kind === 'partition' ? [f.shape] : [])));
  assert.equal(shapes, new Set(['leader-isolated', 'majority-minority', 'bridge', 'one-way-out', 'one-way-in', 'leader-slow']));
  assert.ok(plan.some((f) => f.kind === 'kill' && f.target === 'leader'));
  assert.ok(plan.some((f) => f.kind === 'kill' && f.target === 'follower'));
  assert.ok(plan.some((f) => f.kind === 'pause' && f.target === 'leader'));
});

test('partition shapes split the cluster as named', () => {
  const five = ['node1', 'node2', 'node3', 'node4', 'node5'];
  assert.equal(partitionGroups('leader-isolated', five, 'node3', false), [['node3'], ['node1', 'node2', 'node4', 'node5']]);
  const minorityWithLeader = partitionGroups('majority-minority', five, 'node2', true);
  assert.equal(minorityWithLeader[0], ['node2', 'node1']);
  assert.is(minorityWithLeader[1]!.length, 3);
  const minorityWithout = partitionGroups('majority-minority', five, 'node2', false);
  assert.not.ok(minorityWithout[0]!.includes('node2'));
  assert.is(minorityWithout[0]!.length, 2);
  const bridge = partitionGroups('bridge', ['node1', 'node2', 'node3'], 'node1', false);
  assert.equal(bridge, [['node1', 'node2'], ['node2', 'node3']]);
  const bridge5 = partitionGroups('bridge', five, 'node1', false);
  const shared = bridge5[0]!.filter((id) => bridge5[1]!.includes(id));
  assert.equal(shared, ['node2']);
  assert.is(new Set([...bridge5[0]!, ...bridge5[1]!]).size, 5);
});

test('money helpers convert decimal strings and minor units exactly', () => {
  assert.is(parseMinor('12.34', 2), 1234n);
  assert.is(parseMinor('-0.5', 2), -50n);
  assert.is(parseMinor('7', 0), 7n);
  assert.is(parseMinor('90071992547409.93', 2), 9007199254740993n);
  assert.throws(() => parseMinor('1.234', 2));
  assert.throws(() => parseMinor('1e3', 2));
  assert.is(formatMinor(1234n, 2), '12.34');
  assert.is(formatMinor(-5n, 2), '-0.05');
  assert.is(formatMinor(5n, 3), '0.005');
  assert.is(formatMinor(42n, 0), '42');
});

test('options: defaults, validation and an explicit seed', () => {
  const a = parseChaosArgs(['--duration', '300', '--nodes', '5', '--faults', 'kill,pause', '--seed', '9'], () => 1);
  assert.equal([a.durationS, a.nodes, a.faults, a.seed], [300, 5, ['kill', 'pause'], 9]);
  assert.is(parseChaosArgs([], () => 77).seed, 77);
  assert.throws(() => parseChaosArgs(['--nodes', '4'], () => 1), /3 or 5/);
  assert.throws(() => parseChaosArgs(['--faults', 'kill,meteor'], () => 1), /unknown fault meteor/);
  assert.throws(() => parseChaosArgs(['--durration', '5'], () => 1), /unknown option/);
});

test('availability: success share and the longest write outage per fault', () => {
  const t = (id: string, invokeMs: number, completeMs: number, result: TransferOp['result']): TransferOp =>
    ({ kind: 'transfer', id, client: 0, from: 'a', to: 'b', amountMinor: 1n, currency: 'USD', invokeMs, completeMs, node: 'node1', result, attempts: 1, code: 'ok' });
  const ops = [t('1', 0, 100, 'ok'), t('2', 100, 200, 'ok'), t('3', 200, 3200, 'unknown'), { ...t('4', 3200, 3300, 'ok'), attempts: 3 }, t('5', 3300, 3400, 'ok')];
  const a = availability(ops, [{ kind: 'kill', label: 'kill -9 node1', nodes: ['node1'], startMs: 500, endMs: 1500 }, { kind: 'pause', label: 'p', nodes: ['node2'], startMs: 3350, endMs: 3380 }], 4000);
  assert.is(a.transfers.ok, 4);
  assert.is(a.transfers.unknown, 1);
  assert.equal([a.transfers.retried, a.transfers.retriedOk], [1, 1]);
  assert.is(a.okShare, 0.8);
  assert.is(a.faults[0]!.longestWriteOutageMs, 3100); // from the ack at 200 to the ack at 3300
  assert.is(a.longestWriteOutageMs, 3100);
  assert.is(a.faults[1]!.longestWriteOutageMs, 100);
  assert.is(a.buckets.length, 4);
  assert.is(a.buckets[0]!.okTransfers, 2);
});

test.run();
