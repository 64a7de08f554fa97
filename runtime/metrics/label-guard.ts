// Keeps label values bounded. Every distinct label value is a new time series kept forever by
// the node and by Prometheus, so values that come from outside (result codes, drop reasons,
// HTTP methods) pass through a guard: well-formed and among the first `limit` distinct values,
// or folded into "other".

const LABEL_VALUE = /^[A-Za-z0-9_.:/-]{1,64}$/;
export const OTHER = 'other';

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  value(raw: unknown): string {
    const text = typeof raw === 'number' ? String(raw) : raw;
    if (typeof text !== 'string' || !LABEL_VALUE.test(text)) return OTHER;
    if (this.seen.has(text)) return text;
    if (this.seen.size >= this.limit) return OTHER;
    this.seen.add(text);
    return text;
  }
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

export function httpMethodLabel(method: string): string {
  const upper = method.toUpperCase();
  return HTTP_METHODS.has(upper) ? upper : OTHER;
}
