// Payment outcomes and latency as the client saw them, recorded once per write request at the
// API: `ok`, or the ledger result / SYNCPAY_ERR_* code the request was answered with, and
// idempotent replays. Kept out of the route handlers so every write route is measured alike.
import type { NodeMetrics } from '../metrics/registry.ts';
import { problemCodeOf } from './problem.ts';
import type { RoutePlugin } from './server.ts';

const WRITE_ROUTES = new Set(['/payment', '/v1/transfers', '/v1/transfers/:id/post', '/v1/transfers/:id/void']);

export function paymentMetricsHook(metrics: NodeMetrics): RoutePlugin {
  return (app) => {
    app.addHook('onResponse', (request, reply, done) => {
      if (request.method === 'POST' && WRITE_ROUTES.has(request.routeOptions.url ?? '')) {
        const result = reply.statusCode < 300 ? 'ok' : problemCodeOf(reply) ?? `http_${reply.statusCode}`;
        metrics.observePayment(result, reply.elapsedTime / 1000);
        if (reply.getHeader('idempotent-replayed') === 'true') metrics.countIdempotentReplay();
      }
      done();
    });
  };
}
