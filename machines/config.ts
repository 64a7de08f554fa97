// The shape and defaults of a node's configuration. Every timeout and limit lives here, with its
// unit last in its name. Loading (file, environment, flags) and validation messages live in
// runtime/config.ts; this module is pure so actors and the simulator can share the same values.
import type { NodeId } from './types.ts';

export interface NodeAddress {
  readonly id: NodeId;
  readonly host: string;
  readonly apiPort: number;
  readonly peerPort: number;
}

export interface Config {
  readonly cluster: {
    readonly nodes: readonly NodeAddress[];
    /** File holding the shared cluster secret; `SYNCPAY_CLUSTER_SECRET` overrides it. */
    readonly secretFile: string | null;
  };
  readonly node: {
    /** Data directory; `{id}` is replaced by the node id. */
    readonly dataDir: string;
    /** Seed for the node's PRNG (election jitter). null: drawn at boot from the OS. */
    readonly randomSeed: number | null;
    /** Serve POST /debug/actors/:id/crash (fault-injection tests only; never in production). */
    readonly faultInjection: boolean;
  };
  readonly raft: {
    readonly electionTimeoutMsMin: number;
    readonly electionTimeoutMsMax: number;
    readonly heartbeatIntervalMs: number;
    readonly preVote: boolean;
    readonly checkQuorum: boolean;
    readonly entriesPerAppendMax: number;
    readonly appendBytesMax: number;
    readonly appendsInFlightMax: number;
    readonly pendingProposalsMax: number;
    readonly uncommittedBytesMax: number;
    readonly proposalTimeoutMs: number;
    /**
     * How long a client request arriving while no leader is reachable waits for one (then it is
     * forwarded, or fails with NO_LEADER). 0: fail at once.
     */
    readonly proposalWaitForLeaderMs: number;
    /** Take a snapshot and compact once this many entries follow the last snapshot. */
    readonly snapshotEntriesThreshold: number;
    /**
     * Also take a snapshot once the entries applied since the last one carry this many bytes of
     * commands: batched entries make an entry count a poor bound on what a restart must replay.
     */
    readonly snapshotAfterLogBytes: number;
    readonly snapshotChunkBytes: number;
    readonly leaderTransferTimeoutMs: number;
    /** Roll the log to a new segment file once the current one would grow past this size. */
    readonly logSegmentBytesMax: number;
    /**
     * A snapshot file being written is flushed to disk (fdatasync) each time this many more bytes
     * have been written, so the fsync that completes it has little left to flush: one fsync of a
     * file of hundreds of MB holds the disk, and with it the log's fsyncs, for hundreds of ms.
     */
    readonly snapshotSyncBytes: number;
    /** Inputs (peer messages, client requests) queued for the consensus loop; past it peer messages are dropped. */
    readonly inboxEventsMax: number;
    /**
     * Batches of log writes (appends, truncations, snapshots, term and vote) the consensus loop
     * lets run behind it while it steps further input; past it the loop waits for the oldest.
     */
    readonly writeBatchesInFlightMax: number;
  };
  readonly link: {
    readonly messageBytesMax: number;
    readonly sendBufferBytesMax: number;
    /**
     * Messages to a peer are coalesced into frames (per callback, and later callbacks of one
     * event-loop turn together); once this many bytes are queued they are written at once
     * (capped by messageBytesMax).
     */
    readonly coalesceBytesMax: number;
    readonly pingIntervalMs: number;
    readonly reconnectBackoffMsMin: number;
    readonly reconnectBackoffMsMax: number;
    readonly authSkewMsMax: number;
    readonly handshakeTimeoutMs: number;
    /** Cap on remembered handshake nonces; when full, new handshakes are refused, not remembered. */
    readonly authNonceEntriesMax: number;
  };
  readonly heartbeat: {
    readonly intervalMs: number;
    readonly phiThreshold: number;
    readonly phiMinStdDevMs: number;
    readonly acceptablePauseMs: number;
    readonly sampleWindowSize: number;
  };
  readonly clock: {
    readonly maxClockOffsetMs: number;
    readonly sampleWindowSize: number;
    /** A peer's offset samples older than this no longer count (its clock may have moved since). */
    readonly sampleMaxAgeMs: number;
  };
  readonly ledger: {
    readonly autoOpenAccounts: boolean;
    readonly defaultCurrency: string;
    /** ISO 4217 code -> minor-unit exponent. */
    readonly currencies: Readonly<Record<string, number>>;
    /** Largest amount of one transfer, as a decimal string in major units. */
    readonly amountMax: string;
    readonly referenceBytesMax: number;
    readonly batchTransfersMax: number;
    readonly idempotencyRetentionMs: number;
    /**
     * Outcomes of this many recent commands are kept for the nodes that proposed them (a ring; each
     * command of a group entry counts, the oldest entries make room).
     */
    readonly recentOutcomesMax: number;
    /**
     * Longest stretch of applying committed entries before the ledger yields to the event loop
     * (the rest follows on the next turn): a burst of large batches must not hold heartbeats and
     * votes back long enough for the followers to call an election.
     */
    readonly applySliceMs: number;
  };
  readonly http: {
    readonly bodyBytesMax: number;
    readonly pendingRequestsMax: number;
    readonly requestTimeoutMs: number;
    /**
     * Longest stretch of one event-loop turn spent parsing and checking request bodies before the
     * next request waits for the following turn: after a stall, hundreds of large requests arrive
     * together, and handled in one go they would hold heartbeats back past an election timeout.
     */
    readonly requestSliceMs: number;
    /**
     * Largest group entry, in bytes of entry text (UTF-8): the commands of the requests a node takes in
     * one turn are proposed as one entry up to this size. Small requests (single payments) share an
     * entry; a request this large or larger is proposed alone, so a group never makes one entry's
     * apply a long stretch of a turn (applySliceMs can only yield between entries).
     */
    readonly groupBytesMax: number;
    readonly transactionsPageMax: number;
    /** The visualiser's live feed: at most one update per interval, to at most this many viewers. */
    readonly uiUpdateIntervalMs: number;
    readonly uiStreamClientsMax: number;
    readonly uiClientBufferBytesMax: number;
    readonly uiEventsPerTickMax: number;
  };
  readonly supervisor: {
    readonly restartsMax: number;
    readonly restartPeriodMs: number;
    readonly shutdownTimeoutMs: number;
  };
  readonly log: {
    readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
    /** Per-actor overrides, e.g. { "log-replication": "debug" }. */
    readonly actorLevels: Readonly<Record<string, string>>;
  };
}

