// How the load generator reads an answer: committed, refused (certainly not committed) or unknown
// (might have committed). The split matters for the data check: a 4xx wrote nothing, but a
// timeout or a 5xx after the proposal may still commit, and must not be counted as lost or as
// acknowledged.

export interface Outcome {
  readonly kind: 'ok' | 'failed' | 'unknown';
  /** Transfers this request committed (ok) or might have committed (unknown). */
  readonly units: number;
  /** Status or error code for the error histogram. */
  readonly label?: string;
  readonly retries?: number;
}

/** A `POST /payment` answer: the seed's 200 `{"status":"success"}` is the only success. */
export function classifyPayment(status: number, text: string): Outcome {
  if (status === 200) {
    const body = parse(text);
    if (body !== null && body['status'] === 'success') return { kind: 'ok', units: 1 };
    return { kind: 'unknown', units: 1, label: '200-unreadable' };
  }
  return byStatus(status, text, 1);
}

/** A `POST /v1/transfers` array answer: each item carries its own result code. */
export function classifyBatch(status: number, text: string, size: number): Outcome {
  if (status === 200) {
    const body = parse(text);
    const results = body?.['results'];
    if (!Array.isArray(results) || results.length !== size) return { kind: 'unknown', units: size, label: '200-unreadable' };
    const ok = results.filter((r) => r !== null && typeof r === 'object' && (r as Record<string, unknown>)['code'] === 'ok').length;
    if (ok === size) return { kind: 'ok', units: size };
    // Some items were rejected by the ledger: those wrote nothing, the rest committed.
    return { kind: 'ok', units: ok, label: 'batch-partial' };
  }
  return byStatus(status, text, size);
}

function byStatus(status: number, text: string, units: number): Outcome {
  // The problem's stable code says why (SYNCPAY_ERR_TIMEOUT is not SYNCPAY_ERR_NO_LEADER).
  const code = parse(text)?.['code'];
  const label = typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? `${status} ${code}` : String(status);
  // Client errors (validation, 409, 422 ledger rejections, 429 full queue) never reach the log.
  if (status >= 400 && status < 500) return { kind: 'failed', units: 0, label };
  // Appended but replaced by another committed entry: it can never take effect.
  if (code === 'SYNCPAY_ERR_NOT_COMMITTED') return { kind: 'failed', units: 0, label };
  return { kind: 'unknown', units, label };
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
