// Specs for what a proposal is answered once its node is no longer the leader that appended it
// (issue #9): the answer follows what the node later learns about the position (index, term)
// the proposal was appended at. Committed there: success, as for any commit. Another entry
// committed there: NOT_COMMITTED (safe to retry). A snapshot of a later term over it, or the
// timeout: OUTCOME_UNKNOWN. An uncommitted different entry there decides nothing (Raft figure 8).
// The same rules hold on a follower for a proposal it forwarded, once the leader said where it
// appended it. Each test steps the Raft core directly and asserts the exact replies.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { RaftCore, type RaftInput } from '../../machines/raft/core.ts';
import { APPENDED_NOTICE, ERR, type Effect } from '../../machines/raft/effects.ts';
import type { RaftMessage } from '../../machines/raft-events.ts';
import type { LogEntry } from '../../machines/types.ts';

// The schedules below are written for these timeouts (ten election timeouts stay inside one
// proposal timeout), not for whatever the defaults are.
const RAFT: Config['raft'] = { ...DEFAULT_CONFIG.raft, electionTimeoutMsMin: 300, electionTimeoutMsMax: 600 };
const MIN = RAFT.electionTimeoutMsMin;
const HB = RAFT.heartbeatIntervalMs;
const stampOf = (n: number) => `000000000000100.${String(n).padStart(6, '0')}`;

function makeCore(opts: { term?: number; entries?: LogEntry[]; raft?: Partial<Config['raft']> } = {}): RaftCore {
  let n = 0;
  return new RaftCore(
    {
      self: 'a',
      peers: ['b', 'c'],
      raft: { ...RAFT, ...(opts.raft ?? {}) },
      random: () => 0,
      stamp: () => stampOf(++n),
      observeStamp: () => {},
    },
    { hardState: { term: opts.term ?? 1, votedFor: null }, snapshot: null, entries: opts.entries ?? [] },
    0,
  );
}
const entry = (index: number, term: number, kind: 'noop' | 'command' = 'command'): LogEntry => ({ index, term, kind, hlc: '000000000000001.000000', data: kind === 'noop' ? '' : `d${index}t${term}` });
const msg = (from: string, message: RaftMessage, now = MIN + 10): RaftInput => ({ type: 'peer.message', from, message, now });
const run = (core: RaftCore, input: RaftInput): Effect[] => [...core.step(input), ...core.flush()];
const replies = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'reply' ? [{ reqId: e.reqId, result: e.result }] : []));
const sends = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [e] : []));
const codeOf = (r: { result: unknown }) => (r.result as { code?: string }).code;
const append = (term: number, prevIndex: number, prevTerm: number, entries: LogEntry[], commit: number): RaftMessage => ({ type: 'peer.appendEntries', term, prevIndex, prevTerm, entries, commit });

/** `a` leads term 2 with its no-op at 1, and has appended proposal p1 at (2, 2); nothing is committed. */
function leaderWithProposal(opts: Parameters<typeof makeCore>[0] = {}): RaftCore {
  const core = makeCore(opts);
  run(core, { type: 'tick', now: MIN, fenced: false });
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true }, MIN));
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false }, MIN));
  assert.is(core.role(), 'leader');
  const out = run(core, { type: 'client.propose', reqId: 'p1', data: 'pay', now: MIN + 1 });
  assert.equal(replies(out), []);
  assert.equal(core.log.entry(2)?.data, 'pay');
  assert.is(core.commitIndex(), 0);
  return core;
}

// ---- the leader that appended it ------------------------------------------------------------------

test('losing leadership answers nothing; when the next leader commits the entry, the answer is the normal success', () => {
  const core = leaderWithProposal();
  run(core, { type: 'local.persisted', index: 2, term: 2 });
  const deposed = run(core, msg('c', append(3, 2, 2, [], 0)));
  assert.is(core.role(), 'follower');
  assert.equal(replies(deposed), [], 'it may still commit: no answer yet');
  const out = run(core, msg('c', append(3, 2, 2, [entry(3, 3, 'noop')], 3)));
  assert.is(core.commitIndex(), 3);
  assert.equal(replies(out), [{ reqId: 'p1', result: { ok: true, index: 2, term: 2, hlc: stampOf(2) } }]);
});

