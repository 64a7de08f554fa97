// The actors of each node: the supervision tree (the five actors, their per-peer children, restart
// counts, a few summary numbers) and every actor's machine drawn as a statechart, with the current
// state highlighted (class `active` on the `[data-state-id]` rects) and the transition that got it
// there marked (class `last`). One panel per node; the tabs choose which is shown (or all of them).
import { activeStateIds, drawChart, likelyTransition } from './chart.js';

const TREE_EVERY_MS = 250;
/** The tree's text (summaries with live counters) changes on every update: redraw it less often. */
const TREE_TEXT_EVERY_MS = 1000;
const charts = new Map();
let elk = null;

/** Layout is the expensive part and identical across nodes: one per distinct machine graph. */
function svgFor(graph) {
  const key = JSON.stringify(graph);
  let svg = charts.get(key);
  if (!svg) {
    elk ??= new window.ELK();
    svg = drawChart(elk, graph);
    charts.set(key, svg);
  }
  return svg;
}

export class ActorView {
  constructor(watches, tabsHost, panelsHost, selected) {
    this.watches = watches;
    this.tabsHost = tabsHost;
    this.panelsHost = panelsHost;
    this.selected = selected;
    this.panels = new Map();
    for (const w of watches) this.panels.set(w.id, this.buildPanel(w));
    this.buildTabs();
    this.show(selected);
  }

