// Specs for the Raft core stepped directly: each feeds inputs and asserts the exact effects
// (what is persisted, what is sent and whether it may leave before the fsync, what is replied).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { RaftCore, type RaftInput } from '../../machines/raft/core.ts';
import type { Effect } from '../../machines/raft/effects.ts';
import type { RaftMessage } from '../../machines/raft-events.ts';
import type { LogEntry } from '../../machines/types.ts';
import { joinText } from '../../machines/snapshot-text.ts';

const MIN = DEFAULT_CONFIG.raft.electionTimeoutMsMin;

function makeCore(opts: { self?: string; peers?: string[]; term?: number; votedFor?: string | null; entries?: LogEntry[]; raft?: Partial<Config['raft']> } = {}): RaftCore {
  let n = 0;
  return new RaftCore(
    {
      self: opts.self ?? 'a',
      peers: opts.peers ?? ['b', 'c'],
      raft: { ...DEFAULT_CONFIG.raft, ...(opts.raft ?? {}) },
      random: () => 0,
      stamp: () => `000000000000100.${String(++n).padStart(6, '0')}`,
      observeStamp: () => {},
    },
    { hardState: { term: opts.term ?? 1, votedFor: opts.votedFor ?? null }, snapshot: null, entries: opts.entries ?? [] },
    0,
  );
}
const entry = (index: number, term: number, data = `d${index}`): LogEntry => ({ index, term, kind: 'command', hlc: '000000000000001.000000', data });
const msg = (from: string, message: RaftMessage, now = 1): RaftInput => ({ type: 'peer.message', from, message, now });
const run = (core: RaftCore, input: RaftInput): Effect[] => [...core.step(input), ...core.flush()];
const sends = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [e] : []));
const kinds = (effects: Effect[]) => effects.filter((e) => e.type !== 'trace').map((e) => (e.type === 'send' ? `send ${e.message.type}->${e.to}` : e.type));

/** Elect `a` leader of term 2 in a three-node cluster and settle its no-op. */
function leaderCore(opts: Parameters<typeof makeCore>[0] = {}): RaftCore {
  const core = makeCore(opts);
  run(core, { type: 'tick', now: MIN, fenced: false });
  const term = core.term();
  run(core, msg('b', { type: 'peer.requestVoteReply', term: term + 1, granted: true, pre: true }, MIN));
  run(core, msg('b', { type: 'peer.requestVoteReply', term: term + 1, granted: true, pre: false }, MIN));
  assert.is(core.role(), 'leader');
  return core;
}

test('granting a vote: the new term and the vote are persisted before the reply, which waits for them', () => {
  const core = makeCore();
  const out = run(core, msg('c', { type: 'peer.requestVote', term: 2, lastLogIndex: 0, lastLogTerm: 0, pre: false, transfer: false }));
  assert.equal(kinds(out), ['persist.hardState', 'persist.hardState', 'send peer.requestVoteReply->c']);
  assert.equal(out.filter((e) => e.type === 'persist.hardState').map((e) => (e as { hardState: unknown }).hardState), [
    { term: 2, votedFor: null },
    { term: 2, votedFor: 'c' },
  ]);
  const reply = sends(out)[0]!;
  assert.is(reply.early, false, 'a vote may not leave before the fsync');
  assert.equal(reply.message, { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false });
});

test('a candidate with a shorter log is refused, and the refusal carries our term', () => {
  const core = makeCore({ entries: [entry(1, 1)] });
  const out = run(core, msg('c', { type: 'peer.requestVote', term: 2, lastLogIndex: 0, lastLogTerm: 0, pre: false, transfer: false }));
  assert.equal(sends(out)[0]!.message, { type: 'peer.requestVoteReply', term: 2, granted: false, pre: false });
  assert.is(core.votedFor(), null);
});

test('pre-vote: refused while we hear from a leader, granted once the lease lapses; our term never moves', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 100));
  const ask: RaftMessage = { type: 'peer.requestVote', term: 2, lastLogIndex: 0, lastLogTerm: 0, pre: true, transfer: false };
  const early = run(core, msg('c', ask, 100 + MIN - 1));
  assert.equal(sends(early)[0]!.message, { type: 'peer.requestVoteReply', term: 1, granted: false, pre: true });
  const late = run(core, msg('c', ask, 100 + MIN + 1));
  assert.equal(sends(late)[0]!.message, { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true });
  assert.is(core.term(), 1);
  assert.equal(kinds(late).filter((k) => k.startsWith('persist')), []);
});

