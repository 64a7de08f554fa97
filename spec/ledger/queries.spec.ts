// Newest-first pages with cursors, over all transfers and per account.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countTransfers, pageTransfers } from '../../machines/ledger/queries.ts';
import { TestLog, tr, transfers } from './helpers.ts';

function filled(): TestLog {
  const log = new TestLog();
  for (let i = 0; i < 10; i++) log.apply(transfers([tr({ id: `t${i}`, from: i % 2 ? 'odd' : 'even', to: 'sink' })]));
  return log;
}

test('pages walk all transfers newest first without gaps or repeats', () => {
  const log = filled();
  const seen: string[] = [];
  let before: number | undefined;
  for (;;) {
    const page = pageTransfers(log.state, { limit: 3, before });
    seen.push(...page.items.map((t) => t.id));
    if (page.nextCursor === null) break;
    before = page.nextCursor;
  }
  assert.equal(seen, ['t9', 't8', 't7', 't6', 't5', 't4', 't3', 't2', 't1', 't0']);
});

test('per-account pages see only that account', () => {
  const log = filled();
  const first = pageTransfers(log.state, { account: 'odd', limit: 2 });
  assert.equal(first.items.map((t) => t.id), ['t9', 't7']);
  const second = pageTransfers(log.state, { account: 'odd', limit: 10, before: first.nextCursor! });
  assert.equal(second.items.map((t) => t.id), ['t5', 't3', 't1']);
  assert.is(second.nextCursor, null);
  assert.is(countTransfers(log.state, 'odd'), 5);
  assert.is(countTransfers(log.state, 'sink'), 10);
  assert.is(countTransfers(log.state), 10);
  assert.is(countTransfers(log.state, 'nobody'), 0);
  assert.equal(pageTransfers(log.state, { account: 'nobody', limit: 5 }), { items: [], nextCursor: null });
});

test('a page that ends exactly at the oldest transfer has no next cursor', () => {
  const log = filled();
  assert.is(pageTransfers(log.state, { limit: 10 }).nextCursor, null);
  assert.is(pageTransfers(log.state, { limit: 9 }).nextCursor, 1);
});

test.run();
