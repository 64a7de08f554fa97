// Rule tables for the pure Raft functions: the term gate, the vote rule, quorum arithmetic and
// the log view (up-to-date rule, conflict detection, fast-backtracking hints, compaction).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogView } from '../../machines/raft/log-view.ts';
import { majority, quorumIndex, voteResult } from '../../machines/raft/quorum.ts';
import { termGate } from '../../machines/raft/term-gate.ts';
import { shouldGrantVote } from '../../machines/raft/vote.ts';
import { parseRaftMessage, type RaftMessage } from '../../machines/raft-events.ts';
import type { LogEntry } from '../../machines/types.ts';

const e = (index: number, term: number): LogEntry => ({ index, term, kind: 'command', hlc: '000000000000001.000000', data: `d${index}` });
const vote = (term: number, pre = false, transfer = false): RaftMessage => ({ type: 'peer.requestVote', term, lastLogIndex: 0, lastLogTerm: 0, pre, transfer });
const append = (term: number): RaftMessage => ({ type: 'peer.appendEntries', term, prevIndex: 4, prevTerm: 1, entries: [], commit: 0 });

test('term gate: rule table', () => {
  const rows: Array<[string, { term: number; inLease: boolean }, RaftMessage, string, unknown?]> = [
    ['same term passes', { term: 5, inLease: false }, append(5), 'accept'],
    ['newer append: step down, sender is leader', { term: 5, inLease: true }, append(7), 'stepDown', { term: 7, leader: 'x' }],
    ['newer vote request outside lease: step down, no leader', { term: 5, inLease: false }, vote(6), 'stepDown', { term: 6, leader: null }],
    ['newer vote request inside lease: ignored', { term: 5, inLease: true }, vote(6), 'ignore'],
    ['newer vote request inside lease but a transfer: step down', { term: 5, inLease: true }, vote(6, false, true), 'stepDown', { term: 6, leader: null }],
    ['newer pre-vote never moves our term', { term: 5, inLease: false }, vote(6, true), 'accept'],
    ['granted pre-vote reply at term+1 passes', { term: 5, inLease: false }, { type: 'peer.requestVoteReply', term: 6, granted: true, pre: true }, 'accept'],
    ['refused pre-vote reply from a newer term: step down', { term: 5, inLease: false }, { type: 'peer.requestVoteReply', term: 8, granted: false, pre: true }, 'stepDown', { term: 8, leader: null }],
    ['forwarded proposal is not judged by term', { term: 5, inLease: false }, { type: 'peer.propose', term: 1, reqId: 'r', data: 'x' }, 'accept'],
    ['stale reply is dropped without answer', { term: 5, inLease: false }, { type: 'peer.heartbeatReply', term: 4, ctx: 0, lastIndex: 0 }, 'reject', null],
  ];
  for (const [name, view, msg, kind, extra] of rows) {
    const v = termGate(view, 'x', msg);
    assert.is(v.kind, kind, name);
    if (v.kind === 'stepDown') assert.equal({ term: v.term, leader: v.leader }, extra, name);
    if (v.kind === 'reject' && extra === null) assert.is(v.reply, null, name);
  }
});

test('term gate: an older leader or candidate is answered with our term', () => {
  const a = termGate({ term: 9, inLease: false }, 'x', append(3));
  assert.is(a.kind, 'reject');
  if (a.kind === 'reject') assert.equal(a.reply, { type: 'peer.appendEntriesReply', term: 9, success: false, index: 4, conflictTerm: 0, conflictIndex: 0, lastIndex: 0 });
  const v = termGate({ term: 9, inLease: false }, 'x', vote(3, true));
  if (v.kind !== 'reject') throw new Error('expected reject');
  assert.equal(v.reply, { type: 'peer.requestVoteReply', term: 9, granted: false, pre: true });
  const h = termGate({ term: 9, inLease: false }, 'x', { type: 'peer.heartbeat', term: 2, commit: 0, ctx: 0 });
  if (h.kind !== 'reject') throw new Error('expected reject');
  assert.equal(h.reply, { type: 'peer.heartbeatReply', term: 9, ctx: 0, lastIndex: 0 });
});

test('vote rule: rule table', () => {
  const me = { term: 4, votedFor: null, leader: null, inLease: false };
  const ask = { from: 'c', term: 4, pre: false, transfer: false, logUpToDate: true };
  assert.ok(shouldGrantVote(me, ask), 'fresh term, up to date');
  assert.not.ok(shouldGrantVote(me, { ...ask, logUpToDate: false }), 'log behind');
  assert.not.ok(shouldGrantVote({ ...me, votedFor: 'b' }, ask), 'already voted for another');
  assert.ok(shouldGrantVote({ ...me, votedFor: 'c' }, ask), 'same candidate again (retransmission)');
  assert.not.ok(shouldGrantVote({ ...me, leader: 'b' }, ask), 'already follows a leader this term');
  assert.not.ok(shouldGrantVote(me, { ...ask, term: 3 }), 'old term');
  assert.ok(shouldGrantVote({ ...me, votedFor: 'b' }, { ...ask, term: 5, pre: true }), 'pre-vote ignores our vote');
  assert.not.ok(shouldGrantVote(me, { ...ask, term: 4, pre: true }), 'pre-vote must ask for a later term');
  assert.not.ok(shouldGrantVote({ ...me, leader: 'b', inLease: true }, { ...ask, term: 5, pre: true }), 'pre-vote refused in lease');
  assert.ok(shouldGrantVote({ ...me, leader: 'b', inLease: true }, { ...ask, term: 5, pre: true, transfer: true }), 'transfer breaks lease');
});

