// A minimal HTTP/1.1 keep-alive client for the load generator. The load generator shares the
// machine's two cores with the nodes it measures, so every microsecond it spends per request is
// taken from the system under test: node:http costs about 175 µs of client CPU per request here
// (bench/client-compare.ts), most of it in the generality of its streams, agent and header handling.
// This client writes each request as one string on a reused socket and reads the answer with a
// small parser that understands exactly what a request needs: the status line, Content-Length or
// chunked bodies, and `Connection: close`. It is still real HTTP over TCP, answer by answer: no
// pipelining (one request in flight per socket), so each worker of the closed loop pays the full
// round trip, as with node:http. Anything it does not understand fails the request loudly.
import net from 'node:net';
import { assertLoopback, type HttpAnswer, type HttpClient } from './http-client.ts';

const CRLF2 = Buffer.from('\r\n\r\n');
/** Bytes one read of a connection may return; an answer may span any number of reads. */
const READ_BUFFER_BYTES = 64 * 1024;
/** An answer's header block larger than this is refused (ours are a few hundred bytes). */
const HEADER_BYTES_MAX = 16 * 1024;

class HttpError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

/** What a response's framing says once its header block is read. */
interface Head {
  readonly status: number;
  readonly bodyStart: number;
  /** Body length, or -1 for a chunked body. */
  readonly length: number;
  readonly close: boolean;
}

/** Parses the header block ending at `end` (the index of CRLFCRLF); null if it is not HTTP/1.1. */
export function parseHead(buf: Buffer, end: number): Head | null {
  // One lower-cased copy of the block, read line by line with indexOf: the three headers that
  // frame a body are all this client looks at (split, trim and a lower-casing per line cost
  // more than the rest of an answer's handling).
  const raw = buf.toString('latin1', 0, end);
  // The protocol name is case-sensitive (RFC 9112); header names are not.
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  if (statusLine === null) return null;
  const text = raw.toLowerCase();
  let length = -2;
  let close = false;
  let at = text.indexOf('\r\n');
  while (at >= 0) {
    const start = at + 2;
    const next = text.indexOf('\r\n', start);
    const lineEnd = next < 0 ? text.length : next;
    const colon = text.indexOf(':', start);
    if (colon <= start || colon >= lineEnd) return null;
    const first = text.charCodeAt(start);
    // A line starting with whitespace continues the one before (obs-fold): not ours to accept.
    if (first === 0x20 || first === 0x09) return null;
    // c (content-length, connection) or t (transfer-encoding): no other header frames the body.
    if (first === 0x63 || first === 0x74) {
      const name = text.slice(start, colon).trim();
      const value = text.slice(colon + 1, lineEnd).trim();
      if (name === 'content-length') {
        if (!/^\d{1,12}$/.test(value)) return null;
        length = Number(value);
      } else if (name === 'transfer-encoding') {
        if (value !== 'chunked') return null;
        length = -1;
      } else if (name === 'connection') {
        close = value === 'close';
      }
    }
    at = next;
  }
  const status = Number(statusLine[1]);
  // Without a length the body runs to the close of the connection, which a keep-alive client
  // cannot use; 204 and 304 have no body.
  if (length === -2) {
    if (status === 204 || status === 304) length = 0;
    else return null;
  }
  return { status, bodyStart: end + 4, length, close };
}

/** Decodes a complete chunked body starting at `start`; null while more bytes are needed. */
export function decodeChunked(buf: Buffer, start: number): { readonly body: Buffer; readonly end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buf.toString('latin1', at, lineEnd).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size < 0) throw new HttpError('bad chunk size', 'EPROTO');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers are expected: the body ends with the empty line after the last chunk.
      if (buf.length < dataStart + 2) return null;
      return { body: Buffer.concat(parts), end: dataStart + 2 };
    }
    if (buf.length < dataStart + size + 2) return null;
    parts.push(buf.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}

