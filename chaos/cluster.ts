// Real node processes wired through chaos proxies. Every node gets its own configuration file:
// the same node ids, its own entry with its real ports, and every other node's peer port
// replaced by a proxy dedicated to that directed (from, to) pair. Only the dialling side of a
// pair ever uses its proxy (the smaller id dials), but giving both sides one keeps any future
// dial behind the harness's control too. Processes are killed, paused and restarted by pid;
// with faketime available every node runs under libfaketime reading its offset from a file, so
// its wall clock can be skewed and jumped while it runs (the monotonic clock is left alone).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '../spec/support/process-cluster.ts';
import { OPEN, TcpProxy, type ProxyMode } from './proxy.ts';

export const FAKETIME_LIB_PATHS = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

export function findFaketime(): string | null {
  return FAKETIME_LIB_PATHS.find((p) => existsSync(p)) ?? null;
}

export interface ChaosNode {
  readonly id: string;
  readonly apiPort: number;
  readonly peerPort: number;
  readonly url: string;
  readonly configPath: string;
  readonly clockFile: string;
}

export interface ChaosClusterOptions {
  readonly size: number;
  /** Working directory: configs, data directories and node logs go under it. */
  readonly dir: string;
  /** Run nodes under libfaketime so their clocks can be skewed (null: no clock faults). */
  readonly faketimeLib: string | null;
  /** Sections merged over the generated configuration. */
  readonly overrides?: Record<string, Record<string, unknown>>;
  readonly seed: number;
}

export interface NodeStatus {
  readonly node_id: string;
  readonly is_leader: boolean;
  readonly leader: string | null;
  readonly term: number;
  readonly commit_index: number;
  readonly applied_index: number;
  readonly ledger_hash: string | null;
  readonly ledger_hash_index: number | null;
  readonly clock_fenced?: boolean;
}

const SECRET = 'chaos-secret-0123456789abcdef0123456789';

export class ChaosCluster {
  readonly nodes: ChaosNode[] = [];
  /** `${from}>${to}` -> the proxy `from` dials `to` through. */
  readonly proxies = new Map<string, TcpProxy>();
  private readonly procs = new Map<string, ChildProcess>();
  private readonly paused = new Set<string>();
  private readonly logs = new Map<string, WriteStream>();
  private readonly offsets = new Map<string, number>();
  /** Exits nobody asked for (crashes), for the report. */
  readonly unexpectedExits: { node: string; code: number | null; signal: string | null; atMs: number }[] = [];
  private readonly expectingExit = new Set<string>();
  private readonly t0 = Date.now();
  private destroyed = false;

  /** If the harness itself dies, its nodes must not outlive it (a paused one would linger forever). */
  private readonly onExit = (): void => {
    for (const proc of this.procs.values()) {
      proc.kill('SIGKILL');
    }
  };

  private constructor(private readonly options: ChaosClusterOptions) {
    process.on('exit', this.onExit);
  }

  static async create(options: ChaosClusterOptions): Promise<ChaosCluster> {
    const cluster = new ChaosCluster(options);
    mkdirSync(join(options.dir, 'logs'), { recursive: true });
    mkdirSync(join(options.dir, 'config'), { recursive: true });
    const real: { id: string; apiPort: number; peerPort: number }[] = [];
    for (let i = 1; i <= options.size; i++) real.push({ id: `node${i}`, apiPort: await freePort(), peerPort: await freePort() });
    for (const from of real) {
      for (const to of real) {
        if (from.id === to.id) continue;
        cluster.proxies.set(`${from.id}>${to.id}`, await TcpProxy.start({ host: '127.0.0.1', port: to.peerPort }));
      }
    }
    const overrides = options.overrides ?? {};
    for (const self of real) {
      const configPath = join(options.dir, 'config', `${self.id}.json`);
      const clockFile = join(options.dir, 'config', `${self.id}.faketime`);
      const nodes = real.map((n) => ({
        id: n.id,
        host: '127.0.0.1',
        apiPort: n.apiPort,
        peerPort: n.id === self.id ? n.peerPort : cluster.proxies.get(`${self.id}>${n.id}`)!.port,
      }));
      const config = {
        ...overrides,
        cluster: { ...(overrides['cluster'] ?? {}), nodes },
        node: { ...(overrides['node'] ?? {}), dataDir: join(options.dir, 'data', '{id}'), randomSeed: (options.seed * 31 + Number(self.id.slice(4))) >>> 0 },
        log: { level: 'warn', ...(overrides['log'] ?? {}) },
      };
      writeFileSync(configPath, JSON.stringify(config, null, 2));
      writeFileSync(clockFile, '+0\n');
      cluster.nodes.push({ ...self, url: `http://127.0.0.1:${self.apiPort}`, configPath, clockFile });
    }
    return cluster;
  }

  get ids(): string[] {
    return this.nodes.map((n) => n.id);
  }

  node(id: string): ChaosNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private log(id: string): WriteStream {
    let s = this.logs.get(id);
    if (!s) {
      s = createWriteStream(join(this.options.dir, 'logs', `${id}.log`), { flags: 'a' });
      this.logs.set(id, s);
    }
    return s;
  }

