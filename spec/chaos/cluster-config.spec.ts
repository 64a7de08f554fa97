// The chaos cluster's wiring, without starting any node: each node's own config file keeps its
// real ports and reaches every peer through the proxy dedicated to that (from, to) pair, and the
// partition helpers set those proxies as named (no process is started here).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChaosCluster } from '../../chaos/cluster.ts';

async function withCluster(size: number, body: (c: ChaosCluster) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-chaos-config-'));
  const cluster = await ChaosCluster.create({ size, dir, faketimeLib: null, seed: 1 });
  try {
    await body(cluster);
  } finally {
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Entry { id: string; apiPort: number; peerPort: number }

test('every node has its own config: real ports for itself, a dedicated proxy per peer', () => withCluster(3, (c) => {
  assert.is(c.proxies.size, 6);
  for (const self of c.nodes) {
    const config = JSON.parse(readFileSync(self.configPath, 'utf8')) as { cluster: { nodes: Entry[] }; node: { dataDir: string } };
    assert.equal(config.cluster.nodes.map((n) => n.id), ['node1', 'node2', 'node3'], 'same ids everywhere');
    for (const entry of config.cluster.nodes) {
      const real = c.node(entry.id);
      assert.is(entry.apiPort, real.apiPort);
      if (entry.id === self.id) {
        assert.is(entry.peerPort, real.peerPort);
      } else {
        const proxy = c.proxies.get(`${self.id}>${entry.id}`)!;
        assert.is(entry.peerPort, proxy.port);
        assert.is(proxy.target.port, real.peerPort, 'the proxy forwards to the peer itself');
      }
    }
    assert.ok(config.node.dataDir.includes('{id}'));
  }
  const ports = [...c.proxies.values()].map((p) => p.port);
  assert.is(new Set(ports).size, ports.length, 'no proxy is shared');
}));

test('partition, one-way and heal set the pair proxies as named', () => withCluster(3, (c) => {
  c.partition([['node1'], ['node2', 'node3']], 'drop');
  const mode = (from: string, to: string) => JSON.stringify(c.proxies.get(`${from}>${to}`)!.current);
  const dropped = JSON.stringify({ kind: 'flow', forward: { kind: 'drop' }, backward: { kind: 'drop' } });
  const open = JSON.stringify({ kind: 'flow', forward: { kind: 'pass' }, backward: { kind: 'pass' } });
  assert.is(mode('node1', 'node2'), dropped);
  assert.is(mode('node2', 'node1'), dropped);
  assert.is(mode('node3', 'node1'), dropped);
  assert.is(mode('node2', 'node3'), open);
  c.partition([['node1', 'node2'], ['node2', 'node3']], 'reset');
  assert.is(mode('node1', 'node2'), open, 'a bridge node talks to both halves');
  assert.is(mode('node1', 'node3'), JSON.stringify({ kind: 'reset' }));
  c.healNetwork();
  c.dropOneWay('node1', 'node2');
  // node1 dials node2: its bytes flow "forward" through node1>node2; node2's view is the mirror.
  assert.is(mode('node1', 'node2'), JSON.stringify({ kind: 'flow', forward: { kind: 'drop' }, backward: { kind: 'pass' } }));
  assert.is(mode('node2', 'node1'), JSON.stringify({ kind: 'flow', forward: { kind: 'pass' }, backward: { kind: 'drop' } }));
  c.healNetwork();
  for (const p of c.proxies.values()) assert.is(JSON.stringify(p.current), open);
}));

test.run();
