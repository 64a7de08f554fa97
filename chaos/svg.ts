// The run's timeline as a standalone SVG drawn by hand: fault bars on top (one lane per kind),
// acknowledged transfers per second in the middle, transfer latency (p50, p99; log scale) at the
// bottom, all on one time axis, so an outage lines up with the fault that caused it.
import type { Availability } from './availability.ts';

const COLORS: Record<string, string> = { kill: '#d62728', pause: '#ff7f0e', partition: '#1f77b4', clock: '#9467bd' };
const LANES = ['kill', 'pause', 'partition', 'clock'];

export function timelineSvg(a: Availability, durationMs: number, title: string): string {
  const W = 1100;
  const left = 70;
  const right = 20;
  const plotW = W - left - right;
  const faultTop = 40;
  const laneH = 16;
  const tputTop = faultTop + LANES.length * laneH + 30;
  const tputH = 160;
  const latTop = tputTop + tputH + 40;
  const latH = 160;
  const H = latTop + latH + 50;
  const x = (ms: number) => left + (Math.max(0, Math.min(ms, durationMs)) / Math.max(1, durationMs)) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);

  // Fault lanes.
  LANES.forEach((lane, i) => {
    const y = faultTop + i * laneH;
    out.push(`<text x="${left - 6}" y="${y + 11}" text-anchor="end">${lane}</text>`);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y + laneH / 2}" y2="${y + laneH / 2}" stroke="#eee"/>`);
  });
  for (const f of a.faults) {
    const i = Math.max(0, LANES.indexOf(f.kind));
    const y = faultTop + i * laneH + 2;
    const x1 = x(f.startMs);
    const x2 = Math.max(x1 + 2, x(f.endMs ?? durationMs));
    out.push(`<rect x="${x1.toFixed(1)}" y="${y}" width="${(x2 - x1).toFixed(1)}" height="${laneH - 4}" fill="${COLORS[f.kind] ?? '#777'}" opacity="0.8"><title>${esc(f.label)} (write outage ${Math.round(f.longestWriteOutageMs)} ms)</title></rect>`);
    // Shade the fault across the charts too.
    out.push(`<rect x="${x1.toFixed(1)}" y="${tputTop}" width="${(x2 - x1).toFixed(1)}" height="${latTop + latH - tputTop}" fill="${COLORS[f.kind] ?? '#777'}" opacity="0.08"/>`);
  }

  // Throughput.
  const maxT = Math.max(1, ...a.buckets.map((b) => b.okTransfers + b.okReads));
  axis(out, left, tputTop, plotW, tputH, `ops/s (max ${maxT})`);
  const bw = a.buckets.length > 0 ? plotW / a.buckets.length : plotW;
  a.buckets.forEach((b, i) => {
    const hT = (b.okTransfers / maxT) * tputH;
    const hR = (b.okReads / maxT) * tputH;
    const bx = left + i * bw;
    out.push(`<rect x="${bx.toFixed(1)}" y="${(tputTop + tputH - hT).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${hT.toFixed(1)}" fill="#2ca02c"/>`);
    if (hR > 0) out.push(`<rect x="${bx.toFixed(1)}" y="${(tputTop + tputH - hT - hR).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${hR.toFixed(1)}" fill="#98df8a"/>`);
    if (b.failed > 0) {
      const hF = Math.min(tputH, (b.failed / maxT) * tputH);
      out.push(`<rect x="${bx.toFixed(1)}" y="${tputTop + tputH + 2}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${Math.max(1, hF / 8).toFixed(1)}" fill="#d62728"/>`);
    }
  });
  legend(out, W - right - 330, tputTop - 8, [['#2ca02c', 'transfers acked'], ['#98df8a', 'reads ok'], ['#d62728', 'failed/unknown (below axis)']]);

  // Latency (log scale from 1 ms to the max seen).
  const maxL = Math.max(10, ...a.buckets.map((b) => b.p99Ms ?? 0));
  const ly = (ms: number) => latTop + latH - (Math.log10(Math.max(1, ms)) / Math.log10(maxL)) * latH;
  axis(out, left, latTop, plotW, latH, 'transfer latency ms (log)');
  for (const tick of [1, 10, 100, 1000, 10000]) {
    if (tick > maxL) break;
    out.push(`<text x="${left - 6}" y="${ly(tick) + 4}" text-anchor="end">${tick}</text><line x1="${left}" x2="${W - right}" y1="${ly(tick)}" y2="${ly(tick)}" stroke="#eee"/>`);
  }
  for (const [key, color] of [['p50Ms', '#1f77b4'], ['p99Ms', '#d62728']] as const) {
    const pts = a.buckets.flatMap((b, i) => (b[key] === null ? [] : [`${(left + (i + 0.5) * bw).toFixed(1)},${ly(b[key]!).toFixed(1)}`]));
    if (pts.length > 0) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
  }
  legend(out, W - right - 160, latTop - 8, [['#1f77b4', 'p50'], ['#d62728', 'p99']]);

  // Time axis.
  const step = niceStep(durationMs / 1000);
  for (let s = 0; s * 1000 <= durationMs; s += step) {
    out.push(`<text x="${x(s * 1000)}" y="${latTop + latH + 16}" text-anchor="middle">${s}s</text>`);
    out.push(`<line x1="${x(s * 1000)}" x2="${x(s * 1000)}" y1="${faultTop}" y2="${latTop + latH}" stroke="#f3f3f3"/>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function axis(out: string[], x: number, y: number, w: number, h: number, label: string): void {
  out.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${x}" y="${y - 6}" font-weight="bold">${esc(label)}</text>`);
}

function legend(out: string[], x: number, y: number, items: [string, string][]): void {
  let cx = x;
  for (const [color, text] of items) {
    out.push(`<rect x="${cx}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${cx + 14}" y="${y}">${esc(text)}</text>`);
    cx += 24 + text.length * 6;
  }
}

function niceStep(seconds: number): number {
  for (const s of [1, 2, 5, 10, 15, 30, 60, 120, 300, 600]) if (seconds / s <= 20) return s;
  return 1200;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
