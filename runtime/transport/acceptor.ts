// The accepting side of peer links: an HTTP server on this node's peer port whose only business
// is WebSocket upgrades. Authentication happens in the server's 'upgrade' event, before ws sees
// the request (ws's verifyClient is deprecated and cannot bind an identity cleanly): a refused
// upgrade gets a bare 401 and a destroyed socket, plus exactly one warn line naming the remote
// address and the reason (never the secret or the signature). Only nodes with a smaller id may
// dial us (the pair rule that keeps one socket per pair), so a larger id dialling in is refused.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../actors/ports.ts';
import type { Config } from '../../machines/config.ts';
import type { NodeId } from '../../machines/types.ts';
import { AUTH_HEADER, NonceCache, readClaim, signAcceptance, verifyHandshake, type AuthRejectReason } from './auth.ts';
import type { CountFn } from './counters.ts';
import { PEER_SOCKET_OPTIONS } from './socket-options.ts';

export type RefusalReason = AuthRejectReason | 'wrong-direction' | 'closing';

export interface AcceptorOptions {
  readonly self: NodeId;
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly knownNodes: ReadonlySet<NodeId>;
  readonly link: Config['link'];
  readonly logger: Logger;
  readonly count: CountFn;
  /** Wall clock, ms: compared with the dialler's timestamp. */
  readonly now: () => number;
  /** Called with each authenticated, open socket. */
  readonly accepted: (from: NodeId, socket: WebSocket) => void;
}

export class Acceptor {
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly nonces: NonceCache;
  /** The acceptance proof to send back, per request being upgraded. */
  private readonly acceptProofs = new WeakMap<IncomingMessage, string>();
  private closing = false;

  constructor(private readonly opts: AcceptorOptions) {
    this.nonces = new NonceCache(2 * opts.link.authSkewMsMax, opts.link.authNonceEntriesMax);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: opts.link.messageBytesMax,
      ...PEER_SOCKET_OPTIONS,
    });
    this.wss.on('headers', (headers, req) => {
      const proof = this.acceptProofs.get(req);
      if (proof !== undefined) headers.push(`X-Syncpay-Accept: ${proof}`);
    });
    this.server = createServer({ connectionsCheckingInterval: Math.min(1000, opts.link.handshakeTimeoutMs) }, (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('peer port: WebSocket upgrade required\n');
    });
    // A dialler that opens TCP and never finishes its request must not hold a slot for long.
    this.server.headersTimeout = opts.link.handshakeTimeoutMs;
    this.server.requestTimeout = opts.link.handshakeTimeoutMs;
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Bind; resolves with the bound port (useful when asked for port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      // Closed while binding: Node then never emits 'listening', so settle here instead.
      const onClose = () => reject(new Error('SYNCPAY_ERR_TRANSPORT: peer server closed while binding'));
      this.server.once('error', onError);
      this.server.once('close', onClose);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', onError);
        this.server.off('close', onClose);
        this.server.on('error', (err) => this.opts.logger.error({ err: err.message }, 'peer server error'));
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : this.opts.port);
      });
    });
  }

  /** Stop accepting. Open links are the transport's to close; this closes the listener. */
  close(): Promise<void> {
    this.closing = true;
    this.wss.close();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  /** Force any connection still attached to the server closed (after links were closed). */
  closeAllConnections(): void {
    this.server.closeAllConnections();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const onEarlyError = (err: Error) => this.opts.logger.debug({ err: err.message }, 'peer upgrade socket error');
    socket.on('error', onEarlyError);
    if (this.closing) return this.refuse(req, socket, 'closing');
    const claim = readClaim(req.headers);
    const verdict = verifyHandshake(claim, {
      secret: this.opts.secret,
      self: this.opts.self,
      knownNodes: this.opts.knownNodes,
      now: this.opts.now(),
      skewMsMax: this.opts.link.authSkewMsMax,
      nonces: this.nonces,
    });
    if (!verdict.ok) return this.refuse(req, socket, verdict.reason);
    const from = verdict.from;
    if (!(from < this.opts.self)) return this.refuse(req, socket, 'wrong-direction');
    // verifyHandshake guarantees the nonce header is present and well formed.
    this.acceptProofs.set(req, signAcceptance(this.opts.secret, this.opts.self, from, claim.nonce ?? ''));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', onEarlyError);
      if (this.closing) {
        ws.terminate();
        return;
      }
      this.opts.accepted(from, ws);
    });
  }

  private refuse(req: IncomingMessage, socket: Duplex, reason: RefusalReason): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    // The claimed id is attacker-controlled text: log a bounded slice of it, and nothing else sent.
    const claimed = req.headers[AUTH_HEADER.node];
    this.opts.count('authRejected', { reason });
    this.opts.logger.warn(
      { remote, reason, claimedNode: typeof claimed === 'string' ? claimed.slice(0, 64) : undefined },
      'peer handshake refused',
    );
    if (socket.writable) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
      // end() waits for the write; a peer that never reads must not keep the socket alive.
      const timer = setTimeout(() => socket.destroy(), 1000);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    } else {
      socket.destroy();
    }
  }
}
