// The visualiser's live feed for one node: it turns the supervision tree, the timeline and (where
// XState can see it) inspection of the actor system into Server-Sent Event messages for the page.
//
// Watching costs the node time, so everything here is paid only while someone watches: the
// timeline listener, the inspection observer and the poll timer exist only while at least one
// stream client is connected, and go away with the last one. Updates are coalesced: one tick per
// `intervalMs` sends the newest supervision tree if it changed (the consensus actors step their
// machines with pure `transition()`, which inspection cannot see, so the tree is polled) plus the
// timeline events gathered since the last tick, in one batch. Clients and buffers are bounded: a
// slow client is skipped (never queued for) until its socket drains, then gets a fresh snapshot.
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../actors/ports.ts';
import type { SupervisionTree } from '../actors/supervisor.ts';
import type { TimelineEvent } from './timeline.ts';

/** What the hub reads from the node; the real node passes its Supervisor and Timeline. */
export interface InspectionSources {
  describe(): SupervisionTree;
  inspect(observer: (event: InspectionEvent) => void): { unsubscribe(): void };
  subscribeTimeline(listener: (event: TimelineEvent) => void): () => void;
}

/** One client's outgoing byte stream (an HTTP response in production, an array in specs). */
export interface StreamSink {
  write(chunk: string): void;
  /** Bytes written but not yet flushed to the socket. */
  bufferedBytes(): number;
  end(): void;
}

export interface InspectionHubOptions {
  readonly sources: InspectionSources;
  readonly scheduler: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** Coalescing period: at most one update message of each kind per period (default 200 ms: 5/s). */
  readonly intervalMs?: number;
  readonly clientsMax?: number;
  /** A client whose unsent bytes exceed this is skipped until it drains below half of it. */
  readonly clientBufferBytesMax?: number;
  /** Timeline and inspection events kept between two ticks; older ones are dropped and counted. */
  readonly eventsPerTickMax?: number;
  /** A comment line keeps idle connections open through proxies. */
  readonly keepAliveMs?: number;
  /** Hint for EventSource's reconnect delay. */
  readonly retryMs?: number;
  /** HLC-format stamp for inspection notes, so the page can merge them with timeline events. */
  readonly stamp?: () => string;
}

export const UI_UPDATE_INTERVAL_MS = 200;
export const UI_STREAM_CLIENTS_MAX = 16;
export const UI_CLIENT_BUFFER_BYTES_MAX = 1024 * 1024;
export const UI_EVENTS_PER_TICK_MAX = 500;
const KEEP_ALIVE_MS = 15_000;
const RETRY_MS = 1000;

/** One event XState inspection saw (in practice the supervisor's), for the page's message view. */
export interface InspectionNote {
  readonly kind: string;
  readonly hlc: string;
  /** `supervisor` for the root actor, else the child's id (`clock`, `ledger`, ...). */
  readonly actor: string;
  readonly event?: string;
  readonly state?: unknown;
}

export interface StreamClient {
  close(): void;
}

interface ClientState {
  readonly sink: StreamSink;
  lagging: boolean;
  closed: boolean;
}

export class InspectionHub {
  private readonly clients = new Set<ClientState>();
  private readonly sources: InspectionSources;
  private readonly scheduler: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  private readonly intervalMs: number;
  private readonly clientsMax: number;
  private readonly bufferMax: number;
  private readonly eventsMax: number;
  private readonly keepAliveTicks: number;
  private readonly retryMs: number;
  private readonly stamp: () => string;
  private detach: Array<() => void> = [];
  private timer: unknown = null;
  private lastTree: string | null = null;
  private pendingTimeline: TimelineEvent[] = [];
  private pendingNotes: InspectionNote[] = [];
  private droppedEvents = 0;
  private ticksSinceWrite = 0;
  /** Counters for /ui/stats and the specs. */
  readonly counters = { ticks: 0, snapshotsSent: 0, batchesSent: 0, skippedWrites: 0, rejectedClients: 0, attaches: 0 };

  constructor(options: InspectionHubOptions) {
    this.sources = options.sources;
    this.scheduler = options.scheduler;
    this.intervalMs = options.intervalMs ?? UI_UPDATE_INTERVAL_MS;
    this.clientsMax = options.clientsMax ?? UI_STREAM_CLIENTS_MAX;
    this.bufferMax = options.clientBufferBytesMax ?? UI_CLIENT_BUFFER_BYTES_MAX;
    this.eventsMax = options.eventsPerTickMax ?? UI_EVENTS_PER_TICK_MAX;
    this.keepAliveTicks = Math.max(1, Math.round((options.keepAliveMs ?? KEEP_ALIVE_MS) / this.intervalMs));
    this.retryMs = options.retryMs ?? RETRY_MS;
    this.stamp = options.stamp ?? wallClockStamper();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** True while the listeners and the timer exist (someone is watching). */
  get attached(): boolean {
    return this.timer !== null;
  }

  get full(): boolean {
    return this.clients.size >= this.clientsMax;
  }

  /** Registers a client and sends it the current tree at once; null when the hub is full. */
  connect(sink: StreamSink): StreamClient | null {
    if (this.full) {
      this.counters.rejectedClients++;
      return null;
    }
    const client: ClientState = { sink, lagging: false, closed: false };
    this.clients.add(client);
    if (this.clients.size === 1) this.attach();
    const tree = this.treeJson();
    this.write(client, `retry: ${this.retryMs}\n` + message('hello', JSON.stringify({ intervalMs: this.intervalMs })) + message('snapshot', tree));
    return { close: () => this.disconnect(client) };
  }

  /** Ends every stream (server shutdown) and detaches. */
  closeAll(): void {
    for (const client of [...this.clients]) {
      this.disconnect(client);
      try {
        client.sink.end();
      } catch {
        // the socket is already gone
      }
    }
  }

  private disconnect(client: ClientState): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    if (this.clients.size === 0) this.detachAll();
  }

