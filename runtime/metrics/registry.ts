// One node's metrics: a prom-client registry (default process metrics, including event-loop lag,
// plus the syncpay_ families, every series labelled with `node`) and the hook functions the
// runtime calls as things happen. Histograms serve Prometheus (aggregatable across nodes); the
// exact statistics beside them serve the seed's JSON and text formats.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { NodeServices } from '../http/services.ts';
import type { Timeline } from '../timeline.ts';
import { createEventFamilies, STATS_FAMILIES, type StatsFamily } from './families.ts';
import type { CounterCell, HistogramCell } from './fast-families.ts';
import { BoundedLabel, httpMethodLabel, OTHER } from './label-guard.ts';
import { LatencyStats, type StatsView } from './latency-stats.ts';
import { LeadershipTracker } from './leadership.ts';
import { guarded, registerScrapeGauges, type LogStats } from './scrape-gauges.ts';

export interface NodeMetricsOptions {
  readonly nodeId: string;
  readonly services: NodeServices;
  readonly timeline: Timeline;
  /** Durable log size, read at scrape time (e.g. the file log store's `stats()`). */
  readonly logStats?: () => LogStats | null | undefined;
  /** Recent samples kept per latency family for p50/p95/p99. */
  readonly recentSamples?: number;
  /** Skip process metrics (specs that build many registries in one process). */
  readonly processMetrics?: boolean;
}

/** Names accepted by countLink: the transport's CounterName values. */
export type LinkCounterName = 'reconnects' | 'framesDropped' | 'authRejected' | 'linkUp' | 'linkDown';

export interface NodeMetrics {
  readonly nodeId: string;
  readonly registry: Registry;
  /** `route` is the route pattern (`/v1/accounts/:id`), never the raw URL. */
  observeHttp(route: string, method: string, status: number, seconds: number): void;
  /** `result` is `ok` for a committed payment, else its ledger result code or SYNCPAY_ERR_* code. */
  observePayment(result: string, seconds: number): void;
  observeCommit(seconds: number): void;
  observeFsync(ms: number, records: number): void;
  countAppend(direction: 'sent' | 'received', entries: number): void;
  /** The transport's counter callback (runtime/transport/counters.ts CountFn) fits here as is. */
  countLink(name: string, labels: Readonly<Record<string, string>>): void;
  countIdempotentReplay(): void;
  observeSnapshot(seconds: number): void;
  /** Exact statistics of each latency family (the seed's histogram view). */
  stats(): Record<StatsFamily, StatsView>;
  uptimeSeconds(): number;
  /** Wall-clock ms from the node's clock, for the timestamp of the seed's formats. */
  now(): number;
  /** Stop listening to the timeline. */
  close(): void;
}

const SUCCESS_RESULTS = new Set(['ok', 'committed']);
const RESULT_CODES_MAX = 100;
const ROUTES_MAX = 200;
const REASONS_MAX = 64;
const PEERS_MAX = 64;
const HTTP_CELLS_MAX = 4096;

