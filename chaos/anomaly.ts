// The anomalies the checker can report, with a stable kind per property so specs and the report
// can name exactly which guarantee broke. Kept apart from checker.ts so the read-order check
// (linearizable.ts) can add its own without a cycle.

export type AnomalyKind =
  | 'lost_write'            // acknowledged transfer missing on a node
  | 'duplicate_application' // one transfer id applied more than once on a node
  | 'wrong_fields'          // applied transfer differs from what the client sent
  | 'failed_write_applied'  // a definite failure that was applied anyway
  | 'unexpected_transfer'   // applied transfer no client ever sent
  | 'conservation'          // sum of balances per currency is not the funded total
  | 'balance_mismatch'      // a node's balances disagree with its own transfer list
  | 'overdraft'             // a constrained account went below zero
  | 'diverged'              // nodes disagree (hash at equal index, or transfer order)
  | 'not_settled'           // nodes did not reach the same applied index
  | 'write_order'           // a transfer ordered before one acknowledged before it was sent
  | 'stale_read'            // a balance read no prefix of the commit order explains
  | 'non_monotonic_read';   // reads explainable alone, not in their real-time order

export const ANOMALY_KINDS: readonly AnomalyKind[] = [
  'lost_write', 'duplicate_application', 'wrong_fields', 'failed_write_applied', 'unexpected_transfer',
  'conservation', 'balance_mismatch', 'overdraft', 'diverged', 'not_settled', 'write_order',
  'stale_read', 'non_monotonic_read',
];

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly detail: string;
  readonly node?: string;
  readonly id?: string;
}

/** Collects anomalies, keeping every count but only the first few examples of each kind. */
export class AnomalyLog {
  readonly counts = new Map<AnomalyKind, number>();
  readonly examples: Anomaly[] = [];

  constructor(private readonly examplesPerKind = 25) {}

  add(anomaly: Anomaly): void {
    const n = (this.counts.get(anomaly.kind) ?? 0) + 1;
    this.counts.set(anomaly.kind, n);
    if (n <= this.examplesPerKind) this.examples.push(anomaly);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
}
