// Public face of the peer transport: what runtime/node.ts needs to build a node's Transport port.
export { createPeerTransport, type PeerTransport, type PeerTransportOptions } from './peer-transport.ts';
export type { CounterName } from './counters.ts';
export { signHandshake, verifyHandshake, AUTH_HEADER } from './auth.ts';