test('an election says how long the node had not heard from a leader (quietMs), and null when it never had', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 100));
  const out = run(core, { type: 'tick', now: 100 + 5 * MIN, fenced: false });
  const started = out.flatMap((e) => (e.type === 'trace' && e.event.type === 'election.started' ? [e.event] : []));
  assert.equal(started.map((e) => [e['pre'], e['quietMs']]), [[true, 5 * MIN]]);
  const fresh = run(makeCore(), { type: 'tick', now: MIN, fenced: false });
  const first = fresh.find((e) => e.type === 'trace' && e.event.type === 'election.started');
  assert.ok(first && first.type === 'trace' && first.event['quietMs'] === null);
  // A leader that steps down counts from then, not from the last leader it followed; the real
  // vote after a granted pre-vote says the same.
  const MAX = DEFAULT_CONFIG.raft.electionTimeoutMsMax;
  const led = leaderCore();
  // Nobody answered since it was elected at MIN: check-quorum steps it down at the next tick.
  const down = MIN + MAX + 1;
  run(led, { type: 'tick', now: down, fenced: false });
  assert.is(led.role(), 'follower');
  const again = run(led, { type: 'tick', now: down + 3 * MAX, fenced: false });
  const term = led.term();
  const vote = run(led, msg('b', { type: 'peer.requestVoteReply', term: term + 1, granted: true, pre: true }, down + 3 * MAX + 7));
  const quiet = [...again, ...vote].flatMap((e) => (e.type === 'trace' && e.event.type === 'election.started' ? [[e.event['pre'], e.event['quietMs']]] : []));
  assert.equal(quiet, [[true, 3 * MAX], [false, 3 * MAX + 7]]);
});

test('two nodes that time out together: the one granting a pre-vote stands back', () => {
  const core = makeCore();
  run(core, { type: 'tick', now: MIN, fenced: false });
  assert.is(core.role(), 'preCandidate');
  const out = run(core, msg('c', { type: 'peer.requestVote', term: 2, lastLogIndex: 0, lastLogTerm: 0, pre: true, transfer: false }, MIN + 1));
  assert.equal(sends(out).map((s) => s.message), [{ type: 'peer.requestVoteReply', term: 2, granted: true, pre: true }]);
  assert.is(core.role(), 'follower');
  assert.ok(core.nextDeadline() >= MIN + 1 + MIN, 'and waits a full election timeout');
});

test('a real vote request inside the leader lease is dropped without moving our term', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 100));
  const out = run(core, msg('c', { type: 'peer.requestVote', term: 5, lastLogIndex: 9, lastLogTerm: 4, pre: false, transfer: false }, 120));
  assert.equal(kinds(out), []);
  assert.is(core.term(), 1);
});

test('a new leader appends a no-op of its term and sends it before its own fsync', () => {
  const core = makeCore({ entries: [entry(1, 1)] });
  run(core, { type: 'tick', now: MIN, fenced: false });
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true }, MIN));
  const out = run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false }, MIN));
  assert.is(core.role(), 'leader');
  const persisted = out.find((e) => e.type === 'persist.entries');
  assert.ok(persisted && persisted.type === 'persist.entries');
  assert.equal(persisted.entries.map((x) => [x.index, x.term, x.kind]), [[2, 2, 'noop']]);
  const appends = sends(out).filter((s) => s.message.type === 'peer.appendEntries');
  assert.equal(appends.map((s) => s.to).sort(), ['b', 'c']);
  assert.ok(appends.every((s) => s.early), 'leader appends leave in parallel with the fsync');
  assert.ok(out.some((e) => e.type === 'trace' && e.event.type === 'leader.elected'));
});

test('the leader counts its own copy only once its fsync completed', () => {
  const core = leaderCore();
  run(core, { type: 'client.propose', reqId: 'r1', data: 'pay', now: MIN + 1 });
  const ack = run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 2, conflictTerm: 0, conflictIndex: 0, lastIndex: 2 }, MIN + 2));
  assert.is(core.commitIndex(), 0, 'b alone is not a majority while our own write is in flight');
  assert.equal(ack.filter((e) => e.type === 'reply'), []);
  const done = run(core, { type: 'local.persisted', index: 2, term: 2 });
  assert.is(core.commitIndex(), 2);
  const replies = done.filter((e) => e.type === 'reply');
  assert.equal(replies, [{ type: 'reply', reqId: 'r1', result: { ok: true, index: 2, term: 2, hlc: '000000000000100.000002' } }]);
  assert.ok(done.some((e) => e.type === 'apply'));
});

test('entries of an earlier term commit only beneath an entry of the current term', () => {
  const core = leaderCore({ entries: [entry(1, 1)] });
  // Both followers hold entry 1 (term 1), but the no-op at 2 is not replicated yet.
  run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 1, conflictTerm: 0, conflictIndex: 0, lastIndex: 1 }));
  run(core, { type: 'local.persisted', index: 1, term: 1 });
  assert.is(core.commitIndex(), 0);
  run(core, { type: 'local.persisted', index: 2, term: 2 });
  run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 2, conflictTerm: 0, conflictIndex: 0, lastIndex: 2 }));
  assert.is(core.commitIndex(), 2);
});

