// Minimal ports for unit specs that do not need the simulator: a silent (or capturing) logger,
// a real-time clock, a transport that connects to nothing and an in-memory log store.
import type { Clock, Logger, LogStore, Ports, RecoveredLog, Transport, TraceEvent } from '../../actors/ports.ts';
import { createPrng } from '../../machines/prng.ts';

export interface CapturedLine {
  readonly level: string;
  readonly obj: object;
  readonly msg?: string;
}

export function captureLogger(lines: CapturedLine[] = [], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: { ...bindings, ...obj }, msg });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(lines, { ...bindings, ...more }),
  };
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonicNow: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
  defer: (fn) => void setImmediate(fn),
};

export function isolatedTransport(self: string): Transport {
  return {
    self,
    send: () => false,
    subscribe: () => () => {},
    onLinkState: () => () => {},
    connectedPeers: () => [],
  };
}

export function memoryLogStore(): LogStore {
  let state: RecoveredLog = { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
  return {
    load: async () => state,
    saveHardState: async (hardState) => void (state = { ...state, hardState }),
    append: async (entries) => void (state = { ...state, entries: [...state.entries, ...entries] }),
    truncateFrom: async (index) => void (state = { ...state, entries: state.entries.filter((e) => e.index < index) }),
    saveSnapshot: async (meta, data) =>
      void (state = { ...state, snapshot: { meta, data }, entries: state.entries.filter((e) => e.index > meta.index) }),
    close: async () => {},
  };
}

export function quietPorts(self = 'node1', lines: CapturedLine[] = [], traces: TraceEvent[] = []): Ports {
  return {
    transport: isolatedTransport(self),
    logStore: memoryLogStore(),
    clock: realClock,
    random: createPrng(1),
    logger: captureLogger(lines),
    trace: (e) => void traces.push(e),
  };
}
