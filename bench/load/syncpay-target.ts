// The SyncPay side of the load: single seed-shaped payments (`POST /payment`) or arrays of
// transfers (`POST /v1/transfers`). Bodies are built once before the run and reused round-robin,
// so the load generator spends its CPU on requests, not on JSON. Reusing a body is safe because
// it carries no id: every request is a new payment with a server-generated id.
import { classifyBatch, classifyPayment, type Outcome } from './outcome.ts';
import type { HttpClient } from './http-client.ts';
import type { LoadJob } from './protocol.ts';
import { Prng } from './prng.ts';
import { errorLabel } from './http-client.ts';

const BODIES = 64;

export interface Target {
  issue(worker: number): Promise<Outcome>;
}

export function syncpayTarget(job: LoadJob, client: HttpClient, seed: number): Target {
  const prng = new Prng(seed);
  const account = (i: number): string => `${job.runId}-a${i}`;
  const bodies: string[] = [];
  for (let i = 0; i < BODIES; i++) {
    if (job.kind === 'syncpay-batch') {
      const items = [];
      for (let k = 0; k < job.batchSize; k++) {
        const [a, b] = prng.pair(job.accounts);
        items.push({ amount: '1.00', debit_account_id: account(a), credit_account_id: account(b) });
      }
      bodies.push(JSON.stringify(items));
    } else {
      const [a, b] = prng.pair(job.accounts);
      bodies.push(JSON.stringify({ amount: '1.00', sender: account(a), receiver: account(b) }));
    }
  }
  const path = job.kind === 'syncpay-batch' ? '/v1/transfers' : '/payment';
  const urls = job.targets.map((t) => `${t}${path}`);
  let next = 0;
  return {
    async issue(worker) {
      const url = urls[job.kind === 'syncpay-spread' ? worker % urls.length : 0] ?? '';
      const body = bodies[next++ % bodies.length] ?? '';
      try {
        const answer = await client.post(url, body);
        return job.kind === 'syncpay-batch' ? classifyBatch(answer.status, answer.text, job.batchSize) : classifyPayment(answer.status, answer.text);
      } catch (error) {
        const label = errorLabel(error);
        // A refused connection never delivered the request; anything else may have.
        return label === 'ECONNREFUSED' ? { kind: 'failed', units: 0, label } : { kind: 'unknown', units: job.batchSize, label };
      }
    },
  };
}
