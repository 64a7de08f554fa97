// Error responses: RFC 9457 problem details with a stable `code`, plus an `error` string so the
// seed's clients, which read `error`, keep working. Every error the API returns goes through here.
import type { FastifyReply } from 'fastify';

export interface Problem {
  readonly status: number;
  /** Stable machine-readable code, e.g. SYNCPAY_ERR_VALIDATION or a ledger result name. */
  readonly code: string;
  readonly detail: string;
  readonly title?: string;
  readonly [extra: string]: unknown;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemBody(problem: Problem): Record<string, unknown> {
  const { status, code, detail, title, ...extra } = problem;
  return {
    type: `https://syncpay.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
    title: title ?? TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    error: detail,
    ...extra,
  };
}

const codes = new WeakMap<FastifyReply, string>();

/** The problem code a reply was answered with (for metrics), if it was a problem. */
export function problemCodeOf(reply: FastifyReply): string | undefined {
  return codes.get(reply);
}

export function sendProblem(reply: FastifyReply, problem: Problem, retryAfterMs?: number): FastifyReply {
  codes.set(reply, problem.code);
  if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return reply.code(problem.status).type('application/problem+json').send(problemBody(problem));
}
