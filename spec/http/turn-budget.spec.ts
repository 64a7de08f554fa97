// The request slice: a burst of requests that would keep the event loop busy for longer than a
// slice is spread over several turns, in arrival order, and timers (the leader's heartbeats) run
// in between; a quiet node admits at once. Work is simulated by spinning on the clock, because the
// budget is about time really spent on the loop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { TurnBudget } from '../../runtime/http/turn-budget.ts';

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy, as parsing and checking a large body is
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a burst longer than a slice is spread over turns, in order, with timers running in between', async () => {
  const budget = new TurnBudget(5);
  const order: string[] = [];
  setTimeout(() => order.push('timer'), 0);
  const waits: Promise<void>[] = [];
  let ranAtOnce = 0;
  for (let i = 0; i < 12; i++) {
    const handle = (): void => {
      spin(2);
      order.push(`r${i}`);
    };
    const wait = budget.admit();
    if (wait === null) {
      handle();
      ranAtOnce++;
    } else {
      waits.push(wait.then(handle));
    }
  }
  assert.ok(ranAtOnce >= 1 && ranAtOnce <= 4, `the first slice took ${ranAtOnce} requests of 2 ms each (slice 5 ms)`);
  await Promise.all(waits);
  const requests = order.filter((x) => x !== 'timer');
  assert.equal(requests, Array.from({ length: 12 }, (_, i) => `r${i}`), 'first come, first served');
  const timerAt = order.indexOf('timer');
  assert.ok(timerAt >= 0 && timerAt < order.length - 1, `the timer ran before the burst was done: ${order.join(' ')}`);
});

test('a quiet node admits at once, and so does the first request of every new turn', async () => {
  const budget = new TurnBudget(5);
  assert.is(budget.admit(), null);
  spin(6);
  assert.ok(budget.admit() instanceof Promise, 'the slice is used up for the rest of this turn');
  await nextTurn();
  await nextTurn();
  assert.is(budget.admit(), null, 'a later turn opens a new slice');
});

test.run();
