#!/usr/bin/env node
// `npm start`: a local cluster, one process per node of the configuration (or of a generated
// five-node one with `--nodes 5`). Generates a cluster secret for the session when none is set,
// prints each node's addresses once it answers, and on Ctrl-C stops every process it started
// (SIGTERM, then SIGKILL after a bound) before exiting.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

let configPath = resolve(flag('--config') ?? 'cluster.config.json');
const size = flag('--nodes');
const file = JSON.parse(readFileSync(configPath, 'utf8'));
if (size !== undefined) {
  const n = Number(size);
  if (n !== 3 && n !== 5) {
    console.error('usage: npm start -- [--nodes 3|5] [--config <path>]');
    process.exit(2);
  }
  file.cluster = file.cluster ?? {};
  file.cluster.nodes = Array.from({ length: n }, (_, i) => ({
    id: `node${i + 1}`,
    host: '127.0.0.1',
    apiPort: 5000 + i,
    peerPort: 5100 + i,
  }));
  mkdirSync('.syncpay', { recursive: true });
  configPath = resolve('.syncpay', `cluster-${n}.config.json`);
  writeFileSync(configPath, JSON.stringify(file, null, 2));
}
const nodes = file.cluster?.nodes ?? [];

const env = { ...process.env, SYNCPAY_LOG_PRETTY: process.env.SYNCPAY_LOG_PRETTY ?? '1' };
if (!env.SYNCPAY_CLUSTER_SECRET && !file.cluster?.secretFile) {
  env.SYNCPAY_CLUSTER_SECRET = randomBytes(32).toString('hex');
}

const children = new Map();
for (const node of nodes) {
  const child = spawn(process.execPath, [join(here, 'start.js'), '--node', node.id, '--config', configPath], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.set(node.id, child);
  child.on('exit', (code, signal) => {
    children.delete(node.id);
    if (!stopping) console.error(`${node.id} exited (${signal ?? code})`);
    if (stopping && children.size === 0) process.exit(0);
  });
}

async function waitReady(node) {
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${node.host}:${node.apiPort}/ping`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const ready = await Promise.all(nodes.map(waitReady));
console.log('\nSyncPay cluster');
nodes.forEach((node, i) => {
  const api = `http://${node.host}:${node.apiPort}`;
  console.log(`  ${node.id}  api ${api}  ui ${api}/ui  ${ready[i] ? 'ready' : 'NOT READY'}`);
});
console.log('Ctrl-C stops every node.\n');

let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  if (children.size === 0) process.exit(0);
  for (const child of children.values()) child.kill('SIGTERM');
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(0);
  }, 10000).unref();
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
