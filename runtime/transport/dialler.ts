// The dialling side of one peer link (we dial peers whose id is larger than ours). It runs the
// link machine (link.machine.ts) and carries out its `dial`: a WebSocket client with fresh signed
// handshake headers, which also checks the acceptor's proof (x-syncpay-accept) before trusting
// the link. A socket that opens and passes is handed to the transport (`opened`); the transport
// reports its end through `lost()`. Failures to connect are expected while a peer restarts: the
// first after a good link is a warn line, the rest are debug, so a long outage does not flood logs.
import { WebSocket } from 'ws';
import { createActor, type Actor } from 'xstate';
import type { Logger } from '../../actors/ports.ts';
import type { Config, NodeAddress } from '../../machines/config.ts';
import type { NodeId } from '../../machines/types.ts';
import { AUTH_HEADER, handshakeHeaders, newNonce, verifyAcceptance } from './auth.ts';
import type { CountFn } from './counters.ts';
import { linkMachine } from './link.machine.ts';
import { PEER_SOCKET_OPTIONS } from './socket-options.ts';

export const PEER_PATH = '/syncpay/peer';

/**
 * An all-zero masking key, with which ws skips masking our frames (and the acceptor's ws skips
 * unmasking them). RFC 6455 masks client frames so that script in a browser cannot make bytes of
 * its choosing appear on the wire and poison a caching proxy in between. A peer link has no browser
 * and no script on either end: both ends are our nodes, and the link is mutually authenticated
 * with the cluster secret before a frame flows (auth.ts), so the mask only costs CPU on both sides.
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

export interface DiallerOptions {
  readonly self: NodeId;
  readonly peer: NodeAddress;
  readonly secret: string;
  readonly link: Config['link'];
  readonly logger: Logger;
  readonly count: CountFn;
  readonly now: () => number;
  readonly random: () => number;
  /** An authenticated open socket: the transport builds the channel and calls `lost()` when it ends. */
  readonly opened: (socket: WebSocket) => void;
}

export class Dialler {
  private readonly actor: Actor<typeof linkMachine>;
  private pending: WebSocket | null = null;
  private stopped = false;
  private quietFailures = false;

  constructor(private readonly opts: DiallerOptions) {
    const machine = linkMachine.provide({
      actions: {
        dial: () => this.dial(),
        hangUp: () => this.hangUp(),
        countReconnect: () => this.opts.count('reconnects', { peer: this.opts.peer.id }),
      },
    });
    this.actor = createActor(machine, {
      input: {
        backoffMsMin: opts.link.reconnectBackoffMsMin,
        backoffMsMax: opts.link.reconnectBackoffMsMax,
        random: opts.random,
      },
    });
    this.actor.subscribe({ error: (err) => this.opts.logger.error({ err: String(err) }, 'link machine failed') });
    this.actor.start();
  }

  /** The machine's state, for /status and tests. */
  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  start(): void {
    this.send({ type: 'link.start' });
  }

  /** The transport's channel for our socket has closed. */
  lost(): void {
    this.send({ type: 'link.closed' });
  }

  stop(): void {
    this.send({ type: 'link.stop' });
    this.stopped = true;
  }

  private send(event: Parameters<Actor<typeof linkMachine>['send']>[0]): void {
    if (!this.stopped) this.actor.send(event);
  }

  private dial(): void {
    const { peer, self, secret, link } = this.opts;
    const nonce = newNonce();
    const url = `ws://${peer.host.includes(':') ? `[${peer.host}]` : peer.host}:${peer.peerPort}${PEER_PATH}`;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, {
        headers: handshakeHeaders(secret, self, peer.id, this.opts.now(), nonce),
        perMessageDeflate: false,
        maxPayload: link.messageBytesMax,
        handshakeTimeout: link.handshakeTimeoutMs,
        followRedirects: false,
        ...PEER_SOCKET_OPTIONS,
        generateMask: zeroMask,
      });
    } catch (err) {
      this.failed(`cannot dial ${url}: ${String(err)}`);
      return;
    }
    this.pending = ws;
    let acceptorProven = false;
    let lastError = '';
    ws.on('upgrade', (res) => {
      const proof = res.headers[AUTH_HEADER.accept];
      acceptorProven = verifyAcceptance(secret, peer.id, self, nonce, typeof proof === 'string' ? proof : undefined);
    });
    ws.on('error', (err) => (lastError = err.message));
    ws.on('open', () => {
      if (this.pending !== ws) return;
      this.pending = null;
      if (!acceptorProven) {
        // Whoever answered does not hold the secret (or is not the node we meant): never use it.
        this.opts.count('authRejected', { reason: 'bad-acceptance' });
        this.opts.logger.warn({ peer: peer.id, url }, 'peer failed to prove the cluster secret: hanging up');
        ws.terminate();
        this.failed('acceptor not authenticated', true);
        return;
      }
      this.quietFailures = false;
      this.opts.opened(ws);
      this.send({ type: 'link.opened' });
    });
    ws.on('close', (code) => {
      if (this.pending !== ws) return;
      this.pending = null;
      this.failed(lastError || `closed before open (${code})`);
    });
  }

  private failed(why: string, alreadyLogged = false): void {
    if (!alreadyLogged) {
      const entry = { peer: this.opts.peer.id, why };
      if (this.quietFailures) this.opts.logger.debug(entry, 'peer dial failed');
      else this.opts.logger.warn(entry, 'peer dial failed (further failures logged at debug until the link opens)');
    }
    this.quietFailures = true;
    this.send({ type: 'link.failed' });
  }

  private hangUp(): void {
    const ws = this.pending;
    this.pending = null;
    ws?.terminate();
  }
}
