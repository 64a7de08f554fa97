// GET /metrics in the Prometheus text format, read with a real parser: every family issue 6
// names is present with the right type, carries the `node` label, and moves when the node does
// (hooks called, timeline events pushed, services changed between scrapes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExposition, type Exposition, type Family, type Sample } from './prom-text.ts';
import { fakeNode, type FakeNode } from './fake-node.ts';

async function scrape(node: FakeNode, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await node.app.inject({ method: 'GET', url: '/metrics', headers });
  assert.is(res.statusCode, 200);
  return parseExposition(res.body);
}

function family(exp: Exposition, name: string, type: string): Family {
  const f = exp.families.get(name);
  assert.ok(f, `family ${name} missing`);
  assert.is(f.type, type, `type of ${name}`);
  assert.ok(f.help.length > 0, `help of ${name}`);
  return f;
}

function sample(f: Family, name: string, labels: Record<string, string> = {}): Sample {
  const found = f.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found, `no sample ${name} ${JSON.stringify(labels)} in ${f.name}`);
  return found;
}

const value = (exp: Exposition, name: string, type: string, labels: Record<string, string> = {}, sampleName = name): number =>
  sample(family(exp, name, type), sampleName, labels).value;

async function exercised(): Promise<FakeNode> {
  const node = await fakeNode();
  const m = node.metrics;
  m.observePayment('ok', 0.004);
  m.observePayment('ok', 0.006);
  m.observePayment('exceeds_credits', 0.002);
  m.observePayment('SYNCPAY_ERR_NO_LEADER', 0.001);
  m.countIdempotentReplay();
  m.observeCommit(0.003);
  m.observeFsync(0.2, 64);
  m.countAppend('sent', 10);
  m.countAppend('sent', 0);
  m.countAppend('received', 5);
  m.observeSnapshot(0.75);
  m.countLink('reconnects', { peer: 'node2' });
  m.countLink('framesDropped', { peer: 'node3', reason: 'too-large', direction: 'in' });
  m.countLink('authRejected', { reason: 'bad-signature' });
  m.countLink('linkUp', { peer: 'node2' });
  m.countLink('linkDown', { peer: 'node3' });
  node.timeline.push({ actor: 'leader-election', type: 'election.started', term: 5, pre: true }, '000000000000000.000009');
  node.timeline.push({ actor: 'leader-election', type: 'election.started', term: 6 }, '000000000000001.000000');
  node.timeline.push({ actor: 'leader-election', type: 'leader.elected', term: 6, leader: 'node1' }, '000000000000001.000001');
  return node;
}

test('every family of the issue is exposed with its type and the node label', async () => {
  const node = await exercised();
  const exp = await scrape(node);
  const expected: Array<[string, string]> = [
    ['syncpay_payments_requested_total', 'counter'],
    ['syncpay_payments_committed_total', 'counter'],
    ['syncpay_payments_rejected_total', 'counter'],
    ['syncpay_payment_latency_seconds', 'histogram'],
    ['syncpay_commit_latency_seconds', 'histogram'],
    ['syncpay_fsync_latency_seconds', 'histogram'],
    ['syncpay_entries_per_fsync', 'histogram'],
    ['syncpay_appends_total', 'counter'],
    ['syncpay_append_entries_total', 'counter'],
    ['syncpay_entries_per_append', 'histogram'],
    ['syncpay_prevotes_started_total', 'counter'],
    ['syncpay_elections_started_total', 'counter'],
    ['syncpay_elections_won_total', 'counter'],
    ['syncpay_term', 'gauge'],
    ['syncpay_is_leader', 'gauge'],
    ['syncpay_leader_changes_total', 'counter'],
    ['syncpay_commit_index', 'gauge'],
    ['syncpay_applied_index', 'gauge'],
    ['syncpay_log_bytes', 'gauge'],
    ['syncpay_snapshots_total', 'counter'],
    ['syncpay_snapshot_duration_seconds', 'histogram'],
    ['syncpay_peer_phi', 'gauge'],
    ['syncpay_peer_rtt_seconds', 'gauge'],
    ['syncpay_peer_clock_offset_seconds', 'gauge'],
    ['syncpay_clock_fenced', 'gauge'],
    ['syncpay_link_reconnects_total', 'counter'],
    ['syncpay_link_frames_dropped_total', 'counter'],
    ['syncpay_link_auth_rejected_total', 'counter'],
    ['syncpay_supervisor_restarts_total', 'counter'],
    ['syncpay_http_requests_total', 'counter'],
    ['syncpay_http_request_duration_seconds', 'histogram'],
    ['syncpay_idempotent_replays_total', 'counter'],
    // Default process metrics, event-loop lag among them.
    ['nodejs_eventloop_lag_seconds', 'gauge'],
    ['process_cpu_seconds_total', 'counter'],
  ];
  for (const [name, type] of expected) {
    const f = family(exp, name, type);
    if (name === 'syncpay_http_requests_total' || name === 'syncpay_http_request_duration_seconds') continue; // filled by this scrape
    assert.ok(f.samples.length > 0, `${name} has samples`);
    for (const s of f.samples) assert.is(s.labels['node'], 'node1', `node label on ${s.name}`);
  }
});