test('follower: a conflicting suffix is truncated and replaced, persisted before the ack', () => {
  const core = makeCore({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
  const out = run(core, msg('b', { type: 'peer.appendEntries', term: 2, prevIndex: 1, prevTerm: 1, entries: [entry(2, 2), entry(3, 2)], commit: 1 }));
  assert.equal(kinds(out), ['persist.hardState', 'persist.truncate', 'persist.entries', 'apply', 'send peer.appendEntriesReply->b']);
  const reply = sends(out)[0]!;
  assert.is(reply.early, false);
  assert.equal(reply.message, { type: 'peer.appendEntriesReply', term: 2, success: true, index: 3, conflictTerm: 0, conflictIndex: 0, lastIndex: 3 });
  assert.is(core.log.term(3), 2);
});

test('follower: a duplicate append truncates nothing', () => {
  const core = makeCore({ term: 2, entries: [entry(1, 1), entry(2, 2), entry(3, 2)] });
  const out = run(core, msg('b', { type: 'peer.appendEntries', term: 2, prevIndex: 1, prevTerm: 1, entries: [entry(2, 2)], commit: 0 }));
  assert.equal(kinds(out), ['send peer.appendEntriesReply->b']);
  assert.is(core.log.lastIndex(), 3);
});

test('fast backtracking: the follower names the conflicting term, the leader jumps past it', () => {
  const follower = makeCore({ term: 3, entries: [entry(1, 1), entry(2, 2), entry(3, 2), entry(4, 2)] });
  const rej = sends(run(follower, msg('b', { type: 'peer.appendEntries', term: 3, prevIndex: 4, prevTerm: 3, entries: [], commit: 0 })))[0]!;
  assert.equal(rej.message, { type: 'peer.appendEntriesReply', term: 3, success: false, index: 4, conflictTerm: 2, conflictIndex: 2, lastIndex: 4 });

  const leader = leaderCore({ entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1), entry(5, 1), entry(6, 1)] });
  const out = run(leader, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: false, index: 6, conflictTerm: 0, conflictIndex: 3, lastIndex: 2 }));
  const next = sends(out).find((s) => s.to === 'b' && s.message.type === 'peer.appendEntries');
  assert.ok(next);
  assert.is((next.message as { prevIndex: number }).prevIndex, 2, 'one round trip to the follower log end, not one per entry');
});

test('proposals beyond pendingProposalsMax are refused at once with a retryable failure', () => {
  const core = leaderCore({ raft: { pendingProposalsMax: 2 } });
  run(core, { type: 'client.propose', reqId: 'r1', data: 'x', now: MIN });
  run(core, { type: 'client.propose', reqId: 'r2', data: 'x', now: MIN });
  const out = run(core, { type: 'client.propose', reqId: 'r3', data: 'x', now: MIN });
  const reply = out.find((e) => e.type === 'reply');
  assert.ok(reply && reply.type === 'reply' && !reply.result.ok);
  if (reply && reply.type === 'reply' && !reply.result.ok) {
    assert.is(reply.result.code, 'SYNCPAY_ERR_OVERLOADED');
    assert.is(reply.result.leader, 'a');
    assert.ok(reply.result.retryAfterMs > 0);
  }
});

test('proposals beyond uncommittedBytesMax are refused at once', () => {
  const core = leaderCore({ raft: { uncommittedBytesMax: 500 } });
  const ok = run(core, { type: 'client.propose', reqId: 'r1', data: 'x'.repeat(300), now: MIN });
  assert.equal(ok.filter((e) => e.type === 'reply'), []);
  const out = run(core, { type: 'client.propose', reqId: 'r2', data: 'x'.repeat(300), now: MIN });
  const reply = out.find((e) => e.type === 'reply');
  assert.ok(reply && reply.type === 'reply' && !reply.result.ok && reply.result.code === 'SYNCPAY_ERR_OVERLOADED');
});

test('a follower forwards proposals to its leader; with waiting disabled and no leader known it fails fast naming the last one', () => {
  const core = makeCore({ raft: { proposalWaitForLeaderMs: 0 } });
  const none = run(core, { type: 'client.propose', reqId: 'r1', data: 'x', now: 1 });
  const r = none.find((e) => e.type === 'reply');
  assert.ok(r && r.type === 'reply' && !r.result.ok && r.result.code === 'SYNCPAY_ERR_NO_LEADER');
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 10));
  const fwd = run(core, { type: 'client.propose', reqId: 'r2', data: 'x', now: 11 });
  assert.equal(sends(fwd).map((s) => s.message), [{ type: 'peer.propose', term: 1, reqId: 'r2', data: 'x' }]);
  const back = run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'r2', result: { ok: true, index: 4, term: 1, hlc: 'h' } }, 12));
  assert.equal(back.filter((e) => e.type === 'reply'), [{ type: 'reply', reqId: 'r2', result: { ok: true, index: 4, term: 1, hlc: 'h' } }]);
  // The leader is lost: after the election timeout the node campaigns and no leader is known.
  run(core, { type: 'tick', now: 10 + 10 * MIN, fenced: false });
  const later = run(core, { type: 'client.propose', reqId: 'r3', data: 'x', now: 10 + 10 * MIN });
  const f = later.find((e) => e.type === 'reply');
  assert.ok(f && f.type === 'reply' && !f.result.ok);
  if (f && f.type === 'reply' && !f.result.ok) {
    assert.is(f.result.code, 'SYNCPAY_ERR_NO_LEADER');
    assert.is(f.result.leader, 'b');
    assert.match(f.result.detail, /last known leader b/);
  }
});

