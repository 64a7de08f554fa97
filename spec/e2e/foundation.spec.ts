// The foundation on real processes: config errors exit 2 with one line; three nodes answer
// /ping with their ids; a peer port refuses an unsigned WebSocket with 401; a crashed actor is
// restarted and counted in /actors; crashing past the restart intensity makes the node close
// cleanly and exit non-zero; SIGTERM exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';

test('a bad configuration value stops the node with one line naming the key, exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-bad-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ raft: { electionTimeoutMsMin: 'soon' } }));
  const r = spawnSync(process.execPath, ['runtime/start.js', '--node', 'node1', '--config', bad], { encoding: 'utf8' });
  assert.is(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /raft\.electionTimeoutMsMin/);
  assert.is(r.stdout.trim(), '', 'nothing else was started or logged');
});

test('three nodes answer /ping with their ids; a peer port refuses an unsigned socket with 401', async () => {
  const cluster = await ProcessCluster.create({ size: 3 });
  try {
    await cluster.startAll();
    for (const n of cluster.nodes) {
      const { status, body } = await cluster.json(n.id, '/ping');
      assert.is(status, 200);
      assert.equal(body, { status: 'ok', node_id: n.id });
    }
    const notFound = await cluster.json('node1', '/no/such/route');
    assert.is(notFound.status, 404);
    assert.is((notFound.body as { code: string }).code, 'SYNCPAY_ERR_NOT_FOUND');

    const peer = cluster.node('node2');
    const status = await new Promise<number>((done) => {
      const ws = new WebSocket(`ws://127.0.0.1:${peer.peerPort}/`, { perMessageDeflate: false });
      ws.on('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
      ws.on('open', () => done(101));
      ws.on('error', () => undefined);
    });
    assert.is(status, 401);
  } finally {
    await cluster.destroy();
  }
});

test('a crashed actor is restarted and counted; past the intensity the node closes cleanly and exits non-zero', async () => {
  const cluster = await ProcessCluster.create({
    size: 1,
    overrides: { node: { faultInjection: true }, supervisor: { restartsMax: 2, restartPeriodMs: 60000 } },
    captureOutput: true,
  });
  try {
    await cluster.startAll();
    const crash = await cluster.json('node1', '/debug/actors/ledger/crash', { method: 'POST' });
    assert.is(crash.status, 202);
    const tree = await waitFor(async () => {
      const { body } = await cluster.json<{ actors: Array<{ id: string; restarts: number; status: string }> }>('node1', '/actors');
      const ledger = body.actors.find((a) => a.id === 'ledger');
      return ledger && ledger.restarts === 1 && ledger.status === 'running' ? body : undefined;
    }, 5000, 'the ledger to be restarted');
    assert.is(tree.actors.length, 5);

    await waitFor(async () => ((await cluster.json('node1', '/debug/actors/ledger/crash', { method: 'POST' })).status === 202 ? true : undefined), 5000, 'second crash');
    await waitFor(async () => {
      const { body } = await cluster.json<{ actors: Array<{ id: string; restarts: number; status: string }> }>('node1', '/actors');
      return body.actors.find((a) => a.id === 'ledger')?.status === 'running' ? true : undefined;
    }, 5000, 'the ledger to run again');
    await cluster.json('node1', '/debug/actors/ledger/crash', { method: 'POST' });
    const exit = await cluster.waitExit('node1');
    assert.is(exit.code, 1, 'escalation exits non-zero');
    const log = (cluster.output.get('node1') ?? []).join('');
    assert.match(log, /restart intensity exceeded/);
    assert.match(log, /node stopped/, 'the close ran to the end before exit');
  } finally {
    await cluster.destroy();
  }
});

test('SIGTERM closes a node cleanly with exit 0', async () => {
  const cluster = await ProcessCluster.create({ size: 1, captureOutput: true });
  try {
    await cluster.startAll();
    cluster.signal('node1', 'SIGTERM');
    const exit = await cluster.waitExit('node1');
    assert.is(exit.code, 0);
    assert.match((cluster.output.get('node1') ?? []).join(''), /node stopped/);
  } finally {
    await cluster.destroy();
  }
});

test.run();
