// Notices when this process's event loop went without a turn for longer than a threshold, and
// traces it (`node.stalled`, with how long) in the node's timeline. A stalled node sends nothing,
// so its peers see it go quiet: set beside the elections' `quietMs`, this tells a leader that went
// quiet from followers that stopped listening. A timer that fires late is the measurement: it
// costs one timer per `everyMs` and nothing per message.
export interface StallWatch {
  stop(): void;
}

export function watchStalls(thresholdMs: number, everyMs: number, onStall: (ms: number) => void): StallWatch {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap - everyMs >= thresholdMs) onStall(Math.round(gap - everyMs));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
