// Specs for the two consensus shells around the shared engine: the order of effects against a
// LogStore we hold back by hand (nothing that promises durability leaves before the fsync),
// validation of peer input, restore of the ledger on boot, and the ConsensusApi face.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ActorEnv, ActorEvent, NodeActor } from '../../actors/actor.ts';
import type { Clock, LogStore, RecoveredLog } from '../../actors/ports.ts';
import { LeaderElectionActor } from '../../actors/leader-election.actor.ts';
import { LogReplicationActor } from '../../actors/log-replication.actor.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import type { ActorId, HardState, LogEntry, PeerMessage } from '../../machines/types.ts';
import { createPrng } from '../harness/prng.ts';
import { settle } from '../harness/scheduler.ts';
import { captureLogger, type CapturedLine } from '../support/quiet-ports.ts';
import { textOf } from '../../machines/snapshot-text.ts';

let advance: (ms: number) => void = () => {};

interface Rig {
  env: ActorEnv;
  sent: Array<{ to: string; message: PeerMessage }>;
  deliver: (from: string, m: Record<string, unknown>) => void;
  held: Array<{ what: string; release: () => void }>;
  toLedger: ActorEvent[];
  lines: CapturedLine[];
  subscribers: () => number;
  /** The transport reports a link change to whoever listens. */
  linkState: (peer: string, up: boolean) => void;
  linkSubscribers: () => number;
  actors: Map<ActorId, NodeActor>;
}

function rig(recovered: RecoveredLog = { hardState: { term: 1, votedFor: null }, snapshot: null, entries: [] },
  /** The clock's `defer`: a microtask by default; `setImmediate` where a spec tells turns apart, as the runtime does. */
  defer: (fn: () => void) => void = (fn) => queueMicrotask(fn)): Rig {
  const sent: Rig['sent'] = [];
  const held: Rig['held'] = [];
  const toLedger: ActorEvent[] = [];
  const lines: CapturedLine[] = [];
  const handlers = new Set<(from: string, m: PeerMessage) => void>();
  const linkHandlers = new Set<(peer: string, up: boolean) => void>();
  const hold = (what: string): Promise<void> => new Promise((resolve) => held.push({ what, release: resolve }));
  const store: LogStore = {
    load: async () => recovered,
    saveHardState: (h: HardState) => hold(`hardState ${h.term}/${h.votedFor}`),
    append: (es: readonly LogEntry[]) => hold(`append ${es.map((e) => e.index).join(',')}`),
    truncateFrom: (i: number) => hold(`truncate ${i}`),
    saveSnapshot: (m) => hold(`snapshot ${m.index}`),
    close: async () => {},
  };
  // A hand-driven clock: timers wait until the spec fires them with `advance`.
  let mono = 5;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let timerSeq = 0;
  const clock: Clock = {
    now: () => 1_000_000 + mono,
    monotonicNow: () => mono,
    setTimeout: (fn, ms) => (timers.set(++timerSeq, { at: mono + ms, fn }), timerSeq),
    clearTimeout: (id) => void timers.delete(id as number),
    defer,
  };
  advance = (ms: number) => {
    mono += ms;
    for (const [id, t] of [...timers]) {
      if (t.at <= mono) {
        timers.delete(id);
        t.fn();
      }
    }
  };
  const actors = new Map<ActorId, NodeActor>();
  const logger = captureLogger(lines);
  const env: ActorEnv = {
    nodeId: 'a',
    peers: ['b', 'c'],
    config: DEFAULT_CONFIG,
    ports: {
      transport: {
        self: 'a',
        send: (to, message) => (sent.push({ to, message }), true),
        subscribe: (h) => (handlers.add(h), () => void handlers.delete(h)),
        onLinkState: (h) => (linkHandlers.add(h), () => void linkHandlers.delete(h)),
        connectedPeers: () => ['b', 'c'],
      },
      logStore: store,
      clock,
      random: createPrng(3),
      logger,
      trace: () => {},
    },
    logger,
    send: (to, event) => {
      if (to === 'ledger') toLedger.push(event);
    },
    lookup: <A extends NodeActor = NodeActor>(id: ActorId) => actors.get(id) as A | undefined,
    fail: (err) => {
      throw err;
    },
  };
  return {
    env,
    sent,
    held,
    toLedger,
    lines,
    actors,
    deliver: (from, m) => {
      for (const h of [...handlers]) h(from, m as unknown as PeerMessage);
    },
    subscribers: () => handlers.size,
    linkState: (peer, up) => {
      for (const h of [...linkHandlers]) h(peer, up);
    },
    linkSubscribers: () => linkHandlers.size,
  };
}

