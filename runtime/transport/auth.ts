// Peer authentication at the WebSocket upgrade, as pure rules plus one bounded nonce cache.
//
// Protocol (v1). The dialling node sends four headers with its HTTP upgrade request:
//   x-syncpay-node       its node id
//   x-syncpay-timestamp  its wall clock in ms since the epoch (decimal)
//   x-syncpay-nonce      16-64 url-safe random characters, fresh per attempt
//   x-syncpay-signature  hex HMAC-SHA256, keyed by the cluster secret, over
//                        "syncpay-link-v1\n<from>\n<to>\n<timestamp>\n<nonce>"
// `to` (the node being dialled) is inside the signature so a handshake captured on its way to one
// node cannot be replayed at another. The acceptor refuses unknown ids, its own id, timestamps
// further than the skew bound from its clock, bad signatures (constant-time comparison), and any
// nonce it has already accepted within the replay window. Nonces are remembered only after the
// signature checks out, so an unauthenticated caller cannot fill the cache; when the cache is full
// new handshakes are refused rather than letting it grow.
//
// The acceptor answers a good handshake with x-syncpay-accept: a HMAC over
// "syncpay-link-v1-accept\n<acceptor>\n<dialler>\n<dialler's nonce>", which proves to the dialler
// that it reached a holder of the secret (mutual authentication without a second round trip).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { NodeId } from '../../machines/types.ts';

export const AUTH_HEADER = {
  node: 'x-syncpay-node',
  timestamp: 'x-syncpay-timestamp',
  nonce: 'x-syncpay-nonce',
  signature: 'x-syncpay-signature',
  accept: 'x-syncpay-accept',
} as const;

const DOMAIN = 'syncpay-link-v1';
const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
const TIMESTAMP_PATTERN = /^\d{1,16}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

export type AuthRejectReason =
  | 'missing-headers'
  | 'malformed-headers'
  | 'unknown-node'
  | 'self'
  | 'stale-timestamp'
  | 'bad-signature'
  | 'replayed-nonce'
  | 'nonce-cache-full';

export type VerifyResult = { readonly ok: true; readonly from: NodeId } | { readonly ok: false; readonly reason: AuthRejectReason };

/** What a dialler claims, as read from its headers (any of them may be absent). */
export interface HandshakeClaim {
  readonly node?: string | undefined;
  readonly timestamp?: string | undefined;
  readonly nonce?: string | undefined;
  readonly signature?: string | undefined;
}

export interface VerifyContext {
  readonly secret: string;
  readonly self: NodeId;
  readonly knownNodes: ReadonlySet<NodeId>;
  /** The acceptor's wall clock, ms. */
  readonly now: number;
  readonly skewMsMax: number;
  readonly nonces: NonceCache;
}

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** Constant-time equality of two hex digests of the same length (callers check the shape first). */
function sameDigest(aHex: string, bHex: string): boolean {
  const a = Buffer.from(aHex, 'hex');
  const b = Buffer.from(bHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function signHandshake(secret: string, from: NodeId, to: NodeId, timestamp: number, nonce: string): string {
  return hmacHex(secret, `${DOMAIN}\n${from}\n${to}\n${timestamp}\n${nonce}`);
}

export function signAcceptance(secret: string, acceptor: NodeId, dialler: NodeId, diallerNonce: string): string {
  return hmacHex(secret, `${DOMAIN}-accept\n${acceptor}\n${dialler}\n${diallerNonce}`);
}

export function verifyAcceptance(
  secret: string,
  acceptor: NodeId,
  dialler: NodeId,
  diallerNonce: string,
  signature: string | undefined,
): boolean {
  if (signature === undefined || !SIGNATURE_PATTERN.test(signature)) return false;
  return sameDigest(signAcceptance(secret, acceptor, dialler, diallerNonce), signature);
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The headers a dialler sends to reach `to`. */
export function handshakeHeaders(
  secret: string,
  from: NodeId,
  to: NodeId,
  timestamp: number,
  nonce: string,
): Record<string, string> {
  return {
    [AUTH_HEADER.node]: from,
    [AUTH_HEADER.timestamp]: String(timestamp),
    [AUTH_HEADER.nonce]: nonce,
    [AUTH_HEADER.signature]: signHandshake(secret, from, to, timestamp, nonce),
  };
}

/** Repeated headers arrive as arrays; a claim must carry each exactly once, so arrays count as absent. */
export function readClaim(headers: IncomingHttpHeaders): HandshakeClaim {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return {
    node: one(AUTH_HEADER.node),
    timestamp: one(AUTH_HEADER.timestamp),
    nonce: one(AUTH_HEADER.nonce),
    signature: one(AUTH_HEADER.signature),
  };
}

/**
 * Decide a handshake. Cheap checks come first; the nonce is recorded last, and only for a
 * handshake that is otherwise good, so refused attempts leave no trace in the cache.
 */
export function verifyHandshake(claim: HandshakeClaim, ctx: VerifyContext): VerifyResult {
  const { node, timestamp, nonce, signature } = claim;
  if (node === undefined || timestamp === undefined || nonce === undefined || signature === undefined) {
    return { ok: false, reason: 'missing-headers' };
  }
  if (!TIMESTAMP_PATTERN.test(timestamp) || !NONCE_PATTERN.test(nonce) || !SIGNATURE_PATTERN.test(signature)) {
    return { ok: false, reason: 'malformed-headers' };
  }
  if (!ctx.knownNodes.has(node)) return { ok: false, reason: 'unknown-node' };
  if (node === ctx.self) return { ok: false, reason: 'self' };
  const ts = Number(timestamp);
  if (Math.abs(ctx.now - ts) > ctx.skewMsMax) return { ok: false, reason: 'stale-timestamp' };
  if (!sameDigest(signHandshake(ctx.secret, node, ctx.self, ts, nonce), signature)) {
    return { ok: false, reason: 'bad-signature' };
  }
  const admitted = ctx.nonces.admit(`${node}\n${nonce}`, ctx.now);
  if (admitted === 'replayed') return { ok: false, reason: 'replayed-nonce' };
  if (admitted === 'full') return { ok: false, reason: 'nonce-cache-full' };
  return { ok: true, from: node };
}

/**
 * Nonces accepted recently. An entry lives for `ttlMs` (twice the skew bound: any replay of it
 * would by then fail the timestamp check anyway). Insertion order approximates expiry order, so
 * sweeping from the front is cheap; a wall-clock jump only delays a sweep, and the size cap holds.
 */
export class NonceCache {
  private readonly expiresAt = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly entriesMax: number,
  ) {}

  get size(): number {
    return this.expiresAt.size;
  }

  admit(key: string, now: number): 'ok' | 'replayed' | 'full' {
    this.sweep(now);
    const seenUntil = this.expiresAt.get(key);
    if (seenUntil !== undefined && seenUntil > now) return 'replayed';
    if (seenUntil === undefined && this.expiresAt.size >= this.entriesMax) return 'full';
    this.expiresAt.delete(key);
    this.expiresAt.set(key, now + this.ttlMs);
    return 'ok';
  }

  private sweep(now: number): void {
    for (const [key, until] of this.expiresAt) {
      if (until > now) break;
      this.expiresAt.delete(key);
    }
  }
}
