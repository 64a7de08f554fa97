// Measures failover as a client sees it, on real processes: a three-node cluster, a client writing
// through a follower and retrying on 503, kill -9 of the leader, and the time from the kill to the
// first acknowledged write started after it. Repeated (the killed node restarted in between) and
// summarised by the median. A script, not a spec: wall-clock numbers are reported, never asserted.
//
//   node --import tsx spec/raft/failover-measure.ts [runs=5] [proposalWaitForLeaderMs]
import { pathToFileURL } from 'node:url';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';
import { median, RetryingWriter } from './failover-client.ts';

interface Status {
  node_id: string;
  role: string;
  term: number;
  commit_index: number;
  applied_index: number;
}

async function status(c: ProcessCluster, id: string): Promise<Status | null> {
  try {
    const { status: code, body } = await c.json<Status>(id, '/status');
    return code === 200 ? body : null;
  } catch {
    return null;
  }
}

async function leaderOf(c: ProcessCluster): Promise<Status> {
  return waitFor(
    async () => {
      for (const n of c.nodes) {
        if (!c.running(n.id)) continue;
        const s = await status(c, n.id);
        if (s?.role === 'leader') return s;
      }
      return undefined;
    },
    30000,
    'a leader',
  );
}

/** Every node up, agreeing on the leader's commit index (so the next kill starts from calm). */
async function settle(c: ProcessCluster): Promise<Status> {
  const l = await leaderOf(c);
  await waitFor(
    async () => {
      const all = await Promise.all(c.nodes.map((n) => status(c, n.id)));
      return all.every((s) => s !== null && s.applied_index >= l.commit_index) ? true : undefined;
    },
    30000,
    'every node to catch up',
  );
  return l;
}

async function oneRun(c: ProcessCluster, run: number): Promise<number> {
  const leader = await settle(c);
  const via = c.nodes.find((n) => n.id !== leader.node_id)!;
  const writer = new RetryingWriter(via.url, `measure-${process.pid}-${run}`);
  writer.start();
  await waitFor(() => (writer.firstSuccessFrom(0) ? true : undefined), 10000, 'a first write');
  await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 300)));
  const killedAt = Date.now();
  await c.kill(leader.node_id);
  const first = await waitFor(() => writer.firstSuccessFrom(killedAt), 30000, 'a write after the kill');
  await writer.stop();
  const gap = first.endedAt - killedAt;
  const failures = writer.failuresFrom(killedAt);
  console.log(`run ${run}: killed ${leader.node_id} (term ${leader.term}), writing via ${via.id}: first acknowledged write after ${gap} ms; failures after the kill ${JSON.stringify(failures)}`);
  c.start(leader.node_id);
  await c.waitReady(leader.node_id);
  return gap;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 5);
  const wait = process.argv[3];
  const raft: Record<string, number> = {};
  if (wait !== undefined) raft['proposalWaitForLeaderMs'] = Number(wait);
  const c = await ProcessCluster.create({ size: 3, overrides: { raft } });
  try {
    await c.startAll();
    const gaps: number[] = [];
    for (let i = 1; i <= runs; i++) gaps.push(await oneRun(c, i));
    console.log(`gaps (ms): ${gaps.join(', ')}; median ${median(gaps)} ms over ${runs} runs (goal: at most 1500 ms)`);
  } finally {
    await c.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
