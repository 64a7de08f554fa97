// A client for failover measurements on real processes: it writes payments one after another
// through one node, retrying a 503 with the same idempotency key as a well-behaved client does,
// and keeps every attempt with its timing and error code; the e2e spec asserts on the codes and
// prints the gap between a kill and the next success (bench/failover.ts measures it under load).

export interface Attempt {
  readonly startedAt: number;
  readonly endedAt: number;
  /** HTTP status, or 0 when the request itself failed (connection refused or reset). */
  readonly status: number;
  /** The problem code of a failed attempt, or the transport error. */
  readonly code: string | null;
}

/** Pause between retries of one payment: short, so the measured gap is the cluster's, not ours. */
const RETRY_PAUSE_MS = 25;

export class RetryingWriter {
  readonly attempts: Attempt[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private seq = 0;

  constructor(
    private readonly url: string,
    private readonly keyPrefix: string,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** The first acknowledged attempt that started at or after `t` (wall-clock ms), if any. */
  firstSuccessFrom(t: number): Attempt | undefined {
    return this.attempts.find((a) => a.startedAt >= t && a.status >= 200 && a.status < 300);
  }

  /** Every failure code seen at or after `t`, with how often. */
  failuresFrom(t: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.attempts) {
      if (a.endedAt < t || (a.status >= 200 && a.status < 300)) continue;
      const k = `${a.status} ${a.code ?? '?'}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const n = ++this.seq;
      const key = `${this.keyPrefix}-${n}`;
      // One payment: retried on 503 (and on a refused connection) until it is answered.
      while (this.running) {
        const a = await this.attempt(key, n);
        this.attempts.push(a);
        if (a.status !== 503 && a.status !== 0) break;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
      }
    }
  }

  private async attempt(key: string, n: number): Promise<Attempt> {
    const startedAt = Date.now();
    try {
      const res = await fetch(`${this.url}/payment`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ amount: '1.00', sender: `carol${n % 5}`, receiver: `dave${n % 3}` }),
      });
      const text = await res.text();
      let code: string | null = null;
      if (res.status >= 300) {
        try {
          code = (JSON.parse(text) as { code?: string }).code ?? null;
        } catch {
          code = text.slice(0, 80);
        }
      }
      return { startedAt, endedAt: Date.now(), status: res.status, code };
    } catch (err) {
      return { startedAt, endedAt: Date.now(), status: 0, code: String(err).slice(0, 80) };
    }
  }
}
