// `syncpay` against a real three-node cluster on loopback, run as a user runs it (the bin shim,
// a separate process): `status` prints one row per node and shows the leader, `pay` sent to a
// follower succeeds and is readable from another node, and with the first configured node
// killed the CLI falls back to the next one by itself.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, processesOf, waitFor } from '../support/process-cluster.ts';

interface Run { code: number | null; stdout: string; stderr: string }

function syncpay(cluster: ProcessCluster, args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [resolve('runtime/cli.js'), '--config', cluster.configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

test('status, pay to a follower, read from another node, and fall back past a dead node', async () => {
  const cluster = await ProcessCluster.create({ size: 3 });
  try {
    await cluster.startAll();
    const ids = cluster.nodes.map((n) => n.id);
    const leader = await cluster.agreedLeader(ids);
    const followers = ids.filter((id) => id !== leader);

    const status = await syncpay(cluster, ['status']);
    assert.is(status.code, 0, status.stderr);
    const rows = status.stdout.split('\n\n')[0]!.split('\n');
    assert.match(rows[0]!, /^NODE +ROLE +TERM +LEADER +COMMIT +APPLIED +LAG +PEERS UP +CLOCK OFFSET +FENCED$/);
    assert.is(rows.length, 4, status.stdout);
    // Every node answered with its role; on a loaded machine a new election may have started since
    // the agreement above, so the leader is the one most nodes name, and it shows as leader.
    for (const id of ids) assert.match(status.stdout, new RegExp(`^${id} +(leader|follower|candidate|preCandidate) +\\d+ `, 'm'));
    const named = rows.slice(1).map((r) => r.split(/ +/)[3]);
    const leaderNow = named.find((n) => named.filter((m) => m === n).length >= 2);
    assert.ok(leaderNow !== undefined && leaderNow !== '-', status.stdout);
    assert.match(status.stdout, new RegExp(`^${leaderNow} +leader `, 'm'));

    const follower = cluster.node(followers[0]!);
    const pay = await syncpay(cluster, ['--node', follower.url, 'pay', 'alice', 'bob', '150.75', '--id', 'e2e-pay-1']);
    assert.is(pay.code, 0, pay.stderr);
    assert.match(pay.stdout, /paid 150\.75 USD from alice to bob +\(transfer e2e-pay-1/);
    assert.match(pay.stdout, new RegExp(`via ${follower.id}`));

    // Independent checks run side by side: each CLI run is a fresh process.
    const other = cluster.node(followers[1]!);
    const [again, bob, alice, bad] = await Promise.all([
      syncpay(cluster, ['--node', follower.url, '--json', 'pay', 'alice', 'bob', '150.75', '--id', 'e2e-pay-1']),
      syncpay(cluster, ['--node', other.url, 'account', 'show', 'bob']),
      syncpay(cluster, ['--node', other.url, '--json', 'account', 'show', 'alice']),
      syncpay(cluster, ['pay', 'alice', 'bob', '1.234']),
    ]);
    assert.is(again.code, 0, again.stderr);
    assert.is((JSON.parse(again.stdout) as { id: string }).id, 'e2e-pay-1', 'the same id is answered, not paid twice');
    assert.is(bob.code, 0, bob.stderr);
    assert.match(bob.stdout, /^balance +150\.75$/m);
    assert.is((JSON.parse(alice.stdout) as { balance: string }).balance, '-150.75');
    assert.is(bad.code, 1);
    assert.is(bad.stderr.trim().split('\n').length, 1, 'one line');
    assert.match(bad.stderr, /400 SYNCPAY_ERR_AMOUNT_PRECISION/);
    const bobAfter = await syncpay(cluster, ['--node', other.url, '--json', 'account', 'show', 'bob']);
    assert.is((JSON.parse(bobAfter.stdout) as { balance: string }).balance, '150.75', 'the replayed payment moved nothing');

    // The CLI's first choice is node1 (first in the configuration); with it dead, node2 answers.
    await cluster.kill('node1');
    const survivors = ids.filter((id) => id !== 'node1');
    await cluster.agreedLeader(survivors);
    const fallback = await syncpay(cluster, ['--timeout-ms', '2000', 'pay', 'carol', 'dave', '2', '--id', 'e2e-pay-2']);
    assert.is(fallback.code, 0, fallback.stderr);
    assert.match(fallback.stdout, /via node[23]/);
    const after = await syncpay(cluster, ['status']);
    assert.is(after.code, 0);
    assert.match(after.stdout, /^node1 +unreachable/m);
  } finally {
    await cluster.destroy();
  }
});

test('syncpay start runs the local cluster; a stop signal to the CLI alone stops every node', async () => {
  const layout = await ProcessCluster.create({ size: 3 });
  const cli = spawn(process.execPath, [resolve('runtime/cli.js'), 'start', '--config', layout.configPath], {
    cwd: layout.dir,
    env: { ...process.env, SYNCPAY_LOG_PRETTY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  cli.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((done) => cli.on('exit', (code) => done(code)));
  try {
    await waitFor(() => (out.includes('Ctrl-C stops every node') ? true : undefined), 60000, 'the launcher banner');
    for (const n of layout.nodes) assert.ok(out.includes(`api http://127.0.0.1:${n.apiPort}`), `${n.id} address printed`);
    await Promise.all(layout.nodes.map((n) => layout.waitReady(n.id, 30000)));
    // Only the CLI's own pid gets the signal (as from a process manager, not a terminal).
    cli.kill('SIGINT');
    assert.is(await exited, 0, 'the launcher stopped its nodes and exited 0');
    for (const n of layout.nodes) {
      const alive = await fetch(`${n.url}/ping`).then(() => true, () => false);
      assert.is(alive, false, `${n.id} stopped`);
    }
  } finally {
    cli.kill('SIGKILL');
    for (const pid of processesOf(layout.configPath)) process.kill(pid, 'SIGKILL');
    await layout.destroy();
  }
});

test.run();
