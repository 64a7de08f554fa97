// The supervisor shell: runs the pure supervisor machine as the node's root XState actor and
// hosts each NodeActor inside a callback child, so a crash surfaces as `actor.crashed` to the
// machine, which decides between a one_for_one restart and escalation. It also owns the
// in-process mailboxes between sibling actors: ordered, asynchronous (never re-entrant) and
// dropped, not buffered, while the target is restarting.
import { createActor, fromCallback, type Actor, type InspectionEvent, type Observer } from 'xstate';
import type { Config } from '../machines/config.ts';
import { supervisorMachine } from '../machines/supervisor.machine.ts';
import type { ActorId, NodeId } from '../machines/types.ts';
import type { ActorDescription, ActorEnv, ActorEvent, ActorFactory, NodeActor } from './actor.ts';
import type { Logger, Ports } from './ports.ts';

export interface SupervisorOptions {
  readonly nodeId: NodeId;
  readonly config: Config;
  readonly ports: Ports;
  readonly factories: Readonly<Record<ActorId, ActorFactory>>;
  /** Start order; dependencies first. */
  readonly order: readonly ActorId[];
  /** Logger for an actor (lets the runtime apply per-actor levels). */
  readonly loggerFor?: (id: ActorId) => Logger;
  /** Called once when restart intensity is exceeded: the node must stop and exit non-zero. */
  readonly onEscalate: (reason: string) => void;
}

export interface SupervisionTree {
  readonly node_id: NodeId;
  readonly supervisor: { readonly state: unknown; readonly restarts_total: number; readonly exit_reason: string | null };
  readonly actors: ReadonlyArray<
    { readonly id: ActorId; readonly status: 'running' | 'starting' | 'restarting' | 'stopped'; readonly restarts: number } & ActorDescription
  >;
}

const STOP_WAIT_MS_MAX = 2000;

export class Supervisor {
  readonly root: Actor<typeof supervisorMachine>;
  private readonly instances = new Map<ActorId, NodeActor>();
  private readonly ready = new Set<NodeActor>();
  private readonly stopped = new WeakSet<NodeActor>();
  private readonly failers = new WeakMap<NodeActor, (error: unknown) => void>();
  private readonly mailbox: Array<{ to: ActorId; event: ActorEvent }> = [];
  private draining = false;
  private escalated = false;
  private startWaiters: Array<() => void> = [];
  private readonly options: SupervisorOptions;
  private readonly peers: readonly NodeId[];

  constructor(options: SupervisorOptions) {
    this.options = options;
    this.peers = options.config.cluster.nodes.map((n) => n.id).filter((id) => id !== options.nodeId);
    const machine = supervisorMachine.provide({
      actors: { actorHost: fromCallback<ActorEvent, { id: ActorId }>(({ input, sendBack }) => this.host(input.id, sendBack)) },
    });
    this.root = createActor(machine, {
      input: {
        order: options.order,
        restartsMax: options.config.supervisor.restartsMax,
        restartPeriodMs: options.config.supervisor.restartPeriodMs,
      },
      clock: { setTimeout: (fn, ms) => options.ports.clock.setTimeout(fn, ms), clearTimeout: (id) => options.ports.clock.clearTimeout(id) },
    });
    this.root.subscribe({
      next: (snapshot) => {
        if (snapshot.value === 'running') this.flushStartWaiters();
        if (snapshot.value === 'escalated' && !this.escalated) {
          this.escalated = true;
          const reason = snapshot.context.exitReason ?? 'restart intensity exceeded';
          options.ports.logger.error({ reason }, 'supervisor escalating: node will stop');
          this.flushStartWaiters();
          options.onEscalate(reason);
        }
      },
      error: (err) => options.ports.logger.error({ err: String(err) }, 'supervisor failed'),
    });
  }

