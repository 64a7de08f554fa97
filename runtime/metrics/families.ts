// The SyncPay metric families fed by events (the hook functions the runtime calls): their names,
// help text, labels and buckets, all in one table so the dashboard, the docs and the specs have a
// single place to look. Families read at scrape time live in scrape-gauges.ts. Histograms and the
// labelled per-request and per-append counters are fast-families.ts's (same samples, a fraction of
// the cost per observation); the rest, unlabelled counters among them, are prom-client's own.
import { Counter, type Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-families.ts';

export const PREFIX = 'syncpay_';

// Buckets in seconds: fine at the low end, where a healthy node lives, coarse in the tail.
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const FSYNC_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const SNAPSHOT_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192];

/** Histogram families that also keep exact statistics for the seed's formats. */
export const STATS_FAMILIES = [
  'syncpay_payment_latency_seconds',
  'syncpay_commit_latency_seconds',
  'syncpay_fsync_latency_seconds',
  'syncpay_entries_per_fsync',
  'syncpay_entries_per_append',
  'syncpay_snapshot_duration_seconds',
  'syncpay_http_request_duration_seconds',
] as const;
export type StatsFamily = (typeof STATS_FAMILIES)[number];

export interface EventFamilies {
  readonly paymentsRequested: Counter;
  readonly paymentsCommitted: Counter;
  readonly paymentsRejected: Counter<'code'>;
  readonly paymentLatency: FastHistogram;
  readonly idempotentReplays: Counter;
  readonly commitLatency: FastHistogram;
  readonly fsyncLatency: FastHistogram;
  readonly entriesPerFsync: FastHistogram;
  readonly appends: FastCounter<'direction'>;
  readonly appendEntries: FastCounter<'direction'>;
  readonly entriesPerAppend: FastHistogram<'direction'>;
  readonly snapshots: Counter;
  readonly snapshotDuration: FastHistogram;
  readonly linkReconnects: Counter<'peer'>;
  readonly linkFramesDropped: Counter<'peer' | 'reason' | 'direction'>;
  readonly linkAuthRejected: Counter<'peer' | 'reason'>;
  readonly linkTransitions: Counter<'peer' | 'state'>;
  readonly httpRequests: FastCounter<'route' | 'method' | 'status'>;
  readonly httpDuration: FastHistogram<'route' | 'method'>;
  readonly preVotesStarted: Counter;
  readonly electionsStarted: Counter;
  readonly electionsWon: Counter;
  readonly leaderChanges: Counter;
}

/**
 * `beforeLeadershipRead` runs when a scrape reads the election counters, so a change of leader
 * that no timeline event reported is still counted in that same scrape.
 */
export function createEventFamilies(registry: Registry, beforeLeadershipRead?: () => void): EventFamilies {
  const registers = [registry];
  const counter = <L extends string = string>(name: string, help: string, labelNames: readonly L[] = [], collect?: () => void): Counter<L> =>
    new Counter<L>({ name: PREFIX + name, help, labelNames, registers, ...(collect ? { collect } : {}) });
  const histogram = <L extends string = string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): FastHistogram<L> =>
    new FastHistogram<L>({ name: PREFIX + name, help, buckets, labelNames, registers });
  const hotCounter = <L extends string>(name: string, help: string, labelNames: readonly L[]): FastCounter<L> =>
    new FastCounter<L>({ name: PREFIX + name, help, labelNames, registers });

  return {
    paymentsRequested: counter('payments_requested_total', 'Payments received by the client API.'),
    paymentsCommitted: counter('payments_committed_total', 'Payments committed and applied with result ok.'),
    paymentsRejected: counter('payments_rejected_total', 'Payments that did not succeed, by ledger result or SYNCPAY_ERR_* code.', ['code']),
    paymentLatency: histogram('payment_latency_seconds', 'Payment latency at the client API, request to answer.', LATENCY_BUCKETS_S),
    idempotentReplays: counter('idempotent_replays_total', 'Requests answered from an idempotency record instead of moving money again.'),
    commitLatency: histogram('commit_latency_seconds', 'Time from proposing a log entry to its commit on a majority.', LATENCY_BUCKETS_S),
    fsyncLatency: histogram('fsync_latency_seconds', 'Duration of one log fsync (one group commit).', FSYNC_BUCKETS_S),
    entriesPerFsync: histogram('entries_per_fsync', 'Log records made durable by one fsync (group commit batch size).', BATCH_BUCKETS),
    appends: hotCounter('appends_total', 'AppendEntries messages sent to or received from peers.', ['direction']),
    appendEntries: hotCounter('append_entries_total', 'Log entries carried by AppendEntries messages.', ['direction']),
    entriesPerAppend: histogram('entries_per_append', 'Log entries per AppendEntries message.', BATCH_BUCKETS, ['direction']),
    snapshots: counter('snapshots_total', 'Ledger snapshots taken (log compactions).'),
    snapshotDuration: histogram('snapshot_duration_seconds', 'Time to take and persist one snapshot.', SNAPSHOT_BUCKETS_S),
    linkReconnects: counter('link_reconnects_total', 'Reconnection attempts of peer links.', ['peer']),
    linkFramesDropped: counter('link_frames_dropped_total', 'Peer frames dropped, by reason and direction.', ['peer', 'reason', 'direction']),
    linkAuthRejected: counter('link_auth_rejected_total', 'Peer handshakes refused by authentication.', ['peer', 'reason']),
    linkTransitions: counter('link_transitions_total', 'Peer links going up or down.', ['peer', 'state']),
    httpRequests: hotCounter('http_requests_total', 'Client API requests, by route pattern, method and status.', ['route', 'method', 'status']),
    httpDuration: histogram('http_request_duration_seconds', 'Client API request duration, by route pattern.', LATENCY_BUCKETS_S, ['route', 'method']),
    preVotesStarted: counter('prevotes_started_total', 'Pre-vote rounds this node started (they do not raise the term).'),
    electionsStarted: counter('elections_started_total', 'Elections this node started as candidate (each raises the term).'),
    electionsWon: counter('elections_won_total', 'Elections this node won (it became leader).', [], beforeLeadershipRead),
    leaderChanges: counter('leader_changes_total', 'Changes of the leader this node has seen.', [], beforeLeadershipRead),
  };
}
