// Named cluster scenarios on the simulator, each scripted step by step on the real consensus
// actors. Every event still passes all safety checkers; the assertions here are about what the
// scenario is for (who leads, what commits, how fast, what survives a crash).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster } from '../harness/cluster.ts';
import { ERR, placementOf, type ProposeResult } from '../../machines/raft/effects.ts';

const MAX_ELECTION = 600;

async function withLeader(seed: number, nodes = 3, raft: ConstructorParameters<typeof Cluster>[0]['raft'] = {}): Promise<{ c: Cluster; leader: string }> {
  // These scenarios propose hand-written strings and assert on them: the recorder stand-in applies them.
  const c = new Cluster({ seed, nodes, traceLines: 80, ledger: 'recorder', raft });
  await c.start();
  assert.ok(await c.runUntil(() => c.leader() !== null, 3 * MAX_ELECTION), `seed ${seed}: no first leader`);
  const leader = c.leader()!;
  // Let the no-op commit so the cluster is settled.
  assert.ok(await c.runUntil(() => c.converged(), 1000), `seed ${seed}: first term did not settle`);
  return { c, leader };
}

function ok(c: Cluster, cond: boolean, what: string): void {
  if (!cond || c.violation) {
    const why = c.violation ? `\n${c.violation.message}` : '';
    assert.unreachable(`${what}${why}\n${c.trace().join('\n')}`);
  }
}

async function settled(c: Cluster, p: Promise<ProposeResult>, ms: number): Promise<ProposeResult | null> {
  let out: ProposeResult | null = null;
  void p.then((r) => (out = r));
  await c.runUntil(() => out !== null, ms);
  return out;
}

test('partition 2-1, leader isolated: the majority elects a new leader and commits; the old one cannot', async () => {
  const { c, leader } = await withLeader(11);
  c.net.isolate(leader);
  const cutAt = c.sched.now();
  const others = c.ids.filter((id) => id !== leader);
  ok(c, await c.runUntil(() => c.leader() !== null && c.leader() !== leader, 2 * MAX_ELECTION + 200), 'a new leader within twice the election timeout');
  const newLeader = c.leader()!;
  assert.ok(others.includes(newLeader));
  const stale = settled(c, c.propose(leader, 'on the minority side'), 1);
  const fresh = await settled(c, c.propose(newLeader, 'on the majority side'), 500);
  ok(c, fresh !== null && fresh.ok, 'the majority commits');
  ok(c, await c.runUntil(() => c.node(leader).core()!.role() !== 'leader', 2 * MAX_ELECTION), 'check-quorum deposes the isolated leader');
  const minority = await stale;
  assert.ok(minority === null || !minority.ok, 'nothing is acknowledged on the minority side');
  assert.ok(c.sched.now() - cutAt < 4 * MAX_ELECTION);
  c.net.heal();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'the old leader rejoins as a follower and catches up');
  assert.is(c.node(leader).core()!.role(), 'follower');
  ok(c, c.finalCheck(), 'final checks');
  c.shutdown();
});

test('one-way partition: a leader that can hear but not speak is replaced; healing converges', async () => {
  const { c, leader } = await withLeader(12);
  for (const other of c.ids) if (other !== leader) c.net.cutLink(leader, other);
  ok(c, await c.runUntil(() => c.leader() !== null && c.leader() !== leader, 3 * MAX_ELECTION), 'followers elect another leader');
  ok(c, await c.runUntil(() => c.node(leader).core()!.role() === 'follower', 2 * MAX_ELECTION), 'the mute leader learns the newer term and steps down');
  const r = await settled(c, c.propose(c.leader()!, 'after one-way cut'), 1000);
  ok(c, r !== null && r.ok, 'the new leader commits');
  c.net.heal();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'converges after heal');
  ok(c, c.finalCheck(), 'final checks');
  c.shutdown();
});

test('one-way partition towards a follower: pre-vote keeps the deaf follower from disrupting the leader', async () => {
  const { c, leader } = await withLeader(13);
  const deaf = c.ids.find((id) => id !== leader)!;
  c.net.cutLink(leader, deaf);
  const termBefore = c.node(leader).core()!.term();
  await c.runFor(5 * MAX_ELECTION);
  ok(c, c.leader() === leader, 'the leader keeps its place');
  assert.is(c.node(leader).core()!.term(), termBefore, 'no term inflation from the deaf follower');
  c.net.heal();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'converges after heal');
  c.shutdown();
});

