// The node's Transport port over authenticated WebSocket links (one per pair of nodes).
//
// Pair rule: of two nodes, the one with the smaller id (string order) dials and the other
// accepts, so each pair shares exactly one socket, used in both directions. A link is up from the
// moment its socket is authenticated and open until it closes; up/down changes are announced to
// onLinkState handlers exactly once each. If a peer dials in while we still hold an old link to it
// (it restarted before we noticed), the old link is dropped (down) and the new one adopted (up).
// Sends to a peer whose link is down return false at once: Raft retransmits, so queueing for a
// dead link would only replay stale messages later. See auth.ts for the handshake, frame.ts for
// the frame format, channel.ts for batching, limits and liveness, dialler.ts for reconnects.
import type { WebSocket } from 'ws';
import type { Logger, Transport } from '../../actors/ports.ts';
import type { Config, NodeAddress } from '../../machines/config.ts';
import type { NodeId, PeerMessage } from '../../machines/types.ts';
import { Acceptor } from './acceptor.ts';
import { PeerChannel } from './channel.ts';
import type { CountFn, CounterName } from './counters.ts';
import { Dialler } from './dialler.ts';

export interface PeerTransportOptions {
  readonly self: NodeId;
  /** Every node of the cluster, this one included. A peerPort of 0 binds an OS-chosen port (tests). */
  readonly nodes: readonly NodeAddress[];
  readonly secret: string;
  readonly link: Config['link'];
  readonly logger: Logger;
  /** Wall clock for handshake timestamps; defaults to the system clock. */
  readonly clock?: { now(): number };
  /** Uniform in [0, 1) for reconnect jitter; defaults to Math.random. */
  readonly random?: () => number;
  readonly onCounter?: (name: CounterName, labels: Record<string, string>) => void;
  /** Interface to bind instead of this node's configured host (e.g. '0.0.0.0' in a container). */
  readonly listenHost?: string;
}

export interface PeerTransport extends Transport {
  /** Bind the peer port and start dialling. */
  listen(): Promise<void>;
  /** Stop dialling, close every link and the listener; resolves when all are closed (bounded). */
  close(): Promise<void>;
  /** The bound peer port once listening (tells tests which port the OS chose), else null. */
  boundPort(): number | null;
  /** Per dialled peer, the link machine's state (idle, connecting, open, backoff, stopped). */
  dialStates(): Record<NodeId, string>;
}

const SECRET_LENGTH_ADVISED = 16;

