// End-to-end consensus on real node processes over loopback (authenticated WebSocket links,
// file-backed logs): kill -9 of the leader under a stream of writes, kill -9 of the leader while a
// client writes through a follower (no write may wait out the proposal timeout), a follower
// restarted with an empty data directory, kill -9 of every node right after acknowledged writes,
// and SIGTERM to the leader. The scenarios run in turn on one three-node cluster (starting processes is the slow
// part). Timings are printed, not asserted: wall-clock bounds belong to the simulator
// (spec/sim/scenarios.spec.ts asserts them in simulated time); here only outcomes are asserted.
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';
import { RetryingWriter } from './failover-client.ts';

interface Status {
  node_id: string;
  role: string;
  term: number;
  leader: string | null;
  commit_index: number;
  last_index: number;
  applied_index: number;
  snapshot_index: number;
  ledger_hash: string | null;
  ledger_hash_index: number | null;
}

async function status(c: ProcessCluster, id: string): Promise<Status | null> {
  try {
    const { status: code, body } = await c.json<Status>(id, '/status');
    return code === 200 ? body : null;
  } catch {
    return null;
  }
}

async function leaderOf(c: ProcessCluster, except: string[] = [], minTerm = 0): Promise<Status> {
  return waitFor(
    async () => {
      for (const n of c.nodes) {
        if (except.includes(n.id) || !c.running(n.id)) continue;
        const s = await status(c, n.id);
        if (s?.role === 'leader' && s.term >= minTerm) return s;
      }
      return undefined;
    },
    30000,
    'a leader',
  );
}

let paymentSeq = 0;
let lastFailure = '';
/**
 * One write through `id`; true once acknowledged (committed on a majority). A retryable 503 is
 * retried a few times with the same idempotency key, as a client would.
 */
