// `syncpay status` as text: one row per node (role, term, leader, indexes, lag against the
// leader's commit, peers up, clock offset, fence) and one row per link as each node sees it, from
// the /status bodies the nodes sent (read defensively, like every view). Also the leader the
// answering nodes agree on, for `syncpay leader`.
import { renderTable, type Column } from './table.ts';
import { DASH, formatMs, int, isObject, text, type Json } from './views.ts';

/** One node as the CLI reached it: its /status body, or why it could not be read. */
export interface NodeReport {
  readonly id: string;
  readonly url: string;
  readonly status: Json | null;
  readonly error: string | null;
}

export interface StatusRow {
  readonly node: string;
  readonly role: string;
  readonly term: number | null;
  readonly leader: string | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  /** Committed entries (by the leader's count) this node has not applied yet. */
  readonly lag: number | null;
  readonly peersUp: number | null;
  readonly peersTotal: number | null;
  readonly offsetMs: number | null;
  readonly fenced: boolean | null;
  readonly error: string | null;
}

export function statusRows(reports: readonly NodeReport[]): StatusRow[] {
  // The leader's commit index is the reference for lag. With a split view (two nodes claim to
  // lead in different terms), the higher term is the real one.
  const leaders = reports
    .filter((r) => r.status?.['role'] === 'leader')
    .sort((a, b) => (int(b.status?.['term']) ?? 0) - (int(a.status?.['term']) ?? 0));
  const leaderCommit = int(leaders[0]?.status?.['commit_index']);
  return reports.map((r) => {
    const s = r.status;
    if (s === null) {
      return { node: r.id, role: 'unreachable', term: null, leader: null, commitIndex: null, appliedIndex: null, lag: null, peersUp: null, peersTotal: null, offsetMs: null, fenced: null, error: r.error };
    }
    const applied = int(s['applied_index']);
    const peers = isObject(s['peer_health']) ? Object.values(s['peer_health']) : null;
    return {
      node: typeof s['node_id'] === 'string' ? s['node_id'] : r.id,
      role: typeof s['role'] === 'string' ? s['role'] : s['is_leader'] === true ? 'leader' : DASH,
      term: int(s['term']),
      leader: typeof s['leader'] === 'string' ? s['leader'] : null,
      commitIndex: int(s['commit_index']),
      appliedIndex: applied,
      lag: leaderCommit === null || applied === null ? null : Math.max(0, leaderCommit - applied),
      peersUp: peers === null ? null : peers.filter((p) => isObject(p) && p['healthy'] === true).length,
      peersTotal: peers === null ? null : peers.length,
      offsetMs: int(s['time_offset']),
      fenced: typeof s['clock_fenced'] === 'boolean' ? s['clock_fenced'] : null,
      error: null,
    };
  });
}

const STATUS_COLUMNS: readonly Column[] = [
  { header: 'NODE' },
  { header: 'ROLE' },
  { header: 'TERM', align: 'right' },
  { header: 'LEADER' },
  { header: 'COMMIT', align: 'right' },
  { header: 'APPLIED', align: 'right' },
  { header: 'LAG', align: 'right' },
  { header: 'PEERS UP', align: 'right' },
  { header: 'CLOCK OFFSET', align: 'right' },
  { header: 'FENCED' },
];

export function renderStatus(reports: readonly NodeReport[]): string {
  const rows = statusRows(reports).map((r) => [
    r.node,
    r.role,
    text(r.term),
    r.leader ?? DASH,
    text(r.commitIndex),
    text(r.appliedIndex),
    text(r.lag),
    r.peersUp === null ? DASH : `${r.peersUp}/${r.peersTotal}`,
    formatMs(r.offsetMs, true),
    r.fenced === null ? DASH : r.fenced ? 'yes' : 'no',
  ]);
  const out = [renderTable(STATUS_COLUMNS, rows)];
  const links = linkRows(reports);
  if (links.length > 0) {
    out.push('', 'links (each node\'s view of its peers)', renderTable(LINK_COLUMNS, links));
  }
  const failures = reports.filter((r) => r.status === null);
  if (failures.length > 0) out.push('', ...failures.map((f) => `${f.id} (${f.url}): ${f.error ?? 'no answer'}`));
  return out.join('\n');
}

const LINK_COLUMNS: readonly Column[] = [
  { header: 'FROM' },
  { header: 'TO' },
  { header: 'STATE' },
  { header: 'PHI', align: 'right' },
  { header: 'RTT', align: 'right' },
  { header: 'LAST SEEN', align: 'right' },
  { header: 'PEER OFFSET', align: 'right' },
  { header: 'REPLICATION' },
];

function linkRows(reports: readonly NodeReport[]): string[][] {
  const rows: string[][] = [];
  for (const r of reports) {
    const s = r.status;
    if (s === null || !isObject(s['peer_health'])) continue;
    const replication = isObject(s['replication_status']) ? s['replication_status'] : {};
    for (const [peer, h] of Object.entries(s['peer_health']).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!isObject(h)) continue;
      const phi = int(h['phi']);
      const rep = replication[peer];
      rows.push([
        typeof s['node_id'] === 'string' ? s['node_id'] : r.id,
        peer,
        typeof h['state'] === 'string' ? h['state'] : h['healthy'] === true ? 'alive' : 'down',
        phi === null ? DASH : phi.toFixed(1),
        formatMs(h['rtt_ms']),
        h['last_seen_ms_ago'] === null ? 'never' : `${formatMs(h['last_seen_ms_ago'])} ago`,
        formatMs(h['clock_offset_ms'], true),
        isObject(rep) ? `${text(rep['state'])} match ${text(rep['match_index'])} lag ${text(rep['lag'])}` : DASH,
      ]);
    }
  }
  return rows;
}

/** The leader as a majority of the answering nodes report it (null when none is known). */
export function leaderOf(reports: readonly NodeReport[]): string | null {
  const votes = new Map<string, number>();
  for (const r of reports) {
    const leader = r.status?.['leader'];
    if (typeof leader === 'string') votes.set(leader, (votes.get(leader) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestVotes = 0;
  for (const [id, n] of [...votes].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n > bestVotes) {
      best = id;
      bestVotes = n;
    }
  }
  return best;
}