// ---- failover: forwarded and waiting requests ------------------------------------------------

const WAIT = DEFAULT_CONFIG.raft.proposalWaitForLeaderMs;
const replies = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'reply' ? [e] : []));
const heartbeat = (from: string, term: number, now: number): RaftInput => msg(from, { type: 'peer.heartbeat', term, commit: 0, ctx: 0 }, now);
const failed = (effects: Effect[]) =>
  replies(effects).map((r) => (r.result.ok ? { reqId: r.reqId, ok: true } : { reqId: r.reqId, code: r.result.code, leader: r.result.leader, retryAfterMs: r.result.retryAfterMs }));

/** A follower of `b` in term 1 that forwarded proposal `f1` to it at time 11. */
function forwardingFollower(): RaftCore {
  const core = makeCore();
  run(core, heartbeat('b', 1, 10));
  const out = run(core, { type: 'client.propose', reqId: 'f1', data: 'pay', now: 11 });
  assert.equal(sends(out).map((s) => [s.to, s.message]), [['b', { type: 'peer.propose', term: 1, reqId: 'f1', data: 'pay' }]]);
  return core;
}

test('failover: a forwarded proposal the leader never placed fails at once with OUTCOME_UNKNOWN when the election timer fires', () => {
  const core = forwardingFollower();
  const deadline = core.nextDeadline();
  assert.ok(deadline <= 10 + DEFAULT_CONFIG.raft.electionTimeoutMsMax, 'the next thing to do is the election timeout, not the 5 s proposal timeout');
  const out = run(core, { type: 'tick', now: deadline, fenced: false });
  assert.is(core.role(), 'preCandidate');
  assert.equal(failed(out), [{ reqId: 'f1', code: 'SYNCPAY_ERR_OUTCOME_UNKNOWN', leader: 'b', retryAfterMs: DEFAULT_CONFIG.raft.heartbeatIntervalMs }]);
  // The old leader's late answer finds nobody waiting: the caller is answered exactly once.
  const late = run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f1', result: { ok: true, index: 2, term: 1, hlc: 'h' } }, deadline + 1));
  assert.equal(replies(late), []);
});

test('failover: a forwarded proposal fails at once when a new leader of a higher term speaks', () => {
  const core = forwardingFollower();
  const out = run(core, msg('c', { type: 'peer.appendEntries', term: 2, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 }, 20));
  assert.is(core.leader(), 'c');
  assert.equal(failed(out), [{ reqId: 'f1', code: 'SYNCPAY_ERR_OUTCOME_UNKNOWN', leader: 'c', retryAfterMs: DEFAULT_CONFIG.raft.heartbeatIntervalMs }]);
  // The retry goes straight to the new leader.
  const retry = run(core, { type: 'client.propose', reqId: 'f1-retry', data: 'pay', now: 21 });
  assert.equal(sends(retry).map((s) => [s.to, s.message]), [['c', { type: 'peer.propose', term: 2, reqId: 'f1-retry', data: 'pay' }]]);
});

test('failover: the link to the leader going down fails what was forwarded to it; new requests wait for a reachable leader', () => {
  const core = forwardingFollower();
  const down = run(core, { type: 'local.link', peer: 'b', up: false, now: 12 });
  assert.equal(failed(down), [{ reqId: 'f1', code: 'SYNCPAY_ERR_OUTCOME_UNKNOWN', leader: 'b', retryAfterMs: DEFAULT_CONFIG.raft.heartbeatIntervalMs }]);
  assert.equal(sends(down), []);
  assert.is(core.leader(), 'b', 'a link down is not evidence against the leader: elections still go by the timer');
  // A link to another peer going down changes nothing.
  assert.equal(kinds(run(core, { type: 'local.link', peer: 'c', up: false, now: 12 })), []);
  const held = run(core, { type: 'client.propose', reqId: 'f2', data: 'pay2', now: 13 });
  assert.equal(kinds(held), [], 'not sent into a dead link, not failed either');
  const up = run(core, { type: 'local.link', peer: 'b', up: true, now: 14 });
  assert.equal(sends(up).map((s) => [s.to, s.message]), [['b', { type: 'peer.propose', term: 1, reqId: 'f2', data: 'pay2' }]]);
  assert.equal(replies(up), []);
});

