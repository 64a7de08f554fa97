// `npm start` (runtime/cluster.js): brings up one process per configured node, each answering
// /ping with its id, and on Ctrl-C (SIGINT) stops every process it started.
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, processesOf, waitFor } from '../support/process-cluster.ts';

test('npm start runs one process per node and Ctrl-C leaves none behind', async () => {
  const layout = await ProcessCluster.create({ size: 3 });
  const launcher = spawn(process.execPath, ['runtime/cluster.js', '--config', layout.configPath], {
    env: { ...process.env, SYNCPAY_LOG_PRETTY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await waitFor(() => (out.includes('Ctrl-C stops every node') ? true : undefined), 30000, 'the launcher banner');
    for (const n of layout.nodes) {
      const { body } = await layout.json(n.id, '/ping');
      assert.equal(body, { status: 'ok', node_id: n.id });
      assert.ok(out.includes(`http://127.0.0.1:${n.apiPort}`), `address of ${n.id} printed`);
    }
    assert.is(processesOf(layout.configPath).length, 3);
    const exited = new Promise<number | null>((done) => launcher.on('exit', (code) => done(code)));
    launcher.kill('SIGINT');
    assert.is(await exited, 0);
    await waitFor(() => (processesOf(layout.configPath).length === 0 ? true : undefined), 5000, 'no node process left');
  } finally {
    launcher.kill('SIGKILL');
    for (const pid of processesOf(layout.configPath)) process.kill(pid, 'SIGKILL');
    await layout.destroy();
  }
});

test.run();
