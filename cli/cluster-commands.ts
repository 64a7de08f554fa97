// The cluster subcommands: `status` (every node's /status as one table), `leader show` and
// `leader transfer` (which needs the admin route named below on the nodes).
import type { ParsedCommand } from './args.ts';
import { requestFirst } from './client.ts';
import { CliFailure, EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE, EXIT_USAGE, expectOk, type Context } from './context.ts';
import { leaderOf, renderStatus } from './status-view.ts';

export async function status(ctx: Context): Promise<number> {
  const reports = await ctx.reports();
  ctx.print(renderStatus(reports), { leader: leaderOf(reports), nodes: reports });
  return reports.some((r) => r.status !== null) ? EXIT_OK : EXIT_UNREACHABLE;
}

export async function leaderShow(ctx: Context): Promise<number> {
  const reports = await ctx.reports();
  if (!reports.some((r) => r.status !== null)) throw new CliFailure(`no node answered (${reports.map((r) => `${r.url}: ${r.error}`).join('; ')})`, EXIT_UNREACHABLE);
  const leader = leaderOf(reports);
  if (leader === null) throw new CliFailure('no leader is known to the nodes that answered (an election may be running; retry)', EXIT_FAILED);
  ctx.print(leader, { leader });
  return EXIT_OK;
}

export const LEADER_TRANSFER_PATH = '/v1/admin/leader-transfer';

export async function leaderTransfer(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const target = cmd.positionals['id'] as string;
  const reports = await ctx.reports();
  if (!reports.some((r) => r.id === target)) {
    throw new CliFailure(`${target} is not a node of this cluster (${reports.map((r) => r.id).join(', ')})`, EXIT_USAGE);
  }
  // Ask the leader first: it is the node that hands over; the others would have to forward.
  const leader = leaderOf(reports);
  const nodes = reports.map((r) => ({ id: r.id, url: r.url }));
  const ordered = [...nodes.filter((n) => n.id === leader), ...nodes.filter((n) => n.id !== leader)];
  const answer = await requestFirst(ordered, 'POST', LEADER_TRANSFER_PATH, { target }, ctx.client);
  const body = expectOk(answer, `leader transfer (POST ${LEADER_TRANSFER_PATH})`);
  const now = typeof body['leader'] === 'string' ? body['leader'] : target;
  ctx.print(`leader is now ${now} (was ${leader ?? 'unknown'})`, { ...body, previous: leader });
  return EXIT_OK;
}
