// The simulated network: one Transport per node over the shared event queue. Every message may be
// delayed (random, so messages reorder), dropped, or duplicated, and links can be cut in one
// direction or both. Decisions draw from the network's own PRNG, so a run replays exactly.
import type { Transport } from '../../actors/ports.ts';
import type { NodeId, PeerMessage } from '../../machines/types.ts';
import type { Prng } from './prng.ts';
import type { Scheduler } from './scheduler.ts';

export interface NetworkFaults {
  /** Probability each message is lost. */
  dropRate: number;
  /** Probability each message is delivered twice. */
  duplicateRate: number;
  delayMsMin: number;
  delayMsMax: number;
  /** Messages on one link may overtake each other (false: FIFO per link, like TCP). */
  reorder: boolean;
}

export const CALM_NETWORK: NetworkFaults = { dropRate: 0, duplicateRate: 0, delayMsMin: 1, delayMsMax: 3, reorder: false };

type Handler = (from: NodeId, message: PeerMessage) => void;

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  blocked: number;
}

export class SimNetwork {
  faults: NetworkFaults = { ...CALM_NETWORK };
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, blocked: 0 };
  /** `a>b` present: messages from a to b are lost. */
  private readonly cut = new Set<string>();
  private readonly handlers = new Map<NodeId, Set<Handler>>();
  private readonly up = new Set<NodeId>();
  /** Per link: when its last message is due (keeps FIFO order when reordering is off). */
  private readonly linkTail = new Map<string, number>();
  /** Sees every message a live node sends (fault injection keys off it). */
  onSend: ((from: NodeId, to: NodeId, message: PeerMessage) => void) | null = null;
  /** Log every delivery in the trace (readable failures; costs a little time). */
  traceDeliveries = true;

  constructor(
    private readonly sched: Scheduler,
    private readonly prng: Prng,
    private readonly nodes: readonly NodeId[],
    private readonly log: (line: string) => void,
  ) {}

  setUp(node: NodeId, up: boolean): void {
    if (up) this.up.add(node);
    else {
      this.up.delete(node);
      this.handlers.delete(node);
    }
  }

  /** Cut messages from `from` to `to` (one way). */
  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Split the cluster: no messages between the two groups, either way. */
  partition(groupA: readonly NodeId[], groupB: readonly NodeId[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  isolate(node: NodeId): void {
    this.partition([node], this.nodes.filter((n) => n !== node));
  }

  heal(): void {
    this.cut.clear();
  }

  cuts(): string[] {
    return [...this.cut].sort();
  }

  private linkOpen(from: NodeId, to: NodeId): boolean {
    return !this.cut.has(`${from}>${to}`);
  }

  transportFor(self: NodeId): Transport {
    return {
      self,
      send: (to, message) => this.send(self, to, message),
      subscribe: (handler) => {
        let set = this.handlers.get(self);
        if (!set) this.handlers.set(self, (set = new Set()));
        set.add(handler);
        return () => void set!.delete(handler);
      },
      onLinkState: () => () => {},
      connectedPeers: () => this.nodes.filter((n) => n !== self && this.up.has(n) && this.linkOpen(self, n)),
    };
  }

  private send(from: NodeId, to: NodeId, message: PeerMessage): boolean {
    if (!this.up.has(from)) return false;
    this.stats.sent++;
    this.onSend?.(from, to, message);
    if (!this.linkOpen(from, to)) {
      this.stats.blocked++;
      return true;
    }
    if (this.prng.chance(this.faults.dropRate)) {
      this.stats.dropped++;
      this.log(`drop ${from}->${to} ${describe(message)}`);
      return true;
    }
    const copies = this.prng.chance(this.faults.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    // A real link serialises the message: so do we, so no two nodes ever share an object.
    const wire = JSON.stringify(message);
    for (let i = 0; i < copies; i++) {
      let at = this.sched.now() + this.prng.int(this.faults.delayMsMin, this.faults.delayMsMax);
      if (!this.faults.reorder) {
        const key = `${from}>${to}`;
        at = Math.max(at, this.linkTail.get(key) ?? 0);
        this.linkTail.set(key, at);
      }
      this.sched.at(at, () => this.deliver(from, to, wire));
    }
    return true;
  }

  private deliver(from: NodeId, to: NodeId, wire: string): void {
    if (!this.up.has(to) || !this.linkOpen(from, to)) {
      this.stats.blocked++;
      return;
    }
    const handlers = this.handlers.get(to);
    if (!handlers) return;
    this.stats.delivered++;
    const message = JSON.parse(wire) as PeerMessage;
    if (this.traceDeliveries) this.log(`${from}->${to} ${describe(message)}`);
    for (const h of [...handlers]) h(from, message);
  }
}

export function describe(message: PeerMessage): string {
  const m = message as Record<string, unknown>;
  const parts = [String(m.type).replace('peer.', ''), `t${String(m.term)}`];
  if (Array.isArray(m.entries)) parts.push(`prev=${String(m.prevIndex)} n=${m.entries.length} c=${String(m.commit)}`);
  if (typeof m.success === 'boolean') parts.push(m.success ? `ok@${String(m.index)}` : `rej@${String(m.index)} hint=${String(m.conflictTerm)}/${String(m.conflictIndex)}`);
  if (typeof m.granted === 'boolean') parts.push(m.granted ? 'granted' : 'refused');
  if (m.pre === true) parts.push('pre');
  return parts.join(' ');
}
