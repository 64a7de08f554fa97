// The bank workload: accounts funded with a known total, then concurrent clients moving money
// among them and reading balances from every node, while recording what each saw. A transfer
// carries a client-chosen id, and every retry (after a timeout or a 5xx, to any node) reuses that
// id, so the ledger's idempotency is what keeps a retried payment from moving money twice.
import type { Prng } from '../machines/prng.ts';
import { attempt, postJson, type Attempt } from './http.ts';
import type { BankSetup, OpResult, ReadOp, TransferOp } from './history.ts';
import { formatMinor, parseMinor } from './money.ts';

export interface WorkloadOptions {
  readonly urls: Readonly<Record<string, string>>;
  readonly accounts: number;
  readonly fundingMinor: bigint;
  readonly currency: string;
  readonly exponent: number;
  readonly clients: number;
  /** Share of operations that are transfers (the rest are balance reads). */
  readonly transferShare: number;
  /** Largest workload transfer, in minor units. */
  readonly amountMaxMinor: bigint;
  readonly attemptTimeoutMs: number;
  /** After this long since the first attempt a transfer is given up as unknown. */
  readonly giveUpMs: number;
  /** Pause between one client's operations, so the nodes keep some CPU on a small machine. */
  readonly thinkMs: number;
  /**
   * Balance reads ask for this consistency. 'linearizable' (the API's default) must pass the
   * checker; 'local' may serve stale state and exists to show the checker catching it.
   */
  readonly readConsistency: 'linearizable' | 'local';
  /** Share of transfers sent through the seed's `POST /payment` instead of `POST /v1/transfers`. */
  readonly seedApiShare: number;
}

export const DEFAULT_WORKLOAD: Omit<WorkloadOptions, 'urls'> = {
  accounts: 8,
  fundingMinor: 100000n,
  currency: 'USD',
  exponent: 2,
  clients: 6,
  transferShare: 0.6,
  amountMaxMinor: 5000n,
  attemptTimeoutMs: 2000,
  giveUpMs: 10000,
  thinkMs: 10,
  readConsistency: 'linearizable',
  seedApiShare: 0.3,
};

export interface Recorder {
  readonly now: () => number;
  record(op: TransferOp | ReadOp): void;
}

interface TransferSpec {
  readonly id: string;
  readonly client: number;
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  readonly funding?: boolean;
}

export class BankWorkload {
  readonly bank: BankSetup;
  private stopping = false;
  private readonly nodes: string[];

  constructor(private readonly options: WorkloadOptions, private readonly rec: Recorder, private readonly rng: Prng) {
    const accounts = Array.from({ length: options.accounts }, (_, i) => `acct-${i}`);
    this.bank = {
      currency: options.currency,
      fundingAccount: 'bank',
      accounts,
      constrained: accounts,
      totalMinor: options.fundingMinor * BigInt(options.accounts),
    };
    this.nodes = Object.keys(options.urls);
  }

  /** Opens the accounts (no overdraft allowed) and funds each from the bank account. */
  async setup(deadlineMs: number): Promise<void> {
    const until = this.rec.now() + deadlineMs;
    await this.openAccount('bank', false, until);
    for (const account of this.bank.accounts) await this.openAccount(account, true, until);
    for (const account of this.bank.accounts) {
      const op = await this.transfer({ id: `fund-${account}`, client: -1, from: 'bank', to: account, amountMinor: this.options.fundingMinor, funding: true }, until - this.rec.now());
      if (op.result !== 'ok') throw new Error(`could not fund ${account}: ${op.code}`);
    }
  }

  private async openAccount(id: string, constrained: boolean, until: number): Promise<void> {
    const body = { id, currency: this.options.currency, flags: { debits_must_not_exceed_credits: constrained } };
    for (;;) {
      const node = this.rng.pick(this.nodes);
      const a = await attempt(`${this.options.urls[node]}/v1/accounts`, postJson(body), this.options.attemptTimeoutMs);
      if (a.cls === 'ok') return;
      if (a.cls === 'refused') throw new Error(`account ${id} refused by ${node}: ${a.status} ${a.code}`);
      if (this.rec.now() > until) throw new Error(`account ${id} not opened in time: last ${a.code} from ${node}`);
      await sleep(backoff(a, this.rng));
    }
  }