test('crash and restart loses unsynced writes, never acknowledged ones', async () => {
  const { c, leader } = await withLeader(14);
  const [a, b] = c.ids.filter((id) => id !== leader) as [string, string];
  // b lags behind: only a can make a majority with the leader.
  c.net.cutLink(leader, b);
  const acked = await settled(c, c.propose(leader, 'X'), 500);
  ok(c, acked !== null && acked.ok, 'X is acknowledged (leader + a)');
  // Power loss on both the leader and a the instant X is acknowledged.
  c.crash(leader, true, true);
  c.crash(a, true, true);
  c.net.heal();
  await c.restart(a);
  ok(c, await c.runUntil(() => c.leader() !== null, 4 * MAX_ELECTION), 'a and b elect a leader without the old one');
  assert.is(c.leader(), a, 'only a holds X, so only a can win');
  const after = await settled(c, c.propose(a, 'Y'), 1000);
  ok(c, after !== null && after.ok, 'the new leader commits');
  await c.restart(leader);
  ok(c, await c.runUntil(() => c.converged(), 3000), 'the old leader rejoins');
  ok(c, c.finalCheck(), 'X is still committed where it was acknowledged');
  c.shutdown();
});

test('a crash loses a suffix that was never synced, and recovery does not resurrect it', async () => {
  const { c, leader } = await withLeader(15);
  for (const other of c.ids) if (other !== leader) c.net.cutLink(leader, other);
  void c.propose(leader, 'never synced');
  await c.runFor(0.1);
  const lastBefore = c.node(leader).core()!.log.lastIndex();
  c.crash(leader, false, true);
  c.net.heal();
  await c.restart(leader);
  const lastAfter = c.node(leader).core()!.log.lastIndex();
  assert.ok(lastAfter < lastBefore, `the unsynced entry is gone (${lastBefore} -> ${lastAfter})`);
  ok(c, await c.runUntil(() => c.converged(), 4000), 'converges');
  ok(c, c.finalCheck(), 'final checks');
  c.shutdown();
});

test('lagging follower catches up by InstallSnapshot (in chunks)', async () => {
  const { c, leader } = await withLeader(16);
  const lagger = c.ids.find((id) => id !== leader)!;
  c.crash(lagger);
  const n = c.config.raft.snapshotEntriesThreshold * 3;
  for (let i = 0; i < n; i++) void c.propose(leader, `bulk${i}`);
  ok(c, await c.runUntil(() => (c.node(leader).core()?.log.snapshotIndex() ?? 0) > 0, 3000), 'the leader compacts');
  const sent: number[] = [];
  c.net.onSend = (_from, to, m) => {
    if (to === lagger && m.type === 'peer.installSnapshot') sent.push(m.offset as number);
  };
  await c.restart(lagger);
  ok(c, await c.runUntil(() => c.converged(), 5000), 'the lagging follower converges');
  assert.ok(sent.length > 1, `the snapshot went in several chunks (${sent.length})`);
  assert.ok(c.node(lagger).core()!.log.snapshotIndex() > 0, 'it installed a snapshot');
  ok(c, c.finalCheck(), 'final checks');
  c.shutdown();
});

test('a follower restarted with an empty data directory catches up through InstallSnapshot', async () => {
  const { c, leader } = await withLeader(17);
  const n = c.config.raft.snapshotEntriesThreshold * 2;
  for (let i = 0; i < n; i++) void c.propose(leader, `bulk${i}`);
  ok(c, await c.runUntil(() => c.converged() && (c.node(leader).core()?.log.snapshotIndex() ?? 0) > 0, 4000), 'compacted and converged');
  const wiped = c.ids.find((id) => id !== leader)!;
  c.crash(wiped);
  (c.node(wiped) as unknown as { deps: { disk: { wipe(): void } } }).deps.disk.wipe();
  await c.restart(wiped);
  assert.is(c.node(wiped).core()!.log.lastIndex(), 0);
  ok(c, await c.runUntil(() => c.converged(), 5000), 'the wiped follower converges');
  assert.ok(c.node(wiped).core()!.log.snapshotIndex() > 0, 'through a snapshot');
  c.shutdown();
});

test('leader transfer: the chosen follower takes over with no election gap', async () => {
  const { c, leader } = await withLeader(18);
  for (let i = 0; i < 5; i++) void c.propose(leader, `before${i}`);
  await c.runFor(50);
  const target = c.ids.find((id) => id !== leader)!;
  let result: { ok: boolean; leader?: string } | null = null;
  const t0 = c.sched.now();
  void c.api(leader)!.transferLeadership(target).then((r) => (result = r as never));
  ok(c, await c.runUntil(() => c.leader() === target && result !== null, 1000), 'the target leads and the call resolves');
  const took = c.sched.now() - t0;
  assert.ok(took < c.config.raft.electionTimeoutMsMin, `handover took ${took} ms, less than one election timeout`);
  assert.ok(result!.ok);
  const r = await settled(c, c.propose(target, 'after transfer'), 500);
  ok(c, r !== null && r.ok, 'writes continue on the new leader');
  ok(c, await c.runUntil(() => c.converged(), 2000), 'converges');
  c.shutdown();
});