  buildTabs() {
    const buttons = [...this.watches.map((w) => w.id), 'all'].map((id) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.tab = id;
      b.textContent = id === 'all' ? 'all nodes' : id;
      b.addEventListener('click', () => this.show(id));
      return b;
    });
    this.tabsHost.replaceChildren(...buttons);
  }

  show(id) {
    this.selected = id;
    for (const b of this.tabsHost.querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.tab === id));
    for (const [nodeId, panel] of this.panels) {
      panel.root.hidden = id !== 'all' && id !== nodeId;
      const watch = this.watches.find((w) => w.id === nodeId);
      if (!panel.root.hidden && watch && watch.tree) this.renderTree(watch.tree, panel, true);
    }
    this.panelsHost.classList.toggle('all', id === 'all');
  }

  markLeaderTabs() {
    for (const b of this.tabsHost.querySelectorAll('button')) {
      const w = this.watches.find((x) => x.id === b.dataset.tab);
      b.classList.toggle('leader', !!(w && w.status && w.status.role === 'leader'));
      b.classList.toggle('down', !!(w && !w.streamUp));
    }
  }

  buildPanel(watch) {
    const root = document.createElement('div');
    root.className = 'node-actors';
    root.dataset.node = watch.id;
    const title = document.createElement('h3');
    title.textContent = watch.id;
    const link = document.createElement('span');
    link.className = 'link-state';
    title.append(' ', link);
    const tree = document.createElement('ul');
    tree.className = 'supervision-tree';
    const chartsHost = document.createElement('div');
    chartsHost.className = 'charts';
    root.append(title, tree, chartsHost);
    this.panelsHost.append(root);
    const panel = { root, link, tree, chartsHost, figures: new Map(), rendered: '', treeKey: '', treeAt: 0, treeQueued: false };
    watch.addEventListener('machines', () => this.renderCharts(watch, panel));
    // The feed may bring several trees a second per node; drawing four is plenty for the eye and
    // keeps the page cheap (it often shares the machine with the nodes it watches).
    watch.addEventListener('tree', () => {
      if (panel.treeQueued) return;
      panel.treeQueued = true;
      setTimeout(() => {
        panel.treeQueued = false;
        this.applyTree(watch, panel);
      }, TREE_EVERY_MS);
    });
    watch.addEventListener('events', (e) => this.applyMoves(panel, e.detail.events));
    watch.addEventListener('link', () => this.applyLink(watch, panel));
    this.applyLink(watch, panel);
    return panel;
  }

  applyLink(watch, panel) {
    panel.link.textContent = watch.streamUp ? 'live' : 'offline';
    panel.root.classList.toggle('offline', !watch.streamUp);
    if (!watch.streamUp) {
      // What we last saw is no longer the truth: keep it visible but not as "current".
      for (const fig of panel.figures.values()) {
        for (const rect of fig.el.querySelectorAll('rect.active')) {
          rect.classList.remove('active');
          rect.classList.add('stale');
        }
        fig.active = [];
      }
    }
    this.markLeaderTabs();
  }

  async renderCharts(watch, panel) {
    const order = ['supervisor', ...(watch.tree ? watch.tree.actors.map((a) => a.id) : [...watch.machines.keys()].filter((k) => k !== 'supervisor'))];
    const key = order.map((a) => `${a}:${watch.machines.has(a)}`).join(',');
    if (panel.rendered === key) return;
    panel.rendered = key;
    // Figures go live only once all are drawn: highlighting a figure whose SVG is still being laid
    // out would be lost.
    const figures = new Map();
    for (const actor of order) {
      const graph = watch.machines.get(actor);
      const fig = document.createElement('figure');
      fig.className = 'chart-card';
      fig.dataset.node = watch.id;
      fig.dataset.actor = actor;
      const caption = document.createElement('figcaption');
      caption.textContent = actor;
      const host = document.createElement('div');
      host.className = 'svg-host';
      fig.append(caption, host);
      figures.set(actor, { el: fig, caption, graph, active: [] });
      if (!graph) {
        host.textContent = 'machine not available yet';
        continue;
      }
      try {
        host.innerHTML = await svgFor(graph);
      } catch (error) {
        host.textContent = `layout failed: ${error}`;
      }
    }
    if (panel.rendered !== key) return;
    panel.figures = figures;
    panel.chartsHost.replaceChildren(...[...figures.values()].map((f) => f.el));
    panel.chartsHost.dataset.ready = 'true';
    if (watch.tree) this.applyTree(watch, panel);
  }

  applyTree(watch, panel) {
    const tree = watch.tree;
    // A tree that arrived just before the stream dropped is not the truth any more (applyLink has
    // marked it stale): a delayed redraw must not bring its highlight back.
    if (!tree || !tree.actors || !watch.streamUp) return;
    this.renderTree(tree, panel);
    if (watch.machines.size > 0 && panel.figures.size === 0) this.renderCharts(watch, panel);
    const states = [['supervisor', tree.supervisor.state, 'running', tree.supervisor.restarts_total], ...tree.actors.map((a) => [a.id, a.state, a.status, a.restarts])];
    for (const [actor, value, status, restarts] of states) {
      const fig = panel.figures.get(actor);
      if (!fig || !fig.graph) continue;
      fig.el.dataset.status = status;
      const caption = `${actor} · ${formatValue(value)} · ${status} · restarts ${restarts}`;
      if (fig.caption.textContent !== caption) fig.caption.textContent = caption;
      const active = value === null || value === undefined ? [] : activeStateIds(fig.graph, value);
      if (sameList(active, fig.active)) continue;
      const before = fig.active;
      // Several steps inside one update interval leave no single transition to point at: then
      // only the state left is marked, never a stale arrow.
      const moved = before.length > 0 ? likelyTransition(fig.graph, before, active) : null;
      for (const rect of fig.el.querySelectorAll('rect[data-state-id]')) {
        const id = rect.dataset.stateId;
        rect.classList.remove('stale');
        rect.classList.toggle('active', active.includes(id));
        rect.classList.toggle('previous', before.includes(id) && !active.includes(id));
      }
      this.markTransition(fig, moved);
      fig.active = active;
    }
  }

  /**
   * Timeline events that name a state change (`from`, `to`) say exactly which transition was
   * taken, even when several happened within one update interval of the feed.
   */
  applyMoves(panel, events) {
    for (const e of events) {
      if (typeof e.from !== 'string' || typeof e.to !== 'string' || typeof e.actor !== 'string') continue;
      const fig = panel.figures.get(e.actor);
      if (!fig || !fig.graph) continue;
      const keyOf = new Map(fig.graph.states.map((st) => [st.id, st.key]));
      const t = fig.graph.transitions.find((tr) => keyOf.get(tr.source) === e.from && keyOf.get(tr.target) === e.to && fig.active.includes(tr.target));
      if (t) this.markTransition(fig, t);
    }
  }

  markTransition(fig, moved) {
    for (const g of fig.el.querySelectorAll('g.transition')) {
      const last = moved !== null && g.dataset.transitionId === moved.id;
      g.classList.toggle('last', last);
      const path = g.querySelector('path');
      const marker = path && path.getAttribute('marker-end');
      if (marker) path.setAttribute('marker-end', last ? marker.replace(/(-last)?\)$/, '-last)') : marker.replace(/-last\)$/, ')'));
    }
    if (moved) fig.el.dataset.lastTransition = `${moved.event}: ${moved.source} -> ${moved.target}`;
    else delete fig.el.dataset.lastTransition;
  }

  /** The tree as text and lists; only for a panel on screen, and only when it changed. */
  renderTree(tree, panel, force = false) {
    if (panel.root.hidden) return;
    const now = Date.now();
    if (!force && now - panel.treeAt < TREE_TEXT_EVERY_MS) return;
    const key = JSON.stringify(tree);
    if (key === panel.treeKey) return;
    panel.treeKey = key;
    panel.treeAt = now;
    const host = panel.tree;
    const sup = document.createElement('li');
    sup.dataset.actor = 'supervisor';
    sup.innerHTML = `<b>supervisor</b> <code>${esc(formatValue(tree.supervisor.state))}</code> restarts ${tree.supervisor.restarts_total}`;
    const list = document.createElement('ul');
    for (const a of tree.actors) {
      const li = document.createElement('li');
      li.dataset.actor = a.id;
      li.className = `status-${a.status}`;
      const summary = a.summary ? Object.entries(a.summary).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ') : '';
      li.innerHTML = `<b>${esc(a.id)}</b> <code>${esc(formatValue(a.state))}</code> <span class="status">${esc(a.status)}</span> <span class="restarts${a.restarts > 0 ? ' warn' : ''}">restarts ${a.restarts}</span> <span class="summary muted">${esc(summary)}</span>`;
      if (a.children && a.children.length) {
        const kids = document.createElement('ul');
        for (const c of a.children) {
          const k = document.createElement('li');
          k.innerHTML = `${esc(c.id)} <code>${esc(formatValue(c.state))}</code>`;
          kids.append(k);
        }
        li.append(kids);
      }
      list.append(li);
    }
    sup.append(list);
    host.replaceChildren(sup);
  }
}

function sameList(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function formatValue(value) {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