test('another entry committed at its index: NOT_COMMITTED, carrying the position, safe to retry', () => {
  const core = leaderWithProposal();
  // c leads term 3 without our entry 2: its own no-op replaces it here, not yet committed.
  const replaced = run(core, msg('c', append(3, 1, 2, [entry(2, 3, 'noop')], 0)));
  assert.is(core.log.term(2), 3);
  assert.equal(replies(replaced), [], 'a different entry that is not committed proves nothing');
  const out = run(core, msg('c', { type: 'peer.heartbeat', term: 3, commit: 2, ctx: 0 }));
  assert.is(core.commitIndex(), 2);
  const r = replies(out);
  assert.is(r.length, 1);
  assert.is(r[0]!.reqId, 'p1');
  assert.equal({ ...r[0]!.result, detail: '' }, { ok: false, code: ERR.notCommitted, detail: '', leader: 'c', retryAfterMs: HB, index: 2, term: 2 });
});

test('Raft figure 8: the entry replaced by an uncommitted one can still commit under a later leader, and is then a success', () => {
  const core = leaderWithProposal();
  run(core, msg('c', append(3, 1, 2, [entry(2, 3, 'noop')], 0)));
  assert.is(core.log.term(2), 3);
  // b leads term 4 and still holds our (2, 2): it overwrites c's entry and commits beneath its own.
  const ours = { ...core.log.entry(2)!, term: 2, data: 'pay', hlc: stampOf(2), kind: 'command' as const };
  run(core, msg('b', append(4, 1, 2, [ours], 0), MIN + 20));
  assert.is(core.log.term(2), 2);
  const out = run(core, msg('b', append(4, 2, 2, [entry(3, 4, 'noop')], 3), MIN + 21));
  assert.equal(replies(out), [{ reqId: 'p1', result: { ok: true, index: 2, term: 2, hlc: stampOf(2) } }]);
});

test('a node that leads again settles the proposals of its earlier term when its new no-op commits', () => {
  const core = leaderWithProposal();
  run(core, { type: 'local.persisted', index: 2, term: 2 });
  // A reply in term 3 (c campaigned there) deposes us.
  run(core, msg('c', { type: 'peer.heartbeatReply', term: 3, ctx: 0, lastIndex: 0 }, MIN + 5));
  assert.is(core.role(), 'follower');
  assert.is(core.term(), 3);
  // Elected again in term 4 (c's campaign failed): the no-op goes to 3.
  run(core, { type: 'tick', now: 10 * MIN, fenced: false });
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 4, granted: true, pre: true }, 10 * MIN));
  run(core, msg('b', { type: 'peer.requestVoteReply', term: 4, granted: true, pre: false }, 10 * MIN));
  assert.is(core.role(), 'leader');
  assert.is(core.term(), 4);
  assert.equal([core.log.lastIndex(), core.log.lastTerm()], [3, 4]);
  const fresh = run(core, { type: 'client.propose', reqId: 'p2', data: 'again', now: 10 * MIN + 1 });
  assert.equal(replies(fresh), []);
  run(core, { type: 'local.persisted', index: 4, term: 4 });
  const out = run(core, msg('b', { type: 'peer.appendEntriesReply', term: 4, success: true, index: 4, conflictTerm: 0, conflictIndex: 0, lastIndex: 4 }, 10 * MIN + 2));
  assert.equal(replies(out).map((r) => [r.reqId, r.result.ok]), [['p1', true], ['p2', true]]);
});

test('a snapshot of a later term over the proposal: OUTCOME_UNKNOWN, carrying the position', () => {
  const core = leaderWithProposal();
  const out = run(core, msg('c', { type: 'peer.installSnapshot', term: 3, index: 5, snapTerm: 3, offset: 0, total: 2, chunk: '{}' }));
  assert.is(core.commitIndex(), 5);
  const r = replies(out);
  assert.is(r.length, 1);
  assert.equal({ ...r[0]!.result, detail: '' }, { ok: false, code: ERR.outcomeUnknown, detail: '', leader: 'c', retryAfterMs: HB, index: 2, term: 2 });
});

test('a snapshot ending in an entry of the proposal\'s own term covers it: success (log matching)', () => {
  const core = leaderWithProposal();
  const out = run(core, msg('c', { type: 'peer.installSnapshot', term: 3, index: 6, snapTerm: 2, offset: 0, total: 2, chunk: '{}' }));
  assert.equal(replies(out), [{ reqId: 'p1', result: { ok: true, index: 2, term: 2, hlc: stampOf(2) } }]);
});

test('a snapshot ending in an entry of an earlier term over the proposal: NOT_COMMITTED', () => {
  // Our no-op at 1 and proposal at 2 are term 2; a committed log ending in (5, 1) holds neither.
  const core = leaderWithProposal();
  const out = run(core, msg('c', { type: 'peer.installSnapshot', term: 3, index: 5, snapTerm: 1, offset: 0, total: 2, chunk: '{}' }));
  assert.equal(replies(out).map((r) => [r.reqId, codeOf(r)]), [['p1', ERR.notCommitted]]);
});

