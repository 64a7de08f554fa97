// The write path joins the requests of one turn into group entries (LedgerWriter in
// runtime/http/ledger-write.ts) while entries of its own are in flight: each request still gets its
// own answer, from its own command's outcome; a request that finds nothing in flight is proposed at
// once, as an entry of its own; a group never outgrows http.groupBytesMax or
// what one peer message may carry; and a refused proposal refuses every request in it alike.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import { decodeEntry, encodeCommand } from '../../machines/ledger/codec.ts';
import { createLedgerActor, type LedgerActor } from '../../actors/ledger.actor.ts';
import { LedgerWriter, type WriteRequest } from '../../runtime/http/ledger-write.ts';
import type { NodeServices } from '../../runtime/http/services.ts';
import { fakeEnv } from '../ledger/fake-env.ts';
import { tr } from '../ledger/helpers.ts';
import { FakeLog, fakeNode } from '../ledger/http-fakes.ts';

/** A log whose proposals take a turn to commit, so requests arriving meanwhile gather. */
function slowLog(): FakeLog {
  const log = new FakeLog();
  log.proposeTurns = 1;
  return log;
}

const payments = (n: number) => Array.from({ length: n }, (_, i) => ({ amount: `${i + 1}.00`, sender: `s${i}`, receiver: `r${i}` }));

test('requests of one turn share an entry, and each answer is its own request\'s', async () => {
  const log = slowLog();
  const node = await fakeNode({ log });
  const bodies = payments(20);
  const answers = await Promise.all(bodies.map((payload) => node.app.inject({ method: 'POST', url: '/payment', payload })));
  const ids = new Set<string>();
  answers.forEach((res, i) => {
    assert.is(res.statusCode, 200, res.body);
    const body = res.json() as Record<string, unknown>;
    assert.equal([body.amount, body.sender, body.receiver], [bodies[i]!.amount, bodies[i]!.sender, bodies[i]!.receiver]);
    ids.add(body.transaction_id as string);
    assert.is(node.ledger.api.transfer(body.transaction_id as string)?.amount, BigInt(i + 1) * 100n);
  });
  assert.is(ids.size, 20);
  assert.is(node.ledger.api.transferCount(), 20);
  assert.ok(log.proposals < 20, `20 requests in ${log.proposals} entries`);
  const groups = log.entries.map((e) => decodeEntry(e.data)).filter((c) => c.type === 'group');
  assert.ok(groups.length >= 1, 'at least one group entry');
  await node.close();
});

test('a lone request is proposed as a command entry, not a group of one', async () => {
  const log = slowLog();
  const node = await fakeNode({ log });
  const res = await node.app.inject({ method: 'POST', url: '/payment', payload: payments(1)[0] });
  assert.is(res.statusCode, 200, res.body);
  assert.is(log.entries.length, 1);
  assert.is(decodeEntry(log.entries[0]!.data).type, 'transfer.create');
  await node.close();
});

test('groups are cut where an entry would outgrow half a peer message', async () => {
  const config: Config = { ...DEFAULT_CONFIG, link: { ...DEFAULT_CONFIG.link, messageBytesMax: 1200 } };
  const log = slowLog();
  const node = await fakeNode({ log, config });
  const answers = await Promise.all(payments(12).map((payload) => node.app.inject({ method: 'POST', url: '/payment', payload })));
  for (const res of answers) assert.is(res.statusCode, 200, res.body);
  assert.is(node.ledger.api.transferCount(), 12);
  for (const e of log.entries) assert.ok(e.data.length <= 600, `entry ${e.index} holds ${e.data.length} characters`);
  assert.ok(log.entries.length > 1 && log.entries.length < 12, `12 requests in ${log.entries.length} entries`);
  await node.close();
});

