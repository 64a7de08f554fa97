// `node --import tsx bench/client-compare.ts [concurrency] [seconds]`: which HTTP client should the
// load generator use? Drives a trivial JSON endpoint (in its own process, so the server's CPU is
// not the client's) in a closed loop with the lean HTTP/1.1 client, node:http + keep-alive Agent
// and global fetch, and prints requests/s and client CPU per request. The cheaper client leaves more of the shared
// cores to the nodes under test.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fetchClient, nodeHttpClient, type HttpClient } from './load/http-client.ts';
import { leanHttpClient } from './load/lean-http-client.ts';

if (process.argv[2] === '--serve') {
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ status: 'success', size: Buffer.concat(chunks).length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
} else {
  const concurrency = Number(process.argv[2] ?? 64);
  const seconds = Number(process.argv[3] ?? 3);
  const child = fork(new URL(import.meta.url).pathname, ['--serve'], { execArgv: ['--import', 'tsx'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const url = `http://127.0.0.1:${port}/payment`;
  const body = JSON.stringify({ amount: '1.00', sender: 'alice', receiver: 'bob' });
  const drive = async (name: string, client: HttpClient): Promise<void> => {
    const run = async (ms: number): Promise<{ n: number; cpu: number; wall: number }> => {
      const end = performance.now() + ms;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let n = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const a = await client.post(url, body);
          if (a.status === 200) n++;
        }
      }));
      const cpu = process.cpuUsage(cpu0);
      return { n, cpu: (cpu.user + cpu.system) / 1e6, wall: (performance.now() - t0) / 1000 };
    };
    await run(500);
    const r = await run(seconds * 1000);
    console.log(`${name.padEnd(26)} ${Math.round(r.n / r.wall).toString().padStart(7)} req/s   client CPU ${((r.cpu / r.n) * 1e6).toFixed(0).padStart(4)} us/request`);
    client.close();
  };
  console.log(`closed loop, concurrency ${concurrency}, ${seconds} s each, trivial JSON endpoint in another process`);
  for (let round = 1; round <= 2; round++) {
    await drive(`lean HTTP/1.1 #${round}`, leanHttpClient(concurrency, 10_000));
    await drive(`node:http keep-alive #${round}`, nodeHttpClient(concurrency, 10_000));
    await drive(`fetch (undici) #${round}`, fetchClient(10_000));
  }
  child.kill();
}
