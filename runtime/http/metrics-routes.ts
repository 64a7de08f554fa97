// GET /metrics in every format the node speaks (Prometheus text, OpenMetrics, the seed's JSON and
// its text summary), and the hook that measures every HTTP request. Requests are labelled with
// the route pattern (`/v1/accounts/:id`), never the raw URL, so the number of series stays
// bounded whatever clients send.
import type { FastifyInstance } from 'fastify';
import { renderExposition } from '../metrics/exposition.ts';
import { chooseFormat, FORMAT_PARAMS } from '../metrics/negotiate.ts';
import type { NodeMetrics } from '../metrics/registry.ts';
import { seedMetrics, seedSummaryText } from '../metrics/seed-format.ts';
import { sendProblem } from './problem.ts';
import type { RoutePlugin } from './server.ts';

/** Label for requests no route matched (404s): one series, not one per URL tried. */
export const UNMATCHED_ROUTE = 'unmatched';

export function metricsRoutes(metrics: NodeMetrics): RoutePlugin {
  return (app: FastifyInstance) => {
    app.get<{ Querystring: { format?: string } }>('/metrics', async (request, reply) => {
      const param = typeof request.query.format === 'string' ? request.query.format : undefined;
      const format = chooseFormat(param, request.headers.accept);
      if (format === null) {
        return sendProblem(reply, {
          status: 400,
          code: 'SYNCPAY_ERR_VALIDATION',
          detail: `format must be one of ${Object.keys(FORMAT_PARAMS).join(', ')}`,
        });
      }
      reply.header('cache-control', 'no-store');
      if (format === 'json') return reply.type('application/json; charset=utf-8').send(await seedMetrics(metrics));
      if (format === 'summary') return reply.type('text/plain; charset=utf-8').send(seedSummaryText(await seedMetrics(metrics)));
      const { body, contentType } = await renderExposition(metrics.registry, format, { node: metrics.nodeId });
      return reply.type(contentType).send(body);
    });
  };
}

/** Installs an onResponse hook that records every request's route pattern, method, status and duration. */
export function httpMetricsHook(metrics: NodeMetrics): RoutePlugin {
  return (app: FastifyInstance) => {
    // Runs on every response: callback style, so it costs no promise.
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      metrics.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  };
}