  start(id: string): void {
    if (this.procs.has(id)) return;
    const node = this.node(id);
    const env: NodeJS.ProcessEnv = { ...process.env, SYNCPAY_CLUSTER_SECRET: SECRET, SYNCPAY_LOG_PRETTY: '0' };
    if (this.options.faketimeLib) {
      Object.assign(env, {
        LD_PRELOAD: this.options.faketimeLib,
        FAKETIME_TIMESTAMP_FILE: node.clockFile,
        FAKETIME_CACHE_DURATION: '1',
        DONT_FAKE_MONOTONIC: '1',
      });
    }
    const proc = spawn(process.execPath, [resolve('runtime/start.js'), '--node', id, '--config', node.configPath], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = this.log(id);
    out.write(`--- chaos: start ${id} at +${Date.now() - this.t0} ms (pid ${proc.pid})\n`);
    proc.stdout?.pipe(out, { end: false });
    proc.stderr?.pipe(out, { end: false });
    proc.on('exit', (code, signal) => {
      if (this.procs.get(id) === proc) this.procs.delete(id);
      this.paused.delete(id);
      out.write(`--- chaos: ${id} exited code=${code} signal=${signal}\n`);
      if (!this.expectingExit.delete(id)) this.unexpectedExits.push({ node: id, code, signal, atMs: Date.now() - this.t0 });
    });
    this.procs.set(id, proc);
  }

  running(id: string): boolean {
    return this.procs.has(id);
  }

  isPaused(id: string): boolean {
    return this.paused.has(id);
  }

  async kill(id: string): Promise<void> {
    const proc = this.procs.get(id);
    if (!proc) return;
    this.expectingExit.add(id);
    const exited = new Promise<void>((done) => proc.once('exit', () => done()));
    proc.kill('SIGKILL');
    await exited;
  }

  pause(id: string): void {
    const proc = this.procs.get(id);
    if (!proc || this.paused.has(id)) return;
    proc.kill('SIGSTOP');
    this.paused.add(id);
  }

  resume(id: string): void {
    const proc = this.procs.get(id);
    if (!proc || !this.paused.has(id)) return;
    proc.kill('SIGCONT');
    this.paused.delete(id);
  }

  /** Sets a node's wall-clock offset (ms); libfaketime rereads the file within about a second. */
  setClockOffset(id: string, offsetMs: number): void {
    this.offsets.set(id, offsetMs);
    const seconds = (offsetMs / 1000).toFixed(3);
    writeFileSync(this.node(id).clockFile, `${offsetMs >= 0 ? '+' : ''}${seconds}s\n`);
  }

  clockOffset(id: string): number {
    return this.offsets.get(id) ?? 0;
  }

  async waitReady(id: string, timeoutMs = 60000): Promise<void> {
    const node = this.node(id);
    await waitFor(async () => {
      if (!this.procs.has(id)) throw new Error(`${id} exited during start (see its log)`);
      const res = await fetch(`${node.url}/ping`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      return res?.ok ? true : undefined;
    }, timeoutMs, `${id} to answer /ping`, 100);
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) this.start(n.id);
    await Promise.all(this.nodes.map((n) => this.waitReady(n.id)));
  }

  /** Set both directed proxies between a and b. */
  setLink(a: string, b: string, mode: ProxyMode): void {
    this.proxies.get(`${a}>${b}`)?.setMode(mode);
    this.proxies.get(`${b}>${a}`)?.setMode(mode);
  }

  /**
   * Blackhole everything `from` sends to `to` (and nothing the other way). The link is one TCP
   * connection whichever side dialled it, so the direction is mapped onto that proxy's flow.
   */
  dropOneWay(from: string, to: string): void {
    this.proxies.get(`${from}>${to}`)?.drop('forward');
    this.proxies.get(`${to}>${from}`)?.drop('backward');
  }

  /** Nodes in different groups cannot talk; `style` picks blackhole or reset. */
  partition(groups: readonly (readonly string[])[], style: 'drop' | 'reset'): void {
    const groupOf = (id: string): number[] => groups.flatMap((g, i) => (g.includes(id) ? [i] : []));
    for (const a of this.ids) {
      for (const b of this.ids) {
        if (a >= b) continue;
        const ga = groupOf(a);
        const gb = groupOf(b);
        const together = ga.some((g) => gb.includes(g));
        if (together) this.setLink(a, b, OPEN);
        else if (style === 'reset') this.setLink(a, b, { kind: 'reset' });
        else this.setLink(a, b, { kind: 'flow', forward: { kind: 'drop' }, backward: { kind: 'drop' } });
      }
    }
  }

  healNetwork(): void {
    for (const p of this.proxies.values()) p.pass();
  }

  async status(id: string, timeoutMs = 1000): Promise<NodeStatus | null> {
    if (!this.procs.has(id) || this.paused.has(id)) return null;
    try {
      const res = await fetch(`${this.node(id).url}/status`, { signal: AbortSignal.timeout(timeoutMs) });
      return res.ok ? ((await res.json()) as NodeStatus) : null;
    } catch {
      return null;
    }
  }

  /** The node that says it leads with the highest term, among those answering. */
  async leader(): Promise<string | null> {
    const all = await Promise.all(this.ids.map((id) => this.status(id)));
    let best: NodeStatus | null = null;
    for (const s of all) if (s?.is_leader && (best === null || s.term > best.term)) best = s;
    return best?.node_id ?? null;
  }

  /** Undo every fault: resume, restart, reconnect, reset clocks. */
  async healAll(): Promise<void> {
    this.healNetwork();
    for (const id of this.ids) {
      if (this.paused.has(id)) this.resume(id);
      if (this.clockOffset(id) !== 0) this.setClockOffset(id, 0);
      if (!this.procs.has(id)) this.start(id);
    }
    await Promise.all(this.ids.map((id) => this.waitReady(id)));
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    process.off('exit', this.onExit);
    for (const id of [...this.paused]) this.resume(id);
    await Promise.all(this.ids.map((id) => this.kill(id)));
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    await Promise.all([...this.logs.values()].map((s) => new Promise<void>((done) => s.end(() => done()))));
  }
}
