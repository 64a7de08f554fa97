// The deployment files against the code that will read them: the example configurations in
// deploy/ load and pass the node's own validation and security checks, the Kubernetes manifest's
// node ids and hosts are the pods and DNS names the StatefulSet creates, and the stop and restart
// settings agree with the node's shutdown bound and exit codes.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { checkSecurity, ConfigError, loadConfig } from '../../runtime/config.ts';
import { EXIT_CONFIG, EXIT_STORAGE } from '../../runtime/node.ts';

const UNIT = readFileSync('deploy/systemd/syncpay@.service', 'utf8');
const MANIFEST = readFileSync('deploy/kubernetes/syncpay.yaml', 'utf8');

function setting(text: string, key: string): string {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  assert.ok(m !== null, `${key}= is set`);
  return m![1]!.trim();
}

test('systemd: the example configuration loads for every node and passes the security checks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-deploy-'));
  try {
    copyFileSync('deploy/systemd/cluster.config.json', join(dir, 'cluster.config.json'));
    writeFileSync(join(dir, 'cluster.secret'), 'a-long-random-cluster-secret-0123456789\n');
    for (const id of ['node1', 'node2', 'node3']) {
      const loaded = loadConfig({ argv: ['--node', id, '--config', join(dir, 'cluster.config.json')], env: { SYNCPAY_API_TOKENS: 'tok' }, cwd: '/' });
      checkSecurity(loaded);
      assert.is(loaded.secret, 'a-long-random-cluster-secret-0123456789', 'secret read from cluster.secretFile, relative to the config');
      assert.ok(loaded.config.node.dataDir.startsWith('/var/lib/syncpay/'), 'data under the unit\'s ReadWritePaths');
    }
    // Without API tokens a node on a network address refuses to start: the env file is needed.
    const bare = loadConfig({ argv: ['--node', 'node1', '--config', join(dir, 'cluster.config.json')], env: {}, cwd: '/' });
    assert.throws(() => checkSecurity(bare), (e: unknown) => e instanceof ConfigError && /apiTokens/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd: the unit starts the node entry point with the instance as node id and stops it gracefully', () => {
  assert.match(setting(UNIT, 'ExecStart'), /\/runtime\/start\.js --node %i --config \/etc\/syncpay\/cluster\.config\.json$/);
  assert.is(setting(UNIT, 'KillSignal'), 'SIGTERM');
  assert.ok(Number(setting(UNIT, 'TimeoutStopSec')) * 1000 > DEFAULT_CONFIG.supervisor.shutdownTimeoutMs, 'systemd waits longer than the node\'s own shutdown bound');
  const noRestart = setting(UNIT, 'RestartPreventExitStatus').split(/\s+/).map(Number);
  assert.ok(noRestart.includes(EXIT_CONFIG) && noRestart.includes(EXIT_STORAGE), 'no restart loop on a bad config or corrupt data');
  assert.is(setting(UNIT, 'Restart'), 'on-failure');
});

/** The JSON of the ConfigMap's `cluster.config.json: |` block. */
function manifestConfig(): unknown {
  const m = /cluster\.config\.json: \|\n((?: {4}.*\n)+)/.exec(MANIFEST);
  assert.ok(m !== null, 'the ConfigMap holds cluster.config.json');
  return JSON.parse(m![1]!.split('\n').map((l) => l.slice(4)).join('\n'));
}

function manifestNumber(key: string): number {
  const m = new RegExp(`^\\s*${key}: (\\d+)$`, 'm').exec(MANIFEST);
  assert.ok(m !== null, `${key} in the manifest`);
  return Number(m![1]);
}

test('kubernetes: the node list is the StatefulSet\'s pods at their headless-service DNS names', () => {
  const replicas = manifestNumber('replicas');
  const service = /^\s*serviceName: (\S+)$/m.exec(MANIFEST)?.[1];
  const namespace = 'syncpay';
  const config = manifestConfig() as { cluster: { nodes: Array<{ id: string; host: string }> } };
  assert.is(config.cluster.nodes.length, replicas);
  config.cluster.nodes.forEach((n, i) => {
    assert.is(n.id, `syncpay-${i}`);
    assert.is(n.host, `syncpay-${i}.${service}.${namespace}.svc.cluster.local`);
  });
  assert.match(MANIFEST, /publishNotReadyAddresses: true/);
  assert.match(MANIFEST, /podManagementPolicy: Parallel/);
  assert.match(MANIFEST, /name: SYNCPAY_NODE\n\s+valueFrom: \{ fieldRef: \{ fieldPath: metadata\.name \} \}/);
});

test('kubernetes: each pod\'s configuration loads and passes the security checks with the Secret\'s values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-k8s-'));
  try {
    const path = join(dir, 'cluster.config.json');
    writeFileSync(path, JSON.stringify(manifestConfig()));
    for (let i = 0; i < manifestNumber('replicas'); i++) {
      const loaded = loadConfig({ argv: ['--config', path], env: { SYNCPAY_NODE: `syncpay-${i}`, SYNCPAY_CLUSTER_SECRET: 'k8s-secret-0123456789abcdef', SYNCPAY_API_TOKENS: 't' }, cwd: dir });
      checkSecurity(loaded);
      assert.is(loaded.nodeId, `syncpay-${i}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(manifestNumber('terminationGracePeriodSeconds') * 1000 > DEFAULT_CONFIG.supervisor.shutdownTimeoutMs);
  assert.match(MANIFEST, /readinessProbe:\n\s+httpGet: \{ path: \/health, port: api \}/);
  assert.match(MANIFEST, /livenessProbe:\n\s+httpGet: \{ path: \/ping, port: api \}/);
  assert.match(MANIFEST, /mountPath: \/var\/lib\/syncpay/);
});

test.run();
