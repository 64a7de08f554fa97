// The peer frame codec. A frame is one WebSocket text message carrying a batch of messages:
//   {"from":"node1","msgs":[{"type":"peer.appendEntries",...},{"type":"peer.vote",...}]}
// Batching is where throughput comes from (one frame per peer per event-loop turn), and JSON keeps
// the wire readable. Decoding trusts nothing: a frame must be valid JSON, name the sender the link
// authenticated, and hold only objects whose `type` is a short `peer.*` string. Anything else is
// reported as a drop reason, never thrown, so a hostile or buggy peer cannot reach the core.
import type { NodeId, PeerMessage } from '../../machines/types.ts';

export const MESSAGE_TYPE_LENGTH_MAX = 64;

export type FrameDropReason = 'binary' | 'oversize' | 'malformed' | 'schema' | 'spoofed';

export type DecodeResult =
  | { readonly ok: true; readonly msgs: PeerMessage[] }
  | { readonly ok: false; readonly reason: FrameDropReason; readonly detail: string };

/** Bytes a frame adds around its messages, plus one comma per message (an upper bound). */
export function frameOverheadBytes(from: NodeId): number {
  return Buffer.byteLength(frameOpen(from)) + 2;
}

function frameOpen(from: NodeId): string {
  return `{"from":${JSON.stringify(from)},"msgs":[`;
}

/** Join already-encoded messages into one frame (messages are encoded once, at send time). */
export function assembleFrame(from: NodeId, encodedMsgs: readonly string[]): string {
  return `${frameOpen(from)}${encodedMsgs.join(',')}]}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isPeerMessage(v: unknown): v is PeerMessage {
  if (!isPlainObject(v)) return false;
  const t = v['type'];
  return typeof t === 'string' && t.startsWith('peer.') && t.length <= MESSAGE_TYPE_LENGTH_MAX;
}

/** `bytes` is the frame's size when the caller already knows it (the received buffer's length). */
export function decodeFrame(text: string, expectedFrom: NodeId, bytesMax: number, bytes = Buffer.byteLength(text)): DecodeResult {
  if (bytes > bytesMax) return { ok: false, reason: 'oversize', detail: `${bytes} bytes` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'malformed', detail: 'not JSON' };
  }
  if (!isPlainObject(parsed)) return { ok: false, reason: 'schema', detail: 'frame is not an object' };
  const from = parsed['from'];
  const msgs = parsed['msgs'];
  if (typeof from !== 'string') return { ok: false, reason: 'schema', detail: '`from` is not a string' };
  if (!Array.isArray(msgs)) return { ok: false, reason: 'schema', detail: '`msgs` is not an array' };
  if (from !== expectedFrom) return { ok: false, reason: 'spoofed', detail: `claims ${JSON.stringify(from.slice(0, 64))}` };
  for (let i = 0; i < msgs.length; i++) {
    if (!isPeerMessage(msgs[i])) return { ok: false, reason: 'schema', detail: `msgs[${i}] is not a peer.* message` };
  }
  return { ok: true, msgs: msgs as PeerMessage[] };
}
