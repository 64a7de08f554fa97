// The supervisor: start order, one_for_one restart with counts in the supervision tree,
// escalation past the restart intensity, reverse-order stop, and event delivery between actors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setup } from 'xstate';
import type { ActorFactory, NodeActor } from '../../actors/actor.ts';
import { Supervisor } from '../../actors/supervisor.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { ACTOR_IDS, type ActorId } from '../../machines/types.ts';
import { quietPorts } from '../support/quiet-ports.ts';

const idleMachine = setup({}).createMachine({ id: 'idle', initial: 'idle', states: { idle: {} } });

interface Probe {
  readonly log: string[];
  readonly instances: Map<ActorId, TestActor[]>;
}
interface TestActor extends NodeActor {
  crash(message: string): void;
  readonly received: string[];
}

function factories(probe: Probe): Record<ActorId, ActorFactory> {
  const make =
    (id: ActorId): ActorFactory =>
    (env) => {
      const received: string[] = [];
      const actor: TestActor = {
        id,
        machine: idleMachine,
        received,
        start: async () => void probe.log.push(`start ${id}`),
        stop: async () => void probe.log.push(`stop ${id}`),
        receive: (event) => {
          if (event.type === 'test.throw') throw new Error('boom in receive');
          received.push(event.type);
          if (event.type === 'test.ping') env.send('clock', { type: 'test.pong' });
        },
        describe: () => ({ state: 'idle', summary: { generation: probe.instances.get(id)?.length ?? 0 } }),
        crash: (message) => env.fail(new Error(message)),
      };
      probe.instances.set(id, [...(probe.instances.get(id) ?? []), actor]);
      return actor;
    };
  return Object.fromEntries(ACTOR_IDS.map((id) => [id, make(id)])) as Record<ActorId, ActorFactory>;
}

function build(restartsMax = 3): { sup: Supervisor; probe: Probe; escalations: string[] } {
  const probe: Probe = { log: [], instances: new Map() };
  const escalations: string[] = [];
  const config: Config = { ...DEFAULT_CONFIG, supervisor: { ...DEFAULT_CONFIG.supervisor, restartsMax, restartPeriodMs: 60000 } };
  const sup = new Supervisor({
    nodeId: 'node1',
    config,
    ports: quietPorts(),
    factories: factories(probe),
    order: ACTOR_IDS,
    onEscalate: (reason) => void escalations.push(reason),
  });
  return { sup, probe, escalations };
}

const tick = () => new Promise((r) => setTimeout(r, 5));
const current = (probe: Probe, id: ActorId): TestActor => {
  const list = probe.instances.get(id) ?? [];
  const last = list[list.length - 1];
  assert.ok(last, `no instance of ${id}`);
  return last;
};

test('starts the five actors in dependency order and reports them running', async () => {
  const { sup, probe } = build();
  await sup.start();
  assert.equal(probe.log, ACTOR_IDS.map((id) => `start ${id}`));
  const tree = sup.describe();
  assert.equal(tree.supervisor.state, 'running');
  assert.equal(tree.actors.map((a) => a.id), [...ACTOR_IDS]);
  assert.ok(tree.actors.every((a) => a.status === 'running' && a.restarts === 0));
  await sup.stop('test');
});

test('a crashed actor is restarted alone (one_for_one) and its restart count shows', async () => {
  const { sup, probe } = build();
  await sup.start();
  current(probe, 'ledger').crash('assertion failed');
  await tick();
  assert.is(probe.instances.get('ledger')?.length, 2, 'ledger rebuilt once');
  assert.is(probe.instances.get('clock')?.length, 1, 'siblings untouched');
  const tree = sup.describe();
  const ledger = tree.actors.find((a) => a.id === 'ledger');
  assert.is(ledger?.restarts, 1);
  assert.is(ledger?.status, 'running');
  assert.is(tree.supervisor.restarts_total, 1);
  assert.ok(probe.log.includes('stop ledger'), 'the crashed instance was stopped');
  await sup.stop('test');
});

test('a throw while handling an event crashes that actor, which is restarted', async () => {
  const { sup, probe } = build();
  await sup.start();
  const before = current(probe, 'heartbeat');
  sup.deliver('heartbeat', { type: 'test.throw' });
  await tick();
  assert.is.not(current(probe, 'heartbeat'), before);
  assert.is(sup.describe().actors.find((a) => a.id === 'heartbeat')?.restarts, 1);
  await sup.stop('test');
});

test('crashing past the restart intensity escalates: every actor stops and the node is told to exit', async () => {
  const { sup, probe, escalations } = build(2);
  await sup.start();
  current(probe, 'clock').crash('one');
  await tick();
  current(probe, 'clock').crash('two');
  await tick();
  assert.is(escalations.length, 0, 'two restarts are within an intensity of 2');
  current(probe, 'clock').crash('three');
  await tick();
  assert.is(escalations.length, 1);
  assert.match(escalations[0] ?? '', /restart intensity exceeded: clock crashed \(three\)/);
  assert.is(sup.describe().supervisor.state, 'escalated');
  await sup.stop('escalated');
  assert.is(sup.describe().supervisor.state, 'stopped');
  const stops = probe.log.filter((l) => l.startsWith('stop ')).slice(-5);
  assert.equal(stops, [...ACTOR_IDS].reverse().map((id) => `stop ${id}`), 'stopped in reverse start order');
});

test('events between siblings are delivered in order and never re-entrantly', async () => {
  const { sup, probe } = build();
  await sup.start();
  const post = sup.deliver.bind(sup);
  post('ledger', { type: 'test.a' });
  post('ledger', { type: 'test.b' });
  post('ledger', { type: 'test.ping' });
  assert.equal(current(probe, 'ledger').received, [], 'nothing delivered synchronously');
  await tick();
  assert.equal(current(probe, 'ledger').received, ['test.a', 'test.b', 'test.ping']);
  assert.equal(current(probe, 'clock').received, ['test.pong']);
  await sup.stop('test');
});

test.run();