test('failover: a message from the leader shows its link is up again and releases held requests', () => {
  const core = forwardingFollower();
  run(core, { type: 'local.link', peer: 'b', up: false, now: 12 });
  run(core, { type: 'client.readIndex', reqId: 'q1', now: 13 });
  const out = run(core, heartbeat('b', 1, 14));
  assert.equal(
    sends(out).map((s) => s.message.type),
    ['peer.heartbeatReply', 'peer.readIndex'],
  );
});

test('failover: a proposal arriving with no leader known waits, and is forwarded to the leader that emerges', () => {
  const core = makeCore();
  const held = run(core, { type: 'client.propose', reqId: 'p1', data: 'pay', now: 5 });
  assert.equal(kinds(held), []);
  assert.is(core.nextDeadline(), Math.min(5 + WAIT, MIN), 'a tick is due by the end of the wait');
  const out = run(core, msg('c', { type: 'peer.appendEntries', term: 2, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 }, 40));
  assert.equal(
    sends(out).map((s) => [s.to, s.message.type]),
    [
      ['c', 'peer.appendEntriesReply'],
      ['c', 'peer.propose'],
    ],
  );
  assert.equal(sends(out)[1]!.message, { type: 'peer.propose', term: 2, reqId: 'p1', data: 'pay' });
  assert.equal(replies(out), []);
});

test('failover: a waiting proposal fails with NO_LEADER once the wait runs out', () => {
  const core = makeCore({ raft: { electionTimeoutMsMin: 5000, electionTimeoutMsMax: 6000 } });
  run(core, { type: 'client.propose', reqId: 'p1', data: 'pay', now: 5 });
  assert.is(core.nextDeadline(), 5 + WAIT);
  assert.equal(replies(run(core, { type: 'tick', now: 4 + WAIT, fenced: false })), []);
  const out = run(core, { type: 'tick', now: 5 + WAIT, fenced: false });
  assert.equal(failed(out), [{ reqId: 'p1', code: 'SYNCPAY_ERR_NO_LEADER', leader: null, retryAfterMs: DEFAULT_CONFIG.raft.heartbeatIntervalMs }]);
  assert.equal(sends(out), []);
});

test('failover: with waiting disabled, a leader behind a down link fails new requests at once instead of sending into it', () => {
  const core = makeCore({ raft: { proposalWaitForLeaderMs: 0 } });
  run(core, heartbeat('b', 1, 10));
  run(core, { type: 'local.link', peer: 'b', up: false, now: 11 });
  const out = run(core, { type: 'client.propose', reqId: 'p1', data: 'pay', now: 12 });
  assert.equal(sends(out), []);
  assert.equal(failed(out), [{ reqId: 'p1', code: 'SYNCPAY_ERR_NO_LEADER', leader: 'b', retryAfterMs: MIN }]);
});

test('failover: requests waiting for a leader count against pendingProposalsMax', () => {
  const core = makeCore({ raft: { pendingProposalsMax: 2 } });
  assert.equal(replies(run(core, { type: 'client.propose', reqId: 'p1', data: 'x', now: 1 })), []);
  assert.equal(replies(run(core, { type: 'client.readIndex', reqId: 'q1', now: 1 })), []);
  const out = run(core, { type: 'client.propose', reqId: 'p2', data: 'x', now: 1 });
  assert.equal(failed(out), [{ reqId: 'p2', code: 'SYNCPAY_ERR_OVERLOADED', leader: null, retryAfterMs: DEFAULT_CONFIG.raft.heartbeatIntervalMs }]);
});

test('failover: a node that wins the election itself appends the waiting proposal after its no-op', () => {
  const core = makeCore();
  run(core, { type: 'client.propose', reqId: 'p1', data: 'pay', now: 1 });
  run(core, { type: 'tick', now: MIN, fenced: false });
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true }, MIN));
  const out = run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false }, MIN));
  assert.is(core.role(), 'leader');
  const persisted = out.flatMap((e) => (e.type === 'persist.entries' ? e.entries.map((x) => [x.index, x.kind, x.data]) : []));
  assert.equal(persisted, [
    [1, 'noop', ''],
    [2, 'command', 'pay'],
  ]);
  assert.ok(sends(out).every((s) => s.message.type !== 'peer.propose'));
  // It commits like any proposal of the leader.
  run(core, { type: 'local.persisted', index: 2, term: 2 });
  const done = run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 2, conflictTerm: 0, conflictIndex: 0, lastIndex: 2 }, MIN + 1));
  assert.equal(replies(done).map((r) => [r.reqId, r.result]), [['p1', { ok: true, index: 2, term: 2, hlc: '000000000000100.000002' }]]);
});