export const DEFAULT_CONFIG: Config = {
  cluster: {
    nodes: [
      { id: 'node1', host: '127.0.0.1', apiPort: 5000, peerPort: 5100 },
      { id: 'node2', host: '127.0.0.1', apiPort: 5001, peerPort: 5101 },
      { id: 'node3', host: '127.0.0.1', apiPort: 5002, peerPort: 5102 },
    ],
    secretFile: null,
  },
  node: { dataDir: 'data/{id}', randomSeed: null, faultInjection: false },
  raft: {
    // Well above what a busy node's event loop can go without a turn when it shares its cores with
    // other busy processes: an election under load answers clients "outcome unknown". The price is
    // failover, a median of 0.7-0.9 s against about 0.4 s at 300-600 ms (docs/performance.md has
    // batch runs at both).
    electionTimeoutMsMin: 600,
    electionTimeoutMsMax: 1200,
    heartbeatIntervalMs: 50,
    preVote: true,
    checkQuorum: true,
    entriesPerAppendMax: 1024,
    appendBytesMax: 1024 * 1024,
    appendsInFlightMax: 8,
    pendingProposalsMax: 20000,
    uncommittedBytesMax: 64 * 1024 * 1024,
    proposalTimeoutMs: 5000,
    proposalWaitForLeaderMs: 1000,
    snapshotEntriesThreshold: 100000,
    snapshotAfterLogBytes: 64 * 1024 * 1024,
    snapshotChunkBytes: 256 * 1024,
    leaderTransferTimeoutMs: 1000,
    logSegmentBytesMax: 64 * 1024 * 1024,
    snapshotSyncBytes: 16 * 1024 * 1024,
    inboxEventsMax: 100000,
    writeBatchesInFlightMax: 64,
  },
  link: {
    messageBytesMax: 8 * 1024 * 1024,
    sendBufferBytesMax: 32 * 1024 * 1024,
    coalesceBytesMax: 1024 * 1024,
    pingIntervalMs: 1000,
    reconnectBackoffMsMin: 50,
    reconnectBackoffMsMax: 2000,
    authSkewMsMax: 30000,
    handshakeTimeoutMs: 5000,
    authNonceEntriesMax: 10000,
  },
  // A silent peer is declared down at mean interval + acceptablePauseMs + k spreads of silence
  // (k = 3.64 at phi 4; 5.23 at Akka's 8), and the goal is acceptablePauseMs + 3 intervals: two
  // intervals of room for k spreads and the check's own lateness. Processes loaded on this
  // machine showed spreads of 12-74 ms: 2 x 100 ms cannot hold 5.23 of them, 2 x 200 ms holds
  // 3.64 of the largest with 130 ms to spare. The pause (700, so the bound stays 1.3 s) is what
  // absorbs stalls; k spreads only cover ordinary jitter (spec/heartbeat/detection.spec.ts).
  // 50 samples at 200 ms remember the last 10 s.
  heartbeat: {
    intervalMs: 200,
    phiThreshold: 4,
    phiMinStdDevMs: 25,
    acceptablePauseMs: 700,
    sampleWindowSize: 50,
  },
  clock: { maxClockOffsetMs: 500, sampleWindowSize: 8, sampleMaxAgeMs: 10000 },
  ledger: {
    autoOpenAccounts: true,
    defaultCurrency: 'USD',
    currencies: { USD: 2, EUR: 2, GBP: 2, JPY: 0, CHF: 2, KWD: 3 },
    amountMax: '1000000.00',
    referenceBytesMax: 256,
    batchTransfersMax: 8190,
    idempotencyRetentionMs: 24 * 60 * 60 * 1000,
    recentOutcomesMax: 65536,
    applySliceMs: 10,
  },
  http: {
    bodyBytesMax: 4 * 1024 * 1024,
    pendingRequestsMax: 10000,
    requestTimeoutMs: 10000,
    requestSliceMs: 10,
    groupBytesMax: 65536,
    transactionsPageMax: 1000,
    uiUpdateIntervalMs: 200,
    uiStreamClientsMax: 16,
    uiClientBufferBytesMax: 1024 * 1024,
    uiEventsPerTickMax: 500,
  },
  supervisor: { restartsMax: 3, restartPeriodMs: 10000, shutdownTimeoutMs: 5000 },
  log: { level: 'info', actorLevels: {} },
};
