// Which format a GET /metrics asks for. An explicit `?format=` wins; otherwise the Accept header
// is weighed by its q-values (Prometheus sends OpenMetrics first, text next, `*/*` last). Text is
// the default for an absent, wildcard or unsupported Accept: a curl user gets something readable.

export type MetricsFormat = 'prometheus' | 'openmetrics' | 'json' | 'summary';

export const FORMAT_PARAMS: Readonly<Record<string, MetricsFormat>> = {
  prometheus: 'prometheus',
  text: 'prometheus',
  openmetrics: 'openmetrics',
  json: 'json',
  summary: 'summary',
};

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...params] = part.split(';').map((p) => p.trim());
      let q = 1;
      for (const param of params) {
        const m = /^q=([0-9.]+)$/i.exec(param);
        if (m) q = Number(m[1]);
      }
      return { type: type.toLowerCase(), q: Number.isFinite(q) ? q : 0 };
    })
    .filter((range) => range.type !== '');
}

const CANDIDATES: ReadonlyArray<{ readonly format: MetricsFormat; readonly matches: readonly string[] }> = [
  // Order breaks ties: text first, the default.
  { format: 'prometheus', matches: ['text/plain', 'text/*', '*/*'] },
  { format: 'openmetrics', matches: ['application/openmetrics-text'] },
  { format: 'json', matches: ['application/json'] },
];

/** `format` is the query parameter, if any; it must be validated against FORMAT_PARAMS first. */
export function chooseFormat(format: string | undefined, accept: string | undefined): MetricsFormat | null {
  if (format !== undefined) return FORMAT_PARAMS[format] ?? null;
  if (accept === undefined || accept.trim() === '') return 'prometheus';
  const ranges = parseAccept(accept);
  let best: { format: MetricsFormat; q: number } = { format: 'prometheus', q: 0 };
  for (const candidate of CANDIDATES) {
    const q = Math.max(0, ...ranges.filter((r) => candidate.matches.includes(r.type)).map((r) => r.q));
    if (q > best.q) best = { format: candidate.format, q };
  }
  return best.format;
}