test('the proposal timing out: OUTCOME_UNKNOWN with its position, whether or not the node still leads', () => {
  const T = RAFT.proposalTimeoutMs;
  const core = leaderWithProposal({ raft: { checkQuorum: false } });
  assert.equal(replies(run(core, { type: 'tick', now: MIN + T, fenced: false })), []);
  const out = run(core, { type: 'tick', now: MIN + 1 + T, fenced: false });
  assert.is(core.role(), 'leader');
  assert.equal(replies(out).map((r) => [r.reqId, codeOf(r), (r.result as { index?: number }).index]), [['p1', ERR.outcomeUnknown, 2]]);
  const late = run(core, msg('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 2, conflictTerm: 0, conflictIndex: 0, lastIndex: 2 }, MIN + 2 + T));
  run(core, { type: 'local.persisted', index: 2, term: 2 });
  assert.equal(replies(late), [], 'answered once');
});

// ---- forwarded proposals: the leader's side ------------------------------------------------------

test('a forwarded proposal: the leader tells the follower where it appended it, before its fsync', () => {
  const core = leaderWithProposal();
  const out = run(core, msg('b', { type: 'peer.propose', term: 2, reqId: 'fb', data: 'theirs' }));
  const toB = sends(out).filter((s) => s.to === 'b' && s.message.type === 'peer.proposeReply');
  assert.is(toB.length, 1);
  assert.ok(toB[0]!.early, 'the notice promises nothing durable');
  const m = toB[0]!.message;
  assert.ok(m.type === 'peer.proposeReply' && !m.result.ok);
  if (m.type === 'peer.proposeReply' && !m.result.ok) {
    assert.is(m.result.code, APPENDED_NOTICE);
    assert.equal([(m.result as unknown as { index: number }).index, (m.result as unknown as { term: number }).term, (m.result as unknown as { hlc: string }).hlc], [3, 2, stampOf(3)]);
  }
});

test('a forwarded proposal delivered twice is appended once; a copy arriving after the leader fell is not answered "no leader"', () => {
  const core = leaderWithProposal();
  const ask: RaftMessage = { type: 'peer.propose', term: 2, reqId: 'fb', data: 'theirs' };
  run(core, msg('b', ask));
  const dup = run(core, msg('b', ask));
  assert.equal(dup.filter((e) => e.type === 'persist.entries'), []);
  assert.equal(sends(dup), []);
  assert.is(core.log.lastIndex(), 3);
  run(core, msg('c', append(3, 0, 0, [], 0)));
  assert.is(core.role(), 'follower');
  assert.equal(sends(run(core, msg('b', ask))), [], 'the duplicate stays silent');
  const other = run(core, msg('b', { type: 'peer.propose', term: 2, reqId: 'fb2', data: 'x' }));
  assert.equal(sends(other).map((s) => (s.message.type === 'peer.proposeReply' && !s.message.result.ok ? s.message.result.code : s.message.type)), [ERR.noLeader]);
});

test('a deposed leader answers the follower that forwarded a proposal once the commit index decides it', () => {
  const core = leaderWithProposal();
  run(core, msg('b', { type: 'peer.propose', term: 2, reqId: 'fb', data: 'theirs' }));
  run(core, { type: 'local.persisted', index: 3, term: 2 });
  run(core, msg('c', append(3, 3, 2, [], 0)));
  assert.is(core.role(), 'follower');
  const out = run(core, msg('c', append(3, 3, 2, [entry(4, 3, 'noop')], 4)));
  const toB = sends(out).filter((s) => s.to === 'b').map((s) => s.message);
  assert.equal(toB, [{ type: 'peer.proposeReply', term: 3, reqId: 'fb', result: { ok: true, index: 3, term: 2, hlc: stampOf(3) } }]);
  assert.equal(replies(out), [{ reqId: 'p1', result: { ok: true, index: 2, term: 2, hlc: stampOf(2) } }]);
});

// ---- forwarded proposals: the follower's side ----------------------------------------------------

/** `a` follows `b` in term 1 with entries up to 2 and forwarded f1, which b appended at (3, 1). */
function placedFollower(): RaftCore {
  const core = makeCore({ entries: [entry(1, 1), entry(2, 1)] });
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 10));
  const fwd = run(core, { type: 'client.propose', reqId: 'f1', data: 'pay', now: 11 });
  assert.equal(sends(fwd).map((s) => s.message.type), ['peer.propose']);
  const notice = { ok: false, code: APPENDED_NOTICE, detail: 'appended', leader: 'b', retryAfterMs: 0, index: 3, term: 1, hlc: 'H3' };
  const out = run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f1', result: notice }, 12));
  assert.equal(replies(out), [], 'the notice is not an answer');
  return core;
}

