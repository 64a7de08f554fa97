// What one single payment costs the leader's HTTP path, without consensus, disk or peers: a child
// process serves the real fastify server with the real ledger routes, metrics hooks and ledger
// actor, over a fake log that commits each proposal one turn after it is made (spec/ledger/
// http-fakes.ts), and this process drives `POST /payment` with the benchmark's own load client
// in a closed loop. It prints the server's CPU µs per request (user + system, from the child's
// own `process.cpuUsage`) per run and their median: in a full cluster this path is about half
// of the leader's CPU, and here a change to it shows without the noise of three nodes and their
// fsyncs. A diagnostic for docs/performance.md, not a benchmark.
// Usage: node --import tsx bench/http-micro.ts [concurrency=64] [seconds=5] [runs=5]
// HTTP_MICRO_PROFILE=<dir> also writes the server's V8 CPU profile there (--cpu-prof).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerLedgerRoutes } from '../runtime/http/ledger-routes.ts';
import { httpMetricsHook, metricsRoutes } from '../runtime/http/metrics-routes.ts';
import { paymentMetricsHook } from '../runtime/http/payment-metrics.ts';
import { createNodeMetrics } from '../runtime/metrics/registry.ts';
import { Timeline } from '../runtime/timeline.ts';
import { fakeNode } from '../spec/ledger/http-fakes.ts';
import { leanHttpClient } from './load/lean-http-client.ts';

type FromServer = { type: 'listening'; port: number } | { type: 'cpu'; us: number };

if (process.argv[2] === '--serve') await serve();
else await drive();

async function serve(): Promise<void> {
  const node = await fakeNode({
    plugins: (services) => {
      const metrics = createNodeMetrics({ nodeId: services.nodeId, services, timeline: new Timeline(services.nodeId, 100) });
      return [httpMetricsHook(metrics), paymentMetricsHook(metrics), metricsRoutes(metrics), registerLedgerRoutes];
    },
  });
  // One turn per proposal, as a round takes time: requests that come meanwhile share entries.
  node.log.proposeTurns = 1;
  await node.app.listen({ host: '127.0.0.1', port: 0 });
  const address = node.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.on('message', (m: { type: string }) => {
    if (m.type === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ type: 'cpu', us: u.user + u.system } satisfies FromServer);
    } else if (m.type === 'exit') process.exit(0);
  });
  process.send?.({ type: 'listening', port } satisfies FromServer);
}

async function drive(): Promise<void> {
  const concurrency = Number(process.argv[2] ?? 64);
  const seconds = Number(process.argv[3] ?? 5);
  const runs = Number(process.argv[4] ?? 5);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx', ...(process.env.HTTP_MICRO_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HTTP_MICRO_PROFILE}`] : [])], stdio: 'inherit' });
  const next = (type: FromServer['type']): Promise<FromServer> => new Promise((resolve) => {
    const on = (m: FromServer): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });
  const listening = await next('listening');
  const port = listening.type === 'listening' ? listening.port : 0;
  const cpu = async (): Promise<number> => {
    const reply = next('cpu');
    child.send({ type: 'cpu' });
    const m = await reply;
    return m.type === 'cpu' ? m.us : 0;
  };
  const client = leanHttpClient(concurrency, 10_000);
  const url = `http://127.0.0.1:${port}/payment`;
  const bodies = Array.from({ length: 64 }, (_, b) => JSON.stringify({ sender: `a${b}`, receiver: `b${b % 7}`, amount: '1.00' }));
  let seq = 0;
  const drivePhase = async (ms: number): Promise<number> => {
    const until = Date.now() + ms;
    let ok = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const answer = await client.post(url, bodies[seq++ % bodies.length]!);
        if (answer.status !== 200) throw new Error(`answer ${answer.status}: ${answer.text}`);
        ok++;
      }
    }));
    return ok;
  };
  await drivePhase(5000); // warm-up: the JIT and the ledger's first accounts
  const perRequest: number[] = [];
  for (let r = 0; r < runs; r++) {
    const before = await cpu();
    const clientBefore = process.cpuUsage();
    const started = Date.now();
    const ok = await drivePhase(seconds * 1000);
    const elapsedS = (Date.now() - started) / 1000;
    const serverUs = (await cpu()) - before;
    const c = process.cpuUsage(clientBefore);
    perRequest.push(serverUs / ok);
    console.log(`run ${r + 1}: ${(ok / elapsedS).toFixed(0)} requests/s, server CPU µs per request ${(serverUs / ok).toFixed(1)}, client ${((c.user + c.system) / ok).toFixed(1)}`);
  }
  const sorted = [...perRequest].sort((a, b) => a - b);
  console.log(`median server CPU µs per request: ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} (concurrency ${concurrency}, ${runs} runs of ${seconds} s)`);
  client.close();
  child.send({ type: 'exit' });
}
