// Two HTTP clients for the load generator, so the faster one can be measured rather than assumed:
// node:http with a keep-alive Agent (one socket per concurrent worker, reused) and the global
// fetch (undici underneath, keep-alive by default). Both refuse any host but 127.0.0.1: the
// benchmark must never send traffic off the machine.
import http from 'node:http';

export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export interface HttpClient {
  post(url: string, body: string): Promise<HttpAnswer>;
  get(url: string): Promise<HttpAnswer>;
  close(): void;
}

export function assertLoopback(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== '127.0.0.1') throw new Error(`benchmark traffic must stay on 127.0.0.1, refused ${url}`);
  return parsed;
}

export function nodeHttpClient(maxSockets: number, timeoutMs: number): HttpClient {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  const send = (method: string, url: string, body: string | null): Promise<HttpAnswer> =>
    new Promise((resolve, reject) => {
      const u = assertLoopback(url);
      const headers: Record<string, string | number> = {};
      if (body !== null) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = http.request({ agent, method, hostname: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  return {
    post: (url, body) => send('POST', url, body),
    get: (url) => send('GET', url, null),
    close: () => agent.destroy(),
  };
}

export function fetchClient(timeoutMs: number): HttpClient {
  const send = async (url: string, init: RequestInit): Promise<HttpAnswer> => {
    assertLoopback(url);
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  };
  return {
    post: (url, body) => send(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }),
    get: (url) => send(url, { method: 'GET' }),
    close: () => undefined,
  };
}

/** A stable label for a failed request: the error code (ECONNREFUSED, ETIMEDOUT, ...) or its name. */
export function errorLabel(error: unknown): string {
  if (error && typeof error === 'object') {
    const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
    if (typeof e.code === 'string') return e.code;
    if (e.cause && typeof e.cause.code === 'string') return e.cause.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'ETIMEDOUT';
    if (typeof e.name === 'string') return e.name;
  }
  return 'error';
}