test('follower: a placed proposal survives its leader; the new leader committing the entry answers success with the leader\'s stamp', () => {
  const core = placedFollower();
  assert.equal(replies(run(core, { type: 'local.link', peer: 'b', up: false, now: 13 })), [], 'the link dropping is no answer');
  run(core, msg('b', append(1, 2, 1, [{ index: 3, term: 1, kind: 'command', hlc: 'H3', data: 'pay' }], 0), 14));
  const newer = run(core, msg('c', append(2, 3, 1, [], 0), 20));
  assert.equal(replies(newer), [], 'a new leader is no answer either');
  const out = run(core, msg('c', append(2, 3, 1, [entry(4, 2, 'noop')], 4), 21));
  assert.equal(replies(out), [{ reqId: 'f1', result: { ok: true, index: 3, term: 1, hlc: 'H3' } }]);
});

test('follower: a placed proposal whose index commits with another entry: NOT_COMMITTED', () => {
  const core = placedFollower();
  run(core, { type: 'local.link', peer: 'b', up: false, now: 13 });
  const out = run(core, msg('c', append(2, 2, 1, [entry(3, 2, 'noop')], 3), 20));
  assert.equal(replies(out).map((r) => [r.reqId, codeOf(r), (r.result as { index?: number }).index]), [['f1', ERR.notCommitted, 3]]);
});

test('follower: a notice that arrives after its index committed here is decided at once', () => {
  const core = makeCore({ entries: [entry(1, 1), entry(2, 1)] });
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 10));
  run(core, { type: 'client.propose', reqId: 'f1', data: 'pay', now: 11 });
  run(core, msg('b', append(1, 2, 1, [{ index: 3, term: 1, kind: 'command', hlc: 'H3', data: 'pay' }], 3), 12));
  assert.is(core.commitIndex(), 3);
  const notice = { ok: false, code: APPENDED_NOTICE, detail: 'appended', leader: 'b', retryAfterMs: 0, index: 3, term: 1, hlc: 'H3' };
  const out = run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f1', result: notice }, 13));
  assert.equal(replies(out), [{ reqId: 'f1', result: { ok: true, index: 3, term: 1, hlc: 'H3' } }]);
});

test('follower: a placed proposal ignores a failure that is not about its position, and takes the leader\'s verdict that is', () => {
  const core = placedFollower();
  const stray = run(core, msg('b', { type: 'peer.proposeReply', term: 1, reqId: 'f1', result: { ok: false, code: ERR.noLeader, detail: 'x', leader: null, retryAfterMs: 5 } }, 13));
  assert.equal(replies(stray), []);
  const verdict = { ok: false as const, code: ERR.notCommitted, detail: 'x', leader: 'c', retryAfterMs: 5, index: 3, term: 1 };
  const out = run(core, msg('b', { type: 'peer.proposeReply', term: 2, reqId: 'f1', result: verdict }, 14));
  assert.equal(replies(out), [{ reqId: 'f1', result: verdict }]);
});

test('follower: an unplaced forwarded proposal whose leader is gone: OUTCOME_UNKNOWN at once; a forwarded read: LEADER_CHANGED', () => {
  const core = makeCore();
  run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, 10));
  run(core, { type: 'client.propose', reqId: 'f1', data: 'pay', now: 11 });
  run(core, { type: 'client.readIndex', reqId: 'q1', now: 11 });
  const out = run(core, { type: 'local.link', peer: 'b', up: false, now: 12 });
  assert.equal(replies(out).map((r) => [r.reqId, codeOf(r)]), [['f1', ERR.outcomeUnknown], ['q1', ERR.leaderChanged]]);
});

test('follower: a placed proposal nobody decides times out with OUTCOME_UNKNOWN and its position', () => {
  const core = placedFollower();
  const T = RAFT.proposalTimeoutMs;
  // Heard from b recently enough that no election starts first; b never commits.
  for (let t = 100; t < 11 + T; t += 100) run(core, msg('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }, t));
  const out = run(core, { type: 'tick', now: 11 + T, fenced: false });
  assert.equal(replies(out).map((r) => [r.reqId, codeOf(r), (r.result as { index?: number }).index]), [['f1', ERR.outcomeUnknown, 3]]);
});

test.run();
