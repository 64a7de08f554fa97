// The transport's counters, reported through one callback so the metrics layer (prom-client)
// stays outside the transport. Labels used: `peer` (a node id), `reason` (a drop or refusal
// reason), `direction` ('in' | 'out', for framesDropped).

export type CounterName = 'framesDropped' | 'reconnects' | 'authRejected' | 'linkUp' | 'linkDown';

export type CountFn = (name: CounterName, labels: Record<string, string>) => void;
