// Real node processes on loopback for end-to-end specs: a temporary configuration with free
// ports and data directories, start/kill/restart of single nodes, and polling helpers. Used by
// the e2e specs, the browser spec and the fault-injection suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ClusterNode {
  readonly id: string;
  readonly apiPort: number;
  readonly peerPort: number;
  readonly url: string;
}

export interface ProcessClusterOptions {
  readonly size: number;
  /** Extra configuration merged over the generated one (sections merge shallowly). */
  readonly overrides?: Record<string, Record<string, unknown>>;
  readonly env?: Record<string, string>;
  /** Keep each node's output in memory (for specs that read logs). */
  readonly captureOutput?: boolean;
}

/** Ports freePort has handed out in this process: none is handed out twice. */
const portsGiven = new Set<number>();
/** Attempts before giving up on finding a port not handed out yet. */
const FREE_PORT_ATTEMPTS_MAX = 100;

/**
 * A port free on 127.0.0.1 now, and never one this process was given before: the kernel may hand
 * the port of a listener just closed to the next listen(0), and a cluster whose nodes were given
 * the same port twice cannot start (a node refuses the config).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < FREE_PORT_ATTEMPTS_MAX; attempt++) {
    const port = await anyFreePort();
    if (portsGiven.has(port)) continue;
    portsGiven.add(port);
    return port;
  }
  throw new Error(`no port found that was not handed out before, in ${FREE_PORT_ATTEMPTS_MAX} attempts`);
}

function anyFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export class ProcessCluster {
  readonly dir: string;
  readonly configPath: string;
  readonly nodes: ClusterNode[] = [];
  readonly output = new Map<string, string[]>();
  private readonly procs = new Map<string, ChildProcess>();
  readonly exits = new Map<string, { code: number | null; signal: NodeJS.Signals | null }>();
  private readonly options: ProcessClusterOptions;
  readonly secret = 'e2e-secret-0123456789abcdef0123456789';

  private constructor(options: ProcessClusterOptions, dir: string) {
    this.options = options;
    this.dir = dir;
    this.configPath = join(dir, 'cluster.config.json');
  }

  static async create(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options, mkdtempSync(join(tmpdir(), 'syncpay-e2e-')));
    for (let i = 1; i <= options.size; i++) {
      const apiPort = await freePort();
      const peerPort = await freePort();
      cluster.nodes.push({ id: `node${i}`, apiPort, peerPort, url: `http://127.0.0.1:${apiPort}` });
    }
    const overrides = options.overrides ?? {};
    const config: Record<string, unknown> = {
      ...overrides,
      cluster: { ...(overrides['cluster'] ?? {}), nodes: cluster.nodes.map((n) => ({ id: n.id, host: '127.0.0.1', apiPort: n.apiPort, peerPort: n.peerPort })) },
      node: { ...(overrides['node'] ?? {}), dataDir: join(cluster.dir, 'data', '{id}') },
      log: { level: 'info', ...(overrides['log'] ?? {}) },
    };
    writeFileSync(cluster.configPath, JSON.stringify(config, null, 2));
    return cluster;
  }

  node(id: string): ClusterNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new Error(`no node ${id}`);
    return node;
  }

  start(id: string, extraArgs: string[] = []): ChildProcess {
    const proc = spawn(process.execPath, [resolve('runtime/start.js'), '--node', id, '--config', this.configPath, ...extraArgs], {
      env: { ...process.env, SYNCPAY_CLUSTER_SECRET: this.secret, SYNCPAY_LOG_PRETTY: '0', ...(this.options.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = this.output.get(id) ?? [];
    this.output.set(id, lines);
    const keep = (chunk: Buffer): void => {
      if (this.options.captureOutput) lines.push(chunk.toString('utf8'));
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.exits.delete(id);
    proc.on('exit', (code, signal) => {
      this.exits.set(id, { code, signal });
      if (this.procs.get(id) === proc) this.procs.delete(id);
    });
    this.procs.set(id, proc);
    return proc;
  }

  async startAll(): Promise<void> {
    for (const n of this.nodes) this.start(n.id);
    await Promise.all(this.nodes.map((n) => this.waitReady(n.id)));
  }

  pid(id: string): number | undefined {
    return this.procs.get(id)?.pid;
  }

  running(id: string): boolean {
    return this.procs.has(id);
  }

  signal(id: string, signal: NodeJS.Signals): void {
    this.procs.get(id)?.kill(signal);
  }

  async waitExit(id: string, timeoutMs = 15000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exit = await waitFor(() => this.exits.get(id), timeoutMs, `${id} to exit`);
    return exit;
  }

  async kill(id: string): Promise<void> {
    if (!this.procs.has(id)) return;
    this.signal(id, 'SIGKILL');
    await this.waitExit(id);
  }

  async waitReady(id: string, timeoutMs = 20000): Promise<void> {
    const node = this.node(id);
    await waitFor(async () => {
      if (this.exits.has(id)) throw new Error(`${id} exited during start: ${JSON.stringify(this.exits.get(id))}\n${(this.output.get(id) ?? []).join('')}`);
      const res = await fetch(`${node.url}/ping`).catch(() => null);
      return res?.ok ? true : undefined;
    }, timeoutMs, `${id} to answer /ping`);
  }

  async json<T = Record<string, unknown>>(id: string, path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.node(id).url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  /**
   * The leader every node of `among` names, in one term, while one of them holds the role; with
   * `steadyMs`, still the same that much later (a cold-started cluster may still change leaders,
   * and a write sent during the change is answered by whichever node led when it committed).
   */
  async agreedLeader(among: readonly string[] = this.nodes.map((n) => n.id), steadyMs = 0, timeoutMs = 60000): Promise<string> {
    const agreed = async (): Promise<string | undefined> => {
      const views = await Promise.all(among.map((id) => this.json<{ leader: string | null; term: number; role: string }>(id, '/status').then((r) => r.body).catch(() => null)));
      const first = views[0];
      if (!first?.leader || views.some((v) => v?.leader !== first.leader || v?.term !== first.term)) return undefined;
      return views.some((v) => v?.role === 'leader') ? `${first.term} ${first.leader}` : undefined;
    };
    const seen = await waitFor(async () => {
      const now = await agreed();
      if (now === undefined || steadyMs === 0) return now;
      await new Promise((r) => setTimeout(r, steadyMs));
      return (await agreed()) === now ? now : undefined;
    }, timeoutMs, `a leader ${among.join(', ')} agree on`, 50);
    return seen.slice(seen.indexOf(' ') + 1);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id)));
  }

  async destroy(): Promise<void> {
    await this.stopAll();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Poll `probe` until it returns a value other than undefined (or throws), within a bound. */
export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Pids of live node processes whose command line names `configPath` (one test cluster's nodes). */
export function processesOf(configPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes(configPath) && cmd.includes('start.js')) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