test('quorum arithmetic', () => {
  assert.is(majority(1), 1);
  assert.is(majority(3), 2);
  assert.is(majority(4), 3);
  assert.is(majority(5), 3);
  assert.is(quorumIndex([9, 3, 7]), 7);
  assert.is(quorumIndex([9, 3, 7, 1, 2]), 3);
  assert.is(voteResult(['a', 'b', 'c'], { a: true }), 'pending');
  assert.is(voteResult(['a', 'b', 'c'], { a: true, b: true }), 'won');
  assert.is(voteResult(['a', 'b', 'c'], { a: true, b: false, c: false }), 'lost');
  assert.is(voteResult(['a', 'b', 'c', 'd', 'e'], { a: true, b: false, c: false }), 'pending');
});

test('log view: term lookup around the snapshot floor', () => {
  const log = new LogView(10, 2, [e(11, 2), e(12, 3), e(13, 3)]);
  assert.is(log.term(9), undefined);
  assert.is(log.term(10), 2);
  assert.is(log.term(12), 3);
  assert.is(log.term(14), undefined);
  assert.is(log.lastIndex(), 13);
  assert.is(log.lastTerm(), 3);
});

test('log view: up-to-date rule compares last term, then length', () => {
  const log = new LogView(0, 0, [e(1, 1), e(2, 2)]);
  assert.ok(log.isUpToDate(1, 3));
  assert.ok(log.isUpToDate(2, 2));
  assert.not.ok(log.isUpToDate(1, 2));
  assert.not.ok(log.isUpToDate(9, 1));
});

test('log view: conflicts, duplicates and truncation', () => {
  const log = new LogView(0, 0, [e(1, 1), e(2, 1), e(3, 2)]);
  assert.is(log.findConflict([e(2, 1), e(3, 2)]), 0, 'a duplicate is no conflict');
  assert.is(log.findConflict([e(3, 2), e(4, 2)]), 4, 'new entries start at 4');
  assert.is(log.findConflict([e(2, 1), e(3, 3)]), 3, 'term mismatch at 3');
  log.truncateFrom(3);
  assert.is(log.lastIndex(), 2);
});

test('log view: fast-backtracking hints', () => {
  const log = new LogView(0, 0, [e(1, 1), e(2, 1), e(3, 2), e(4, 2), e(5, 2), e(6, 4)]);
  assert.is(log.firstIndexOfTermAt(5), 3);
  assert.is(log.lastIndexOfTerm(2), 5);
  assert.is(log.lastIndexOfTerm(3), 0, 'no entry of term 3');
});

test('log view: batches are bounded by count and bytes but always carry one entry', () => {
  const big = (i: number): LogEntry => ({ ...e(i, 1), data: 'x'.repeat(1000) });
  const log = new LogView(0, 0, [big(1), big(2), big(3), e(4, 1)]);
  assert.is(log.batch(1, 2, 1_000_000).length, 2);
  assert.is(log.batch(1, 10, 2200).length, 2);
  assert.is(log.batch(1, 10, 10).length, 1);
});

test('log view: compaction and snapshot restore', () => {
  const log = new LogView(0, 0, [e(1, 1), e(2, 1), e(3, 2)]);
  log.compact(2, 1);
  assert.is(log.firstIndex(), 3);
  assert.is(log.term(2), 1);
  assert.equal(log.slice(1, 3).map((x) => x.index), [3]);
  const other = new LogView(0, 0, [e(1, 1), e(2, 1), e(3, 2)]);
  other.restore(3, 5);
  assert.is(other.lastIndex(), 3);
  assert.is(other.size(), 0, 'a snapshot that contradicts the log replaces it');
});

test('peer message shapes: malformed input is refused, not thrown', () => {
  assert.ok(parseRaftMessage({ type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 }));
  assert.is(parseRaftMessage({ type: 'peer.heartbeat', term: -1, commit: 0, ctx: 0 }), null);
  assert.is(parseRaftMessage({ type: 'peer.heartbeat', term: 1, commit: 'x', ctx: 0 }), null);
  assert.is(parseRaftMessage({ type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [e(2, 1)] }), null, 'gap');
  assert.ok(parseRaftMessage({ type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [e(1, 1)] }));
  assert.is(parseRaftMessage({ type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1 }] }), null);
  assert.is(parseRaftMessage({ type: 'peer.unknown', term: 1 }), null);
  assert.is(parseRaftMessage({ type: 'peer.proposeReply', term: 1, reqId: 'r', result: { ok: false } }), null);
});

test.run();
