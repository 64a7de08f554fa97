// A three-member etcd cluster on loopback for the side-by-side runs: Debian's `etcd` binary, free
// ports, temporary data directories, default durability (etcd fsyncs its WAL before it answers),
// removed at the end. etcd is found on PATH; without it --compare etcd stops with a clear message.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '../../spec/support/process-cluster.ts';
import { readCpuSeconds } from './proc-stat.ts';

interface Member {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  proc: ChildProcess | null;
  output: string;
}

export function etcdVersion(): string | null {
  try {
    const out = execFileSync('etcd', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

export class EtcdBenchCluster {
  private constructor(private readonly dir: string, private readonly members: Member[]) {}

  static async start(): Promise<EtcdBenchCluster> {
    if (etcdVersion() === null) throw new Error('etcd not found on PATH: apt-get install etcd-server (needed by --compare etcd)');
    const dir = mkdtempSync(join(tmpdir(), 'syncpay-bench-etcd-'));
    const members: Member[] = [];
    for (let i = 1; i <= 3; i++) members.push({ name: `etcd${i}`, clientPort: await freePort(), peerPort: await freePort(), proc: null, output: '' });
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    const cluster = new EtcdBenchCluster(dir, members);
    for (const m of members) {
      const args = [
        '--name', m.name,
        '--data-dir', join(dir, m.name),
        '--listen-client-urls', `http://127.0.0.1:${m.clientPort}`,
        '--advertise-client-urls', `http://127.0.0.1:${m.clientPort}`,
        '--listen-peer-urls', `http://127.0.0.1:${m.peerPort}`,
        '--initial-advertise-peer-urls', `http://127.0.0.1:${m.peerPort}`,
        '--initial-cluster', initial,
        '--initial-cluster-state', 'new',
        '--initial-cluster-token', `syncpay-bench-${process.pid}`,
        '--logger', 'zap',
        '--log-level', 'warn',
      ];
      const proc = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (c: Buffer): void => {
        m.output = (m.output + c.toString('utf8')).slice(-20_000);
      };
      proc.stdout?.on('data', keep);
      proc.stderr?.on('data', keep);
      proc.on('exit', () => {
        if (m.proc === proc) m.proc = null;
      });
      m.proc = proc;
    }
    try {
      await waitFor(async () => {
        const answers = await Promise.all(members.map(async (m) => {
          if (m.proc === null) throw new Error(`${m.name} exited during start:\n${m.output}`);
          const res = await fetch(`http://127.0.0.1:${m.clientPort}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
          const body = res?.ok ? ((await res.json()) as { health?: unknown }) : null;
          return body?.health === 'true' || body?.health === true;
        }));
        return answers.every(Boolean) ? true : undefined;
      }, 30_000, 'etcd members to be healthy', 100);
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((m) => `127.0.0.1:${m.clientPort}`);
  }

  get nodeIds(): string[] {
    return this.members.map((m) => m.name);
  }

  cpuSeconds(): Record<string, number | null> {
    return Object.fromEntries(this.members.map((m) => [m.name, readCpuSeconds(m.proc?.pid)]));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => new Promise<void>((resolve) => {
      const proc = m.proc;
      if (proc === null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    })));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