test('event hooks move their counters and histograms', async () => {
  const node = await exercised();
  const exp = await scrape(node);
  assert.is(value(exp, 'syncpay_payments_requested_total', 'counter'), 4);
  assert.is(value(exp, 'syncpay_payments_committed_total', 'counter'), 2);
  assert.is(value(exp, 'syncpay_payments_rejected_total', 'counter', { code: 'exceeds_credits' }), 1);
  assert.is(value(exp, 'syncpay_payments_rejected_total', 'counter', { code: 'SYNCPAY_ERR_NO_LEADER' }), 1);
  assert.is(value(exp, 'syncpay_payment_latency_seconds', 'histogram', {}, 'syncpay_payment_latency_seconds_count'), 4);
  assert.is(value(exp, 'syncpay_payment_latency_seconds', 'histogram', { le: '0.0025' }, 'syncpay_payment_latency_seconds_bucket'), 2);
  assert.ok(Math.abs(value(exp, 'syncpay_payment_latency_seconds', 'histogram', {}, 'syncpay_payment_latency_seconds_sum') - 0.013) < 1e-12);
  assert.is(value(exp, 'syncpay_idempotent_replays_total', 'counter'), 1);
  assert.is(value(exp, 'syncpay_fsync_latency_seconds', 'histogram', { le: '0.00025' }, 'syncpay_fsync_latency_seconds_bucket'), 1);
  assert.is(value(exp, 'syncpay_fsync_latency_seconds', 'histogram', { le: '0.0001' }, 'syncpay_fsync_latency_seconds_bucket'), 0);
  assert.is(value(exp, 'syncpay_entries_per_fsync', 'histogram', {}, 'syncpay_entries_per_fsync_sum'), 64);
  assert.is(value(exp, 'syncpay_appends_total', 'counter', { direction: 'sent' }), 2);
  assert.is(value(exp, 'syncpay_appends_total', 'counter', { direction: 'received' }), 1);
  assert.is(value(exp, 'syncpay_append_entries_total', 'counter', { direction: 'sent' }), 10);
  assert.is(value(exp, 'syncpay_entries_per_append', 'histogram', { direction: 'sent' }, 'syncpay_entries_per_append_count'), 2);
  assert.is(value(exp, 'syncpay_snapshots_total', 'counter'), 1);
  assert.is(value(exp, 'syncpay_link_reconnects_total', 'counter', { peer: 'node2' }), 1);
  assert.is(value(exp, 'syncpay_link_frames_dropped_total', 'counter', { peer: 'node3', reason: 'too-large', direction: 'in' }), 1);
  assert.is(value(exp, 'syncpay_link_auth_rejected_total', 'counter', { reason: 'bad-signature', peer: 'unknown' }), 1);
  assert.is(value(exp, 'syncpay_link_transitions_total', 'counter', { peer: 'node3', state: 'down' }), 1);
  assert.is(value(exp, 'syncpay_prevotes_started_total', 'counter'), 1);
  assert.is(value(exp, 'syncpay_elections_started_total', 'counter'), 1);
  assert.is(value(exp, 'syncpay_elections_won_total', 'counter'), 1);
  assert.is(value(exp, 'syncpay_leader_changes_total', 'counter'), 1);
});

