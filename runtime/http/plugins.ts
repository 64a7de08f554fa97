// The list of feature routes a node serves, in one place, so runtime/node.ts stays about boot
// order and the specs can build the same server around fake services.
import type { Supervisor } from '../../actors/supervisor.ts';
import { redactedConfig, type LoadedConfig } from '../config.ts';
import type { Timeline } from '../timeline.ts';
import { registerLedgerRoutes } from './ledger-routes.ts';
import type { RoutePlugin } from './server.ts';
import { uiRoutes } from './ui-routes.ts';

export interface PluginContext {
  readonly loaded: LoadedConfig;
  readonly timeline: Timeline;
  readonly supervisor: Supervisor;
}

const EVENTS_PAGE_MAX = 1000;

export function routePlugins(context: PluginContext): RoutePlugin[] {
  const configView: RoutePlugin = (app) => {
    app.get('/config', async () => ({ node_id: context.loaded.nodeId, config: redactedConfig(context.loaded) }));
  };
  const events: RoutePlugin = (app) => {
    app.get<{ Querystring: { since?: string; limit?: string } }>('/v1/events', async (request) => {
      const since = typeof request.query.since === 'string' && request.query.since !== '' ? request.query.since : null;
      const limit = Math.min(EVENTS_PAGE_MAX, Math.max(1, Number(request.query.limit ?? EVENTS_PAGE_MAX) || EVENTS_PAGE_MAX));
      return { node_id: context.loaded.nodeId, events: context.timeline.since(since, limit) };
    });
  };
  const http = context.loaded.config.http;
  const ui = uiRoutes(context, {
    intervalMs: http.uiUpdateIntervalMs,
    clientsMax: http.uiStreamClientsMax,
    clientBufferBytesMax: http.uiClientBufferBytesMax,
    eventsPerTickMax: http.uiEventsPerTickMax,
  });
  return [configView, events, registerLedgerRoutes, ui];
}