export function createNodeMetrics(options: NodeMetricsOptions): NodeMetrics {
  const { nodeId, services, timeline } = options;
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  // Leadership counts come from the timeline as events happen, and from the consensus status when
  // a scrape reads the election counters: whichever notices a new leader first counts it.
  const f = createEventFamilies(registry, () => pollLeader());
  const tracker = new LeadershipTracker(nodeId, {
    preVoteStarted: () => f.preVotesStarted.inc(),
    electionStarted: () => f.electionsStarted.inc(),
    electionWon: () => f.electionsWon.inc(),
    leaderChanged: () => f.leaderChanges.inc(),
  });
  const pollLeader = guarded(() => {
    const status = services.consensus()?.status();
    if (status) tracker.onStatus(status.leader, status.role === 'leader');
  });
  const unsubscribe = timeline.subscribe((event) => tracker.onEvent(event));
  const stats = Object.fromEntries(STATS_FAMILIES.map((name) => [name, new LatencyStats(options.recentSamples)])) as Record<StatsFamily, LatencyStats>;
  const observe = (name: StatsFamily, value: number): void => stats[name].observe(value);
  registerScrapeGauges(registry, { services, logStats: options.logStats });

  const codes = new BoundedLabel(RESULT_CODES_MAX);
  const routes = new BoundedLabel(ROUTES_MAX);
  const reasons = new BoundedLabel(REASONS_MAX);
  const peers = new BoundedLabel(PEERS_MAX);
  const finiteNonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0;

  // Per request, the label guards and the families' label lookups are resolved once per distinct
  // (route, method, status) and kept, up to HTTP_CELLS_MAX keys.
  interface HttpCells { readonly requests: CounterCell; readonly duration: HistogramCell }
  const httpCells = new Map<string, HttpCells>();
  const httpCellsFor = (route: string, method: string, status: number): HttpCells => {
    const key = `${route} ${method} ${status}`;
    let cells = httpCells.get(key);
    if (cells === undefined) {
      const labels = { route: routes.value(route), method: httpMethodLabel(method) };
      const code = Number.isInteger(status) && status >= 100 && status <= 999 ? String(status) : OTHER;
      cells = {
        requests: f.httpRequests.cellFor({ ...labels, status: code }),
        duration: f.httpDuration.cellFor(labels),
      };
      if (httpCells.size < HTTP_CELLS_MAX) httpCells.set(key, cells);
    }
    return cells;
  };
  const appendCells = {
    sent: { appends: f.appends.cellFor({ direction: 'sent' }), entries: f.appendEntries.cellFor({ direction: 'sent' }), sizes: f.entriesPerAppend.cellFor({ direction: 'sent' }) },
    received: { appends: f.appends.cellFor({ direction: 'received' }), entries: f.appendEntries.cellFor({ direction: 'received' }), sizes: f.entriesPerAppend.cellFor({ direction: 'received' }) },
  };

  return {
    nodeId,
    registry,
    observeHttp(route, method, status, seconds) {
      const cells = httpCellsFor(route, method, Math.trunc(status));
      cells.requests.inc();
      if (!finiteNonNegative(seconds)) return;
      cells.duration.observe(seconds);
      observe('syncpay_http_request_duration_seconds', seconds);
    },
    observePayment(result, seconds) {
      f.paymentsRequested.inc();
      if (SUCCESS_RESULTS.has(result)) f.paymentsCommitted.inc();
      else f.paymentsRejected.inc({ code: codes.value(result) });
      if (!finiteNonNegative(seconds)) return;
      f.paymentLatency.observe(seconds);
      observe('syncpay_payment_latency_seconds', seconds);
    },
    observeCommit(seconds) {
      if (!finiteNonNegative(seconds)) return;
      f.commitLatency.observe(seconds);
      observe('syncpay_commit_latency_seconds', seconds);
    },
    observeFsync(ms, records) {
      if (finiteNonNegative(ms)) {
        f.fsyncLatency.observe(ms / 1000);
        observe('syncpay_fsync_latency_seconds', ms / 1000);
      }
      if (finiteNonNegative(records)) {
        f.entriesPerFsync.observe(records);
        observe('syncpay_entries_per_fsync', records);
      }
    },
    countAppend(direction, entries) {
      const cells = direction === 'sent' ? appendCells.sent : appendCells.received;
      cells.appends.inc();
      if (!finiteNonNegative(entries)) return;
      cells.entries.inc(entries);
      cells.sizes.observe(entries);
      observe('syncpay_entries_per_append', entries);
    },
    countLink(name, labels) {
      const peer = peers.value(labels['peer'] ?? 'unknown');
      const reason = reasons.value(labels['reason'] ?? 'unknown');
      switch (name as LinkCounterName) {
        case 'reconnects':
          f.linkReconnects.inc({ peer });
          return;
        case 'framesDropped':
          f.linkFramesDropped.inc({ peer, reason, direction: labels['direction'] === 'in' ? 'in' : labels['direction'] === 'out' ? 'out' : OTHER });
          return;
        case 'authRejected':
          f.linkAuthRejected.inc({ peer, reason });
          return;
        case 'linkUp':
          f.linkTransitions.inc({ peer, state: 'up' });
          return;
        case 'linkDown':
          f.linkTransitions.inc({ peer, state: 'down' });
          return;
        default:
          return;
      }
    },
    countIdempotentReplay() {
      f.idempotentReplays.inc();
    },
    observeSnapshot(seconds) {
      f.snapshots.inc();
      if (!finiteNonNegative(seconds)) return;
      f.snapshotDuration.observe(seconds);
      observe('syncpay_snapshot_duration_seconds', seconds);
    },
    stats() {
      return Object.fromEntries(STATS_FAMILIES.map((name) => [name, stats[name].view()])) as Record<StatsFamily, StatsView>;
    },
    // The node is the process: its uptime is the process's.
    uptimeSeconds: () => process.uptime(),
    now: () => services.now(),
    close() {
      unsubscribe();
    },
  };
}