test('scrape-time gauges read the services as they are at each scrape', async () => {
  const node = await exercised();
  let exp = await scrape(node);
  assert.is(value(exp, 'syncpay_term', 'gauge'), 7);
  assert.is(value(exp, 'syncpay_is_leader', 'gauge'), 1);
  assert.is(value(exp, 'syncpay_role', 'gauge', { role: 'leader' }), 1);
  assert.is(value(exp, 'syncpay_role', 'gauge', { role: 'follower' }), 0);
  assert.is(value(exp, 'syncpay_commit_index', 'gauge'), 120);
  assert.is(value(exp, 'syncpay_applied_index', 'gauge'), 118);
  assert.is(value(exp, 'syncpay_snapshot_index', 'gauge'), 100);
  assert.is(value(exp, 'syncpay_log_bytes', 'gauge'), 65536);
  assert.is(value(exp, 'syncpay_replication_lag_entries', 'gauge', { peer: 'node3' }), 15);
  assert.is(value(exp, 'syncpay_peer_phi', 'gauge', { peer: 'node2' }), 0.5);
  assert.is(value(exp, 'syncpay_peer_phi', 'gauge', { peer: 'node3' }), Number.POSITIVE_INFINITY);
  assert.is(value(exp, 'syncpay_peer_up', 'gauge', { peer: 'node3' }), 0);
  assert.is(value(exp, 'syncpay_peer_rtt_seconds', 'gauge', { peer: 'node2' }), 0.002);
  assert.not.ok(family(exp, 'syncpay_peer_rtt_seconds', 'gauge').samples.some((s) => s.labels['peer'] === 'node3'), 'no rtt for a peer never measured');
  assert.is(value(exp, 'syncpay_peer_clock_offset_seconds', 'gauge', { peer: 'node3' }), -0.012);
  assert.is(value(exp, 'syncpay_clock_fenced', 'gauge'), 0);
  assert.is(value(exp, 'syncpay_supervisor_restarts_total', 'counter', { actor: 'heartbeat' }), 2);
  assert.is(value(exp, 'syncpay_supervisor_restarts_total', 'counter', { actor: 'clock' }), 0);

  // The node steps down, a peer vanishes, the clock fences, an actor restarts once more.
  node.state.status = { ...node.state.status, role: 'follower', term: 8, leader: 'node2', progress: {} };
  delete node.state.peerHealth['node3'];
  node.state.fenced = true;
  node.state.restarts['heartbeat'] = 3;
  exp = await scrape(node);
  assert.is(value(exp, 'syncpay_term', 'gauge'), 8);
  assert.is(value(exp, 'syncpay_is_leader', 'gauge'), 0);
  assert.is(value(exp, 'syncpay_clock_fenced', 'gauge'), 1);
  assert.not.ok(family(exp, 'syncpay_peer_phi', 'gauge').samples.some((s) => s.labels['peer'] === 'node3'), 'a peer gone from peerHealth leaves the gauge');
  assert.is(family(exp, 'syncpay_replication_lag_entries', 'gauge').samples.length, 0);
  assert.is(value(exp, 'syncpay_supervisor_restarts_total', 'counter', { actor: 'heartbeat' }), 3);
  assert.is(value(exp, 'syncpay_leader_changes_total', 'counter'), 2, 'the scrape saw node2 take over');
});

test('HTTP requests are labelled by route pattern, never by raw URL', async () => {
  const node = await fakeNode({ processMetrics: false });
  for (const url of ['/ping', '/ping?x=1', '/no/such/route/1', '/no/such/route/2', '/metrics']) {
    await node.app.inject({ method: 'GET', url });
  }
  const exp = await scrape(node);
  const requests = family(exp, 'syncpay_http_requests_total', 'counter');
  assert.is(sample(requests, 'syncpay_http_requests_total', { route: '/ping', method: 'GET', status: '200' }).value, 2);
  assert.is(sample(requests, 'syncpay_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }).value, 2);
  assert.is(sample(requests, 'syncpay_http_requests_total', { route: '/metrics', method: 'GET', status: '200' }).value, 1);
  assert.not.ok(requests.samples.some((s) => (s.labels['route'] ?? '').includes('such')), 'no raw URL in labels');
  const durations = family(exp, 'syncpay_http_request_duration_seconds', 'histogram');
  assert.is(sample(durations, 'syncpay_http_request_duration_seconds_count', { route: '/ping' }).value, 2);
});

test('label values from outside stay bounded and well-formed', async () => {
  const node = await fakeNode({ processMetrics: false });
  for (let i = 0; i < 150; i++) node.metrics.observePayment(`code_${i}`, 0.001);
  node.metrics.observePayment('bad code "with" quotes\n', 0.001);
  const exp = await scrape(node);
  const rejected = family(exp, 'syncpay_payments_rejected_total', 'counter');
  assert.is(rejected.samples.length, 101, '100 distinct codes, then "other"');
  assert.is(sample(rejected, 'syncpay_payments_rejected_total', { code: 'other' }).value, 51);
});

test.run();
