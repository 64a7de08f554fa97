// The transport's counters, reported through one callback so the metrics layer (prom-client)
// stays outside the transport. Each counter always carries the same label names (prom-client
// requires it), and label values come from small fixed sets or configured node ids only:
//   framesDropped  { peer, reason, direction }  in: text|oversize|malformed|schema|spoofed|protocol
//                                              out: link-down|send-buffer-full|oversize|unencodable|schema
//   reconnects     { peer }                     each redial after a failure or a lost link
//   authRejected   { reason }                   see RefusalReason (acceptor.ts) and 'bad-acceptance'
//   linkUp         { peer }
//   linkDown       { peer }

export type CounterName = 'framesDropped' | 'reconnects' | 'authRejected' | 'linkUp' | 'linkDown';

export type CountFn = (name: CounterName, labels: Record<string, string>) => void;
