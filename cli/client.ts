// Talking HTTP to the cluster. A request goes to the first node that answers: a node that refuses
// the connection, times out, or is shutting down or has no leader (503) is skipped for the next.
// Retrying a write elsewhere is safe because every write the CLI sends carries its own id (the
// ledger's idempotency key): a payment that reached a node which then died is not paid twice.
import type { NodeTarget } from './targets.ts';
import { isObject } from './views.ts';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal }) => Promise<{
  readonly status: number;
  text(): Promise<string>;
}>;

export interface ClientOptions {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  /** Bearer token for writes; null: send none. */
  readonly token: string | null;
  /**
   * How long to keep asking while nodes answer "not now" (503 no leader, 429 overloaded): an
   * election after the leader died takes well under a second, so a command issued during one
   * succeeds instead of failing. 0: one pass only.
   */
  readonly retryWindowMs: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Pause between passes over the nodes while they answer 503/429. */
export const RETRY_PAUSE_MS = 250;

export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly node: NodeTarget;
}

export interface Attempt {
  readonly node: NodeTarget;
  readonly reason: string;
}

/** No node gave a usable answer; `last` is the final 503 when some node did answer with one. */
export class NoNodeAnswered extends Error {
  constructor(
    readonly attempts: readonly Attempt[],
    readonly last: Answer | null,
  ) {
    super(`no node answered (${attempts.map((a) => `${a.node.url}: ${a.reason}`).join('; ')})`);
  }
}

/** Why a fetch failed, in the words an operator searches for (ECONNREFUSED, timed out). */
export function failureReason(error: unknown, timeoutMs: number): string {
  if (isTimeout(error)) return `timed out after ${timeoutMs} ms`;
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  if (isObject(cause) && typeof cause['code'] === 'string') return cause['code'];
  return error instanceof Error ? error.message : String(error);
}

/** One request to one node; throws when the node gives no HTTP answer. */
export async function requestOne(node: NodeTarget, method: string, path: string, body: unknown, options: ClientOptions): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && options.token !== null) headers['authorization'] = `Bearer ${options.token}`;
  const res = await options.fetch(`${node.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const raw = await res.text();
  let parsed: unknown = raw;
  try {
    parsed = raw === '' ? null : JSON.parse(raw);
  } catch {
    // not JSON (a proxy's page): keep the text for the error line
  }
  return { status: res.status, body: parsed, node };
}

/**
 * The first node's answer, skipping nodes that do not answer or answer 503/429. While some node
 * says "not now" or is merely slow (timed out, perhaps waiting on a leader that just died), passes
 * over the nodes repeat within the retry window; when every node refuses the connection, the
 * command fails at once (nothing suggests waiting will help).
 */
export async function requestFirst(nodes: readonly NodeTarget[], method: string, path: string, body: unknown, options: ClientOptions): Promise<Answer> {
  const deadline = options.now() + options.retryWindowMs;
  for (;;) {
    const attempts: Attempt[] = [];
    let last: Answer | null = null;
    let slow = false;
    for (const node of nodes) {
      try {
        const answer = await requestOne(node, method, path, body, options);
        if (answer.status !== 503 && answer.status !== 429) return answer;
        last = answer;
        attempts.push({ node, reason: `${answer.status} ${problemText(answer)}` });
      } catch (error) {
        slow ||= isTimeout(error);
        attempts.push({ node, reason: failureReason(error, options.timeoutMs) });
      }
    }
    if ((last === null && !slow) || options.now() + RETRY_PAUSE_MS > deadline) throw new NoNodeAnswered(attempts, last);
    await options.sleep(RETRY_PAUSE_MS);
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

/** The same GET to every node at once; each result is an answer or the reason there was none. */
export async function requestEach(nodes: readonly NodeTarget[], path: string, options: ClientOptions):
Promise<Array<{ readonly node: NodeTarget; readonly answer: Answer | null; readonly error: string | null }>> {
  return Promise.all(
    nodes.map(async (node) => {
      try {
        return { node, answer: await requestOne(node, 'GET', path, undefined, options), error: null };
      } catch (error) {
        return { node, answer: null, error: failureReason(error, options.timeoutMs) };
      }
    }),
  );
}

/** A problem+json body (or anything else) as one line: `exceeds_credits: insufficient funds`. */
export function problemText(answer: Answer): string {
  const b = answer.body;
  if (isObject(b)) {
    const code = typeof b['code'] === 'string' ? b['code'] : null;
    const detail = typeof b['detail'] === 'string' ? b['detail'] : typeof b['error'] === 'string' ? b['error'] : null;
    const leader = typeof b['leader'] === 'string' ? ` (leader ${b['leader']})` : '';
    if (code !== null || detail !== null) return `${code ?? 'error'}: ${detail ?? ''}${leader}`.trim();
  }
  const raw = typeof b === 'string' ? b : JSON.stringify(b);
  return (raw ?? '').replace(/\s+/g, ' ').slice(0, 200);
}
