// The vocabulary shared by the workload (which records what clients saw), the checker (which
// judges it) and the report: operations with invoke/complete times, the faults that were
// injected, and what each node holds once the cluster has settled. Money is bigint minor units.

/** What a client learned: ok (acknowledged), fail (definitely not applied), unknown (may or may not be). */
export type OpResult = 'ok' | 'fail' | 'unknown';

export interface TransferOp {
  readonly kind: 'transfer';
  readonly id: string;
  readonly client: number;
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Milliseconds since the run started: first attempt sent. */
  readonly invokeMs: number;
  /** Milliseconds since the run started: last answer (or give-up). */
  readonly completeMs: number;
  /** Node that gave the final answer (or was last tried). */
  readonly node: string;
  readonly result: OpResult;
  readonly attempts: number;
  /** The final answer's code: a ledger result code, an HTTP problem code, or a transport error. */
  readonly code: string;
  /** True for the set-up transfers that fund the accounts before the workload starts. */
  readonly funding?: boolean;
  /** Which endpoint carried it: the seed's POST /payment or POST /v1/transfers (the default). */
  readonly api?: 'payment' | 'v1';
}

export interface ReadOp {
  readonly kind: 'read';
  readonly client: number;
  readonly account: string;
  readonly invokeMs: number;
  readonly completeMs: number;
  readonly node: string;
  readonly result: OpResult;
  readonly code: string;
  /** Posted balance (credits - debits) when the read succeeded. */
  readonly balanceMinor?: bigint;
}

export type Op = TransferOp | ReadOp;

export type FaultKind = 'kill' | 'pause' | 'partition' | 'clock';

export interface FaultRecord {
  readonly kind: FaultKind;
  /** Human label, e.g. "kill -9 node2 (leader)" or "partition: leader node1 isolated". */
  readonly label: string;
  readonly nodes: readonly string[];
  readonly startMs: number;
  /** When the fault was healed; null if it was still active at the end (a bug in the runner). */
  readonly endMs: number | null;
  /** What the cluster was seen doing about it, e.g. "node3 elected leader after 812 ms". */
  readonly observed?: string;
}

/** The bank: accounts funded from one source account before the workload starts. */
export interface BankSetup {
  readonly currency: string;
  readonly fundingAccount: string;
  readonly accounts: readonly string[];
  /** Accounts created with debits_must_not_exceed_credits: their balance may never go negative. */
  readonly constrained: readonly string[];
  /** Sum of the accounts' balances after funding (and forever after: transfers stay inside). */
  readonly totalMinor: bigint;
}

export interface NodeTransfer {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** One node's view once the cluster has settled, read with consistency=local. */
export interface NodeFinalState {
  readonly node: string;
  /** Applied transfers, oldest first (application order). */
  readonly transfers: readonly NodeTransfer[];
  /** Posted balance per account the workload knows (funding account included). */
  readonly balances: Readonly<Record<string, bigint>>;
  readonly appliedIndex: number;
  readonly ledgerHash: string | null;
  readonly ledgerHashIndex: number | null;
}

export interface History {
  readonly bank: BankSetup;
  readonly ops: readonly Op[];
  readonly faults: readonly FaultRecord[];
  readonly finals: readonly NodeFinalState[];
  /** Run length in milliseconds (workload phase end). */
  readonly durationMs: number;
}
