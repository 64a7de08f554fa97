// Recent events from every node in one list, ordered by their hybrid-logical-clock stamps (which
// is why nodes' stamps can be merged at all), filterable by node, actor and type, with pause and
// resume, and the whole payload of an event on click. Bounded: the oldest events fall off.
import { esc } from './actor-view.js';

const KEEP_MAX = 2000;
const SHOW_MAX = 400;
const BASE_FIELDS = new Set(['hlc', 'node', 'actor', 'type']);

export class MessageView {
  constructor(elements) {
    this.el = elements;
    this.events = [];
    this.seen = new Set();
    this.paused = false;
    this.pending = 0;
    this.dropped = 0;
    this.scheduled = false;
    this.actors = new Set();
    this.el.pause.addEventListener('click', () => this.setPaused(!this.paused));
    for (const input of [this.el.node, this.el.actor, this.el.type]) input.addEventListener('input', () => this.render());
    this.el.body.addEventListener('click', (e) => {
      const row = e.target.closest('tr[data-index]');
      if (!row) return;
      const event = this.shown[Number(row.dataset.index)];
      for (const r of this.el.body.querySelectorAll('tr.selected')) r.classList.remove('selected');
      row.classList.add('selected');
      this.el.detail.textContent = JSON.stringify(event, null, 2);
    });
    this.shown = [];
  }

  setNodes(ids) {
    for (const id of ids) this.el.node.append(new Option(id, id));
  }

  setPaused(paused) {
    this.paused = paused;
    this.el.pause.textContent = paused ? 'resume' : 'pause';
    this.el.pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      this.pending = 0;
      this.render();
    } else {
      this.updateCount();
    }
  }

  add(events, dropped = 0) {
    this.dropped += dropped;
    let added = 0;
    for (const e of events) {
      if (!e || typeof e.hlc !== 'string') continue;
      const key = `${e.node}|${e.hlc}|${e.type}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      // Arrivals are nearly in order: insert from the end.
      let i = this.events.length;
      while (i > 0 && this.events[i - 1].hlc > e.hlc) i--;
      this.events.splice(i, 0, e);
      if (e.actor && !this.actors.has(e.actor)) {
        this.actors.add(e.actor);
        this.el.actor.append(new Option(e.actor, e.actor));
      }
      added++;
    }
    while (this.events.length > KEEP_MAX) {
      const old = this.events.shift();
      this.seen.delete(`${old.node}|${old.hlc}|${old.type}`);
    }
    if (added === 0) return;
    if (this.paused) {
      this.pending += added;
      this.updateCount();
      return;
    }
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.paused) this.render();
    }, 250);
  }

  matching() {
    const node = this.el.node.value;
    const actor = this.el.actor.value;
    const type = this.el.type.value.trim().toLowerCase();
    return this.events.filter((e) => (!node || e.node === node) && (!actor || e.actor === actor) && (!type || String(e.type).toLowerCase().includes(type)));
  }

  render() {
    const all = this.matching();
    // Newest first, so the table reads from now backwards.
    this.shown = all.slice(-SHOW_MAX).reverse();
    const rows = this.shown.map((e, i) => {
      const payload = Object.fromEntries(Object.entries(e).filter(([k]) => !BASE_FIELDS.has(k)));
      const text = JSON.stringify(payload);
      return `<tr data-index="${i}" data-node="${esc(e.node)}" data-type="${esc(e.type)}"><td class="hlc">${esc(e.hlc)}</td><td>${esc(timeOf(e.hlc))}</td><td>${esc(e.node)}</td><td>${esc(e.actor)}</td><td>${esc(e.type)}</td><td class="payload">${esc(text.length > 120 ? `${text.slice(0, 117)}…` : text)}</td></tr>`;
    });
    this.el.body.innerHTML = rows.join('');
    this.matched = all.length;
    this.updateCount();
  }

  updateCount() {
    const parts = [`${this.matched ?? 0} of ${this.events.length} events`];
    if (this.paused) parts.push(`paused, ${this.pending} new`);
    if (this.dropped) parts.push(`${this.dropped} dropped by nodes under load`);
    this.el.count.textContent = parts.join(' · ');
  }
}

/** The wall-clock part of an HLC stamp (15-digit ms, dot, counter) as a time of day. */
function timeOf(hlc) {
  const ms = Number(String(hlc).split('.')[0]);
  if (!Number.isFinite(ms) || ms <= 0) return '';
  const d = new Date(ms);
  return `${d.toISOString().slice(11, 23)}`;
}