  /** Runs the clients until stop() is called; resolves when all have finished their last operation. */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.clients }, (_, i) => this.client(i, this.rng.fork())));
  }

  stop(): void {
    this.stopping = true;
  }

  private async client(index: number, rng: Prng): Promise<void> {
    let seq = 0;
    while (!this.stopping) {
      if (rng.chance(this.options.transferShare)) {
        const from = rng.pick(this.bank.accounts);
        let to = rng.pick(this.bank.accounts);
        while (to === from) to = rng.pick(this.bank.accounts);
        const amountMinor = BigInt(rng.int(1, Number(this.options.amountMaxMinor)));
        await this.transfer({ id: `c${index}-${++seq}`, client: index, from, to, amountMinor }, this.options.giveUpMs, rng);
      } else {
        await this.read(index, rng.pick(this.bank.accounts), rng.pick(this.nodes));
      }
      if (this.options.thinkMs > 0) await sleep(rng.int(0, this.options.thinkMs * 2));
    }
  }

  /** One transfer with retries under the same id; records and returns what the client learned. */
  private async transfer(spec: TransferSpec, giveUpMs: number, rng: Prng = this.rng): Promise<TransferOp> {
    const amount = formatMinor(spec.amountMinor, this.options.exponent);
    const currency = this.options.currency;
    // Both APIs must be idempotent by id; which one a transfer uses is fixed for all its retries.
    const seedApi = !spec.funding && rng.chance(this.options.seedApiShare);
    const path = seedApi ? '/payment' : '/v1/transfers';
    const body = seedApi
      ? { id: spec.id, sender: spec.from, receiver: spec.to, amount, currency }
      : { id: spec.id, debit_account_id: spec.from, credit_account_id: spec.to, amount, currency };
    const invokeMs = this.rec.now();
    let attempts = 0;
    let ambiguous = false;
    let node = rng.pick(this.nodes);
    let last: Attempt;
    for (;;) {
      attempts++;
      last = await attempt(`${this.options.urls[node]}${path}`, postJson(body), this.options.attemptTimeoutMs);
      if (last.cls !== 'indeterminate') break;
      ambiguous = true;
      // Funding runs before stop() can be called; workload transfers also end when the run does.
      if (this.rec.now() - invokeMs > giveUpMs || (!spec.funding && this.stopping)) break;
      await sleep(backoff(last, rng));
      node = rng.pick(this.nodes);
    }
    let result: OpResult;
    const answeredId = seedApi ? last.body?.['transaction_id'] : last.body?.['id'];
    if (last.cls === 'ok') result = answeredId === spec.id ? 'ok' : 'unknown';
    // An earlier attempt may still commit after this refusal (it was another log entry).
    else if (last.cls === 'refused') result = ambiguous ? 'unknown' : 'fail';
    else result = 'unknown';
    const op: TransferOp = {
      kind: 'transfer', id: spec.id, client: spec.client, from: spec.from, to: spec.to,
      amountMinor: spec.amountMinor, currency: this.options.currency,
      invokeMs, completeMs: this.rec.now(), node, result, attempts, code: last.code, api: seedApi ? 'payment' : 'v1',
      ...(spec.funding ? { funding: true } : {}),
    };
    this.rec.record(op);
    return op;
  }

  private async read(client: number, account: string, node: string): Promise<void> {
    const invokeMs = this.rec.now();
    const query = this.options.readConsistency === 'local' ? '?consistency=local' : '';
    const a = await attempt(`${this.options.urls[node]}/v1/accounts/${account}${query}`, { method: 'GET' }, this.options.attemptTimeoutMs);
    const completeMs = this.rec.now();
    let balanceMinor: bigint | undefined;
    const minor = (a.body?.['balances_minor'] as Record<string, unknown> | undefined)?.['balance'];
    if (a.cls === 'ok' && typeof minor === 'string') balanceMinor = BigInt(minor);
    else if (a.cls === 'ok' && typeof a.body?.['balance'] === 'string') balanceMinor = parseMinor(a.body['balance'] as string, this.options.exponent);
    const result: OpResult = balanceMinor !== undefined ? 'ok' : a.cls === 'indeterminate' ? 'unknown' : 'fail';
    this.rec.record({ kind: 'read', client, account, node, invokeMs, completeMs, result, code: a.code, ...(balanceMinor !== undefined ? { balanceMinor } : {}) });
  }
}

/** Retry pause: the server's Retry-After when short, else 50-250 ms of jitter. */
function backoff(a: Attempt, rng: Prng): number {
  const jitter = rng.int(50, 250);
  if (a.retryAfterMs !== null) return Math.min(a.retryAfterMs, 500) + jitter / 5;
  return jitter;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