test('failover: a leader that loses leadership keeps its pending proposals, local and forwarded (spec/raft/outcomes.spec.ts decides them)', () => {
  const core = leaderCore();
  run(core, { type: 'client.propose', reqId: 'p1', data: 'mine', now: MIN + 1 });
  run(core, msg('b', { type: 'peer.propose', term: 2, reqId: 'fb', data: 'theirs' }, MIN + 2));
  const out = run(core, msg('c', { type: 'peer.appendEntries', term: 3, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 }, MIN + 3));
  assert.is(core.role(), 'follower');
  assert.equal(failed(out), []);
  assert.equal(sends(out).filter((s) => s.to === 'b'), []);
  assert.ok(out.some((e) => e.type === 'trace' && e.event.type === 'proposals.kept' && e.event.count === 2));
});

test('failover: check-quorum step-down fails pending reads at once and keeps proposals', () => {
  const core = leaderCore();
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 1, conflictTerm: 0, conflictIndex: 0, lastIndex: 1 }, MIN + 1));
  run(core, { type: 'client.propose', reqId: 'p1', data: 'mine', now: MIN + 1 });
  run(core, { type: 'client.readIndex', reqId: 'q1', now: MIN + 1 });
  // b answered during the first check-quorum period, nobody during the second.
  const first = run(core, { type: 'tick', now: MIN + DEFAULT_CONFIG.raft.electionTimeoutMsMax, fenced: false });
  assert.is(core.role(), 'leader');
  const out = [...first, ...run(core, { type: 'tick', now: MIN + 2 * DEFAULT_CONFIG.raft.electionTimeoutMsMax, fenced: false })];
  assert.is(core.role(), 'follower');
  assert.equal(failed(out), [{ reqId: 'q1', code: 'SYNCPAY_ERR_LEADER_CHANGED', leader: null, retryAfterMs: MIN }]);
});

test('ReadIndex: the leader answers only after a heartbeat round confirms it still leads', () => {
  const core = leaderCore();
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 1, conflictTerm: 0, conflictIndex: 0, lastIndex: 1 }));
  assert.is(core.commitIndex(), 1);
  const out = run(core, { type: 'client.readIndex', reqId: 'q1', now: MIN + 5 });
  assert.equal(out.filter((e) => e.type === 'reply'), []);
  const hbs = sends(out).filter((s) => s.message.type === 'peer.heartbeat');
  assert.is(hbs.length, 2);
  const ctx = (hbs[0]!.message as { ctx: number }).ctx;
  assert.ok(ctx > 0);
  const done = run(core, msg('c', { type: 'peer.heartbeatReply', term: 2, ctx, lastIndex: 1 }));
  assert.equal(done.filter((e) => e.type === 'reply'), [{ type: 'reply', reqId: 'q1', result: { ok: true, index: 1 } }]);
});

test('check-quorum: a leader keeps leading while a majority answers, and steps down when none does', () => {
  const MAX = DEFAULT_CONFIG.raft.electionTimeoutMsMax;
  const core = leaderCore();
  const elected = MIN;
  run(core, msg('b', { type: 'peer.heartbeatReply', term: 2, ctx: 0, lastIndex: 1 }, elected + MAX - 10));
  run(core, { type: 'tick', now: elected + MAX + 1, fenced: false });
  assert.is(core.role(), 'leader', 'b answered within the election timeout');
  const out = run(core, { type: 'tick', now: elected + 2 * MAX + 2, fenced: false });
  assert.is(core.role(), 'follower', 'nobody answered during the next one');
  assert.ok(out.some((e) => e.type === 'trace' && e.event.type === 'leader.stepDown' && e.event.reason === 'check-quorum'));
});

test('a fenced clock makes a leader step down and keeps a follower from campaigning', () => {
  const core = leaderCore();
  run(core, { type: 'tick', now: MIN + 1, fenced: true });
  assert.is(core.role(), 'follower');
  const f = makeCore();
  run(f, { type: 'tick', now: 5 * MIN, fenced: true });
  assert.is(f.role(), 'follower');
});

test('leader transfer: appends to the target until it has caught up, then TimeoutNow; proposals pause', () => {
  const core = leaderCore();
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  const start = run(core, { type: 'client.transfer', reqId: 't1', target: 'c', now: MIN + 1 });
  assert.equal(sends(start).filter((s) => s.message.type === 'peer.timeoutNow'), [], 'not before the target has caught up');
  const refused = run(core, { type: 'client.propose', reqId: 'r', data: 'x', now: MIN + 2 });
  const rr = refused.find((e) => e.type === 'reply');
  assert.ok(rr && rr.type === 'reply' && !rr.result.ok && rr.result.code === 'SYNCPAY_ERR_TRANSFERRING' && rr.result.leader === 'c');
  const caught = run(core, msg('c', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 1, conflictTerm: 0, conflictIndex: 0, lastIndex: 1 }));
  assert.equal(sends(caught).filter((s) => s.message.type === 'peer.timeoutNow').map((s) => s.to), ['c']);
  // The target wins term 3: we step down and the transfer resolves.
  const over = run(core, msg('c', { type: 'peer.requestVote', term: 3, lastLogIndex: 1, lastLogTerm: 2, pre: false, transfer: true }));
  assert.is(core.role(), 'follower');
  assert.ok(over.some((e) => e.type === 'reply' && e.reqId === 't1' && e.result.ok));
});