async function boot(r: Rig): Promise<LogReplicationActor> {
  const lr = new LogReplicationActor(r.env);
  const le = new LeaderElectionActor(r.env);
  r.actors.set('log-replication', lr);
  r.actors.set('leader-election', le);
  await lr.start();
  await le.start();
  return lr;
}

test('a vote reply is sent only after the vote is on disk', async () => {
  const r = rig();
  await boot(r);
  r.deliver('c', { type: 'peer.requestVote', term: 2, lastLogIndex: 0, lastLogTerm: 0, pre: false, transfer: false });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['hardState 2/null']);
  assert.equal(r.sent, [], 'nothing leaves while the term change is in flight');
  r.held.shift()!.release();
  await settle();
  assert.equal(r.held.map((h) => h.what), ['hardState 2/c']);
  assert.equal(r.sent, []);
  r.held.shift()!.release();
  await settle();
  assert.equal(r.sent, [{ to: 'c', message: { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false } }]);
});

test('an append is acknowledged only after its entries are on disk; what the leader says is committed is applied at once', async () => {
  const r = rig();
  await boot(r);
  const e1: LogEntry = { index: 1, term: 1, kind: 'noop', hlc: '000000000000001.000000', data: '' };
  r.deliver('b', { type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, entries: [e1], commit: 1 });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['append 1']);
  assert.equal(r.sent, [], 'no acknowledgement while the entry is not on disk');
  // Committed means durable on a majority already: applying it does not wait for our own copy.
  assert.equal(r.toLedger, [{ type: 'log.committed', entries: [e1] }]);
  r.held.shift()!.release();
  await settle();
  assert.equal(r.sent.map((s) => s.message.type), ['peer.appendEntriesReply']);
});

test('malformed peer input is logged and dropped, never thrown', async () => {
  const r = rig();
  const lr = await boot(r);
  r.deliver('b', { type: 'peer.appendEntries', term: 'seven' });
  r.deliver('b', { type: 'peer.heartbeat', term: 1, commit: -3, ctx: 0 });
  r.deliver('b', { type: 'peer.somethingElse', term: 1 });
  await settle();
  assert.is(r.lines.filter((l) => l.level === 'warn').length, 2, 'foreign peer.* types belong to other actors');
  assert.is(lr.api.status().term, 1);
  assert.equal(r.held, []);
});

test('boot from a snapshot restores the ledger sibling and serves committedHistory', async () => {
  const entries: LogEntry[] = [{ index: 11, term: 2, kind: 'command', hlc: '000000000000001.000000', data: 'x' }];
  const r = rig({ hardState: { term: 2, votedFor: 'b' }, snapshot: { meta: { index: 10, term: 2 }, data: textOf('S') }, entries });
  const lr = await boot(r);
  assert.equal(r.toLedger, [{ type: 'ledger.restore', index: 10, term: 2, data: ['S'] }]);
  const h = lr.api.committedHistory();
  assert.equal(h.snapshot, { index: 10, term: 2, data: ['S'] });
  assert.equal(h.entries, [], 'entry 11 is not known to be committed yet');
  const s = lr.api.status();
  assert.equal([s.term, s.votedFor, s.lastIndex, s.snapshotIndex, s.commitIndex], [2, 'b', 11, 10, 10]);
});

