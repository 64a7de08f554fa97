// The nemesis carries out the fault schedule against a live cluster: it resolves "the leader"
// from /status when a fault fires, applies the fault, keeps it for its duration, heals it, and
// records each one (with the nodes it hit) for the checker's availability figures and the
// report. Faults it cannot carry out (clock skew without libfaketime) are skipped with a note.
import type { Prng } from '../machines/prng.ts';
import type { ChaosCluster } from './cluster.ts';
import type { FaultRecord } from './history.ts';
import { partitionGroups, type PlannedFault, type Target } from './schedule.ts';
import { sleep } from './workload.ts';

export interface NemesisOptions {
  readonly cluster: ChaosCluster;
  readonly plan: readonly PlannedFault[];
  readonly now: () => number;
  readonly rng: Prng;
  readonly note: (line: string) => void;
  readonly clockFaults: boolean;
}

interface Applied {
  readonly heal: () => Promise<void>;
  /** Polled while the fault lasts until it reports something worth noting. */
  readonly observe?: (() => Promise<string | null>) | undefined;
}

export class Nemesis {
  readonly faults: FaultRecord[] = [];
  private active: { label: string; kind: PlannedFault['kind']; nodes: string[]; startMs: number } | null = null;
  private stopped = false;

  constructor(private readonly o: NemesisOptions) {}

  /** The fault in force right now, for progress lines. */
  current(): string | null {
    return this.active?.label ?? null;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    for (const fault of this.o.plan) {
      const wait = fault.atMs - this.o.now();
      if (wait > 0) await this.sleepUnlessStopped(wait);
      if (this.stopped) return;
      if (fault.kind === 'clock' && !this.o.clockFaults) {
        this.o.note(`skipping clock fault at ${(fault.atMs / 1000).toFixed(1)} s: libfaketime is not installed (apt-get install faketime)`);
        continue;
      }
      const { heal, observe } = await this.apply(fault);
      const started = this.o.now();
      const until = started + fault.durationMs;
      let observed: string | null = null;
      while (!this.stopped && this.o.now() < until) {
        await sleep(Math.min(observe && observed === null ? 250 : 100, Math.max(0, until - this.o.now())));
        if (observe && observed === null) {
          const seen = await observe();
          if (seen !== null) observed = `${seen} after ${Math.round(this.o.now() - started)} ms`;
        }
      }
      await heal();
      this.finish(observed);
    }
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    const until = this.o.now() + ms;
    while (!this.stopped && this.o.now() < until) await sleep(Math.min(100, until - this.o.now()));
  }

  private begin(kind: PlannedFault['kind'], label: string, nodes: string[]): void {
    this.active = { kind, label, nodes, startMs: this.o.now() };
    this.o.note(`fault: ${label}`);
  }

  private finish(observed: string | null = null): void {
    const a = this.active;
    if (a === null) return;
    this.faults.push({ kind: a.kind, label: a.label, nodes: a.nodes, startMs: a.startMs, endMs: this.o.now(), ...(observed ? { observed } : {}) });
    this.o.note(`healed: ${a.label}${observed ? ` (${observed})` : ''}`);
    this.active = null;
  }

  /** Close out a fault still in force when the run stops (the runner then heals everything). */
  abandon(): void {
    this.finish();
  }

  private async resolve(target: Target): Promise<{ id: string; role: string }> {
    const { cluster, rng } = this.o;
    const leader = await cluster.leader();
    const up = cluster.ids.filter((id) => cluster.running(id) && !cluster.isPaused(id));
    if (target === 'leader' && leader !== null) return { id: leader, role: 'leader' };
    const followers = up.filter((id) => id !== leader);
    if (target === 'follower' && followers.length > 0) return { id: rng.pick(followers), role: 'follower' };
    const pool = up.length > 0 ? up : cluster.ids;
    const id = rng.pick(pool);
    return { id, role: id === leader ? 'leader' : leader === null ? 'no leader known' : 'follower' };
  }

  /** A new leader other than `old` (seen from the nodes still answering), as an observation. */
  private newLeader(old: string): () => Promise<string | null> {
    return async () => {
      const now = await this.o.cluster.leader();
      return now !== null && now !== old ? `${now} took over as leader` : null;
    };
  }

  private async apply(fault: PlannedFault): Promise<Applied> {
    const { cluster } = this.o;
    switch (fault.kind) {
      case 'kill': {
        const t = await this.resolve(fault.target);
        this.begin('kill', `kill -9 ${t.id} (${t.role})`, [t.id]);
        await cluster.kill(t.id);
        return { heal: async () => cluster.start(t.id), observe: t.role === 'leader' ? this.newLeader(t.id) : undefined };
      }
      case 'pause': {
        const t = await this.resolve(fault.target);
        this.begin('pause', `SIGSTOP ${t.id} (${t.role}) for ${(fault.durationMs / 1000).toFixed(1)} s`, [t.id]);
        cluster.pause(t.id);
        return { heal: async () => cluster.resume(t.id), observe: t.role === 'leader' ? this.newLeader(t.id) : undefined };
      }
      case 'clock': {
        const t = await this.resolve(fault.target);
        this.begin('clock', `clock of ${t.id} (${t.role}) ${fault.offsetMs > 0 ? '+' : ''}${fault.offsetMs} ms`, [t.id]);
        cluster.setClockOffset(t.id, fault.offsetMs);
        const fenced = async () => ((await cluster.status(t.id))?.clock_fenced ? `${t.id} fenced itself` : null);
        return { heal: async () => cluster.setClockOffset(t.id, 0), observe: fenced };
      }
      case 'partition': {
        const leader = (await cluster.leader()) ?? this.o.rng.pick(cluster.ids);
        if (fault.shape === 'one-way-out' || fault.shape === 'one-way-in') {
          const others = cluster.ids.filter((id) => id !== leader);
          const out = fault.shape === 'one-way-out';
          this.begin('partition', out ? `one-way: ${leader} (leader) cannot send to the others` : `one-way: ${leader} (leader) hears nobody`, [leader]);
          for (const o of others) {
            if (out) cluster.dropOneWay(leader, o);
            else cluster.dropOneWay(o, leader);
          }
          return { heal: async () => cluster.healNetwork(), observe: this.newLeader(leader) };
        }
        if (fault.shape === 'leader-slow') {
          this.begin('partition', `slow links: every byte to and from ${leader} (leader) delayed ${fault.delayMs} ms`, [leader]);
          for (const o of cluster.ids) if (o !== leader) cluster.setLink(leader, o, { kind: 'flow', forward: { kind: 'delay', ms: fault.delayMs }, backward: { kind: 'delay', ms: fault.delayMs } });
          return { heal: async () => cluster.healNetwork(), observe: this.newLeader(leader) };
        }
        const groups = partitionGroups(fault.shape, cluster.ids, leader, fault.leaderInMinority);
        const shown = groups.map((g) => `{${g.join(',')}}`).join(' ');
        this.begin('partition', `${fault.shape} (${fault.style}), leader ${leader}: ${shown}`, groups.length > 0 ? groups[0]! : []);
        cluster.partition(groups, fault.style);
        return { heal: async () => cluster.healNetwork(), observe: this.newLeader(leader) };
      }
    }
  }
}
