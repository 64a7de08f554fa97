// The client payment API: the seed's endpoints with their exact shapes (`POST /payment`,
// `GET /transactions`) and the full `/v1` API (accounts, transfers, two-phase post and void).
// Writes are validated here (400s), proposed through consensus and answered from the ledger's
// outcome for that log position; reads are linearizable through ReadIndex unless
// `?consistency=local`. Mutating routes need a bearer token when tokens are configured.
import type { LedgerActorApi } from '../../actors/ledger.actor.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ResultCode } from '../../machines/ledger/codes.ts';
import type { StoredResponse, Transfer, TransferInput } from '../../machines/ledger/types.ts';
import { checkAccount, checkFinish, checkPayment, checkTransfer } from './ledger-input.ts';
import { accountView, batchAnswerJson, exponentOf, ledgerProblem, seedPaymentBody, seedTransaction, transferView } from './ledger-render.ts';
import { IDEMPOTENCY_KEY, LedgerWriter, requestHash, retryProblem, type WriteResult } from './ledger-write.ts';
import {
  accountBody, finishBody, idParams, pageQuery, paymentBody, paymentResponse, readQuery, transactionsResponse, transfersBody,
} from './ledger-schemas.ts';
import { bearerAuth } from './bearer-auth.ts';
import { sendProblem, type Problem } from './problem.ts';
import type { NodeServices } from './services.ts';

const PAGE_DEFAULT = 100;
const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
/** What fastify sends for a serialised object: answers written as text say the same. */
const JSON_BODY = 'application/json; charset=utf-8';

interface PageQuery { limit?: string; cursor?: string; account?: string; consistency?: 'local' | 'linearizable' }

