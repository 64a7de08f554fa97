// `syncpay events`: every node's GET /v1/events merged into one timeline in HLC order
// (machines/clock/timeline.ts), the newest `--limit` of it, or with --follow a live tail that polls
// each node from its own cursor and prints late arrivals marked as such.
import { latestStampOf, mergeTimeline } from '../machines/clock/timeline.ts';
import type { ParsedCommand } from './args.ts';
import { problemText, requestEach } from './client.ts';
import { CliFailure, EXIT_OK, EXIT_UNREACHABLE, option, query, type Context } from './context.ts';
import { cleanCell } from './table.ts';
import { eventRow, isObject, renderEvents, type Json } from './views.ts';

const EVENTS_DEFAULT = 50;
const FOLLOW_EVERY_MS = 1000;
/** The most events a node returns per request (GET /v1/events caps `limit` at 1000). */
const PAGE_MAX = 1000;
const FOLLOW_KEEP = 10000;

export async function events(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const limit = Number(option(cmd, 'limit') ?? EVENTS_DEFAULT);
  const nodes = await ctx.clusterNodes();
  const since = new Map<string, string | null>(nodes.map((n) => [n.id, option(cmd, 'since') ?? null]));
  type Stamped = { hlc: string; node: string } & Json;
  let timeline: Stamped[] = [];

  /** One round: each node's events after its cursor, merged into the timeline in HLC order. */
  const poll = async (page: number): Promise<{ fresh: Stamped[]; answered: number; failures: string[] }> => {
    const results = await Promise.all(
      nodes.map(async (node) => {
        const path = `/v1/events${query({ since: since.get(node.id) ?? undefined, limit: String(page) })}`;
        const [r] = await requestEach([node], path, ctx.client);
        return r!;
      }),
    );
    const incoming: Stamped[] = [];
    const failures: string[] = [];
    let answered = 0;
    for (const r of results) {
      const list = r.answer !== null && r.answer.status === 200 && isObject(r.answer.body) ? r.answer.body['events'] : undefined;
      if (!Array.isArray(list)) {
        failures.push(`${r.node.id}: ${r.error ?? (r.answer === null ? 'no answer' : `${r.answer.status} ${problemText(r.answer)}`)}`);
        continue;
      }
      answered++;
      for (const e of list) if (isObject(e)) incoming.push({ ...e, node: typeof e['node'] === 'string' ? e['node'] : r.node.id } as Stamped);
    }
    const before = new Set(timeline.map((e) => `${e.node}\u0000${e.hlc}`));
    timeline = mergeTimeline(timeline, incoming).timeline;
    // Each node is polled from its own cursor, so old events are never fetched again: a long
    // --follow keeps only a bounded tail.
    if (timeline.length > FOLLOW_KEEP) timeline = timeline.slice(-FOLLOW_KEEP);
    for (const n of nodes) since.set(n.id, latestStampOf(timeline, n.id) ?? since.get(n.id) ?? null);
    return { fresh: timeline.filter((e) => !before.has(`${e.node}\u0000${e.hlc}`)), answered, failures };
  };

  const first = await poll(Math.min(PAGE_MAX, limit));
  if (first.answered === 0) throw new CliFailure(`no node answered (${first.failures.join('; ')})`, EXIT_UNREACHABLE);
  const shown = timeline.slice(-limit);
  if (cmd.options['follow'] !== true) {
    ctx.print(renderEvents(shown) + first.failures.map((f) => `\nmissing: ${f}`).join(''), { events: shown, missing: first.failures });
    return EXIT_OK;
  }
  // Follow: print what arrives, one line (or one JSON object) per event. An event that arrives
  // after a later-stamped one was printed is still printed, marked late, so nothing is hidden.
  const print = (list: readonly Json[], newest: string | null): void => {
    for (const e of list) {
      const late = newest !== null && typeof e['hlc'] === 'string' && e['hlc'] < newest;
      if (ctx.globals.json) ctx.io.stdout(`${JSON.stringify(late ? { ...e, late: true } : e)}\n`);
      else ctx.io.stdout(`${eventRow(e).map(cleanCell).join('  ')}${late ? '  (late)' : ''}\n`);
    }
  };
  if (!ctx.globals.json) ctx.io.stdout(`${renderEvents(shown)}\n`);
  else print(shown, null);
  let newest: string | null = shown.at(-1)?.hlc ?? null;
  while (!ctx.io.stopped()) {
    await ctx.io.sleep(FOLLOW_EVERY_MS);
    if (ctx.io.stopped()) break;
    const round = await poll(PAGE_MAX);
    print(round.fresh, newest);
    for (const e of round.fresh) if (newest === null || e.hlc > newest) newest = e.hlc;
  }
  return EXIT_OK;
}