test('TimeoutNow makes a follower campaign at once, breaking the lease of the old leader', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 10));
  const out = run(core, msg('b', { type: 'peer.timeoutNow', term: 1 }, 11));
  assert.is(core.role(), 'candidate');
  assert.is(core.term(), 2);
  const asks = sends(out).filter((s) => s.message.type === 'peer.requestVote');
  assert.ok(asks.every((s) => (s.message as { transfer: boolean }).transfer && !(s.message as { pre: boolean }).pre));
});

test('InstallSnapshot in chunks: reassembled, persisted, handed to the ledger, acknowledged', () => {
  const core = makeCore({ entries: [entry(1, 1)] });
  const c1 = run(core, msg('b', { type: 'peer.installSnapshot', term: 2, index: 20, snapTerm: 2, offset: 0, total: 10, chunk: 'abcd' }));
  assert.equal(sends(c1)[0]!.message, { type: 'peer.installSnapshotReply', term: 2, index: 20, nextOffset: 4, done: false });
  const skip = run(core, msg('b', { type: 'peer.installSnapshot', term: 2, index: 20, snapTerm: 2, offset: 8, total: 10, chunk: 'ij' }));
  assert.equal(sends(skip)[0]!.message, { type: 'peer.installSnapshotReply', term: 2, index: 20, nextOffset: 4, done: false }, 'out of order: ask again');
  const c2 = run(core, msg('b', { type: 'peer.installSnapshot', term: 2, index: 20, snapTerm: 2, offset: 4, total: 10, chunk: 'efghij' }));
  assert.equal(kinds(c2), ['persist.snapshot', 'restore', 'send peer.installSnapshotReply->b']);
  const snap = c2.find((e) => e.type === 'persist.snapshot');
  assert.ok(snap && snap.type === 'persist.snapshot' && joinText(snap.data) === 'abcdefghij' && snap.meta.index === 20);
  assert.is(core.commitIndex(), 20);
  assert.is(core.log.lastIndex(), 20);
});

test('InstallSnapshot over a log that contradicts it drops the contradicting suffix too', () => {
  const entries = Array.from({ length: 25 }, (_, i) => entry(i + 1, 1));
  const core = makeCore({ entries });
  const out = run(core, msg('b', { type: 'peer.installSnapshot', term: 2, index: 20, snapTerm: 2, offset: 0, total: 2, chunk: 'ok' }));
  assert.equal(kinds(out), ['persist.hardState', 'persist.snapshot', 'persist.truncate', 'restore', 'send peer.installSnapshotReply->b']);
  const t = out.find((e) => e.type === 'persist.truncate');
  assert.ok(t && t.type === 'persist.truncate' && t.index === 21);
  assert.is(core.log.lastIndex(), 20);
});

// ---- fewer messages per round --------------------------------------------------------------

const ackFrom = (from: string, index: number, now: number): RaftInput =>
  msg(from, { type: 'peer.appendEntriesReply', term: 2, success: true, index, conflictTerm: 0, conflictIndex: 0, lastIndex: index }, now);
type Append = Extract<RaftMessage, { type: 'peer.appendEntries' }>;
const appendsOf = (effects: Effect[]) => sends(effects).flatMap((s) => (s.message.type === 'peer.appendEntries' ? [{ to: s.to, message: s.message as Append }] : []));

test('a commit with newer entries in flight waits for the next append; once all is committed it goes out alone', () => {
  const core = leaderCore();
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  run(core, ackFrom('b', 1, MIN + 1));
  run(core, ackFrom('c', 1, MIN + 1));
  run(core, { type: 'client.propose', reqId: 'r2', data: 'p2', now: MIN + 2 });
  run(core, { type: 'client.propose', reqId: 'r3', data: 'p3', now: MIN + 3 });
  run(core, { type: 'local.persisted', index: 3, term: 2 });
  // b acknowledges entry 2 only: 2 commits while 3 is still in flight, so no empty append.
  const partial = run(core, ackFrom('b', 2, MIN + 4));
  assert.is(core.commitIndex(), 2);
  assert.equal(appendsOf(partial), [], 'the commit of 2 rides on a later append');
  // The next proposal's append carries it.
  const next = run(core, { type: 'client.propose', reqId: 'r4', data: 'p4', now: MIN + 5 });
  const carried = appendsOf(next).map((s) => s.message);
  assert.equal(carried.map((m) => [m.entries.map((e) => e.index), m.commit]), [[[4], 2], [[4], 2]]);
  run(core, { type: 'local.persisted', index: 4, term: 2 });
  // Everything is committed now: the new commit index goes to both followers at once.
  const all = run(core, ackFrom('b', 4, MIN + 6));
  assert.is(core.commitIndex(), 4);
  assert.equal(appendsOf(all).map((s) => [s.to, s.message.entries.length, s.message.commit]).sort(),
    [['b', 0, 4], ['c', 0, 4]]);
});

