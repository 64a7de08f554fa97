// Merging several nodes' event lists into one cluster timeline ordered by HLC stamp. It owns the
// order the CLI and the visualiser show (the seed's "reorder logs that arrive out of sequence"):
// wall clocks disagree, arrival order is arbitrary, but HLC order respects causality. Events
// fetched late are merged into place, and an event fetched twice appears once.
import { parseHlc } from './hlc.ts';

export interface StampedEvent {
  /** HLC stamp (machines/clock/hlc.ts format). */
  readonly hlc: string;
  /** The node that recorded the event. */
  readonly node: string;
}

/** HLC order; equal stamps (possible across nodes) are ordered by node id so the result is stable. */
export function compareEvents(a: StampedEvent, b: StampedEvent): number {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/**
 * `timeline` (already in order) with `incoming` merged in. A node never issues the same stamp
 * twice, so (node, stamp) identifies an event: a re-fetched one is kept once. Events whose stamp is
 * malformed cannot be placed and are returned separately rather than guessed at.
 */
export function mergeTimeline<E extends StampedEvent>(
  timeline: readonly E[],
  incoming: readonly E[],
): { readonly timeline: E[]; readonly rejected: E[] } {
  const seen = new Set(timeline.map((e) => `${e.node}\u0000${e.hlc}`));
  const fresh: E[] = [];
  const rejected: E[] = [];
  for (const e of incoming) {
    if (typeof e.hlc !== 'string' || typeof e.node !== 'string' || parseHlc(e.hlc) === null) {
      rejected.push(e);
      continue;
    }
    const key = `${e.node}\u0000${e.hlc}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fresh.push(e);
  }
  fresh.sort(compareEvents);
  // Both lists are sorted: one linear merge keeps a long-lived timeline cheap to extend.
  const out: E[] = [];
  let i = 0;
  let j = 0;
  while (i < timeline.length || j < fresh.length) {
    const a = timeline[i];
    const b = fresh[j];
    if (b === undefined || (a !== undefined && compareEvents(a, b) <= 0)) {
      out.push(a as E);
      i++;
    } else {
      out.push(b);
      j++;
    }
  }
  return { timeline: out, rejected };
}

/** The `since` cursor for the next fetch from one node: its newest stamp in the timeline. */
export function latestStampOf(timeline: readonly StampedEvent[], node: string): string | null {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i];
    if (e !== undefined && e.node === node) return e.hlc;
  }
  return null;
}
