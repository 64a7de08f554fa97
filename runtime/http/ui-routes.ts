// The visualiser's HTTP face: the page and its assets under /ui (from runtime/ui, elkjs straight
// from node_modules, nothing from a CDN), the node list the page watches (/ui/cluster.json), this
// node's machines as drawable graphs (/ui/machines.json) and the live feed (/ui/stream, Server-Sent
// Events from runtime/inspection.ts). The page on one node reads every other node directly, so
// the routes it reads answer cross-origin GETs; nothing else on the API does.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AnyStateMachine } from 'xstate';
import type { Supervisor } from '../../actors/supervisor.ts';
import { ACTOR_IDS } from '../../machines/types.ts';
import type { LoadedConfig } from '../config.ts';
import { InspectionHub, type InspectionHubOptions } from '../inspection.ts';
import type { Timeline } from '../timeline.ts';
import { machineGraph, type MachineGraph } from '../ui/machine-graph.ts';
import { sendProblem } from './problem.ts';
import type { RoutePlugin } from './server.ts';

export interface UiContext {
  readonly supervisor: Supervisor;
  readonly timeline: Timeline;
  readonly loaded: LoadedConfig;
}

/** Knobs for specs; a node uses the defaults of runtime/inspection.ts. */
export type UiOptions = Partial<Omit<InspectionHubOptions, 'sources'>>;

const UI_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'ui');
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
/** Paths the page on another node reads: they answer with `access-control-allow-origin: *`. */
const CROSS_ORIGIN = /^\/(ui\/(cluster\.json|machines\.json|stream)|status|actors|health|ping|v1\/events)(\?|$)/;

export function uiRoutes(context: UiContext, options: UiOptions = {}): RoutePlugin {
  return (app: FastifyInstance) => {
    const hub = new InspectionHub({
      ...options,
      scheduler: options.scheduler ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) },
      sources: {
        describe: () => context.supervisor.describe(),
        inspect: (observer) => context.supervisor.inspect(observer),
        subscribeTimeline: (listener) => context.timeline.subscribe(listener),
      },
    });
    const assets = loadAssets();
    const elkPath = createRequire(import.meta.url).resolve('elkjs/lib/elk.bundled.js');
    let elkSource: Buffer | null = null;
    const graphs = new WeakMap<AnyStateMachine, MachineGraph>();
    const graphOf = (machine: AnyStateMachine): MachineGraph => {
      let graph = graphs.get(machine);
      if (!graph) {
        graph = machineGraph(machine);
        graphs.set(machine, graph);
      }
      return graph;
    };

    // Runs on every response, payments included: callback style, so it costs no promise.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (CROSS_ORIGIN.test(request.url)) reply.header('access-control-allow-origin', '*');
      done(null, payload);
    });
    // Open streams would hold the server's close() until its timeout: end them first.
    app.addHook('preClose', async () => hub.closeAll());

    const page = (_request: FastifyRequest, reply: FastifyReply): FastifyReply => sendAsset(reply, assets, 'index.html');
    app.get('/ui', page);
    app.get('/ui/', page);
    app.get<{ Params: { file: string } }>('/ui/assets/:file', async (request, reply) => sendAsset(reply, assets, request.params.file));
    app.get('/ui/vendor/elk.bundled.js', async (_request, reply) => {
      elkSource ??= readFileSync(elkPath);
      return reply.type(TYPES['.js'] ?? 'text/javascript').header('cache-control', 'public, max-age=3600').send(elkSource);
    });

    app.get('/ui/cluster.json', async (request) => {
      const asked = hostOf(request.headers.host);
      return {
        self: context.loaded.nodeId,
        nodes: context.loaded.config.cluster.nodes.map((n) => ({ id: n.id, api: `http://${publicHost(n.host, asked)}:${n.apiPort}` })),
      };
    });

    app.get('/ui/machines.json', async () => {
      const machines: Array<{ actor: string; graph: MachineGraph }> = [{ actor: 'supervisor', graph: graphOf(context.supervisor.root.logic as AnyStateMachine) }];
      const missing: string[] = [];
      for (const id of ACTOR_IDS) {
        const machine = context.supervisor.lookup(id)?.machine;
        if (machine) machines.push({ actor: id, graph: graphOf(machine) });
        else missing.push(id);
      }
      return { node: context.loaded.nodeId, machines, missing };
    });

    app.get('/ui/stream', (request, reply) => {
      if (hub.full) {
        return sendProblem(reply, { status: 503, code: 'SYNCPAY_ERR_OVERLOADED', detail: 'too many visualiser streams on this node' }, 5000);
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'access-control-allow-origin': '*',
        'x-request-id': String(request.id),
      });
      const client = hub.connect({
        write: (chunk) => void res.write(chunk),
        bufferedBytes: () => res.writableLength,
        // The socket goes with the stream: left open as an idle keep-alive socket it would hold
        // up the server's close() until the browser let go of it.
        end: () => res.end(() => res.socket?.destroy()),
      });
      if (!client) {
        res.end();
        return;
      }
      res.on('close', () => client.close());
      return undefined;
    });

    app.get('/ui/stats', async () => ({ clients: hub.clientCount, attached: hub.attached, ...hub.counters }));
  };
}

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The page's own files, read once: only names present at boot are served (no path walking). */
function loadAssets(): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const name of readdirSync(UI_DIR)) {
    const type = TYPES[extname(name)];
    if (!type || name.endsWith('.d.ts')) continue;
    out.set(name, { type, body: readFileSync(join(UI_DIR, name)) });
  }
  return out;
}

function sendAsset(reply: FastifyReply, assets: Map<string, Asset>, name: string): FastifyReply {
  const asset = assets.get(name);
  if (!asset) return sendProblem(reply, { status: 404, code: 'SYNCPAY_ERR_NOT_FOUND', detail: `no asset ${name}` });
  return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
}

function hostOf(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^(\[[^\]]+\]|[^:]+)/.exec(header);
  return m?.[1] ?? null;
}

/** A node bound to every interface is reached at the host the browser already used. */
function publicHost(host: string, asked: string | null): string {
  if ((host === '0.0.0.0' || host === '::') && asked) return asked;
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