export function registerLedgerRoutes(app: FastifyInstance, services: NodeServices): void {
  const config = services.config;
  const writer = new LedgerWriter(services);
  const pageMax = Math.max(1, Math.min(1000, config.http.transactionsPageMax));
  const authenticate = bearerAuth(services.apiTokens);

  /**
   * fastify parses text/plain too; the API speaks JSON only. A body-less POST is allowed. Callback
   * style (it runs on every write, and a promise per request is not free): it answers the refusal
   * itself and does not continue the chain.
   */
  const jsonOnly = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    const type = request.headers['content-type'];
    if ((request.body === undefined && type === undefined) || (type !== undefined && JSON_TYPE.test(type))) {
      done();
      return;
    }
    sendProblem(reply, { status: 415, code: 'SYNCPAY_ERR_UNSUPPORTED_MEDIA_TYPE', detail: 'send the body as application/json' });
  };
  // Without configured tokens there is nothing to check: no hook at all rather than one that passes.
  const mutating = services.apiTokens.length === 0
    ? { preValidation: jsonOnly, attachValidation: true }
    : { onRequest: authenticate, preValidation: jsonOnly, attachValidation: true };
  /** Our checks passed but the schema did not: a gap between the two, still a 400, never a write. */
  const schemaVerdict = (request: FastifyRequest): Problem | null =>
    request.validationError === undefined ? null
      : { status: 400, code: 'SYNCPAY_ERR_VALIDATION', detail: request.validationError.message };

  // ---- writes -------------------------------------------------------------------------------

  app.post('/payment', { ...mutating, schema: { body: paymentBody, response: { 200: paymentResponse } } }, async (request, reply) => {
    const key = idempotencyKey(request);
    if (!key.ok) return sendProblem(reply, key.problem);
    const checked = checkPayment(request.body, config);
    if (!checked.ok) return sendProblem(reply, checked.problem);
    const verdict = schemaVerdict(request);
    if (verdict !== null) return sendProblem(reply, verdict);
    const result = await writer.write({
      key: key.value,
      hash: keyedHash(key.value, 'POST', '/payment', request.body),
      command: { type: 'transfer.create', transfers: [checked.value] },
    });
    return answerOne(reply, result, (t, via) => [200, seedPaymentBody(t, via, config)]);
  });

  app.post('/v1/transfers', { ...mutating, schema: { body: transfersBody } }, async (request, reply) => {
    const key = idempotencyKey(request);
    if (!key.ok) return sendProblem(reply, key.problem);
    const body = request.body;
    const items = Array.isArray(body) ? body : [body];
    if (Array.isArray(body) && body.length === 0) {
      return sendProblem(reply, { status: 400, code: 'SYNCPAY_ERR_BATCH_EMPTY', detail: 'the batch holds no transfer' });
    }
    if (items.length > config.ledger.batchTransfersMax) {
      return sendProblem(reply, { status: 400, code: 'SYNCPAY_ERR_BATCH_TOO_LARGE', detail: `a batch holds at most ${config.ledger.batchTransfersMax} transfers` });
    }
    const transfers: TransferInput[] = [];
    for (let i = 0; i < items.length; i++) {
      const checked = checkTransfer(items[i], config);
      if (!checked.ok) return sendProblem(reply, Array.isArray(body) ? { ...checked.problem, index: i } : checked.problem);
      transfers.push(checked.value);
    }
    const verdict = schemaVerdict(request);
    if (verdict !== null) return sendProblem(reply, verdict);
    const result = await writer.write({
      key: key.value,
      hash: keyedHash(key.value, 'POST', '/v1/transfers', body),
      command: { type: 'transfer.create', transfers },
    });
    if (!Array.isArray(body)) return answerOne(reply, result, (t, _via, code) => [code === 'ok' ? 201 : 200, transferView(t, config)]);
    if (!result.ok) return sendProblem(reply, result.problem, result.retryAfterMs);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return reply.code(200).type(JSON_BODY).send(batchAnswerJson(result.response.results, result.response.hlc));
  });

  for (const action of ['post', 'void'] as const) {
    app.post<{ Params: { id: string } }>(`/v1/transfers/:id/${action}`, { ...mutating, schema: { params: idParams, body: finishBody } }, async (request, reply) => {
      const key = idempotencyKey(request);
      if (!key.ok) return sendProblem(reply, key.problem);
      const pendingId = request.params.id;
      let exponent = 2;
      const body = request.body as Record<string, unknown> | undefined;
      if (action === 'post' && body !== null && typeof body === 'object' && body.amount !== undefined && body.amount !== null) {
        // The amount is read in the pending transfer's currency, so the pending must be known here.
        let pending = services.ledger()?.transfer(pendingId);
        if (pending === undefined) {
          const barrier = await readBarrier(services, undefined);
          if (barrier !== null) return sendProblem(reply, barrier.problem, barrier.retryAfterMs);
          pending = services.ledger()?.transfer(pendingId);
        }
        if (pending === undefined) return sendProblem(reply, ledgerProblem('pending_not_found', pendingId));
        exponent = exponentOf(config, pending.currency);
      }
      const checked = checkFinish(body, pendingId, action === 'post', config, exponent);
      if (!checked.ok) return sendProblem(reply, checked.problem);
      const verdict = schemaVerdict(request);
      if (verdict !== null) return sendProblem(reply, verdict);
      const { id, amount, reference } = checked.value;
      const result = await writer.write({
        key: key.value,
        hash: keyedHash(key.value, 'POST', `/v1/transfers/${pendingId}/${action}`, body),
        command: action === 'post' ? { type: 'transfer.post', id, pendingId, amount, reference } : { type: 'transfer.void', id, pendingId, reference },
      });
      return answerOne(reply, result, (t, _via, code) => [code === 'ok' ? 201 : 200, transferView(t, config)]);
    });
  }

  app.post('/v1/accounts', { ...mutating, schema: { body: accountBody } }, async (request, reply) => {
    const key = idempotencyKey(request);
    if (!key.ok) return sendProblem(reply, key.problem);
    const checked = checkAccount(request.body, config);
    if (!checked.ok) return sendProblem(reply, checked.problem);
    const verdict = schemaVerdict(request);
    if (verdict !== null) return sendProblem(reply, verdict);
    const result = await writer.write({
      key: key.value,
      hash: keyedHash(key.value, 'POST', '/v1/accounts', request.body),
      command: { type: 'account.create', accounts: [checked.value] },
    });
    if (!result.ok) return sendProblem(reply, result.problem, result.retryAfterMs);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    const r = result.response.results[0]!;
    const account = services.ledger()?.account(r.id);
    if ((r.code === 'ok' || r.code === 'exists') && account !== undefined) {
      return reply.code(r.code === 'ok' ? 201 : 200).send(accountView(account, config));
    }
    return sendProblem(reply, { ...ledgerProblem(r.code, r.id), transaction_id: undefined, account_id: r.id });
  });

  // ---- reads --------------------------------------------------------------------------------

  app.get<{ Querystring: PageQuery }>('/transactions', { schema: { querystring: pageQuery, response: { 200: transactionsResponse } } }, async (request, reply) => {
    const ready = await readyLedger(services, request.query.consistency);
    if (!ready.ok) return sendProblem(reply, ready.problem, ready.retryAfterMs);
    const { limit, before } = pageOf(request.query, pageMax);
    const account = request.query.account;
    const page = ready.ledger.transfers({ limit, before, account });
    return reply.send({
      node_id: services.nodeId,
      total_count: ready.ledger.transferCount(account),
      transactions: page.items.map((t) => seedTransaction(t, services.nodeId, config)),
      next_cursor: page.nextCursor === null ? null : String(page.nextCursor),
    });
  });

  app.get<{ Params: { id: string }; Querystring: { consistency?: 'local' | 'linearizable' } }>(
    '/v1/accounts/:id', { schema: { params: idParams, querystring: readQuery } }, async (request, reply) => {
      const ready = await readyLedger(services, request.query.consistency);
      if (!ready.ok) return sendProblem(reply, ready.problem, ready.retryAfterMs);
      const account = ready.ledger.account(request.params.id);
      if (account === undefined) return sendProblem(reply, { status: 404, code: 'account_not_found', detail: `no account ${request.params.id}` });
      return reply.send(accountView(account, config));
    });

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/v1/accounts/:id/transfers', { schema: { params: idParams, querystring: pageQuery } }, async (request, reply) => {
      const ready = await readyLedger(services, request.query.consistency);
      if (!ready.ok) return sendProblem(reply, ready.problem, ready.retryAfterMs);
      const id = request.params.id;
      if (ready.ledger.account(id) === undefined) return sendProblem(reply, { status: 404, code: 'account_not_found', detail: `no account ${id}` });
      const { limit, before } = pageOf(request.query, pageMax);
      const page = ready.ledger.transfers({ account: id, limit, before });
      return reply.send({
        account_id: id,
        total_count: ready.ledger.transferCount(id),
        transfers: page.items.map((t) => transferView(t, config)),
        next_cursor: page.nextCursor === null ? null : String(page.nextCursor),
      });
    });

  app.get<{ Params: { id: string }; Querystring: { consistency?: 'local' | 'linearizable' } }>(
    '/v1/transfers/:id', { schema: { params: idParams, querystring: readQuery } }, async (request, reply) => {
      const ready = await readyLedger(services, request.query.consistency);
      if (!ready.ok) return sendProblem(reply, ready.problem, ready.retryAfterMs);
      const t = ready.ledger.transfer(request.params.id);
      if (t === undefined) return sendProblem(reply, { status: 404, code: 'transfer_not_found', detail: `no transfer ${request.params.id}` });
      return reply.send(transferView(t, config));
    });

  // ---- helpers that need the services -----------------------------------------------------------

  /** Answers a single-event write: success body from the transfer, else the ledger's refusal. */
  function answerOne(
    reply: FastifyReply,
    result: WriteResult,
    render: (t: Readonly<Transfer>, via: string, code: ResultCode) => [number, unknown],
  ) {
    if (!result.ok) return sendProblem(reply, result.problem, result.retryAfterMs);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    const response: StoredResponse = result.response;
    const r = response.results[0]!;
    if (r.code === 'ok' || r.code === 'exists') {
      const t = services.ledger()?.transfer(r.id);
      if (t === undefined) {
        // It committed, but this node's ledger restarted before it could show it: say so, with
        // the id to look it up by, rather than a bare "unavailable" that invites a blind retry.
        const p = retryProblem('SYNCPAY_ERR_OUTCOME_UNKNOWN', 'the transfer committed, but this node\'s ledger is restarting; look it up by id, or retry only with the same transfer id or Idempotency-Key', null, 500);
        return sendProblem(reply, { ...p.problem, committed: true, transaction_id: r.id }, p.retryAfterMs);
      }
      const [status, body] = render(t, response.via ?? services.nodeId, r.code);
      return reply.code(status).send(body);
    }
    return sendProblem(reply, ledgerProblem(r.code, r.id));
  }
}

