// Applying a burst of committed entries in slices: the ledger actor applies for at most
// `ledger.applySliceMs`, then yields to the event loop (Clock.defer) and goes on in the next turn,
// keeping log order across the slices and across events that arrive while it is yielding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLedgerActor, type LedgerActor } from '../../actors/ledger.actor.ts';
import type { Clock } from '../../actors/ports.ts';
import { encodeCommand } from '../../machines/ledger/codec.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import type { LogEntry } from '../../machines/types.ts';
import { fakeEnv } from './fake-env.ts';
import { T0, stamp, tr, transfers } from './helpers.ts';

const pay = (index: number): LogEntry => ({
  index,
  term: 1,
  kind: 'command',
  hlc: stamp(T0 + index),
  data: encodeCommand(transfers([tr({ id: `t${index}`, amount: 100n })])),
});

/** Every reading of the monotonic clock moves it by `stepMs`; deferred work waits for `turn()`. */
function steppingClock(stepMs: number): Clock & { turn(): number } {
  let t = 0;
  let deferred: Array<() => void> = [];
  return {
    now: () => T0 + t,
    monotonicNow: () => (t += stepMs),
    setTimeout: () => 0,
    clearTimeout: () => {},
    defer: (fn) => void deferred.push(fn),
    turn() {
      const run = deferred;
      deferred = [];
      for (const fn of run) fn();
      return run.length;
    },
  };
}

async function sliced(stepMs: number): Promise<{ actor: LedgerActor; clock: ReturnType<typeof steppingClock> }> {
  const env = fakeEnv({ config: { ...DEFAULT_CONFIG, ledger: { ...DEFAULT_CONFIG.ledger, applySliceMs: 10 } } });
  const clock = steppingClock(stepMs);
  (env.ports as { clock: Clock }).clock = clock;
  const actor = createLedgerActor(env) as LedgerActor;
  await actor.start();
  return { actor, clock };
}

test('a burst longer than applySliceMs is applied over several turns, in order', async () => {
  // 4 ms per clock reading: a 10 ms slice fits a few entries, never the whole burst.
  const { actor, clock } = await sliced(4);
  actor.receive({ type: 'log.committed', entries: [1, 2, 3, 4, 5, 6, 7, 8].map(pay) });
  const first = actor.api.appliedIndex();
  assert.ok(first >= 1 && first < 8, `the first slice stops early (applied ${first})`);
  // An event that arrives while the actor is yielding waits behind the rest of the burst.
  actor.receive({ type: 'log.committed', entries: [9, 10].map(pay) });
  assert.is(actor.api.appliedIndex(), first, 'nothing jumps the queue');
  let turns = 0;
  while (clock.turn() > 0) turns++;
  assert.ok(turns >= 2, `it took several turns (${turns})`);
  assert.is(actor.api.appliedIndex(), 10);
  assert.is(actor.api.transferCount(), 10);
  assert.equal(actor.api.outcomeAt(10, 1), { status: 'applied', response: { index: 10, hlc: stamp(T0 + 10), via: 'node1', results: [{ id: 't10', code: 'ok' }] } });
  await actor.stop();
});

test('a burst within applySliceMs is applied at once, without yielding', async () => {
  const { actor, clock } = await sliced(0);
  actor.receive({ type: 'log.committed', entries: [1, 2, 3, 4, 5, 6, 7, 8].map(pay) });
  assert.is(actor.api.appliedIndex(), 8);
  assert.is(clock.turn(), 0, 'nothing was deferred');
  await actor.stop();
});

test('a stopped actor applies nothing more of its backlog', async () => {
  const { actor, clock } = await sliced(4);
  actor.receive({ type: 'log.committed', entries: [1, 2, 3, 4, 5, 6, 7, 8].map(pay) });
  const first = actor.api.appliedIndex();
  await actor.stop();
  while (clock.turn() > 0);
  assert.is(actor.api.appliedIndex(), first);
});

test.run();
