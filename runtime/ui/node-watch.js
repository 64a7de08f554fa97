// One watched node, as the page sees it: its live feed (/ui/stream), its consensus status (/status,
// polled once a second), its machines (/ui/machines.json) and its recent timeline (/v1/events).
// It only gathers and announces; the views decide what to draw. A node that goes away is retried
// quietly, and on its return everything is fetched afresh (it may have restarted with new code).

const STATUS_EVERY_MS = 1000;
const STATUS_TIMEOUT_MS = 900;
const RETRY_MS = 2000;
const EVENTS_INITIAL = 500;

export class NodeWatch extends EventTarget {
  constructor(node) {
    super();
    this.id = node.id;
    this.api = node.api;
    this.status = null;
    this.statusError = null;
    this.tree = null;
    this.machines = new Map();
    this.streamUp = false;
    this.lastHlc = null;
    this.source = null;
    this.stopped = false;
  }

  start() {
    this.openStream();
    this.pollStatus();
    this.loadMachines();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  openStream() {
    if (this.stopped) return;
    const source = new EventSource(`${this.api}/ui/stream`);
    this.source = source;
    source.addEventListener('open', () => {
      const wasDown = !this.streamUp;
      this.streamUp = true;
      this.emit('link', { up: true });
      if (wasDown) {
        this.loadEvents();
        if (this.machines.size === 0) this.loadMachines();
      }
    });
    source.addEventListener('snapshot', (e) => {
      this.tree = JSON.parse(e.data);
      this.emit('tree', this.tree);
    });
    source.addEventListener('events', (e) => {
      const batch = JSON.parse(e.data);
      this.noteEvents(batch.events);
      // Events XState inspection saw (the supervisor's own) join the list like timeline events.
      const seen = (batch.inspection || [])
        .filter((n) => n.kind === 'event')
        .map((n) => ({ hlc: n.hlc, node: this.id, actor: n.actor, type: n.event, source: 'xstate inspection' }));
      this.emit('events', { ...batch, events: seen.length ? [...batch.events, ...seen] : batch.events });
    });
    source.addEventListener('gap', (e) => this.emit('gap', JSON.parse(e.data)));
    source.addEventListener('error', () => {
      if (this.streamUp) {
        this.streamUp = false;
        this.emit('link', { up: false });
      }
      // A refused stream (503: too many viewers) is not retried by EventSource itself.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => this.source === source && this.openStream(), RETRY_MS);
      }
    });
  }

  noteEvents(events) {
    for (const e of events) if (!this.lastHlc || e.hlc > this.lastHlc) this.lastHlc = e.hlc;
  }

  async loadEvents() {
    const since = this.lastHlc ? `since=${encodeURIComponent(this.lastHlc)}&` : '';
    try {
      const res = await fetch(`${this.api}/v1/events?${since}limit=${EVENTS_INITIAL}`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return;
      const body = await res.json();
      const events = Array.isArray(body.events) ? body.events : [];
      this.noteEvents(events);
      this.emit('events', { events, inspection: [], dropped: 0 });
    } catch {
      // the stream's reconnect will try again
    }
  }

  async loadMachines() {
    if (this.stopped) return;
    try {
      const res = await fetch(`${this.api}/ui/machines.json`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = await res.json();
      for (const m of body.machines) this.machines.set(m.actor, m.graph);
      this.emit('machines', this.machines);
      // An actor that was restarting has no machine yet: ask again shortly.
      if (body.missing && body.missing.length > 0) setTimeout(() => this.loadMachines(), RETRY_MS);
    } catch {
      setTimeout(() => this.loadMachines(), RETRY_MS);
    }
  }

  async pollStatus() {
    while (!this.stopped) {
      try {
        const res = await fetch(`${this.api}/status`, { signal: AbortSignal.timeout(STATUS_TIMEOUT_MS) });
        this.status = await res.json();
        this.statusError = null;
      } catch (error) {
        this.status = null;
        this.statusError = String(error && error.message ? error.message : error);
      }
      this.emit('status', this.status);
      await new Promise((r) => setTimeout(r, STATUS_EVERY_MS));
    }
  }
}