test('leader transfer without a target picks the most up-to-date follower', async () => {
  const { c, leader } = await withLeader(19, 5);
  const [x, y, w, z] = c.ids.filter((id) => id !== leader) as [string, string, string, string];
  c.net.cutLink(leader, x);
  c.net.cutLink(leader, y);
  const first = await settled(c, c.propose(leader, 'w and z have this'), 500);
  ok(c, first !== null && first.ok, 'committed by leader, w and z');
  c.net.cutLink(leader, w);
  void c.propose(leader, 'only z has this');
  await c.runFor(30);
  assert.is(c.node(z).core()!.log.lastIndex(), c.node(leader).core()!.log.lastIndex());
  assert.ok(c.node(w).core()!.log.lastIndex() < c.node(z).core()!.log.lastIndex());
  let result: { ok: boolean; leader?: string } | null = null;
  void c.api(leader)!.transferLeadership().then((r) => (result = r as never));
  ok(c, await c.runUntil(() => result !== null && c.leader() !== null && c.leader() !== leader, 1500), 'the transfer resolves and a new leader is elected');
  assert.is(c.leader(), z, 'the follower with the longest matching log');
  assert.ok(result!.ok);
  c.net.heal();
  ok(c, await c.runUntil(() => c.converged(), 3000), 'converges');
  c.shutdown();
});

test('kill -9 the leader under a steady stream: a new leader commits within twice the maximum election timeout', async () => {
  const took: number[] = [];
  for (const [seed, nodes] of [[20, 3], [23, 3], [24, 5], [25, 3], [26, 5], [27, 3]] as const) {
    const { c, leader } = await withLeader(seed, nodes);
    c.startWorkload(c.sched.now() + 4000, 10);
    await c.runFor(300);
    const killedAt = c.sched.now();
    c.crash(leader, true);
    const commitBefore = Math.max(...c.ids.filter((id) => id !== leader).map((id) => c.node(id).core()!.commitIndex()));
    const committedInNewTerm = (): boolean => {
      const l = c.leader();
      if (l === null || l === leader) return false;
      const core = c.node(l).core()!;
      return core.commitIndex() > commitBefore && core.log.term(core.commitIndex()) === core.term();
    };
    ok(c, await c.runUntil(committedInNewTerm, 2 * MAX_ELECTION), `seed ${seed}: a new leader commits in its own term within 2x the max election timeout`);
    took.push(Math.round(c.sched.now() - killedAt));
    await c.restart(leader);
    ok(
      c,
      await c.runUntil(() => c.node(leader).core()!.role() === 'follower' && c.node(leader).core()!.commitIndex() >= commitBefore, 2000),
      `seed ${seed}: the restarted node rejoins as follower and its commit index catches up`,
    );
    await c.runFor(4000);
    ok(c, await c.runUntil(() => c.converged(), 3000), `seed ${seed}: converges once the stream ends`);
    ok(c, c.finalCheck(), 'final checks');
    c.shutdown();
  }
  console.log(`failover (simulated ms from kill -9 to a commit in the new term): ${took.join(', ')}`);
});

test('durability: every node killed right after acknowledged proposals keeps every acknowledged entry', async () => {
  const { c, leader } = await withLeader(21);
  const acked: Array<{ index: number; data: string }> = [];
  for (let i = 0; i < 20; i++) {
    const data = `durable${i}`;
    void c.propose(leader, data).then((r) => r.ok && acked.push({ index: r.index, data }));
  }
  ok(c, await c.runUntil(() => acked.length === 20, 2000), 'all acknowledged');
  for (const id of c.ids) c.crash(id, true, true);
  for (const id of c.ids) await c.restart(id);
  ok(c, await c.runUntil(() => c.converged(), 4000), 'the cluster comes back');
  for (const id of c.ids) {
    const core = c.node(id).core()!;
    for (const a of acked) {
      const e = core.log.entry(a.index);
      assert.ok(a.index <= core.log.snapshotIndex() || (e && e.data === a.data), `${id} still holds ${a.data} at ${a.index}`);
    }
  }
  ok(c, c.finalCheck(), 'final checks');
  c.shutdown();
});

