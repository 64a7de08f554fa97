// The payment path on real processes: the seed's curl works against a follower and every node
// then reads the same balances; the same Idempotency-Key, or the same transfer id, moves money
// once and answers the same transaction_id, also when the leader is killed between the sends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessCluster, waitFor } from '../support/process-cluster.ts';

interface PaymentAnswer { status: string; transaction_id: string; amount: string; processed_by: string }

let cluster: ProcessCluster;

test.before(async () => {
  cluster = await ProcessCluster.create({ size: 3 });
  await cluster.startAll();
});

test.after(async () => {
  await cluster.destroy();
});

async function pay(node: string, body: object, key?: string): Promise<{ status: number; body: PaymentAnswer }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key) headers['idempotency-key'] = key;
  return cluster.json<PaymentAnswer>(node, '/payment', { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Retries on 503 (no leader yet, leader changed) as a client would, with the same request. */
async function payUntilAnswered(nodes: string[], body: object, key?: string): Promise<{ status: number; body: PaymentAnswer }> {
  let attempt = 0;
  return waitFor(async () => {
    const node = nodes[attempt++ % nodes.length] ?? 'node1';
    const answer = await pay(node, body, key).catch(() => null);
    return answer && answer.status !== 503 ? answer : undefined;
  }, 20000, 'an answer that is not 503', 100);
}

async function balance(node: string, account: string): Promise<string> {
  const { body } = await cluster.json<{ balance: string }>(node, `/v1/accounts/${account}`);
  return body.balance;
}

test('the seed curl against a follower succeeds and every node reads the same balances', async () => {
  const leader = await cluster.agreedLeader(undefined, 500);
  const follower = cluster.nodes.find((n) => n.id !== leader)?.id ?? 'node2';
  const { status, body } = await pay(follower, { amount: 150.75, sender: 'alice', receiver: 'bob' });
  assert.is(status, 200);
  assert.is(body.status, 'success');
  assert.is(body.processed_by, leader);
  const other = cluster.nodes.find((n) => n.id !== follower)?.id ?? 'node1';
  const listed = await cluster.json<{ transactions: Array<{ id: string }> }>(other, '/transactions');
  assert.ok(listed.body.transactions.some((t) => t.id === body.transaction_id));
  for (const n of cluster.nodes) {
    assert.is(await balance(n.id, 'alice'), '-150.75', `alice on ${n.id}`);
    assert.is(await balance(n.id, 'bob'), '150.75', `bob on ${n.id}`);
  }
});

test('same Idempotency-Key and same id across a leader kill: one transfer, the same transaction_id', async () => {
  const all = cluster.nodes.map((n) => n.id);
  const leader = await cluster.agreedLeader(all);
  const byKey = { amount: '10.00', sender: 'carol', receiver: 'dave' };
  const byId = { amount: '5.00', sender: 'erin', receiver: 'frank', id: 'fixed-transfer-id-1' };
  const first = await pay(leader, byKey, 'key-across-failover');
  const firstById = await pay(leader, byId);
  assert.is(first.status, 200);
  assert.is(firstById.status, 200);

  await cluster.kill(leader);
  const survivors = all.filter((id) => id !== leader);
  const again = await payUntilAnswered(survivors, byKey, 'key-across-failover');
  const againById = await payUntilAnswered(survivors, byId);
  assert.is(again.status, 200);
  assert.equal(again.body, first.body, 'the key replays the original answer');
  assert.is(againById.body.transaction_id, 'fixed-transfer-id-1');

  const newLeader = await cluster.agreedLeader(survivors);
  assert.is.not(newLeader, leader);
  for (const id of survivors) {
    assert.is(await balance(id, 'carol'), '-10.00', `carol debited once on ${id}`);
    assert.is(await balance(id, 'erin'), '-5.00', `erin debited once on ${id}`);
  }
  cluster.start(leader);
  await cluster.waitReady(leader);
  await waitFor(async () => ((await balance(leader, 'carol').catch(() => '')) === '-10.00' ? true : undefined), 20000, 'the restarted node to catch up');
  assert.is(await balance(leader, 'erin'), '-5.00');
});

test.run();