test('the periodic heartbeat skips a follower sent an append within the interval, unless a read waits for it', () => {
  const hb = DEFAULT_CONFIG.raft.heartbeatIntervalMs;
  const core = leaderCore();
  const t0 = MIN;
  const heartbeatsTo = (effects: Effect[]) => sends(effects).filter((s) => s.message.type === 'peer.heartbeat').map((s) => s.to).sort();
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  run(core, ackFrom('b', 1, t0 + 1));
  run(core, ackFrom('c', 1, t0 + 1));
  run(core, { type: 'client.propose', reqId: 'r2', data: 'p2', now: t0 + hb - 5 });
  assert.equal(heartbeatsTo(run(core, { type: 'tick', now: t0 + hb, fenced: false })), [], 'both heard from the leader 5 ms ago');
  // An interval after the last append, the heartbeat goes out again.
  assert.equal(heartbeatsTo(run(core, { type: 'tick', now: t0 + 2 * hb, fenced: false })), ['b', 'c']);
  // Right after an append, a read still gets its heartbeat: it needs every follower's answer to its round.
  run(core, { type: 'client.propose', reqId: 'r3', data: 'p3', now: t0 + 2 * hb + 1 });
  assert.equal(heartbeatsTo(run(core, { type: 'client.readIndex', reqId: 'q1', now: t0 + 2 * hb + 2 })), ['b', 'c']);
});

test('followers whose disks hold their append answers back still get heartbeats, so check-quorum keeps the leader', () => {
  // Proposals every 40 ms keep appends flowing (a wide window, so they never pause), and the
  // followers answer no append, only heartbeats (at once, as they do): the leader must keep sending
  // heartbeats to them and stay leader for longer than several check-quorum periods.
  const core = leaderCore({ raft: { appendsInFlightMax: 64 } });
  run(core, { type: 'local.persisted', index: 1, term: 2 });
  run(core, ackFrom('b', 1, MIN + 1));
  run(core, ackFrom('c', 1, MIN + 1));
  let heartbeats = 0;
  for (let t = MIN + 2; t < MIN + 4 * DEFAULT_CONFIG.raft.electionTimeoutMsMax; t++) {
    const out: Effect[] = [];
    if (t % 40 === 0) out.push(...run(core, { type: 'client.propose', reqId: `r${t}`, data: 'x', now: t }));
    out.push(...run(core, { type: 'tick', now: t, fenced: false }));
    for (const e of sends(out)) {
      if (e.message.type !== 'peer.heartbeat') continue;
      heartbeats++;
      run(core, msg(e.to, { type: 'peer.heartbeatReply', term: 2, ctx: e.message.ctx, lastIndex: 1 }, t));
    }
    assert.is(core.role(), 'leader', `still leader at ${t - MIN} ms`);
  }
  assert.ok(heartbeats > 50, `heartbeats: ${heartbeats}`);
});

test('a follower answers a heartbeat before its writes in flight are durable (early)', () => {
  const core = makeCore();
  const out = run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 3 }, 10));
  const reply = sends(out).find((s) => s.message.type === 'peer.heartbeatReply');
  assert.ok(reply);
  assert.is(reply!.early, true);
  assert.equal(reply!.message, { type: 'peer.heartbeatReply', term: 1, ctx: 3, lastIndex: 0 });
});

test('a follower whose log holds a forwarded proposal learns it committed from the leader\'s answer', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, entries: [entry(1, 1), entry(2, 1)], commit: 0 }, 10));
  run(core, { type: 'client.propose', reqId: 'f1', data: 'x', now: 11 });
  run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f1', result: { ok: true, index: 2, term: 1, hlc: 'h' } }, 12));
  assert.is(core.commitIndex(), 2, 'entry 2 of term 1 is in this log: it and all before it are committed');
  // An answer about an entry this log does not hold (another term there, or beyond its end) moves nothing.
  const other = makeCore();
  run(other, msg('b', { type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, entries: [entry(1, 1)], commit: 0 }, 10));
  run(other, { type: 'client.propose', reqId: 'f2', data: 'x', now: 11 });
  run(other, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f2', result: { ok: true, index: 2, term: 1, hlc: 'h' } }, 12));
  assert.is(other.commitIndex(), 0);
});

test.run();
