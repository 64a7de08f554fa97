// One named spec per safety property of the Raft paper's summary figure (figure 3). Each runs
// faulty seeded clusters and asserts the property's checker was exercised and never fired, and
// shows the checker does fire on a doctored state that breaks the property (so a broken checker
// cannot pass silently).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Checkers, SafetyViolation, type CheckedNode } from '../harness/checkers.ts';
import { formatFailure, runSeed, type SeedResult } from '../harness/cluster.ts';
import { chain } from '../harness/recorder-ledger.ts';
import { LogView } from '../../machines/raft/log-view.ts';
import type { RaftCore } from '../../machines/raft/core.ts';
import type { LogEntry } from '../../machines/types.ts';

// Chosen so that, with real ledger traffic, some follower truncates a conflicting tail (rare: most
// seeds never need to), which the leader append-only spec needs to see checked.
const SEEDS = [101, 102, 103, 110, 112, 115];
let results: SeedResult[] | null = null;

async function faultyRuns(): Promise<SeedResult[]> {
  if (results) return results;
  results = [];
  for (const seed of SEEDS) {
    const r = await runSeed({ seed, nodes: seed % 2 === 0 ? 3 : 5, faultMs: 2500 });
    if (!r.ok) assert.unreachable(formatFailure(r));
    results.push(r);
  }
  return results;
}
const total = (rs: SeedResult[], rule: string): number => rs.reduce((n, r) => n + (r.exercised[rule] ?? 0), 0);

const e = (index: number, term: number, data = `d${index}`): LogEntry => ({ index, term, kind: 'command', hlc: '000000000000001.000000', data });
function fake(id: string, role: string, term: number, entries: LogEntry[], commit = 0): CheckedNode {
  const core = { role: () => role, term: () => term, log: new LogView(0, 0, entries), commitIndex: () => commit };
  return { id, core: () => core as unknown as RaftCore };
}
function violates(rule: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SafetyViolation);
    assert.is((err as SafetyViolation).rule, rule);
    return;
  }
  assert.unreachable(`expected a ${rule} violation`);
}

test('election safety: at most one leader can be elected in a given term', async () => {
  const rs = await faultyRuns();
  assert.ok(total(rs, 'electionSafety') > 100, 'checked against live leaders');
  assert.ok(rs.reduce((n, r) => n + r.terms, 0) > rs.length, 'the runs saw several terms');
  const c = new Checkers();
  c.afterEvent([fake('a', 'leader', 3, [])]);
  violates('election safety', () => c.afterEvent([fake('b', 'leader', 3, [])]));
});

test('leader append-only: a leader never overwrites or deletes entries in its log', async () => {
  const rs = await faultyRuns();
  assert.ok(total(rs, 'appendOnly') > 0, 'truncations happened (on followers) and were checked');
  const c = new Checkers();
  c.onTruncate('a', fake('a', 'follower', 2, []).core(), 3);
  violates('leader append-only', () => c.onTruncate('a', fake('a', 'leader', 2, []).core(), 3));
});

test('log matching: logs with an entry of the same index and term are identical up to it', async () => {
  const rs = await faultyRuns();
  assert.ok(total(rs, 'logMatching') > 100);
  const c = new Checkers();
  c.checkLogMatching([fake('a', 'follower', 2, [e(1, 1), e(2, 2)]), fake('b', 'follower', 2, [e(1, 1), e(2, 1)])]);
  violates('log matching', () =>
    c.checkLogMatching([fake('a', 'follower', 2, [e(1, 1, 'x'), e(2, 2)]), fake('b', 'follower', 2, [e(1, 1, 'y'), e(2, 2)])]),
  );
});

test('leader completeness: a committed entry is present in the logs of all later leaders', async () => {
  const rs = await faultyRuns();
  assert.ok(total(rs, 'leaderCompleteness') >= rs.length);
  assert.ok(total(rs, 'committed') > 100);
  const c = new Checkers();
  c.afterEvent([fake('a', 'follower', 2, [e(1, 1), e(2, 2)], 2)]);
  violates('leader completeness', () => c.afterEvent([fake('b', 'leader', 3, [e(1, 1)])]));
});

test('state machine safety: no two nodes apply different entries at the same index', async () => {
  const rs = await faultyRuns();
  assert.ok(total(rs, 'stateMachine') > 100);
  const c = new Checkers();
  c.onApply('a', e(1, 1, 'x'), chain('0', e(1, 1, 'x')));
  violates('state machine safety', () => c.onApply('b', e(1, 1, 'y'), chain('0', e(1, 1, 'y'))));
});

test('no committed entry is ever lost or changed, and acknowledged proposals stay where acknowledged', async () => {
  const rs = await faultyRuns();
  assert.ok(rs.reduce((n, r) => n + r.acked, 0) > 50, 'proposals were acknowledged under faults');
  const c = new Checkers();
  c.afterEvent([fake('a', 'follower', 2, [e(1, 1, 'x')], 1)]);
  violates('committed entry changed', () => c.afterEvent([fake('b', 'follower', 2, [e(1, 2, 'y')], 1)]));
  c.onAcknowledged(5, 2, 'never');
  violates('acknowledged entry lost', () => c.final([]));
});

test.run();