test('groups stop at http.groupBytesMax, and a request as large as that is proposed alone', async () => {
  const config: Config = { ...DEFAULT_CONFIG, http: { ...DEFAULT_CONFIG.http, groupBytesMax: 350 } };
  const log = slowLog();
  const node = await fakeNode({ log, config });
  const small = payments(12);
  const large = { amount: '99.00', sender: 'big-sender', receiver: 'big-receiver', reference: 'r'.repeat(250) };
  const answers = await Promise.all([...small, large].map((payload) => node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { debit_account_id: payload.sender, credit_account_id: payload.receiver, amount: payload.amount, ...('reference' in payload ? { reference: payload.reference } : {}) } })));
  for (const res of answers) assert.ok(res.statusCode < 300, res.body);
  assert.is(node.ledger.api.transferCount(), 13);
  const entries = log.entries.map((e) => ({ length: e.data.length, entry: decodeEntry(e.data) }));
  for (const { length, entry } of entries) {
    if (entry.type === 'group') assert.ok(length <= 350, `a group of ${entry.commands.length} holds ${length} characters`);
  }
  const alone = entries.filter(({ entry }) => entry.type === 'transfer.create' && entry.transfers[0]!.reference !== null);
  assert.is(alone.length, 1, 'the large request has an entry of its own');
  assert.ok(alone[0]!.length > 350);
  assert.ok(entries.some(({ entry }) => entry.type === 'group'), 'the small ones were still grouped');
  await node.close();
});

test('groups are cut by UTF-8 bytes, each as full as the limit allows', async () => {
  // Each command is about 190 characters and 310 bytes: 940 bytes take two and the group's own 30
  // bytes, but would take four counted in characters, and three without the group's own bytes.
  const config: Config = { ...DEFAULT_CONFIG, http: { ...DEFAULT_CONFIG.http, groupBytesMax: 940 } };
  const log = slowLog();
  const node = await fakeNode({ log, config });
  const bodies = Array.from({ length: 12 }, (_, i) => ({ debit_account_id: `s${i}`, credit_account_id: `r${i}`, amount: '1.00', reference: '€'.repeat(60) }));
  const answers = await Promise.all(bodies.map((payload) => node.app.inject({ method: 'POST', url: '/v1/transfers', payload })));
  for (const res of answers) assert.ok(res.statusCode < 300, res.body);
  assert.is(node.ledger.api.transferCount(), 12);
  const sizes = log.entries.map((e) => Buffer.byteLength(e.data));
  const firsts = log.entries.map((e) => {
    const entry = decodeEntry(e.data);
    return Buffer.byteLength(encodeCommand(entry.type === 'group' ? entry.commands[0]! : entry));
  });
  assert.ok(log.entries.length > 1 && log.entries.length < 12, `12 requests in ${log.entries.length} entries`);
  sizes.forEach((size, k) => {
    assert.ok(size <= 940, `entry ${k} holds ${size} bytes`);
    // The first request found nothing in flight and went at once, alone.
    if (k >= 1 && k + 1 < sizes.length) assert.ok(size + 1 + firsts[k + 1]! > 940, `entry ${k} (${size} bytes) had room for the next command (${firsts[k + 1]} bytes)`);
  });
  await node.close();
});

test('an outcome that cannot be known names each request\'s own transfer', async () => {
  const log = slowLog();
  const node = await fakeNode({ log });
  log.failWith = { ok: false, code: 'SYNCPAY_ERR_OUTCOME_UNKNOWN', detail: 'the leader went away', leader: null, retryAfterMs: 50 };
  const ids = ['t-a', 't-b', 't-c'];
  const answers = await Promise.all(ids.map((id) => node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { id, debit_account_id: 'x', credit_account_id: 'y', amount: '2.00' } })));
  assert.is(log.proposals, 2, 'the first at once, the other two in one entry');
  answers.forEach((res, i) => {
    assert.is(res.statusCode, 503);
    const body = res.json() as Record<string, unknown>;
    assert.is(body.code, 'SYNCPAY_ERR_OUTCOME_UNKNOWN');
    assert.is(body.transaction_id, ids[i]);
  });
  await node.close();
});

