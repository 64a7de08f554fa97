// The page's entry point: asks the serving node which nodes the cluster has, starts watching each
// of them, and wires the three views (cluster, actors, messages) to what the watchers report.
import { ActorView } from './actor-view.js';
import { renderCluster } from './cluster-view.js';
import { MessageView } from './message-view.js';
import { NodeWatch } from './node-watch.js';

const $ = (id) => document.getElementById(id);

async function main() {
  const cluster = await (await fetch('/ui/cluster.json')).json();
  $('served-by').textContent = `served by ${cluster.self}`;
  const watches = cluster.nodes.map((n) => new NodeWatch(n));
  const actorView = new ActorView(watches, $('node-tabs'), $('actor-panels'), cluster.self);
  const messages = new MessageView({
    node: $('filter-node'),
    actor: $('filter-actor'),
    type: $('filter-type'),
    pause: $('pause'),
    count: $('message-count'),
    body: document.querySelector('#message-table tbody'),
    detail: $('message-detail'),
  });
  messages.setNodes(watches.map((w) => w.id));

  let clusterQueued = false;
  const redrawCluster = () => {
    if (clusterQueued) return;
    clusterQueued = true;
    setTimeout(() => {
      clusterQueued = false;
      renderCluster(watches, $('node-cards'), $('topology'));
      actorView.markLeaderTabs();
      const up = watches.filter((w) => w.streamUp).length;
      $('page-status').textContent = `${up}/${watches.length} nodes live`;
    }, 50);
  };
  for (const w of watches) {
    w.addEventListener('status', redrawCluster);
    w.addEventListener('link', redrawCluster);
    w.addEventListener('events', (e) => messages.add(e.detail.events, e.detail.dropped));
    w.start();
  }
  redrawCluster();
  // For debugging from the console (and for the browser spec's diagnostics).
  window.syncpay = { watches, actorView, messages };
}

main().catch((error) => {
  $('page-status').textContent = `failed to start: ${error}`;
});
