// Families whose value is read from the node at scrape time (prom-client `collect()`): consensus
// position, role, per-peer health and clock offsets, fencing, log size and supervisor restarts.
// Reading on demand means no actor has to push numbers it already holds, and a scrape always
// sees the current instance of an actor that was restarted in between.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NodeServices } from '../http/services.ts';
import { PREFIX } from './families.ts';

export interface LogStats {
  readonly logBytes: number;
}

export interface ScrapeSources {
  readonly services: NodeServices;
  /** Size of the durable log; absent until the storage layer reports it. */
  readonly logStats?: () => LogStats | null | undefined;
}

const ROLES = ['follower', 'preCandidate', 'candidate', 'leader'] as const;

/** A collector must never fail a scrape: an actor that throws mid-restart just reports nothing. */
export function guarded(read: () => void): () => void {
  return () => {
    try {
      read();
    } catch {
      // The family keeps whatever it held; the next scrape tries again.
    }
  };
}

const msToSeconds = (ms: number): number => ms / 1000;

export function registerScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  const { services } = sources;
  const registers = [registry];
  const gauge = <L extends string = string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>) => void): Gauge<L> => {
    const g: Gauge<L> = new Gauge<L>({ name: PREFIX + name, help, labelNames, registers, collect: guarded(() => collect(g)) });
    return g;
  };

  gauge('term', 'Current Raft term.', [], (g) => g.set(services.consensus()?.status().term ?? 0));
  gauge('is_leader', '1 if this node is the leader, else 0.', [], (g) => g.set(services.consensus()?.status().role === 'leader' ? 1 : 0));
  gauge('role', 'The node\'s Raft role: 1 on the current one.', ['role'], (g) => {
    const role = services.consensus()?.status().role;
    for (const r of ROLES) g.set({ role: r }, role === r ? 1 : 0);
  });
  gauge('commit_index', 'Highest log index known committed.', [], (g) => g.set(services.consensus()?.status().commitIndex ?? 0));
  gauge('last_index', 'Highest log index stored.', [], (g) => g.set(services.consensus()?.status().lastIndex ?? 0));
  gauge('snapshot_index', 'Log index covered by the newest snapshot.', [], (g) => g.set(services.consensus()?.status().snapshotIndex ?? 0));
  gauge('applied_index', 'Highest log index applied by the ledger.', [], (g) => g.set(services.ledger()?.appliedIndex() ?? 0));
  gauge('log_bytes', 'Bytes of the durable log on disk.', [], (g) => {
    const stats = sources.logStats?.();
    if (stats) g.set(stats.logBytes);
  });
  gauge('replication_lag_entries', 'On the leader: entries a follower still lacks.', ['peer'], (g) => {
    g.reset();
    const status = services.consensus()?.status();
    if (!status) return;
    for (const [peer, p] of Object.entries(status.progress)) g.set({ peer }, Math.max(0, status.lastIndex - p.matchIndex));
  });

  gauge('peer_phi', 'Phi-accrual suspicion of each peer (higher: more likely down).', ['peer'], (g) => {
    g.reset();
    for (const [peer, h] of Object.entries(services.heartbeat()?.peerHealth() ?? {})) g.set({ peer }, h.phi);
  });
  gauge('peer_up', '1 if the heartbeat actor considers the peer alive, else 0.', ['peer'], (g) => {
    g.reset();
    for (const [peer, h] of Object.entries(services.heartbeat()?.peerHealth() ?? {})) g.set({ peer }, h.state === 'alive' ? 1 : 0);
  });
  gauge('peer_rtt_seconds', 'Latest heartbeat round trip to each peer.', ['peer'], (g) => {
    g.reset();
    for (const [peer, h] of Object.entries(services.heartbeat()?.peerHealth() ?? {})) if (h.rttMs !== null) g.set({ peer }, msToSeconds(h.rttMs));
  });
  gauge('peer_clock_offset_seconds', 'Estimated clock offset of each peer (peer minus self).', ['peer'], (g) => {
    g.reset();
    for (const [peer, o] of Object.entries(services.clock()?.peerOffsets() ?? {})) g.set({ peer }, msToSeconds(o.offsetMs));
  });
  gauge('clock_offset_seconds', 'Estimated offset of this node\'s clock from cluster time.', [], (g) => {
    g.reset();
    const offset = services.clock()?.offsetMs();
    if (offset !== null && offset !== undefined) g.set(msToSeconds(offset));
  });
  gauge('clock_fenced', '1 while this node\'s clock is too far from a majority (no leadership).', [], (g) =>
    g.set(services.clock()?.fenced() ? 1 : 0),
  );
  gauge('actor_up', '1 while the actor is running, else 0.', ['actor'], (g) => {
    for (const actor of services.supervision().actors) g.set({ actor: actor.id }, actor.status === 'running' ? 1 : 0);
  });

  // Restart counts are cumulative in the supervisor, so they are a counter: each scrape adds what
  // happened since the previous one.
  const counted = new Map<string, number>();
  const restarts: Counter<'actor'> = new Counter<'actor'>({
    name: `${PREFIX}supervisor_restarts_total`,
    help: 'Actor restarts by the supervisor, per actor.',
    labelNames: ['actor'],
    registers,
    collect: guarded(() => {
      for (const actor of services.supervision().actors) {
        const before = counted.get(actor.id) ?? 0;
        if (actor.restarts > before) restarts.inc({ actor: actor.id }, actor.restarts - before);
        else if (!counted.has(actor.id)) restarts.inc({ actor: actor.id }, 0);
        counted.set(actor.id, Math.max(before, actor.restarts));
      }
    }),
  });
}
