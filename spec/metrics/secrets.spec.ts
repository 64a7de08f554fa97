// Secret safety on a real node process: started with a cluster secret and API tokens (through
// SYNCPAY_CLUSTER_SECRET and SYNCPAY_API_TOKENS), neither value may appear in /config, in any
// format of /metrics, or anywhere in what the process writes to stdout and stderr, even when
// requests carry the tokens in their headers and the log level is debug.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort, waitFor } from '../support/process-cluster.ts';

const START_TIMEOUT_MS = 20000;
const EXIT_TIMEOUT_MS = 10000;

interface RunningProcess {
  readonly proc: ChildProcess;
  readonly output: string[];
  readonly exit: Promise<number | null>;
}

function startNode(configPath: string, env: Record<string, string>): RunningProcess {
  // A stray SYNCPAY_* variable in the test's own environment would change (or break) the config.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SYNCPAY_')));
  const proc = spawn(process.execPath, [resolve('runtime/start.js'), '--node', 'node1', '--config', configPath], {
    env: { ...clean, SYNCPAY_LOG_PRETTY: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  proc.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  proc.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  const exit = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
  return { proc, output, exit };
}

test('neither the cluster secret nor an API token appears in /config, /metrics or the logs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-secrets-'));
  const secret = `cluster-secret-${randomBytes(16).toString('hex')}`;
  const tokens = [`token-one-${randomBytes(12).toString('hex')}`, `token-two-${randomBytes(12).toString('hex')}`];
  const apiPort = await freePort();
  const peerPort = await freePort();
  const configPath = join(dir, 'cluster.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      cluster: { nodes: [{ id: 'node1', host: '127.0.0.1', apiPort, peerPort }] },
      node: { dataDir: join(dir, 'data', '{id}') },
      log: { level: 'debug' },
    }),
  );
  const node = startNode(configPath, { SYNCPAY_CLUSTER_SECRET: secret, SYNCPAY_API_TOKENS: tokens.join(',') });
  const base = `http://127.0.0.1:${apiPort}`;
  const bodies: Array<[string, string]> = [];
  const get = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${base}${path}`, { headers });
    const text = await res.text();
    bodies.push([path, text]);
    return { status: res.status, text };
  };

  try {
    await waitFor(async () => {
      const exited = node.proc.exitCode !== null;
      if (exited) throw new Error(`node exited during start (code ${node.proc.exitCode}):\n${node.output.join('')}`);
      const res = await fetch(`${base}/ping`).catch(() => null);
      return res?.ok ? true : undefined;
    }, START_TIMEOUT_MS, 'node1 to answer /ping');

    const config = await get('/config');
    assert.is(config.status, 200);
    const view = JSON.parse(config.text) as { config: { clusterSecret?: unknown; apiTokens?: unknown } };
    assert.is(view.config.clusterSecret, '[redacted]', 'the secret is shown as redacted, not omitted');
    assert.is(view.config.apiTokens, '[redacted]');

    const metrics = await get('/metrics');
    assert.is(metrics.status, 200);
    assert.match(metrics.text, /^syncpay_payments_requested_total\{/m, 'the node serves its SyncPay metrics');
    assert.is((await get('/metrics?format=json')).status, 200);
    assert.is((await get('/metrics?format=summary')).status, 200);
    assert.is((await get('/metrics', { accept: 'application/openmetrics-text; version=1.0.0' })).status, 200);

    // Requests that carry the tokens (and the secret, as a wrong token) in their headers: nothing
    // on the request path may log or echo them.
    for (const credential of [...tokens, secret]) {
      await get('/status', { authorization: `Bearer ${credential}` });
      await get('/no/such/route', { authorization: `Bearer ${credential}`, 'x-api-key': credential });
      const res = await fetch(`${base}/v1/payments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: '{"not":"a payment"',
      });
      bodies.push(['POST /v1/payments', await res.text()]);
    }
    // After those requests, /metrics and /config again (e.g. a route label or a counter key).
    await get('/metrics');
    await get('/metrics?format=json');
    await get('/config');
  } finally {
    node.proc.kill('SIGTERM');
    const code = await Promise.race([node.exit, new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), EXIT_TIMEOUT_MS))]);
    if (code === 'timeout') {
      node.proc.kill('SIGKILL');
      await node.exit;
    }
    rmSync(dir, { recursive: true, force: true });
  }

  const logs = node.output.join('');
  assert.ok(logs.includes('"node":"node1"'), 'the node wrote JSON log lines (the capture works)');
  for (const [path, text] of bodies) {
    assert.not.ok(text.includes(secret), `the cluster secret leaked in ${path}`);
    for (const token of tokens) assert.not.ok(text.includes(token), `an API token leaked in ${path}`);
  }
  assert.not.ok(logs.includes(secret), 'the cluster secret leaked into the log output');
  for (const token of tokens) assert.not.ok(logs.includes(token), 'an API token leaked into the log output');
});

test.run();