export function createPeerTransport(options: PeerTransportOptions): PeerTransport {
  const { self, nodes, secret, link } = options;
  const me = nodes.find((n) => n.id === self);
  if (me === undefined) throw new Error(`SYNCPAY_ERR_CONFIG: cluster.nodes has no entry for this node (${self})`);
  const knownNodes = new Set(nodes.map((n) => n.id));
  if (knownNodes.size !== nodes.length) throw new Error('SYNCPAY_ERR_CONFIG: cluster.nodes lists a node id twice');
  if (secret.length === 0) throw new Error('SYNCPAY_ERR_CONFIG: the cluster secret is empty');

  const logger = options.logger.child({ component: 'transport' });
  if (secret.length < SECRET_LENGTH_ADVISED) {
    logger.warn({ length: secret.length }, `cluster secret is shorter than ${SECRET_LENGTH_ADVISED} characters`);
  }
  const now = () => (options.clock ? options.clock.now() : Date.now());
  const count: CountFn = (name, labels) => {
    try {
      options.onCounter?.(name, labels);
    } catch (err) {
      logger.error({ err: String(err), counter: name }, 'counter callback threw');
    }
  };

  const channels = new Map<NodeId, PeerChannel>();
  const diallers = new Map<NodeId, Dialler>();
  const messageHandlers = new Set<(from: NodeId, message: PeerMessage) => void>();
  const linkHandlers = new Set<(peer: NodeId, up: boolean) => void>();
  let acceptor: Acceptor | null = null;
  let port: number | null = null;
  let state: 'new' | 'listening' | 'closing' | 'closed' = 'new';

  /** Read through a call so the compiler does not carry a narrowing of `state` across awaits. */
  function isClosing(): boolean {
    return state === 'closing' || state === 'closed';
  }

  function announce(peer: NodeId, up: boolean): void {
    count(up ? 'linkUp' : 'linkDown', { peer });
    logger.info({ peer, up }, up ? 'link up' : 'link down');
    for (const handler of [...linkHandlers]) {
      try {
        handler(peer, up);
      } catch (err) {
        logger.error({ peer, err: String(err) }, 'link-state handler threw');
      }
    }
  }

  function deliver(peer: NodeId, msgs: readonly PeerMessage[]): void {
    for (const msg of msgs) {
      for (const handler of [...messageHandlers]) {
        try {
          handler(peer, msg);
        } catch (err) {
          // A throwing subscriber is a bug in the core, but it must not take the socket with it.
          logger.error({ peer, type: msg.type, err: String(err) }, 'peer message handler threw');
        }
      }
    }
  }

  /** Adopt an authenticated open socket as the link to `peer`. */
  function adopt(peer: NodeId, socket: WebSocket, onLost: () => void): void {
    if (state !== 'listening') {
      socket.terminate();
      return;
    }
    const previous = channels.get(peer);
    if (previous !== undefined) {
      channels.delete(peer);
      previous.terminate();
      announce(peer, false);
    }
    const channel: PeerChannel = new PeerChannel({
      self,
      peer,
      socket,
      messageBytesMax: link.messageBytesMax,
      sendBufferBytesMax: link.sendBufferBytesMax,
      coalesceBytesMax: link.coalesceBytesMax,
      pingIntervalMs: link.pingIntervalMs,
      logger,
      count,
      deliver: (msgs) => deliver(peer, msgs),
      closed: () => {
        if (channels.get(peer) === channel) {
          channels.delete(peer);
          announce(peer, false);
        }
        onLost();
      },
    });
    channels.set(peer, channel);
    announce(peer, true);
  }

  return {
    self,

    send(to: NodeId, message: PeerMessage): boolean {
      const channel = channels.get(to);
      if (channel === undefined) {
        // Unknown ids are not counted: a label per arbitrary id would grow the metric without bound.
        if (to !== self && knownNodes.has(to)) count('framesDropped', { peer: to, reason: 'link-down', direction: 'out' });
        return false;
      }
      return channel.send(message);
    },

    subscribe(handler) {
      messageHandlers.add(handler);
      return () => void messageHandlers.delete(handler);
    },

    onLinkState(handler) {
      linkHandlers.add(handler);
      return () => void linkHandlers.delete(handler);
    },

    connectedPeers() {
      return [...channels.keys()];
    },

    boundPort() {
      return port;
    },

    dialStates() {
      return Object.fromEntries([...diallers].map(([id, d]) => [id, d.state]));
    },

    async listen() {
      if (state !== 'new') throw new Error(`SYNCPAY_ERR_TRANSPORT: listen() called on a ${state} transport`);
      state = 'listening';
      acceptor = new Acceptor({
        self,
        host: options.listenHost ?? me.host,
        port: me.peerPort,
        secret,
        knownNodes,
        link,
        logger,
        count,
        now,
        accepted: (from, socket) => adopt(from, socket, () => {}),
      });
      try {
        port = await acceptor.listen();
      } catch (err) {
        if (isClosing()) return;
        throw err;
      }
      if (isClosing()) {
        // close() ran while we were binding: it could not close a server that was not bound yet.
        await acceptor.close();
        return;
      }
      logger.info({ host: options.listenHost ?? me.host, port }, 'peer port listening');
      for (const peer of nodes) {
        if (!(self < peer.id)) continue;
        const dialler: Dialler = new Dialler({
          self,
          peer,
          secret,
          link,
          logger,
          count,
          now,
          random: options.random ?? Math.random,
          opened: (socket) => adopt(peer.id, socket, () => dialler.lost()),
        });
        diallers.set(peer.id, dialler);
        dialler.start();
      }
    },

    async close() {
      if (state === 'closing' || state === 'closed') return;
      const wasListening = state === 'listening';
      state = 'closing';
      for (const dialler of diallers.values()) dialler.stop();
      const closingAcceptor = acceptor?.close() ?? Promise.resolve();
      await Promise.all([...channels.values()].map((c) => c.close()));
      acceptor?.closeAllConnections();
      await closingAcceptor;
      state = 'closed';
      if (wasListening) logger.info({}, 'transport closed');
    },
  };
}
