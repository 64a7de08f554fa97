// The stall watch reports a turn the event loop spent blocked for longer than its threshold, with
// about how long, and stays silent while the loop turns freely.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { watchStalls } from '../../runtime/stall-watch.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

test('a blocked event loop is reported with at least the threshold, about as long as it was blocked', async () => {
  const stalls: number[] = [];
  const watch = watchStalls(80, 5, (ms) => stalls.push(ms));
  try {
    await sleep(20);
    const before = stalls.length;
    const until = performance.now() + 400;
    while (performance.now() < until) {
      // a synchronous stretch of work, as a long snapshot or restore step would be
    }
    await sleep(30);
    const seen = stalls.slice(before);
    assert.ok(seen.length >= 1, 'the blocked turn is reported');
    const longest = Math.max(...seen);
    assert.ok(longest >= 380 && longest <= 5000, `about the blocked time: ${seen.join(', ')} ms`);
    assert.ok(stalls.every((ms) => ms >= 80), 'nothing under the threshold is reported');
  } finally {
    watch.stop();
  }
});

test.run();