async function pay(c: ProcessCluster, id: string): Promise<boolean> {
  const n = ++paymentSeq;
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const res = await fetch(`${c.node(id).url}/payment`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `e2e-${process.pid}-${n}` },
        body: JSON.stringify({ amount: '1.00', sender: `alice${n % 7}`, receiver: `bob${n % 5}` }),
      });
      const text = await res.text();
      if (res.status < 500) return true;
      lastFailure = `${res.status} ${text.slice(0, 200)}`;
      if (res.status !== 503) return false;
    } catch (err) {
      lastFailure = String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function converged(c: ProcessCluster, ids: string[], atLeast: number): Promise<Status[]> {
  return waitFor(
    async () => {
      const all = await Promise.all(ids.map((id) => status(c, id)));
      if (all.some((s) => s === null)) return undefined;
      const ss = all as Status[];
      const first = ss[0]!;
      const same = ss.every((s) => s.applied_index === first.applied_index && s.ledger_hash === first.ledger_hash && s.commit_index === first.commit_index);
      return same && first.applied_index >= atLeast ? ss : undefined;
    },
    30000,
    `${ids.join(', ')} to converge at or past ${atLeast}`,
  );
}

let c: ProcessCluster;

test.before(async () => {
  // Free ports are found by binding and releasing them, so two can collide; try a fresh layout.
  for (let attempt = 1; ; attempt++) {
    c = await ProcessCluster.create({ size: 3, overrides: { raft: { snapshotEntriesThreshold: 20, snapshotChunkBytes: 512 } } });
    try {
      await c.startAll();
      return;
    } catch (err) {
      await c.destroy();
      if (attempt === 3) throw err;
    }
  }
});

test.after(async () => {
  await c?.destroy();
});

test('kill -9 the leader under a steady stream of writes: a new leader commits; the killed node rejoins as follower and catches up', async () => {
  const first = await leaderOf(c);
  let streaming = true;
  const stream = (async () => {
    let via: string | null = first.node_id;
    while (streaming) {
      if (via === null || !c.running(via)) via = (await leaderOf(c, [], 0).catch(() => null))?.node_id ?? null;
      if (via !== null && !(await pay(c, via))) via = null;
    }
  })();
  await new Promise((r) => setTimeout(r, 500));
  const before = await status(c, first.node_id);
  const killedAt = Date.now();
  await c.kill(first.node_id);
  const next = await waitFor(
    async () => {
      for (const n of c.nodes) {
        if (n.id === first.node_id) continue;
        const s = await status(c, n.id);
        if (s?.role === 'leader' && s.term > first.term && s.commit_index > (before?.commit_index ?? 0)) return s;
      }
      return undefined;
    },
    30000,
    'a new leader that commits',
    5,
  );
  console.log(`  kill -9 of ${first.node_id}: ${next.node_id} leads term ${next.term} and commits after ${Date.now() - killedAt} ms (the simulator's bound for this timeout: twice raft.electionTimeoutMsMax, ${2 * DEFAULT_CONFIG.raft.electionTimeoutMsMax} ms)`);
  c.start(first.node_id);
  await c.waitReady(first.node_id);
  const back = await waitFor(
    async () => {
      const s = await status(c, first.node_id);
      return s && s.role === 'follower' && s.commit_index >= next.commit_index ? s : undefined;
    },
    30000,
    'the restarted node to catch up as follower',
  );
  assert.ok(back.term >= next.term);
  streaming = false;
  await stream;
  await converged(c, c.nodes.map((n) => n.id), next.commit_index);
});

test('kill -9 the leader while a client writes through a follower, retrying on 503: no write waits out the proposal timeout', async () => {
  const leader = await leaderOf(c);
  // Let every node know the leader first, so the follower really forwards to it.
  await converged(c, c.nodes.map((n) => n.id), leader.commit_index);
  const via = c.nodes.find((n) => n.id !== leader.node_id)!;
  const writer = new RetryingWriter(via.url, `e2e-failover-${process.pid}`);
  writer.start();
  await waitFor(() => (writer.firstSuccessFrom(0) ? true : undefined), 10000, 'a first write through the follower');
  await new Promise((r) => setTimeout(r, 300));
  const killedAt = Date.now();
  await c.kill(leader.node_id);
  const first = await waitFor(() => writer.firstSuccessFrom(killedAt), 20000, 'a write acknowledged after the kill');
  // A few more writes after the first success, so a late timeout would still be seen.
  const more = writer.attempts.length + 5;
  await waitFor(() => (writer.attempts.length >= more ? true : undefined), 20000, 'more writes');
  await writer.stop();
  const failures = writer.failuresFrom(killedAt);
  console.log(`  kill -9 of ${leader.node_id}, writing through ${via.id}: first acknowledged write ${first.endedAt - killedAt} ms after the kill (goal 1500 ms); failures after the kill: ${JSON.stringify(failures)}`);
  const timedOut = writer.attempts.filter((a) => a.endedAt - a.startedAt >= DEFAULT_CONFIG.raft.proposalTimeoutMs);
  assert.is(timedOut.length, 0, `no write waited out raft.proposalTimeoutMs (${JSON.stringify(timedOut)})`);
  for (const k of Object.keys(failures)) assert.ok(k.startsWith('503 '), `only retryable failures after the kill (${k})`);
  c.start(leader.node_id);
  await c.waitReady(leader.node_id);
  const now = await leaderOf(c);
  await converged(c, c.nodes.map((n) => n.id), now.commit_index);
});

test('a follower restarted with an empty data directory catches up through InstallSnapshot', async () => {
  const l = await leaderOf(c);
  for (let i = 0; i < 30; i++) await pay(c, l.node_id);
  await waitFor(async () => ((await status(c, l.node_id))?.snapshot_index ?? 0) > 0 || undefined, 30000, 'the leader to compact');
  const target = c.nodes.find((n) => n.id !== l.node_id)!.id;
  await c.kill(target);
  rmSync(join(c.dir, 'data', target), { recursive: true, force: true });
  c.start(target);
  await c.waitReady(target);
  const leaderNow = (await status(c, l.node_id))!;
  const ss = await converged(c, c.nodes.map((n) => n.id), leaderNow.commit_index);
  const wiped = ss.find((s) => s.node_id === target)!;
  assert.ok(wiped.snapshot_index > 0, 'it was brought up to date by a snapshot');
});

test('durability: every node killed right after acknowledged writes keeps them all', async () => {
  const l = await leaderOf(c);
  let acked = 0;
  for (let i = 0; i < 20; i++) if (await pay(c, l.node_id)) acked++;
  assert.ok(acked >= 18, `writes acknowledged (${acked}; last failure ${lastFailure})`);
  const committed = (await status(c, l.node_id))!.commit_index;
  await Promise.all(c.nodes.map((n) => c.kill(n.id)));
  await c.startAll();
  const after = await converged(c, c.nodes.map((n) => n.id), committed);
  assert.ok(after.every((s) => s.commit_index >= committed), 'every acknowledged entry is committed on every node after restart');
});

test('SIGTERM to the leader hands leadership over before it exits', async () => {
  const l = await leaderOf(c);
  await pay(c, l.node_id);
  const t0 = Date.now();
  c.signal(l.node_id, 'SIGTERM');
  const next = await leaderOf(c, [l.node_id], l.term + 1);
  console.log(`  SIGTERM to ${l.node_id}: ${next.node_id} leads term ${next.term} after ${Date.now() - t0} ms`);
  const exit = await c.waitExit(l.node_id);
  assert.is(exit.code, 0);
  assert.is(next.term, l.term + 1, 'one election (by TimeoutNow), no gap of failed ones');
  assert.ok(await pay(c, next.node_id), `writes continue on the new leader (${lastFailure})`);
});

test.run();
