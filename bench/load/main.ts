// Entry of the load-generator process (forked by the runner with tsx): receives one job over IPC,
// builds the client and the target, runs the closed loop and sends the result back, then exits.
// Anything that goes wrong is reported as an `error` message so the runner can fail the run
// with a reason instead of waiting for a timeout.
import { etcdTarget, type EtcdTarget } from './etcd-target.ts';
import { fetchClient, nodeHttpClient } from './http-client.ts';
import { leanHttpClient } from './lean-http-client.ts';
import type { LoadJob, LoadMessage, RunnerMessage } from './protocol.ts';
import { runLoad, type LoadControl } from './run-load.ts';
import { syncpayTarget } from './syncpay-target.ts';

function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

const control: LoadControl = { stopped: false, markAtEpochMs: null };

async function execute(job: LoadJob): Promise<void> {
  const seed = Number.parseInt(job.runId.replace(/\D/g, '').slice(-9) || '1', 10);
  let etcd: EtcdTarget | null = null;
  const http = job.client === 'fetch' ? fetchClient(job.requestTimeoutMs)
    : job.client === 'http' ? nodeHttpClient(job.concurrency, job.requestTimeoutMs)
    : leanHttpClient(job.concurrency, job.requestTimeoutMs);
  const target = job.kind.startsWith('etcd-') ? (etcd = etcdTarget(job, seed)) : syncpayTarget(job, http, seed);
  try {
    const out = await runLoad(job, target, control, (fraction, unitsOk, elapsedMs, firstSuccessAfterMarkMs) =>
      void send({ type: 'progress', fraction, unitsOk, elapsedMs, firstSuccessAfterMarkMs }));
    const check = etcd ? await etcd.verify() : null;
    await send({ type: 'result', result: out.result, firstSuccessAfterMarkMs: out.firstSuccessAfterMarkMs, firstProbeSuccessAfterMarkMs: out.firstProbeSuccessAfterMarkMs, etcd: check });
  } finally {
    http.close();
    etcd?.close();
  }
}

process.on('message', (raw: unknown) => {
  const message = raw as RunnerMessage;
  if (message.type === 'mark') control.markAtEpochMs = message.atEpochMs;
  else if (message.type === 'stop') control.stopped = true;
  else if (message.type === 'job') {
    execute(message.job)
      .catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }))
      .finally(() => process.exit(0));
  }
});
void send({ type: 'ready' });