/** One keep-alive connection carrying one request at a time. */
class Connection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private head: Head | null = null;
  private pending: { resolve: (a: HttpAnswer) => void; reject: (e: Error) => void } | null = null;
  private dead = false;

  constructor(port: number, timeoutMs: number, private readonly pool: Pool) {
    // Reads land in one buffer per connection, handed over without a stream: no Buffer and no
    // 'data' event per read. What outlives the callback (a partial answer) is copied out.
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    this.socket = net.connect({
      host: '127.0.0.1', port, noDelay: true,
      onread: { buffer: readBuffer, callback: (bytes: number) => { this.receive(readBuffer.subarray(0, bytes)); return true; } },
    });
    this.socket.setTimeout(timeoutMs, () => this.fail(new HttpError('request timed out', 'ETIMEDOUT')));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new HttpError('connection closed before the answer', 'ECONNRESET')));
  }

  send(request: Buffer): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.socket.destroy();
    this.pool.forget(this);
  }

  /** `chunk` is a view of the connection's read buffer, valid only during this call. */
  private receive(chunk: Buffer): void {
    // Bytes with no request waiting would be read as the next request's answer.
    if (this.pending === null) return this.fail(new HttpError('bytes with no request in flight', 'EPROTO'));
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      if (this.head === null) {
        const end = this.buffered.indexOf(CRLF2);
        if (end < 0) {
          if (this.buffered.length > HEADER_BYTES_MAX) throw new HttpError('header block too large', 'EPROTO');
          return this.keepPartial(chunk);
        }
        this.head = parseHead(this.buffered, end);
        if (this.head === null) throw new HttpError('unreadable response head', 'EPROTO');
      }
      const head = this.head;
      let body: Buffer;
      let end: number;
      if (head.length >= 0) {
        end = head.bodyStart + head.length;
        if (this.buffered.length < end) return this.keepPartial(chunk);
        body = this.buffered.subarray(head.bodyStart, end);
      } else {
        const chunked = decodeChunked(this.buffered, head.bodyStart);
        if (chunked === null) return this.keepPartial(chunk);
        ({ body, end } = chunked);
      }
      if (end !== this.buffered.length) throw new HttpError('bytes after the answer', 'EPROTO');
      const pending = this.pending;
      this.pending = null;
      this.head = null;
      this.buffered = Buffer.alloc(0);
      if (head.close) this.destroy();
      else this.pool.release(this);
      pending?.resolve({ status: head.status, text: body.toString('utf8') });
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** An answer still incomplete: its bytes must not stay a view of the read buffer the next read overwrites. */
  private keepPartial(chunk: Buffer): void {
    if (this.buffered === chunk) this.buffered = Buffer.from(chunk);
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = null;
    this.destroy();
    pending?.reject(err);
  }
}

/** The connections to one port: at most `maxSockets`; a request takes an idle one, opens one, or waits. */
class Pool {
  private readonly idle: Connection[] = [];
  private readonly live = new Set<Connection>();
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly port: number, private readonly maxSockets: number, private readonly timeoutMs: number) {}

  async acquire(): Promise<Connection> {
    for (;;) {
      const reused = this.idle.pop();
      if (reused !== undefined) return reused;
      if (this.live.size < this.maxSockets) {
        const created = new Connection(this.port, this.timeoutMs, this);
        this.live.add(created);
        return created;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  release(c: Connection): void {
    this.idle.push(c);
    this.waiters.shift()?.();
  }

  forget(c: Connection): void {
    this.live.delete(c);
    const at = this.idle.indexOf(c);
    if (at >= 0) this.idle.splice(at, 1);
    this.waiters.shift()?.();
  }

  close(): void {
    for (const c of [...this.live]) c.destroy();
  }
}

/** Request texts kept per target and body: the load generator sends the same few bodies again and again. */
const REQUESTS_CACHED_MAX = 4096;

/** Keep-alive connections per port, at most `maxSockets` each. */
export function leanHttpClient(maxSockets: number, timeoutMs: number): HttpClient {
  const pools = new Map<number, Pool>();
  // A URL is checked and split once, and a request's bytes are encoded once per body: parsing a
  // URL and encoding the text on every request were a tenth of this client's CPU.
  const targets = new Map<string, { readonly pool: Pool; readonly head: string; readonly requests: Map<string, Buffer> }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (target === undefined) {
      const u = assertLoopback(url);
      const port = Number(u.port);
      let pool = pools.get(port);
      if (pool === undefined) {
        pool = new Pool(port, maxSockets, timeoutMs);
        pools.set(port, pool);
      }
      target = { pool, head: `${u.pathname}${u.search} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, requests: new Map() };
      if (targets.size < REQUESTS_CACHED_MAX) targets.set(url, target);
    }
    return target;
  };
  const send = async (method: string, url: string, body: string | null): Promise<HttpAnswer> => {
    const target = targetOf(url);
    const key = `${method} ${body ?? ''}`;
    let request = target.requests.get(key);
    if (request === undefined) {
      request = Buffer.from(body === null
        ? `${method} ${target.head}\r\n`
        : `${method} ${target.head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      if (target.requests.size < REQUESTS_CACHED_MAX) target.requests.set(key, request);
    }
    const connection = await target.pool.acquire();
    return connection.send(request);
  };
  return {
    post: (url, body) => send('POST', url, body),
    get: (url) => send('GET', url, null),
    close: () => {
      for (const pool of pools.values()) pool.close();
    },
  };
}
