// The visualiser's routes on a real HTTP server (an in-process node with puppet actors): the page
// and its assets, elkjs served from node_modules, the node list, the machines as graphs, the live
// stream (which attaches only while read), and cross-origin access on exactly the routes the page
// reads from other nodes.
import { get, type IncomingHttpHeaders } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../support/process-cluster.ts';
import { startFakeNode, type FakeNode } from './fake-node.ts';

let node: FakeNode;

test.before(async () => {
  const nodes = [
    { id: 'node1', host: '127.0.0.1', apiPort: await freePort(), peerPort: await freePort() },
    { id: 'node2', host: '0.0.0.0', apiPort: await freePort(), peerPort: await freePort() },
  ];
  node = await startFakeNode({ id: 'node1', nodes, ui: { intervalMs: 20, clientsMax: 2 } });
});

test.after(async () => {
  await node.close();
});

test('GET /ui serves the page, which loads only local assets', async () => {
  const res = await fetch(`${node.url}/ui`);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  const html = await res.text();
  const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '').filter((src) => !src.startsWith('data:'));
  assert.ok(sources.length >= 3);
  for (const src of sources) {
    assert.ok(src.startsWith('/ui/'), `${src} is served by the node`);
    const asset = await fetch(`${node.url}${src}`);
    assert.is(asset.status, 200, src);
    await asset.arrayBuffer();
  }
  const elk = await (await fetch(`${node.url}/ui/vendor/elk.bundled.js`)).text();
  assert.ok(elk.length > 100_000 && elk.includes('ELK'), 'elkjs comes from node_modules');
  const js = await fetch(`${node.url}/ui/assets/chart.js`);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  assert.is((await fetch(`${node.url}/ui/assets/..%2Fhttp%2Fui-routes.ts`)).status, 404);
  assert.is((await fetch(`${node.url}/ui/assets/machine-graph.ts`)).status, 404, 'only page assets are served');
});

test('/ui/cluster.json lists every configured node with a reachable API address', async () => {
  const res = await fetch(`${node.url}/ui/cluster.json`);
  const body = (await res.json()) as { self: string; nodes: Array<{ id: string; api: string }> };
  assert.is(body.self, 'node1');
  assert.is(body.nodes.length, 2);
  assert.match(body.nodes[0]?.api ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(body.nodes[1]?.api ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'a node bound to 0.0.0.0 is reached at the host the browser used');
  assert.is(res.headers.get('access-control-allow-origin'), '*');
});

test('/ui/machines.json gives the supervisor and the five actors as drawable graphs', async () => {
  const body = (await (await fetch(`${node.url}/ui/machines.json`)).json()) as {
    node: string;
    machines: Array<{ actor: string; graph: { root: string; states: Array<{ id: string }>; transitions: unknown[] } }>;
  };
  assert.equal(
    body.machines.map((m) => m.actor),
    ['supervisor', 'clock', 'heartbeat', 'ledger', 'log-replication', 'leader-election'],
  );
  const supervisor = body.machines[0]?.graph;
  assert.ok(supervisor?.states.some((s) => s.id === 'supervisor.running'));
  assert.ok((supervisor?.transitions.length ?? 0) > 0);
});

test('cross-origin reads are allowed on the routes the page reads, and nowhere else', async () => {
  for (const path of ['/status', '/actors', '/ping', '/v1/events', '/ui/machines.json']) {
    const res = await fetch(`${node.url}${path}`);
    await res.arrayBuffer();
    assert.is(res.headers.get('access-control-allow-origin'), '*', path);
  }
  const page = await fetch(`${node.url}/ui`);
  await page.arrayBuffer();
  assert.is(page.headers.get('access-control-allow-origin'), null);
});

/**
 * A stream read over node:http with its own socket: undici's fetch, once a stream is aborted,
 * opens spare sockets that never carry a request, and Node's server.close() waits for those.
 */
interface OpenStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  until(pattern: RegExp): Promise<string>;
  close(): void;
  ended(): Promise<void>;
}

function openStream(url: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let text = '';
      const waiters: Array<() => void> = [];
      let done = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        for (const w of waiters.splice(0)) w();
      });
      const finish = (): void => {
        done = true;
        for (const w of waiters.splice(0)) w();
      };
      res.on('end', finish);
      res.on('close', finish);
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        until: async (pattern) => {
          while (!pattern.test(text)) {
            if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
            await new Promise<void>((w) => waiters.push(w));
          }
          return text;
        },
        close: () => req.destroy(),
        ended: async () => {
          while (!done) await new Promise<void>((w) => waiters.push(w));
        },
      });
    });
    req.on('error', reject);
  });
}

async function stats(): Promise<{ clients: number; attached: boolean }> {
  return (await (await fetch(`${node.url}/ui/stats`)).json()) as { clients: number; attached: boolean };
}

test('/ui/stream sends the tree, then changes and timeline batches; it attaches only while read', async () => {
  assert.equal(await stats().then((s) => [s.clients, s.attached]), [0, false]);
  const stream = await openStream(`${node.url}/ui/stream`);
  assert.is(stream.status, 200);
  assert.match(String(stream.headers['content-type']), /text\/event-stream/);
  assert.is(stream.headers['access-control-allow-origin'], '*');
  await stream.until(/event: snapshot\ndata: .*"leader-election"/);
  assert.equal(await stats().then((s) => [s.clients, s.attached]), [1, true]);
  node.setRole('leader', 7);
  node.timeline.push({ actor: 'leader-election', type: 'leader.elected', term: 7 }, '000000000000009.000001');
  await stream.until(/"state":"leader"/);
  await stream.until(/event: events\ndata: .*leader\.elected/);
  stream.close();
  const deadline = Date.now() + 2000;
  while ((await stats()).attached && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(await stats().then((s) => [s.clients, s.attached]), [0, false], 'detached when the last viewer left');
});

test('streams beyond the bound are refused with 503 and Retry-After', async () => {
  const open = [await openStream(`${node.url}/ui/stream`), await openStream(`${node.url}/ui/stream`)];
  assert.equal(open.map((r) => r.status), [200, 200]);
  const refused = await fetch(`${node.url}/ui/stream`);
  assert.is(refused.status, 503);
  assert.ok(refused.headers.get('retry-after'));
  const body = (await refused.json()) as { code: string };
  assert.is(body.code, 'SYNCPAY_ERR_OVERLOADED');
  for (const s of open) s.close();
});

test('closing the server ends open streams instead of waiting for them', async () => {
  const nodes = [{ id: 'solo', host: '127.0.0.1', apiPort: await freePort(), peerPort: await freePort() }];
  const solo = await startFakeNode({ id: 'solo', nodes });
  const stream = await openStream(`${solo.url}/ui/stream`);
  await stream.until(/event: snapshot/);
  const started = Date.now();
  await solo.close();
  assert.ok(Date.now() - started < 3000, 'close did not wait for the stream');
  await stream.ended();
});

test.run();
