// The client-facing HTTP server of one node (fastify). It owns cross-cutting behaviour: JSON
// problem responses for every error (never HTML, never a stack), request ids, draining during
// shutdown, and the operational routes (/ping, /actors, /health, /status). Feature routes
// (payments, metrics, the visualiser) register themselves as plugins.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { deferredChildLogger } from '../logger.ts';
import { sendProblem } from './problem.ts';
import type { NodeServices } from './services.ts';
import { registerOpsRoutes } from './ops-routes.ts';
import { TurnBudget } from './turn-budget.ts';

export type RoutePlugin = (app: FastifyInstance, services: NodeServices) => void | Promise<void>;

export interface HttpServerOptions {
  readonly services: NodeServices;
  readonly logger: PinoLogger;
  readonly plugins: readonly RoutePlugin[];
}

let requestSeq = 0;

export async function buildHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const { services } = options;
  const app = Fastify({
    // Request lines only at warn and above: at thousands of payments per second, one info line
    // per request would cost more than the request. Errors still log with their request id.
    loggerInstance: options.logger.child({ component: 'http' }, { level: 'warn' }) as unknown as FastifyBaseLogger,
    // ... so fastify's own per-request lines are not even built ...
    logController: new LogController({ disableRequestLogging: true }),
    // ... and no per-request child logger is built for lines that level drops.
    childLoggerFactory: (logger, bindings, childOptions) => deferredChildLogger(logger, bindings, childOptions as Record<string, unknown>),
    bodyLimit: services.config.http.bodyBytesMax,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,64}$/.test(given) ? given : `${services.nodeId}-${++requestSeq}`;
    },
    ajv: { customOptions: { allErrors: false, coerceTypes: false, removeAdditional: false } },
    return503OnClosing: true,
  });

  // fastify's own JSON parsing (prototype-poisoning checks included), started only when the
  // current slice of the turn has room (turn-budget.ts): parsing starts the synchronous work of
  // a write (validation, checks, encoding), so this is where a burst of large requests is spread.
  const budget = new TurnBudget(services.config.http.requestSliceMs);
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const wait = budget.admit();
    if (wait === null) parseJson(request, body as string, done);
    else void wait.then(() => parseJson(request, body as string, done));
  });

  // Runs on every request: callback style, so it costs no promise. Answering without calling
  // done() ends the request here.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (services.draining()) {
      sendProblem(reply, { status: 503, code: 'SYNCPAY_ERR_SHUTTING_DOWN', detail: `node ${services.nodeId} is shutting down` }, 1000);
      return;
    }
    done();
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, { status: 404, code: 'SYNCPAY_ERR_NOT_FOUND', detail: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = mapFastifyError(error);
    if (mapped.status >= 500) request.log.error({ err: error.message, code: error.code }, 'request failed');
    return sendProblem(reply, mapped);
  });

  registerOpsRoutes(app, services);
  for (const plugin of options.plugins) await plugin(app, services);
  return app;
}

function mapFastifyError(error: FastifyError): { status: number; code: string; detail: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'SYNCPAY_ERR_MALFORMED_JSON', detail: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'SYNCPAY_ERR_UNSUPPORTED_MEDIA_TYPE', detail: 'send the body as application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'SYNCPAY_ERR_BODY_TOO_LARGE', detail: 'the request body exceeds http.bodyBytesMax' };
    case 'FST_ERR_VALIDATION':
      return { status: 400, code: 'SYNCPAY_ERR_VALIDATION', detail: error.message };
    default:
      if (error.statusCode === 400 || error.name === 'SyntaxError') {
        return { status: 400, code: 'SYNCPAY_ERR_MALFORMED_JSON', detail: 'the request body is not valid JSON' };
      }
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return { status: error.statusCode, code: 'SYNCPAY_ERR_BAD_REQUEST', detail: error.message };
      }
      return { status: 500, code: 'SYNCPAY_ERR_INTERNAL', detail: 'internal error; the request may be retried' };
  }
}