  /** Starts every actor in order; resolves when all have reported ready (or on escalation). */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.startWaiters.push(resolve);
      this.root.start();
    });
  }

  /** Stops the actors in reverse start order, then the root. Bounded in time; never throws. */
  async stop(reason: string): Promise<void> {
    if (this.root.getSnapshot().status !== 'active') return;
    this.root.send({ type: 'node.shutdown', reason });
    for (const id of [...this.options.order].reverse()) {
      const actor = this.instances.get(id);
      if (actor) await this.stopInstance(actor);
    }
    this.root.send({ type: 'node.stopped' });
    this.root.stop();
  }

  lookup<A extends NodeActor = NodeActor>(id: ActorId): A | undefined {
    return this.instances.get(id) as A | undefined;
  }

  /** Crash an actor as a failed assertion would (fault-injection tests). False when it is not running. */
  crash(id: ActorId, reason: string): boolean {
    const actor = this.instances.get(id);
    const fail = actor && this.failers.get(actor);
    if (!fail) return false;
    fail(new Error(`injected crash: ${reason}`));
    return true;
  }

  /** Attach an inspection observer to the whole actor system (the visualiser). */
  inspect(observer: Observer<InspectionEvent> | ((event: InspectionEvent) => void)): { unsubscribe(): void } {
    return this.root.system.inspect(observer);
  }

  describe(): SupervisionTree {
    const snap = this.root.getSnapshot();
    const restarts = snap.context.restarts;
    const live = snap.status === 'active';
    return {
      node_id: this.options.nodeId,
      supervisor: {
        state: snap.value,
        restarts_total: Object.values(restarts).reduce((a, b) => a + b, 0),
        exit_reason: snap.context.exitReason,
      },
      actors: this.options.order.map((id) => {
        const actor = this.instances.get(id);
        const status = !live ? 'stopped' : !actor ? 'restarting' : this.ready.has(actor) ? 'running' : 'starting';
        const description: ActorDescription = actor ? safeDescribe(actor) : { state: null };
        return { id, status, restarts: restarts[id] ?? 0, ...description };
      }),
    };
  }

  private host(id: ActorId, sendBack: (event: ActorEvent) => void): () => void {
    let dead = false;
    const fail = (error: unknown): void => {
      if (dead) return;
      dead = true;
      const message = error instanceof Error ? error.message : String(error);
      this.options.ports.logger.error({ actor: id, err: message }, 'actor crashed');
      sendBack({ type: 'actor.crashed', id, error: message, atMs: this.options.ports.clock.monotonicNow() });
    };
    const factory = this.options.factories[id];
    let actor: NodeActor;
    try {
      actor = factory(this.envFor(id, (error) => fail(error)));
    } catch (error) {
      queueMicrotask(() => fail(error));
      return () => {};
    }
    this.instances.set(id, actor);
    this.failers.set(actor, fail);
    actor.start().then(
      () => {
        if (dead) return;
        this.ready.add(actor);
        sendBack({ type: 'actor.ready', id });
      },
      (error: unknown) => fail(error),
    );
    return () => {
      dead = true;
      if (this.instances.get(id) === actor) this.instances.delete(id);
      void this.stopInstance(actor);
    };
  }

  private envFor(id: ActorId, fail: (error: unknown) => void): ActorEnv {
    const logger = this.options.loggerFor?.(id) ?? this.options.ports.logger.child({ actor: id });
    return {
      nodeId: this.options.nodeId,
      peers: this.peers,
      config: this.options.config,
      ports: this.options.ports,
      logger,
      send: (to, event) => this.deliver(to, event),
      lookup: <A extends NodeActor = NodeActor>(target: ActorId) => this.lookup<A>(target),
      fail,
    };
  }

  /** Queue an event for an actor of this node (as a sibling would with env.send). */
  deliver(to: ActorId, event: ActorEvent): void {
    this.mailbox.push({ to, event });
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    // Take the current batch only: events posted while delivering wait for the next turn, so a
    // pair of actors that answer each other cannot starve the event loop.
    const batch = this.mailbox.splice(0, this.mailbox.length);
    for (const { to, event } of batch) {
      const actor = this.instances.get(to);
      if (!actor) {
        this.options.ports.logger.debug({ to, type: event.type }, 'event dropped: actor restarting');
        continue;
      }
      try {
        actor.receive(event);
      } catch (error) {
        this.failers.get(actor)?.(error);
      }
    }
    if (this.mailbox.length > 0) queueMicrotask(() => this.drain());
    else this.draining = false;
  }

  private async stopInstance(actor: NodeActor): Promise<void> {
    if (this.stopped.has(actor)) return;
    this.stopped.add(actor);
    this.ready.delete(actor);
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = this.options.ports.clock.setTimeout(resolve, STOP_WAIT_MS_MAX);
    });
    try {
      await Promise.race([actor.stop().catch(() => undefined), bound]);
    } finally {
      this.options.ports.clock.clearTimeout(timer);
    }
  }

  private flushStartWaiters(): void {
    const waiters = this.startWaiters;
    this.startWaiters = [];
    for (const w of waiters) w();
  }
}

function safeDescribe(actor: NodeActor): ActorDescription {
  try {
    return actor.describe();
  } catch (error) {
    return { state: null, summary: { error: String(error) } };
  }
}
