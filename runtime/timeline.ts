// The node's recent cluster events (election started, leader elected, peer down, fence, ...),
// each stamped with the node's hybrid logical clock so a client can merge the timelines of all
// nodes into one order. A bounded ring: old events fall off, nothing grows without limit.
import type { TraceEvent } from '../actors/ports.ts';

export interface TimelineEvent {
  readonly hlc: string;
  readonly node: string;
  readonly actor: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(event: TimelineEvent) => void>();

  constructor(
    private readonly nodeId: string,
    private readonly capacity: number,
  ) {}

  push(event: TraceEvent, hlc: string): TimelineEvent {
    const stamped: TimelineEvent = { ...event, hlc, node: this.nodeId };
    this.events.push(stamped);
    if (this.events.length > this.capacity) this.events.splice(0, this.events.length - this.capacity);
    for (const listener of this.listeners) listener(stamped);
    return stamped;
  }

  /** Events with a stamp strictly after `since` (all when null), oldest first, at most `limit`. */
  since(since: string | null, limit: number): TimelineEvent[] {
    const out = since === null ? this.events : this.events.filter((e) => e.hlc > since);
    return out.slice(-limit);
  }

  subscribe(listener: (event: TimelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