test('proposals and reads through a follower are forwarded to the leader', async () => {
  const { c, leader } = await withLeader(22);
  const follower = c.ids.find((id) => id !== leader)!;
  const r = await settled(c, c.propose(follower, 'via follower'), 500);
  ok(c, r !== null && r.ok, 'committed through the follower');
  let read: { ok: boolean; index?: number } | null = null;
  void c.api(follower)!.readIndex().then((x) => (read = x as never));
  ok(c, await c.runUntil(() => read !== null, 500), 'the read index arrives');
  assert.ok(read!.ok && (read!.index ?? 0) >= (r as { index: number }).index, 'the read index covers the write');
  c.shutdown();
});

// ---- what a client of a leader that lost leadership is told (issue #9) ---------------------------

test('a leader deposed after its followers stored a proposal, before it heard so: the client gets success once the next leader commits it', async () => {
  // Long enough a proposal timeout that only what the old leader learns decides the answer.
  const { c, leader } = await withLeader(31, 3, { proposalTimeoutMs: 10_000 });
  const others = c.ids.filter((id) => id !== leader);
  // The followers hear the leader but their acknowledgements never reach it.
  for (const f of others) c.net.cutLink(f, leader);
  let answer: ProposeResult | null = null;
  void c.propose(leader, 'stored by the followers').then((r) => (answer = r));
  ok(c, await c.runUntil(() => others.every((f) => c.node(f).core()!.log.entry(c.node(f).core()!.log.lastIndex())?.data === 'stored by the followers'), 300), 'both followers store it');
  const index = c.node(others[0]!).core()!.log.lastIndex();
  ok(c, await c.runUntil(() => c.node(leader).core()!.role() !== 'leader', 3 * MAX_ELECTION), 'check-quorum deposes the deaf leader');
  ok(c, await c.runUntil(() => c.leader() !== null && c.leader() !== leader, 3 * MAX_ELECTION), 'a follower takes over');
  ok(c, await c.runUntil(() => c.node(c.leader()!).core()!.commitIndex() >= index, 500), 'the new leader commits the entry beneath its no-op');
  assert.is(answer, null, 'the deposed leader answered nothing while it could not know (before: LEADER_CHANGED, a 503)');
  c.net.heal();
  ok(c, await c.runUntil(() => answer !== null, 1000), 'the answer comes once the old leader learns the commit index');
  const r = answer as ProposeResult | null;
  assert.ok(r !== null && r.ok, `success, not a retryable failure (${JSON.stringify(r)})`);
  if (r !== null && r.ok) assert.is(r.index, index);
  ok(c, await c.runUntil(() => c.converged(), 3000), 'converges');
  ok(c, c.finalCheck(), 'final checks (the success is committed at its index)');
  c.shutdown();
});

test('a leader isolated with a proposal nobody stored: once healed the client gets NOT_COMMITTED, and the retry commits exactly once', async () => {
  const { c, leader } = await withLeader(32, 3, { proposalTimeoutMs: 10_000 });
  c.net.isolate(leader);
  let answer: ProposeResult | null = null;
  void c.propose(leader, 'lost write').then((r) => (answer = r));
  ok(c, await c.runUntil(() => c.leader() !== null && c.leader() !== leader, 3 * MAX_ELECTION), 'the majority elects a leader');
  const fresh = await settled(c, c.propose(c.leader()!, 'majority write'), 500);
  ok(c, fresh !== null && fresh.ok, 'the majority commits');
  c.net.heal();
  ok(c, await c.runUntil(() => answer !== null, 2000), 'the old leader answers once it learns what committed in its place');
  const r = answer as ProposeResult | null;
  assert.ok(r !== null && !r.ok && r.code === ERR.notCommitted, `NOT_COMMITTED (${JSON.stringify(r)})`);
  const at = placementOf(r);
  assert.ok(at !== null);
  const committedThere = c.checkers.history.get(at!.index);
  assert.ok(committedThere !== undefined && committedThere.data !== 'lost write', 'another entry is committed where it was appended');
  const retry = await settled(c, c.propose(c.leader()!, 'lost write'), 500);
  ok(c, retry !== null && retry.ok, 'the retry commits');
  ok(c, await c.runUntil(() => c.converged(), 3000), 'converges');
  ok(c, c.finalCheck(), 'final checks');
  const copies = [...c.checkers.history.values()].filter((e) => e.data === 'lost write').length;
  assert.is(copies, 1, 'committed once: the first attempt never did');
  c.shutdown();
});

test.run();
