// Observability on real processes: the payment-latency histogram counts the payments the API
// answered (JSON and summary formats agree); a killed follower is reported down by the others
// within the failure detector's bound (acceptablePause + 3 heartbeat intervals of silence, as the
// detector recorded it at its verdict) and alive again after restart; /health timestamps of the
// three nodes agree.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';

interface Stats { count: number; min: number | null; max: number | null; avg: number | null; p50: number | null; p95: number | null; p99: number | null }
interface Status { is_leader: boolean; leader: string | null; peer_health: Record<string, { healthy: boolean; state: string; last_seen_ms_ago: number | null; down_after_ms: number | null }> }
interface Events { events: Array<{ hlc: string; type: string; peer?: string; [field: string]: unknown }> }
interface HeartbeatConfig { intervalMs: { value: number }; acceptablePauseMs: { value: number } }

let cluster: ProcessCluster;

test.before(async () => {
  cluster = await ProcessCluster.create({ size: 3 });
  await cluster.startAll();
  await waitFor(async () => ((await cluster.json<Status>('node1', '/status')).body.leader ? true : undefined), 20000, 'a leader');
});

test.after(async () => {
  await cluster.destroy();
});

async function leaderId(): Promise<string> {
  return waitFor(async () => (await cluster.json<Status>('node1', '/status')).body.leader ?? undefined, 20000, 'a leader');
}

