// An in-process stand-in for a node, for the visualiser's specs: the real Supervisor, Timeline,
// HTTP server and ui routes, but actors that are puppets. Each puppet carries the real machine of
// its actor (when that module imports) and reports whatever state the spec sets, so the page can
// be driven deterministically without consensus.
import { pino } from 'pino';
import { setup, type AnyStateMachine } from 'xstate';
import type { NodeActor } from '../../actors/actor.ts';
import type { ConsensusApi, ConsensusStatus } from '../../actors/apis.ts';
import { Supervisor } from '../../actors/supervisor.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { ACTOR_IDS, type ActorId } from '../../machines/types.ts';
import type { LoadedConfig } from '../../runtime/config.ts';
import { buildHttpServer } from '../../runtime/http/server.ts';
import type { NodeServices } from '../../runtime/http/services.ts';
import { uiRoutes, type UiOptions } from '../../runtime/http/ui-routes.ts';
import { Timeline } from '../../runtime/timeline.ts';
import { quietPorts } from '../support/quiet-ports.ts';
import type { FastifyInstance } from 'fastify';

const MACHINE_MODULES: Readonly<Record<ActorId, string>> = {
  clock: '../../machines/clock.machine.ts',
  heartbeat: '../../machines/heartbeat.machine.ts',
  ledger: '../../machines/ledger.machine.ts',
  'log-replication': '../../machines/log-replication.machine.ts',
  'leader-election': '../../machines/leader-election.machine.ts',
};

/** The first machine a module exports, or a one-state placeholder while it is being written. */
export async function machineFor(id: ActorId): Promise<AnyStateMachine> {
  try {
    const mod = (await import(MACHINE_MODULES[id])) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (typeof value === 'object' && value !== null && 'root' in value && 'definition' in value) return value as AnyStateMachine;
    }
  } catch {
    // fall through to the placeholder
  }
  return setup({}).createMachine({ id, initial: 'idle', states: { idle: {} } });
}

export interface FakeNode {
  readonly id: string;
  readonly app: FastifyInstance;
  readonly timeline: Timeline;
  readonly supervisor: Supervisor;
  url: string;
  /** Set what an actor's describe() reports. */
  setState(actor: ActorId, state: unknown): void;
  setRole(role: ConsensusStatus['role'], term: number): void;
  close(): Promise<void>;
}

export interface FakeNodeOptions {
  readonly id: string;
  readonly nodes: Config['cluster']['nodes'];
  readonly ui?: UiOptions;
}

export async function startFakeNode(options: FakeNodeOptions): Promise<FakeNode> {
  const config: Config = { ...DEFAULT_CONFIG, cluster: { nodes: options.nodes, secretFile: null } };
  const states = new Map<ActorId, unknown>();
  const machines = new Map<ActorId, AnyStateMachine>();
  for (const id of ACTOR_IDS) {
    const machine = await machineFor(id);
    machines.set(id, machine);
    states.set(id, typeof machine.config.initial === 'string' ? machine.config.initial : null);
  }
  let status: ConsensusStatus = { role: 'follower', term: 1, leader: null, votedFor: null, commitIndex: 0, lastIndex: 0, snapshotIndex: 0, progress: {} };
  const consensus: Pick<ConsensusApi, 'status'> = { status: () => status };
  const puppet = (id: ActorId): NodeActor & { api?: unknown } => ({
    id,
    machine: machines.get(id) as AnyStateMachine,
    start: async () => {},
    stop: async () => {},
    receive: () => {},
    describe: () => ({ state: states.get(id), summary: id === 'leader-election' ? { term: status.term, role: status.role } : {} }),
    ...(id === 'log-replication' ? { api: consensus } : {}),
  });
  const factories = Object.fromEntries(ACTOR_IDS.map((id) => [id, () => puppet(id)])) as unknown as Record<ActorId, () => NodeActor>;
  const ports = quietPorts(options.id);
  const supervisor = new Supervisor({ nodeId: options.id, config, ports, factories, order: ACTOR_IDS, onEscalate: () => {} });
  await supervisor.start();
  const timeline = new Timeline(options.id, 500);
  const loaded: LoadedConfig = { config, sources: {}, nodeId: options.id, secret: null, apiTokens: [], insecure: false, configPath: '' };
  const services: NodeServices = {
    nodeId: options.id,
    config,
    logger: ports.logger,
    apiTokens: [],
    consensus: () => consensus as ConsensusApi,
    ledger: () => undefined,
    clock: () => undefined,
    heartbeat: () => undefined,
    supervision: () => supervisor.describe(),
    now: () => Date.now(),
    injectCrash: () => false,
    draining: () => false,
  };
  // The node's /v1/events route lives in plugins.ts, which will also register the ui routes:
  // a copy of its shape here keeps this fixture independent of that list.
  const events = (app: FastifyInstance): void => {
    app.get<{ Querystring: { since?: string } }>('/v1/events', async (request) => ({
      node_id: options.id,
      events: timeline.since(request.query.since ?? null, 1000),
    }));
  };
  const app = await buildHttpServer({
    services,
    logger: pino({ level: 'silent' }),
    plugins: [events, uiRoutes({ supervisor, timeline, loaded }, options.ui)],
  });
  const self = options.nodes.find((n) => n.id === options.id);
  await app.listen({ host: '127.0.0.1', port: self?.apiPort ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    id: options.id,
    app,
    timeline,
    supervisor,
    url: `http://127.0.0.1:${port}`,
    setState: (actor, state) => void states.set(actor, state),
    setRole: (role, term) => {
      status = { ...status, role, term };
      states.set('leader-election', role);
    },
    close: async () => {
      await app.close();
      await supervisor.stop('spec done');
    },
  };
}
