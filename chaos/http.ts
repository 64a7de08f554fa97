// The workload's HTTP calls: one attempt with a hard timeout, classified by what it proves. A
// timeout, a dropped connection or a 5xx proves nothing about a write (it may still commit), so
// it is "indeterminate"; a 2xx is an acknowledgement; a 4xx is a definite refusal.

export type AttemptClass = 'ok' | 'refused' | 'indeterminate';

export interface Attempt {
  readonly cls: AttemptClass;
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown> | null;
  readonly retryAfterMs: number | null;
}

export async function attempt(url: string, init: RequestInit, timeoutMs: number): Promise<Attempt> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const code = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'connection_error';
    return { cls: 'indeterminate', status: 0, code, body: null, retryAfterMs: null };
  }
  let body: Record<string, unknown> | null = null;
  try {
    const text = await res.text();
    body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
  } catch {
    // A body cut off mid-way (the node was killed while answering) proves nothing either.
    return { cls: 'indeterminate', status: res.status, code: 'body_error', body: null, retryAfterMs: null };
  }
  const retryAfter = res.headers.get('retry-after');
  const retryAfterMs = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : null;
  const code = typeof body?.['code'] === 'string' ? (body['code'] as string) : String(res.status);
  if (res.status >= 200 && res.status < 300) return { cls: 'ok', status: res.status, code: 'ok', body, retryAfterMs };
  // 409: the same key is in flight elsewhere on that node; 429: overloaded. Neither is an answer.
  if (res.status >= 500 || res.status === 409 || res.status === 429) return { cls: 'indeterminate', status: res.status, code, body, retryAfterMs };
  return { cls: 'refused', status: res.status, code, body, retryAfterMs };
}

export function postJson(body: unknown): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
