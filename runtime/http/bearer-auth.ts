// Bearer-token check for mutating routes. When tokens are configured, a request must present
// one of them; tokens are compared by SHA-256 digest in constant time, so neither their length
// nor a matching prefix leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.ts';

export type RequestHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function bearerAuth(tokens: readonly string[]): RequestHook {
  const digests = tokens.map(digest);
  return async (request, reply) => {
    if (digests.length === 0) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const given = m?.[1] === undefined ? null : digest(m[1]);
    if (given !== null && digests.some((t) => timingSafeEqual(t, given))) return undefined;
    reply.header('www-authenticate', 'Bearer');
    return sendProblem(reply, { status: 401, code: 'SYNCPAY_ERR_UNAUTHORIZED', detail: 'this route needs Authorization: Bearer <token>' });
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
