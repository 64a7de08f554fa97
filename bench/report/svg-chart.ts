// The throughput-against-latency chart, drawn as plain SVG text (no chart library): both axes
// logarithmic, because throughput spans single payments at concurrency 1 to batches of 1,000 and
// latency spans sub-millisecond to seconds. One colour per scenario; a solid line through the p50
// points and a dashed one through the p99 points, in the order given, each point labelled.

export interface ChartPoint {
  /** Throughput, per second. */
  readonly x: number;
  /** Latency, milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly label: string;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface ChartOptions {
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** Maps [lo, hi] (positive) logarithmically onto [from, to]. */
export function logScale(lo: number, hi: number, from: number, to: number): (v: number) => number {
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  const span = b - a || 1;
  return (v) => from + ((Math.log10(Math.max(v, lo)) - a) / span) * (to - from);
}

/** Ticks at 1, 2 and 5 times powers of ten inside [lo, hi]. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(Number(v.toPrecision(3)));
    }
  }
  return ticks;
}

function tickLabel(v: number): string {
  if (v >= 1_000_000) return `${v / 1_000_000}M`;
  if (v >= 1000) return `${v / 1000}k`;
  return String(v);
}

/** Powers of ten just around the data, so every point sits inside the frame. */
function bounds(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return [1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...positive)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
}

export function renderChart(series: readonly ChartSeries[], options: ChartOptions = {}): string {
  const width = options.width ?? 900;
  const height = options.height ?? 560;
  const margin = { left: 70, right: 220, top: 40, bottom: 55 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const points = series.flatMap((s) => s.points);
  const [xLo, xHi] = bounds(points.map((p) => p.x));
  const [yLo, yHi] = bounds(points.flatMap((p) => [p.p50, p.p99]));
  const sx = logScale(xLo, xHi, margin.left, margin.left + plotW);
  const sy = logScale(yLo, yHi, margin.top + plotH, margin.top);
  const f = (v: number): string => v.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) out.push(`<text x="${margin.left}" y="24" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);

  for (const t of logTicks(xLo, xHi)) {
    const x = f(sx(t));
    out.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotH}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${margin.top + plotH + 16}" text-anchor="middle" fill="#444">${tickLabel(t)}</text>`);
  }
  for (const t of logTicks(yLo, yHi)) {
    const y = f(sy(t));
    out.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${margin.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${tickLabel(t)}</text>`);
  }
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">committed per second (log)</text>`);
  out.push(`<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">latency, ms (log): solid p50, dashed p99</text>`);

  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] ?? '#000';
    // Points are joined in the order given (rising concurrency), not by throughput: a system whose
    // throughput falls at high concurrency shows the line turning back, which is the finding.
    const sorted = s.points.filter((p) => p.x > 0);
    const path = (key: 'p50' | 'p99'): string => sorted.filter((p) => p[key] > 0).map((p) => `${f(sx(p.x))},${f(sy(p[key]))}`).join(' ');
    out.push(`<g data-series="${escapeXml(s.name)}">`);
    if (sorted.length > 0) {
      out.push(`<polyline points="${path('p50')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      out.push(`<polyline points="${path('p99')}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 4"/>`);
    }
    for (const p of sorted) {
      out.push(`<circle cx="${f(sx(p.x))}" cy="${f(sy(p.p50))}" r="3.5" fill="${colour}"><title>${escapeXml(`${s.name} ${p.label}: ${Math.round(p.x)}/s, p50 ${p.p50} ms, p99 ${p.p99} ms`)}</title></circle>`);
      out.push(`<text x="${f(sx(p.x) + 5)}" y="${f(sy(p.p50) - 5)}" font-size="10" fill="${colour}">${escapeXml(p.label)}</text>`);
      out.push(`<circle cx="${f(sx(p.x))}" cy="${f(sy(p.p99))}" r="2.5" fill="none" stroke="${colour}"/>`);
    }
    out.push('</g>');
    const ly = margin.top + 10 + i * 20;
    const lx = margin.left + plotW + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
