// One authenticated, open WebSocket to one peer, whichever side dialled it. The channel owns what
// happens on a live link: batching sends into frames, the bounded send buffer, decoding and
// validating incoming frames, and liveness (ping each interval; a peer that did not pong since the
// previous ping is terminated, because close() would wait 30 s for a peer that is not listening).
// It never outlives its socket: when the socket closes, the channel is dead and the transport
// builds a new one for the next socket.
//
// Batching: a socket write costs a syscall and a wake-up of the peer, far more than the bytes, and
// under load messages to a peer come from many separate callbacks of one event-loop turn (client
// requests, fsync completions, timers). The first burst of a turn leaves as one frame when its
// callback ends (a microtask), so a lone message waits for nothing; whatever later callbacks of the
// same turn send is held and written as one frame when the turn's I/O is done (setImmediate).
// Holding every burst to the end of the turn saved about a fifth of the frames in a benchmark but
// delayed each message by the rest of its turn: 1-7 ms at the median and over 100 ms at p99 on a
// loaded machine, a bad trade now that the consensus loop already sends one append per follower
// per turn. A queue that reaches coalesceBytesMax is written at once, so large entries start
// moving without waiting and no frame grows past what the peer accepts. One FIFO queue per link
// keeps message order whichever flush writes a message.
import type { WebSocket } from 'ws';
import type { Logger } from '../../actors/ports.ts';
import type { NodeId, PeerMessage } from '../../machines/types.ts';
import { assembleFrame, decodeFrame, encodeMessage, frameOverheadBytes, isPeerMessage, type EncodedMessage, type FrameDropReason } from './frame.ts';
import type { CountFn } from './counters.ts';

const OPEN = 1;
const CLOSE_WAIT_MS = 1000;

export interface ChannelOptions {
  readonly self: NodeId;
  readonly peer: NodeId;
  readonly socket: WebSocket;
  readonly messageBytesMax: number;
  readonly sendBufferBytesMax: number;
  /** Queued bytes at which the channel writes at once instead of at the end of the turn. */
  readonly coalesceBytesMax: number;
  readonly pingIntervalMs: number;
  readonly logger: Logger;
  readonly count: CountFn;
  /** Called with each valid frame's messages, in order. */
  readonly deliver: (msgs: readonly PeerMessage[]) => void;
  /** Called once, when the socket has closed (for any reason). */
  readonly closed: (code: number) => void;
}

export type SendDropReason = 'send-buffer-full' | 'oversize' | 'unencodable' | 'schema' | 'link-down';

export class PeerChannel {
  private readonly socket: WebSocket;
  private readonly overhead: number;
  private queue: EncodedMessage[] = [];
  /** Encoded size of the queued messages (lifted strings and a comma each), measured once in send(). */
  private queuedBytes = 0;
  private microtaskQueued = false;
  /** Set once a frame was written this turn: later sends of the turn wait for it to fire. */
  private turnTimer: NodeJS.Immediate | null = null;
  /** Queued bytes (frame overhead included) that trigger an immediate write. */
  private readonly writeNowBytes: number;
  private isClosed = false;
  private pongSeen = true;
  /** True while sends are being refused for a full buffer: one warn per episode, not per message. */
  private saturated = false;
  private readonly pingTimer: NodeJS.Timeout;
  private readonly closedPromise: Promise<void>;

  constructor(private readonly opts: ChannelOptions) {
    this.socket = opts.socket;
    this.overhead = frameOverheadBytes(opts.self);
    this.writeNowBytes = Math.max(1, Math.min(opts.coalesceBytesMax, opts.messageBytesMax));
    let markClosed!: () => void;
    this.closedPromise = new Promise((resolve) => (markClosed = resolve));
    this.socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    this.socket.on('pong', () => (this.pongSeen = true));
    this.socket.on('error', (err: Error & { code?: string }) => this.socketError(err));
    this.socket.on('close', (code, reason) => {
      this.isClosed = true;
      clearInterval(this.pingTimer);
      this.cancelFlush();
      this.queue = [];
      this.queuedBytes = 0;
      if (code === 1009) {
        this.opts.logger.warn({ peer: opts.peer, code }, 'link closed: a frame exceeded the message size limit');
      } else {
        this.opts.logger.info({ peer: opts.peer, code, reason: reason.toString('utf8').slice(0, 120) }, 'link closed');
      }
      markClosed();
      this.opts.closed(code);
    });
    this.pingTimer = setInterval(() => this.pingTick(), opts.pingIntervalMs);
    this.pingTimer.unref();
  }

  get open(): boolean {
    return !this.isClosed && this.socket.readyState === OPEN;
  }