test('the 413 for one request counts UTF-8 bytes', async () => {
  // Half a message is 300 bytes: 85 euro signs are 85 characters but 255 bytes of reference.
  const config: Config = { ...DEFAULT_CONFIG, link: { ...DEFAULT_CONFIG.link, messageBytesMax: 600 } };
  const node = await fakeNode({ log: slowLog(), config });
  const ascii = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { debit_account_id: 'a', credit_account_id: 'b', amount: '1.00', reference: 'e'.repeat(85) } });
  assert.ok(ascii.statusCode < 300, ascii.body);
  const wide = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: { debit_account_id: 'a', credit_account_id: 'b', amount: '1.00', reference: '€'.repeat(85) } });
  assert.is(wide.statusCode, 413);
  assert.is((wide.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_ENTRY_TOO_LARGE');
  await node.close();
});

test('a refused proposal refuses every request it carried, each with the same code and nothing written', async () => {
  const log = slowLog();
  const node = await fakeNode({ log });
  log.failWith = { ok: false, code: 'SYNCPAY_ERR_NOT_LEADER', detail: 'not the leader', leader: 'node2', retryAfterMs: 50 };
  const answers = await Promise.all(payments(5).map((payload) => node.app.inject({ method: 'POST', url: '/payment', payload })));
  for (const res of answers) {
    assert.is(res.statusCode, 503);
    assert.is((res.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_NOT_LEADER');
  }
  assert.is(log.proposals, 2, 'the first at once, the other four in one entry');
  assert.is(node.ledger.api.transferCount(), 0);
  await node.close();
});

test('an exception on the way to consensus answers every request it carried, none hangs', async () => {
  const proposed: string[] = [];
  class ThrowingLog extends FakeLog {
    override consensus(self: string) {
      // A turn before it throws, so the requests behind the first gather into a group.
      return { ...super.consensus(self), propose: async (data: string): Promise<never> => {
        proposed.push(data);
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('propose broke');
      } };
    }
  }
  const node = await fakeNode({ log: new ThrowingLog() });
  const answers = await Promise.all(payments(4).map((payload) => node.app.inject({ method: 'POST', url: '/payment', payload })));
  for (const res of answers) {
    assert.is(res.statusCode, 500);
    assert.is((res.json() as Record<string, unknown>).code, 'SYNCPAY_ERR_INTERNAL');
  }
  assert.ok(proposed.some((data) => decodeEntry(data).type === 'group'), 'a group was among the failed proposals');
  assert.is(node.ledger.api.transferCount(), 0);
  await node.close();
});

test('a request that finds nothing of its node in flight is proposed at once, not at the end of the turn', async () => {
  const log = slowLog();
  const ledger = createLedgerActor(fakeEnv()) as LedgerActor;
  await ledger.start();
  log.ledgers.add(ledger);
  const services = { nodeId: 'node1', config: DEFAULT_CONFIG, consensus: () => log.consensus('node1'), ledger: () => ledger.api } as unknown as NodeServices;
  const writer = new LedgerWriter(services);
  const request = (id: string): WriteRequest => ({ key: null, hash: id, command: { type: 'transfer.create', transfers: [tr({ id, from: 'a', to: 'b', amount: 5n })] } });
  const first = writer.write(request('w1'));
  assert.is(log.proposals, 1, 'proposed within the call');
  const second = writer.write(request('w2'));
  const third = writer.write(request('w3'));
  assert.is(log.proposals, 1, 'the next ones wait while the first is in flight');
  const answers = await Promise.all([first, second, third]);
  assert.ok(answers.every((a) => a.ok));
  assert.is(log.proposals, 2, 'and went together');
  const group = decodeEntry(log.entries[1]!.data);
  assert.equal(group.type === 'group' ? group.commands.map((c) => (c.type === 'transfer.create' ? c.transfers[0]!.id : '')) : [], ['w2', 'w3'], 'in the order they came');
  // Once nothing is in flight again, the next request goes at once.
  const fourth = writer.write(request('w4'));
  assert.is(log.proposals, 3, 'proposed within the call');
  assert.ok((await fourth).ok);
  await ledger.stop();
});

test.run();
