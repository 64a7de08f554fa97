// A TCP proxy for one directed peer link, so the harness can cut, blackhole, slow down or reset
// the link from outside the node processes. "Forward" is the dialling node's bytes towards the
// listening node, "backward" the answers. A blackhole discards bytes but keeps the sockets open,
// as a dead router would: the node must notice by itself (ping/pong) and reconnect. When a
// blackhole heals, connections that lost bytes are closed, because a real TCP stream never
// delivers data with a hole in it and the node's frame parser should not see one either.
import { createServer, Socket, type AddressInfo, type Server } from 'node:net';

export type DirectionMode = { readonly kind: 'pass' } | { readonly kind: 'drop' } | { readonly kind: 'delay'; readonly ms: number };
export type ProxyMode = { readonly kind: 'reset' } | { readonly kind: 'flow'; readonly forward: DirectionMode; readonly backward: DirectionMode };
export type Direction = 'forward' | 'backward';

export const PASS: DirectionMode = { kind: 'pass' };
export const DROP: DirectionMode = { kind: 'drop' };
export const OPEN: ProxyMode = { kind: 'flow', forward: PASS, backward: PASS };
export const RESET: ProxyMode = { kind: 'reset' };

export interface ProxyStats {
  readonly accepted: number;
  readonly refused: number;
  readonly bytes: Record<Direction, { passed: number; dropped: number }>;
}

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** One direction of one proxied connection: an ordered queue so delayed and undelayed chunks never overtake each other. */
class Pipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;
  lostBytes = false;

  constructor(
    private readonly to: Socket,
    private readonly mode: () => DirectionMode,
    private readonly count: (passed: number, dropped: number) => void,
  ) {}

  push(chunk: Buffer): void {
    const mode = this.mode();
    if (mode.kind === 'drop') {
      this.lostBytes = true;
      this.count(0, chunk.length);
      return;
    }
    const due = Date.now() + (mode.kind === 'delay' ? mode.ms : 0);
    if (this.queue.length === 0 && due <= Date.now()) {
      this.deliver(chunk);
      return;
    }
    this.queue.push({ due, chunk });
    this.arm();
  }

  private deliver(chunk: Buffer): void {
    if (this.to.destroyed) return;
    this.count(chunk.length, 0);
    this.to.write(chunk);
  }

  private arm(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.due - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = Date.now();
      while (this.queue.length > 0 && this.queue[0]!.due <= now) {
        const head = this.queue.shift()!;
        // A blackhole raised while the chunk waited swallows it too.
        if (this.mode().kind === 'drop') {
          this.lostBytes = true;
          this.count(0, head.chunk.length);
        } else this.deliver(head.chunk);
      }
      this.arm();
    }, wait);
  }

  get waiting(): number {
    return this.queue.length;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }
}

interface Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: Record<Direction, Pipe>;
}

export class TcpProxy {
  private mode: ProxyMode = OPEN;
  private readonly connections = new Set<Connection>();
  private accepted = 0;
  private refused = 0;
  private readonly bytes: Record<Direction, { passed: number; dropped: number }> = {
    forward: { passed: 0, dropped: 0 },
    backward: { passed: 0, dropped: 0 },
  };

  private constructor(private readonly server: Server, readonly target: ProxyTarget) {}

  /** Listens on `port` (0: any free port) on loopback and forwards to `target`. */
  static async start(target: ProxyTarget, port = 0, host = '127.0.0.1'): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(port, host, () => {
        server.off('error', fail);
        done();
      });
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get current(): ProxyMode {
    return this.mode;
  }

  stats(): ProxyStats {
    return { accepted: this.accepted, refused: this.refused, bytes: { forward: { ...this.bytes.forward }, backward: { ...this.bytes.backward } } };
  }

  /** Chunks held back by a delay, across connections. */
  get delayedChunks(): number {
    let n = 0;
    for (const c of this.connections) n += c.pipes.forward.waiting + c.pipes.backward.waiting;
    return n;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  setMode(mode: ProxyMode): void {
    const before = this.mode;
    this.mode = mode;
    if (mode.kind === 'reset') {
      for (const c of [...this.connections]) this.kill(c);
      return;
    }
    if (before.kind === 'flow') {
      for (const c of [...this.connections]) {
        for (const d of ['forward', 'backward'] as const) {
          if (before[d].kind === 'drop' && mode[d].kind !== 'drop' && c.pipes[d].lostBytes) {
            this.kill(c);
            break;
          }
        }
      }
    }
  }

  pass(): void {
    this.setMode(OPEN);
  }

  /** Blackhole one direction or both. */
  drop(direction: Direction | 'both' = 'both'): void {
    this.setMode({ kind: 'flow', forward: direction === 'backward' ? PASS : DROP, backward: direction === 'forward' ? PASS : DROP });
  }

  delay(ms: number, direction: Direction | 'both' = 'both'): void {
    const d: DirectionMode = { kind: 'delay', ms };
    this.setMode({ kind: 'flow', forward: direction === 'backward' ? PASS : d, backward: direction === 'forward' ? PASS : d });
  }

  reset(): void {
    this.setMode(RESET);
  }

  async close(): Promise<void> {
    for (const c of [...this.connections]) this.kill(c);
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private flow(direction: Direction): DirectionMode {
    const m = this.mode;
    return m.kind === 'reset' ? DROP : m[direction];
  }

  private accept(client: Socket): void {
    if (this.mode.kind === 'reset') {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    client.setNoDelay(true);
    const upstream = new Socket();
    upstream.setNoDelay(true);
    const count = (d: Direction) => (passed: number, dropped: number) => {
      this.bytes[d].passed += passed;
      this.bytes[d].dropped += dropped;
    };
    const connection: Connection = {
      client,
      upstream,
      pipes: {
        forward: new Pipe(upstream, () => this.flow('forward'), count('forward')),
        backward: new Pipe(client, () => this.flow('backward'), count('backward')),
      },
    };
    this.connections.add(connection);
    // Bytes from the client may arrive before the upstream connects: socket.write queues them.
    client.on('data', (chunk: Buffer) => connection.pipes.forward.push(chunk));
    upstream.on('data', (chunk: Buffer) => connection.pipes.backward.push(chunk));
    const end = () => this.kill(connection);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    upstream.connect(this.target.port, this.target.host);
  }

  private kill(c: Connection): void {
    if (!this.connections.delete(c)) return;
    c.pipes.forward.stop();
    c.pipes.backward.stop();
    for (const s of [c.client, c.upstream]) {
      if (s.destroyed) continue;
      try {
        if (s.readyState === 'open') s.resetAndDestroy();
        else s.destroy();
      } catch {
        s.destroy();
      }
    }
  }
}