  /** Queue one message for this turn's flush. False (and counted) when it is dropped. */
  send(message: PeerMessage): boolean {
    if (!this.open) return this.drop('link-down');
    if (!isPeerMessage(message)) {
      // The receiver would refuse the whole frame, taking good messages of the batch with it.
      this.opts.logger.error({ peer: this.opts.peer, type: String((message as { type?: unknown }).type).slice(0, 80) }, 'not a peer.* message: dropped');
      return this.drop('schema');
    }
    let encoded: EncodedMessage;
    try {
      encoded = encodeMessage(message);
    } catch (err) {
      // A message that cannot be encoded (a bigint, a cycle) is a caller bug: say so loudly.
      this.opts.logger.error({ peer: this.opts.peer, type: message.type, err: String(err) }, 'peer message not encodable');
      return this.drop('unencodable');
    }
    const bytes = encoded.bytes;
    if (bytes + this.overhead > this.opts.messageBytesMax) {
      this.opts.logger.warn({ peer: this.opts.peer, type: message.type, bytes }, 'peer message larger than messageBytesMax: dropped');
      return this.drop('oversize');
    }
    if (this.socket.bufferedAmount + this.queuedBytes + bytes > this.opts.sendBufferBytesMax) {
      if (!this.saturated) {
        this.saturated = true;
        this.opts.logger.warn(
          { peer: this.opts.peer, bufferedBytes: this.socket.bufferedAmount + this.queuedBytes },
          'send buffer full: dropping messages to this peer',
        );
      }
      return this.drop('send-buffer-full');
    }
    this.saturated = false;
    // A frame never outgrows the peer's maxPayload: what is queued leaves first if this would not fit.
    if (this.queuedBytes > 0 && this.overhead + this.queuedBytes + bytes > this.opts.messageBytesMax) this.writeQueued();
    this.queue.push(encoded);
    this.queuedBytes += bytes;
    if (this.queuedBytes + this.overhead >= this.writeNowBytes) this.writeQueued();
    else if (this.turnTimer === null && !this.microtaskQueued) {
      this.microtaskQueued = true;
      queueMicrotask(() => {
        this.microtaskQueued = false;
        this.endOfBurst();
      });
    }
    return true;
  }

  /** Close politely; terminate if the peer has not completed the close within a second. */
  close(): Promise<void> {
    if (!this.isClosed) {
      clearInterval(this.pingTimer);
      this.socket.close(1001, 'node shutting down');
      const timer = setTimeout(() => this.socket.terminate(), CLOSE_WAIT_MS);
      timer.unref();
      void this.closedPromise.then(() => clearTimeout(timer));
    }
    return this.closedPromise;
  }

  /** Drop the socket at once (a replaced or dead link). */
  terminate(): void {
    this.socket.terminate();
  }

  private drop(reason: SendDropReason): false {
    this.opts.count('framesDropped', { peer: this.opts.peer, reason, direction: 'out' });
    return false;
  }

  private cancelFlush(): void {
    if (this.turnTimer !== null) clearImmediate(this.turnTimer);
    this.turnTimer = null;
  }

  /** A callback's sends are done: write them, and let the rest of the turn coalesce. */
  private endOfBurst(): void {
    if (this.queue.length === 0) return;
    this.writeQueued();
    if (this.turnTimer === null && this.open) {
      this.turnTimer = setImmediate(() => {
        this.turnTimer = null;
        this.writeQueued();
      });
    }
  }

  /** One frame of everything queued (send() keeps it within messageBytesMax). */
  private writeQueued(): void {
    const pending = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.open || pending.length === 0) return;
    // The callback swallows write errors: the 'close' event that follows is what reports them.
    this.socket.send(assembleFrame(this.opts.self, pending), () => {});
  }

  private receive(data: unknown, isBinary: boolean): void {
    // Text frames are the previous wire format (or garbage): every node of a cluster runs one version.
    if (!isBinary) return this.dropIncoming('text', 'text frame (not the binary peer format)');
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(data as ArrayBuffer);
    const decoded = decodeFrame(buf, this.opts.peer, this.opts.messageBytesMax);
    if (!decoded.ok) return this.dropIncoming(decoded.reason, decoded.detail);
    this.opts.deliver(decoded.msgs);
  }

  private dropIncoming(reason: FrameDropReason | 'protocol', detail: string): void {
    this.opts.count('framesDropped', { peer: this.opts.peer, reason, direction: 'in' });
    this.opts.logger.warn({ peer: this.opts.peer, reason, detail }, 'peer frame dropped');
  }

  private socketError(err: Error & { code?: string }): void {
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      // ws refuses the frame and closes with 1009; the dialler reconnects.
      this.dropIncoming('oversize', 'frame exceeds maxPayload; closing link (1009)');
      return;
    }
    if (err.code?.startsWith('WS_ERR_')) {
      // A WebSocket protocol violation (bad opcode, unmasked client frame, ...): ws closes the link.
      this.dropIncoming('protocol', `${err.code}; closing link`);
      return;
    }
    this.opts.logger.warn({ peer: this.opts.peer, code: err.code, err: err.message }, 'peer socket error');
  }

  private pingTick(): void {
    if (this.isClosed) return;
    if (!this.pongSeen) {
      this.opts.logger.warn({ peer: this.opts.peer, pingIntervalMs: this.opts.pingIntervalMs }, 'peer missed a pong: terminating link');
      this.socket.terminate();
      return;
    }
    this.pongSeen = false;
    try {
      this.socket.ping();
    } catch {
      // Not open any more: the close event is on its way.
    }
  }
}