  private attach(): void {
    this.counters.attaches++;
    this.lastTree = null;
    this.pendingTimeline = [];
    this.pendingNotes = [];
    this.droppedEvents = 0;
    this.detach.push(this.sources.subscribeTimeline((event) => this.queue(this.pendingTimeline, event)));
    const inspection = this.sources.inspect((event) => {
      const note = noteOf(event, this.stamp);
      if (note) this.queue(this.pendingNotes, note);
    });
    this.detach.push(() => inspection.unsubscribe());
    this.schedule();
  }

  private detachAll(): void {
    for (const undo of this.detach.splice(0)) {
      try {
        undo();
      } catch {
        // a source that cannot unsubscribe twice must not stop the others
      }
    }
    if (this.timer !== null) this.scheduler.clearTimeout(this.timer);
    this.timer = null;
    this.pendingTimeline = [];
    this.pendingNotes = [];
  }

  private queue<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.eventsMax) {
      list.shift();
      this.droppedEvents++;
    }
  }

  private schedule(): void {
    this.timer = this.scheduler.setTimeout(() => {
      if (this.timer === null) return;
      this.tick();
      if (this.timer !== null) this.schedule();
    }, this.intervalMs);
  }

  /** One coalescing period's worth of work: at most one snapshot and one event batch. */
  tick(): void {
    this.counters.ticks++;
    const tree = this.treeJson();
    let snapshotPart = '';
    let batchPart = '';
    if (tree !== this.lastTree) {
      this.lastTree = tree;
      snapshotPart = message('snapshot', tree);
      this.counters.snapshotsSent++;
    }
    if (this.pendingTimeline.length > 0 || this.pendingNotes.length > 0) {
      const batch = { events: this.pendingTimeline, inspection: this.pendingNotes, dropped: this.droppedEvents };
      this.pendingTimeline = [];
      this.pendingNotes = [];
      this.droppedEvents = 0;
      batchPart = message('events', JSON.stringify(batch, jsonSafe));
      this.counters.batchesSent++;
    }
    let chunk = snapshotPart + batchPart;
    if (chunk === '') {
      if (++this.ticksSinceWrite < this.keepAliveTicks) return;
      chunk = ': keep-alive\n\n';
    }
    this.ticksSinceWrite = 0;
    for (const client of this.clients) {
      const buffered = client.sink.bufferedBytes();
      if (client.lagging && buffered <= this.bufferMax / 2) {
        // Caught up: the trees it missed are superseded by the current one; the events it missed
        // are gone, and the page is told so.
        client.lagging = false;
        this.write(client, message('gap', JSON.stringify({ reason: 'client too slow: events were skipped' })) + message('snapshot', tree) + batchPart);
        continue;
      }
      if (client.lagging || buffered > this.bufferMax) {
        client.lagging = true;
        this.counters.skippedWrites++;
        continue;
      }
      this.write(client, chunk);
    }
  }

  private write(client: ClientState, chunk: string): void {
    try {
      client.sink.write(chunk);
    } catch {
      this.disconnect(client);
    }
  }

  private treeJson(): string {
    try {
      return JSON.stringify(this.sources.describe(), jsonSafe);
    } catch (error) {
      return JSON.stringify({ error: error instanceof Error ? error.message : String(error) });
    }
  }
}

/**
 * Stamps in the HLC format from the wall clock, distinct within a millisecond (the counter), so
 * several notes of one burst stay distinct and in order on the page.
 */
function wallClockStamper(): () => string {
  let lastMs = -1;
  let counter = 0;
  return () => {
    const ms = Math.max(lastMs, Date.now());
    counter = ms === lastMs ? counter + 1 : 0;
    lastMs = ms;
    return `${String(ms).padStart(15, '0')}.${String(counter).padStart(6, '0')}`;
  };
}

function message(event: string, data: string): string {
  // JSON never contains a raw newline, so one data line suffices.
  return `event: ${event}\ndata: ${data}\n\n`;
}

/** Big integers (money, counters) become strings; functions and cycles never reach the wire. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function noteOf(event: InspectionEvent, stamp: () => string): InspectionNote | null {
  const ref = event.actorRef as { id?: unknown; sessionId: string };
  const actor = ref.sessionId === event.rootId ? 'supervisor' : typeof ref.id === 'string' ? ref.id : ref.sessionId;
  switch (event.type) {
    case '@xstate.event':
      // Every spawn starts with xstate.init: noise, and a burst of it on each restart.
      return event.event.type === 'xstate.init' ? null : { kind: 'event', hlc: stamp(), actor, event: event.event.type };
    case '@xstate.snapshot': {
      const snapshot = event.snapshot as { value?: unknown };
      return snapshot.value === undefined ? null : { kind: 'snapshot', hlc: stamp(), actor, event: event.event.type, state: snapshot.value };
    }
    default:
      return null;
  }
}