test('stop unsubscribes from the transport and fails what is still waiting', async () => {
  const r = rig();
  const lr = await boot(r);
  r.deliver('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 });
  await settle();
  const pending = lr.api.propose('pay');
  await settle();
  assert.equal(r.sent.filter((s) => s.message.type === 'peer.propose').length, 1, 'forwarded to the leader');
  await lr.stop();
  assert.is(r.subscribers(), 0);
  assert.is(r.linkSubscribers(), 0, 'nor listens to link changes');
  const result = await pending;
  assert.is(result.ok, false);
  if (!result.ok) assert.is(result.code, 'SYNCPAY_ERR_STOPPED');
});

test('the link to the leader going down fails a forwarded proposal it never placed at once (outcome unknown); the next one waits for a leader', async () => {
  const r = rig();
  const lr = await boot(r);
  assert.is(r.linkSubscribers(), 1);
  r.deliver('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 });
  await settle();
  const pending = lr.api.propose('pay');
  await settle();
  assert.equal(r.sent.filter((s) => s.message.type === 'peer.propose').map((s) => s.to), ['b']);
  r.linkState('b', false);
  const result = await pending; // no time passes: the answer does not wait for any timer
  assert.is(result.ok, false);
  if (!result.ok) assert.is(result.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
  let answered = false;
  const next = lr.api.propose('pay again').then((x) => ((answered = true), x));
  await settle();
  assert.not.ok(answered, 'held while no leader is reachable');
  assert.equal(r.sent.filter((s) => s.message.type === 'peer.propose').length, 1, 'and not sent into the dead link');
  r.linkState('b', true);
  await settle();
  const forwarded = r.sent.filter((s) => s.message.type === 'peer.propose');
  assert.is(forwarded.length, 2, 'forwarded once the link is back');
  const reqId = (forwarded[1]!.message as unknown as { reqId: string }).reqId;
  r.deliver('b', { type: 'peer.proposeReply', term: 1, reqId, result: { ok: true, index: 3, term: 1, hlc: '000000000000001.000000' } });
  const done = await next;
  assert.ok(done.ok);
});

test('the leader sends appends while its own write is in flight, and commits only after it is durable', async () => {
  const r = rig();
  const lr = await boot(r);
  assert.is(lr.api.leader(), null, 'no leader known before the election');
  advance(DEFAULT_CONFIG.raft.electionTimeoutMsMax + 1);
  await settle();
  r.deliver('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['hardState 2/a'], 'the candidate persists its vote first');
  assert.equal(r.sent.filter((s) => s.message.type === 'peer.requestVote' && s.message.pre === false), [], 'and asks only after');
  r.held.shift()!.release();
  await settle();
  r.deliver('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false });
  await settle();
  assert.is(lr.api.status().role, 'leader');
  assert.is(lr.api.leader(), 'a', 'leader() names this node, as status() does');
  assert.is(lr.api.status().leader, 'a');
  assert.equal(r.held.map((h) => h.what), ['append 1'], 'the no-op is being written');
  assert.equal(r.sent.filter((s) => s.message.type === 'peer.appendEntries').map((s) => s.to).sort(), ['b', 'c'], 'and is already on its way');
  r.held.shift()!.release();
  await settle();
  const result = lr.api.propose('pay');
  await settle();
  assert.equal(r.held.map((h) => h.what), ['append 2']);
  r.deliver('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 2, conflictTerm: 0, conflictIndex: 0, lastIndex: 2 });
  await settle();
  let settledEarly = false;
  void result.then(() => (settledEarly = true));
  await settle();
  assert.not.ok(settledEarly, 'b alone does not commit while our own copy is not durable');
  const committed = (): number[][] => r.toLedger.map((e) => (e.entries as LogEntry[]).map((x) => x.index));
  assert.equal(committed(), [[1]], 'b and our durable no-op commit the no-op; the payment waits for our own write');
  r.held.shift()!.release();
  const done = await result;
  assert.ok(done.ok);
  if (done.ok) assert.equal([done.index, done.term], [2, 2]);
  assert.equal(committed(), [[1], [2]], 'the payment reaches the ledger once it is durable here too');
});

test('a client proposal goes out to the followers within the turn it was made', async () => {
  // The runtime's defer: the next turn of the event loop. The HTTP layer proposes a turn's
  // requests at the turn's end; waiting one more turn would hold them behind another turn's work.
  const r = rig(undefined, (fn) => void setImmediate(fn));
  const lr = await boot(r);
  await electSelf(r);
  assert.is(lr.api.status().role, 'leader');
  // Both followers hold the no-op: appends to them are no longer one at a time (probing).
  for (const peer of ['b', 'c']) r.deliver(peer, { type: 'peer.appendEntriesReply', term: 2, success: true, index: 1, conflictTerm: 0, conflictIndex: 0, lastIndex: 1 });
  await settle();
  const appendsOf = (data: string): string[] => r.sent
    .filter((s) => s.message.type === 'peer.appendEntries' && (s.message.entries as LogEntry[]).some((e) => e.data === data)).map((s) => s.to).sort();
  const sentWithinTurn = await new Promise<string[]>((resolve) => {
    setImmediate(() => {
      void lr.api.propose('pay');
      // Microtasks only: still the same turn.
      void Promise.resolve().then(() => Promise.resolve()).then(() => resolve(appendsOf('pay')));
    });
  });
  assert.equal(sentWithinTurn, ['b', 'c'], 'the proposal left in the turn it was made');
});

test('describe reports both machines', async () => {
  const r = rig();
  const lr = await boot(r);
  assert.is(lr.describe().state, 'following');
  assert.is(r.actors.get('leader-election')!.describe().state, 'follower');
});

/** Lets the oldest held write finish and everything it unblocks run. */
async function releaseNext(r: Rig): Promise<void> {
  r.held.shift()!.release();
  await settle();
}

/** Makes this node (a) leader of term 2 with its no-op durable. */
async function electSelf(r: Rig): Promise<void> {
  advance(DEFAULT_CONFIG.raft.electionTimeoutMsMax + 1);
  await settle();
  r.deliver('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: true });
  await settle();
  await releaseNext(r); // the vote for ourselves
  r.deliver('b', { type: 'peer.requestVoteReply', term: 2, granted: true, pre: false });
  await settle();
  await releaseNext(r); // the no-op
}

test('a timer that fires late is judged after the messages read in the same turn: a stall of our own starts no election', async () => {
  const r = rig();
  const lr = await boot(r);
  r.deliver('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 });
  await settle();
  assert.is(lr.api.leader(), 'b');
  r.sent.length = 0;
  // This process was away past its election timeout; meanwhile the leader's heartbeat arrived.
  // The event loop runs the due timer first, then reads the socket, in the same turn.
  advance(DEFAULT_CONFIG.raft.electionTimeoutMsMax + 1);
  r.deliver('b', { type: 'peer.heartbeat', term: 1, commit: 0, ctx: 0 });
  await settle();
  assert.is(lr.api.status().role, 'follower');
  assert.is(lr.api.leader(), 'b');
  assert.equal(r.sent.filter((m) => m.message.type === 'peer.requestVote'), [], 'no pre-vote for a leader that just spoke');
  // Silence that is real still starts one.
  advance(DEFAULT_CONFIG.raft.electionTimeoutMsMax + 1);
  await settle();
  assert.is(lr.api.status().role, 'preCandidate');
  assert.equal(r.sent.filter((m) => m.message.type === 'peer.requestVote').map((m) => m.to).sort(), ['b', 'c']);
});

test('a tick deferred when leader-election stops in the same turn is dropped: time does not move on without it', async () => {
  const r = rig();
  await boot(r);
  r.sent.length = 0;
  advance(DEFAULT_CONFIG.raft.electionTimeoutMsMax + 1);
  void r.actors.get('leader-election')!.stop();
  await settle();
  assert.equal(r.sent.filter((m) => m.message.type === 'peer.requestVote'), [], 'no election once leader-election has stopped');
});

test('a new term is on disk before any entry of that term is written', async () => {
  const r = rig();
  await boot(r);
  const e1: LogEntry = { index: 1, term: 3, kind: 'noop', hlc: '000000000000001.000000', data: '' };
  r.deliver('b', { type: 'peer.appendEntries', term: 3, prevIndex: 0, prevTerm: 0, entries: [e1], commit: 0 });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['hardState 3/null'], 'the append is not even started');
  await releaseNext(r);
  assert.equal(r.held.map((h) => h.what), ['append 1']);
  assert.equal(r.sent, []);
  await releaseNext(r);
  assert.equal(r.sent.map((s) => s.message.type), ['peer.appendEntriesReply']);
});

test('the leader keeps stepping proposals while earlier writes are in flight, and acknowledges in order', async () => {
  const r = rig();
  const lr = await boot(r);
  await electSelf(r);
  assert.is(lr.api.status().role, 'leader');
  const first = lr.api.propose('one');
  await settle();
  const second = lr.api.propose('two');
  await settle();
  assert.equal(r.held.map((h) => h.what), ['append 2', 'append 3'], 'the second write starts while the first is held');
  r.deliver('b', { type: 'peer.appendEntriesReply', term: 2, success: true, index: 3, conflictTerm: 0, conflictIndex: 0, lastIndex: 3 });
  await settle();
  const answered: string[] = [];
  void first.then(() => answered.push('one'));
  void second.then(() => answered.push('two'));
  // The second write finishing first proves nothing: durability is reported in write order.
  r.held[1]!.release();
  await settle();
  assert.equal(answered, [], 'nothing commits while the earlier write is still in flight');
  r.held[0]!.release();
  await settle();
  assert.equal(answered, ['one', 'two']);
});

test('writing this node\'s own snapshot holds no acknowledgement back', async () => {
  const r = rig();
  // Snapshot as soon as more than one entry is applied; the ledger hands over what it applied.
  (r.env as { config: Config }).config = { ...DEFAULT_CONFIG, raft: { ...DEFAULT_CONFIG.raft, snapshotEntriesThreshold: 1 } };
  r.actors.set('ledger', { api: { snapshotData: () => ({ appliedIndex: 3, data: 'ledger at 3' }) } } as unknown as NodeActor);
  const lr = await boot(r);
  const entry = (index: number): LogEntry => ({ index, term: 1, kind: 'noop', hlc: `00000000000000${index}.000000`, data: '' });
  r.deliver('b', { type: 'peer.appendEntries', term: 1, prevIndex: 0, prevTerm: 0, entries: [entry(1), entry(2), entry(3)], commit: 3 });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['append 1,2,3', 'snapshot 3'], 'the compaction is written after the entries it covers');
  r.held.shift()!.release();
  await settle();
  r.deliver('b', { type: 'peer.appendEntries', term: 1, prevIndex: 3, prevTerm: 1, entries: [entry(4)], commit: 3 });
  await settle();
  assert.equal(r.held.map((h) => h.what), ['snapshot 3', 'append 4']);
  r.held.pop()!.release();
  await settle();
  const acks = r.sent.filter((s) => s.message.type === 'peer.appendEntriesReply').map((s) => (s.message as unknown as { index: number }).index);
  assert.equal(acks, [3, 4], 'entry 4 is acknowledged while the snapshot file is still being written');
  const stopping = lr.stop();
  let stopped = false;
  void stopping.then(() => (stopped = true));
  await settle();
  assert.is(stopped, false, 'stop waits for the snapshot being written');
  r.held.shift()!.release();
  await stopping;
});


test('at the cap on write batches in flight the loop waits for the disk, sends nothing meanwhile, and traces a long wait', async () => {
  const r = rig();
  const traces: Array<{ type: string; [k: string]: unknown }> = [];
  const env = r.env as { config: Config; ports: ActorEnv['ports'] };
  env.config = { ...DEFAULT_CONFIG, raft: { ...DEFAULT_CONFIG.raft, writeBatchesInFlightMax: 2 } };
  env.ports = { ...env.ports, trace: (e) => void traces.push(e) };
  const lr = await boot(r);
  await electSelf(r);
  assert.is(lr.api.status().role, 'leader');
  void lr.api.propose('one');
  await settle();
  void lr.api.propose('two');
  await settle();
  assert.equal(r.held.map((h) => h.what), ['append 2', 'append 3']);
  const sentBefore = r.sent.length;
  const wait = 3 * DEFAULT_CONFIG.raft.heartbeatIntervalMs;
  advance(wait);
  await settle();
  assert.is(r.sent.length, sentBefore, 'no heartbeat leaves while the loop waits for the disk');
  assert.not.ok(traces.some((t) => t.type === 'log.writesWaited'));
  r.held[0]!.release();
  r.held[1]!.release();
  await settle();
  assert.equal(traces.filter((t) => t.type === 'log.writesWaited').map((t) => t['ms']), [wait]);
  assert.ok(r.sent.length > sentBefore, 'the heartbeats due go out once the writes are durable');
  // A wait shorter than a heartbeat interval is not worth a trace.
  void lr.api.propose('three');
  await settle();
  void lr.api.propose('four');
  await settle();
  advance(DEFAULT_CONFIG.raft.heartbeatIntervalMs / 2);
  for (const h of r.held.slice(2)) h.release();
  await settle();
  assert.is(traces.filter((t) => t.type === 'log.writesWaited').length, 1);
});

test('a node whose ledger is restoring a snapshot does not campaign until the restore is done', async () => {
  const r = rig();
  let restoring = true;
  r.actors.set('ledger', { id: 'ledger', api: { restoring: () => restoring } } as unknown as NodeActor);
  await boot(r);
  const asks = () => r.sent.filter((s) => s.message.type === 'peer.requestVote');
  advance(3 * DEFAULT_CONFIG.raft.electionTimeoutMsMax);
  await settle();
  assert.equal(asks(), [], 'no pre-vote while restoring');
  restoring = false;
  advance(2 * DEFAULT_CONFIG.raft.electionTimeoutMsMax);
  await settle();
  assert.ok(asks().length > 0 && asks().every((s) => (s.message as unknown as { pre: boolean }).pre), 'a pre-vote once the ledger is whole');
});

test.run();