test('1,000 payments show in the payment-latency histogram, identically in JSON and summary formats', async () => {
  const leader = await leaderId();
  const before = (await cluster.json<{ histograms: Record<string, Stats> }>(leader, '/metrics?format=json')).body.histograms['syncpay_payment_latency_seconds']?.count ?? 0;
  // A client that retries a 503 (a leader change under load) with the same transfer id, as
  // clients must: every answer, retried or not, is one observation of the histogram.
  let next = 0;
  let answers = 0;
  const send = async (): Promise<void> => {
    while (next < 1000) {
      const i = next++;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${cluster.node(leader).url}/payment`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ amount: '1.25', sender: `s${i % 20}`, receiver: `r${i % 20}`, id: `obs-${i}` }),
        });
        await res.arrayBuffer();
        answers++;
        if (res.status === 200) break;
        assert.is(res.status, 503, `payment ${i}: only a retryable refusal is expected`);
        assert.ok(attempt < 50, `payment ${i} kept failing`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, send));
  const { body } = await cluster.json<{ histograms: Record<string, Stats> }>(leader, '/metrics?format=json');
  const h = body.histograms['syncpay_payment_latency_seconds'];
  assert.ok(h, 'payment latency histogram present');
  assert.ok(answers >= 1000);
  assert.is(h.count - before, answers, 'one observation per answered write');
  for (const v of [h.p50, h.p95, h.p99, h.min, h.max, h.avg]) assert.ok(typeof v === 'number' && Number.isFinite(v), `finite: ${v}`);
  assert.ok((h.p50 ?? 0) <= (h.p95 ?? 0) && (h.p95 ?? 0) <= (h.p99 ?? 0), 'p50 <= p95 <= p99');
  const summary = await (await fetch(`${cluster.node(leader).url}/metrics?format=summary`)).text();
  const line = summary.split('\n').find((l) => l.includes('syncpay_payment_latency_seconds'));
  assert.ok(line, 'summary names the histogram');
  assert.ok(line.includes(String(h.count)), `summary shows count ${h.count}: ${line}`);
});

test('a killed follower is reported down by its peers within the detector bound, and alive after restart', async () => {
  const leader = await leaderId();
  const follower = cluster.nodes.find((n) => n.id !== leader)?.id ?? 'node2';
  const witnesses = cluster.nodes.filter((n) => n.id !== follower).map((n) => n.id);
  // The settings the nodes run with (defaults here), as /config reports them.
  const hbConfig = (await cluster.json<{ config: { config: { heartbeat: HeartbeatConfig } } }>(witnesses[0]!, '/config')).body.config.config.heartbeat;
  const hb = { intervalMs: hbConfig.intervalMs.value, acceptablePauseMs: hbConfig.acceptablePauseMs.value };
  const bound = hb.acceptablePauseMs + 3 * hb.intervalMs;
  const marks = new Map<string, string>();
  for (const w of witnesses) {
    await waitFor(async () => ((await cluster.json<Status>(w, '/status')).body.peer_health[follower]?.state === 'alive' ? true : undefined), 10000, `${follower} alive`);
    const events = (await cluster.json<Events>(w, '/v1/events')).body.events;
    marks.set(w, events[events.length - 1]?.hlc ?? '');
  }
  await cluster.kill(follower);
  const killedAt = Date.now();
  // The detector records the silence (ms since the last heartbeat) at the moment of its verdict;
  // that figure, not the polling below, is what the bound is checked against. Polling only says
  // how long the verdict took to become visible, which shared machines make noisy.
  for (const w of witnesses) {
    const seen = await waitFor(async () => {
      const h = (await cluster.json<Status>(w, '/status')).body.peer_health[follower];
      return h && !h.healthy && h.state === 'down' ? h : undefined;
    }, 15000, `${w} to report ${follower} down`, 10);
    const polledMs = Date.now() - killedAt;
    const events = (await cluster.json<Events>(w, `/v1/events?since=${marks.get(w)}`)).body.events;
    const down = events.find((e) => e.type === 'peer.down' && e.peer === follower);
    assert.ok(down, `${w} has a peer.down event for ${follower}`);
    const silence = Number(down.silenceMs);
    console.log(
      `  ${w} declared ${follower} down after ${silence.toFixed(0)} ms of silence (bound ${bound} ms; mean interval ` +
        `${Number(down.meanIntervalMs).toFixed(1)} ms, std dev ${Number(down.stdDevMs).toFixed(1)}, spread ${Number(down.spreadMs).toFixed(1)}); ` +
        `seen by polling ${polledMs} ms after the kill`,
    );
    assert.ok(silence >= hb.acceptablePauseMs, `declared down after only ${silence} ms of silence`);
    assert.ok(silence <= bound, `declared down after ${silence.toFixed(0)} ms of silence, over acceptablePause + 3 intervals (${bound} ms)`);
    assert.ok(seen.last_seen_ms_ago !== null && seen.last_seen_ms_ago >= silence, 'the silence keeps growing after the verdict');
    assert.is(seen.down_after_ms, silence, '/status shows the recorded silence');
    const summary = (await cluster.json<{ actors: Array<{ id: string; summary?: Record<string, { downAfterMs: number | null }> }> }>(w, '/actors')).body.actors.find((a) => a.id === 'heartbeat')?.summary;
    assert.is(summary?.[follower]?.downAfterMs, silence, '/actors shows the same recorded silence');
  }
  cluster.start(follower);
  await cluster.waitReady(follower);
  for (const w of witnesses) {
    await waitFor(async () => ((await cluster.json<Status>(w, '/status')).body.peer_health[follower]?.state === 'alive' ? true : undefined), 15000, `${follower} alive again on ${w}`);
    const events = (await cluster.json<Events>(w, `/v1/events?since=${marks.get(w)}`)).body.events;
    assert.ok(events.some((e) => e.type === 'peer.up' && e.peer === follower), `${w} has a peer.up event for ${follower}`);
  }
});

test('/health timestamps of the three nodes agree within 100 ms', async () => {
  await waitFor(async () => {
    const all = await Promise.all(cluster.nodes.map((n) => cluster.json<{ status: string }>(n.id, '/health')));
    return all.every((r) => r.status === 200) ? true : undefined;
  }, 15000, 'every node healthy');
  const skews: number[] = [];
  for (const n of cluster.nodes) {
    const sent = Date.now();
    const { body } = await cluster.json<{ timestamp: number }>(n.id, '/health');
    const received = Date.now();
    skews.push(body.timestamp * 1000 - (sent + received) / 2);
  }
  const spread = Math.max(...skews) - Math.min(...skews);
  assert.ok(spread < 100, `timestamps spread ${spread.toFixed(1)} ms`);
});

test.run();
