// A minimal ActorEnv for running the ledger actor alone: a manual clock whose timers fire only
// when the spec advances it, a silent logger, recorded traces and failures, and an optional fake
// log-replication sibling that serves committed history.
import type { ActorEnv, NodeActor } from '../../actors/actor.ts';
import type { ConsensusApi } from '../../actors/apis.ts';
import type { Clock, Logger, Ports, TraceEvent } from '../../actors/ports.ts';
import { DEFAULT_CONFIG, type Config } from '../../machines/config.ts';
import type { LogEntry } from '../../machines/types.ts';
import type { SnapshotText } from '../../machines/snapshot-text.ts';

export class ManualClock implements Clock {
  private t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number { return 1_700_000_000_000 + this.t; }
  monotonicNow(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(id: unknown): void { this.timers.delete(id as number); }
  defer(fn: () => void): void { queueMicrotask(fn); }
  pending(): number { return this.timers.size; }
  advance(ms: number): void {
    this.t += ms;
    for (const [id, timer] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at <= this.t && this.timers.delete(id)) timer.fn();
    }
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };

export interface FakeHistory {
  snapshot: { index: number; term: number; data: SnapshotText } | null;
  entries: LogEntry[];
}

export interface FakeEnv extends ActorEnv {
  readonly clock: ManualClock;
  readonly traces: TraceEvent[];
  readonly failures: unknown[];
  history: FakeHistory | null;
}

export function fakeEnv(options: { config?: Config; history?: FakeHistory | null } = {}): FakeEnv {
  const clock = new ManualClock();
  const traces: TraceEvent[] = [];
  const failures: unknown[] = [];
  const ports = {
    clock,
    random: { next: () => 0.5 },
    logger: silent,
    trace: (e: TraceEvent) => traces.push(e),
  } as unknown as Ports;
  const env: FakeEnv = {
    nodeId: 'node1',
    peers: ['node2', 'node3'],
    config: options.config ?? DEFAULT_CONFIG,
    ports,
    logger: silent,
    clock,
    traces,
    failures,
    history: options.history ?? null,
    send() {},
    lookup<A extends NodeActor>(id: string): A | undefined {
      if (id !== 'log-replication' || env.history === null) return undefined;
      const api: Partial<ConsensusApi> = { committedHistory: () => env.history! };
      return { id: 'log-replication', api } as unknown as A;
    },
    fail(error: unknown) { failures.push(error); },
  };
  return env;
}