/**
 * The request hash only matters with an Idempotency-Key (it is how a key reused with another body
 * is refused); without one nothing reads it, so most writes skip the sha256 and the canonical JSON
 * walk (1,000 items for a batch).
 */
export function keyedHash(key: string | null, method: string, path: string, body: unknown): string {
  return key === null ? '' : requestHash(method, path, body);
}

function idempotencyKey(request: FastifyRequest): { ok: true; value: string | null } | { ok: false; problem: Problem } {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return { ok: true, value: null };
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    return { ok: false, problem: { status: 400, code: 'SYNCPAY_ERR_IDEMPOTENCY_KEY_INVALID', detail: 'Idempotency-Key must be 1-255 visible ASCII characters' } };
  }
  return { ok: true, value: raw };
}

function pageOf(query: PageQuery, pageMax: number): { limit: number; before: number | undefined } {
  const limit = query.limit === undefined ? PAGE_DEFAULT : Math.min(pageMax, Math.max(1, Number(query.limit)));
  return { limit, before: query.cursor === undefined ? undefined : Number(query.cursor) };
}

/** Linearizable read barrier: wait until the local ledger has applied the leader's commit index. */
async function readBarrier(services: NodeServices, consistency: string | undefined): Promise<(WriteResult & { ok: false }) | null> {
  if (consistency === 'local') return null;
  const consensus = services.consensus();
  const ledger = services.ledger();
  if (consensus === undefined || ledger === undefined) return retryProblem('SYNCPAY_ERR_UNAVAILABLE', 'the node is recovering', null, 1000);
  const read = await consensus.readIndex();
  if (!read.ok) return retryProblem(read.code, read.detail, read.leader, read.retryAfterMs);
  const reached = await ledger.waitApplied(read.index, services.config.http.requestTimeoutMs);
  if (!reached) return retryProblem('SYNCPAY_ERR_TIMEOUT', 'the local ledger did not catch up in time', consensus.leader(), 500);
  return null;
}

async function readyLedger(services: NodeServices, consistency: string | undefined):
Promise<{ ok: true; ledger: LedgerActorApi } | (WriteResult & { ok: false })> {
  const barrier = await readBarrier(services, consistency);
  if (barrier !== null) return barrier;
  const ledger = services.ledger();
  if (ledger === undefined) return retryProblem('SYNCPAY_ERR_UNAVAILABLE', 'the ledger is restarting', null, 1000);
  return { ok: true, ledger };
}
