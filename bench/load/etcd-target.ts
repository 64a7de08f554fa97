// The etcd side of the load, through the `etcd3` client (gRPC): (a) puts of a 200-byte value to
// keys unique to the run, and (b) a payment the way one has to build it on etcd: read both
// accounts, then a transaction that writes both new balances only if neither account's
// mod_revision moved since the read, retried on conflict. Balances are bigint minor units stored
// as decimal strings, like SyncPay's wire format.
import { Etcd3 } from 'etcd3';
import { errorLabel } from './http-client.ts';
import type { Outcome } from './outcome.ts';
import type { EtcdCheckResult, LoadJob } from './protocol.ts';
import { Prng } from './prng.ts';
import type { Target } from './syncpay-target.ts';
import { assertLoopback } from './http-client.ts';

const VALUE = 'v'.repeat(200);
const AMOUNT = 100n;
/** A payment that loses its compare this many times in a row is reported as failed, not looped on forever. */
const RETRIES_MAX = 50;

export interface EtcdTarget extends Target {
  verify(): Promise<EtcdCheckResult>;
  close(): void;
}

export function etcdTarget(job: LoadJob, seed: number): EtcdTarget {
  for (const t of job.targets) assertLoopback(t);
  const client = new Etcd3({ hosts: [...job.targets], dialTimeout: job.requestTimeoutMs });
  const prng = new Prng(seed);
  const putPrefix = `put/${job.runId}/`;
  const accountPrefix = `acct/${job.runId}/`;
  const seqs = new Map<number, number>();

  const put = async (worker: number): Promise<Outcome> => {
    const seq = (seqs.get(worker) ?? 0) + 1;
    seqs.set(worker, seq);
    await client.put(`${putPrefix}${worker}/${seq}`).value(VALUE);
    return { kind: 'ok', units: 1 };
  };

  const pay = async (): Promise<Outcome> => {
    const [a, b] = prng.pair(job.accounts);
    const ka = `${accountPrefix}${a}`;
    const kb = `${accountPrefix}${b}`;
    for (let attempt = 0; attempt <= RETRIES_MAX; attempt++) {
      const [ra, rb] = await Promise.all([client.get(ka).exec(), client.get(kb).exec()]);
      const va = ra.kvs[0];
      const vb = rb.kvs[0];
      const balanceA = va ? BigInt(va.value.toString()) : 0n;
      const balanceB = vb ? BigInt(vb.value.toString()) : 0n;
      // A key that does not exist yet has mod_revision 0, so the compare also guards creation.
      const result = await client
        .if(ka, 'Mod', '==', Number(va?.mod_revision ?? 0))
        .and(kb, 'Mod', '==', Number(vb?.mod_revision ?? 0))
        .then(client.put(ka).value(String(balanceA - AMOUNT)), client.put(kb).value(String(balanceB + AMOUNT)))
        .commit();
      if (result.succeeded) return { kind: 'ok', units: 1, retries: attempt };
    }
    return { kind: 'failed', units: 0, label: 'conflict-retries-exhausted', retries: RETRIES_MAX };
  };

  return {
    async issue(worker) {
      try {
        return job.kind === 'etcd-put' ? await put(worker) : await pay();
      } catch (error) {
        return { kind: 'unknown', units: 1, label: errorLabel(error) };
      }
    },
    async verify() {
      if (job.kind === 'etcd-put') return { committed: await client.getAll().prefix(putPrefix).count(), balanceSum: null };
      const balances = await client.getAll().prefix(accountPrefix).strings();
      let sum = 0n;
      for (const v of Object.values(balances)) sum += BigInt(v);
      return { committed: null, balanceSum: String(sum) };
    },
    close() {
      client.close();
    },
  };
}
