// The peer frame codec. A frame is one binary WebSocket message carrying a batch of messages:
//
//   bytes 0-3   "SPW" and the format version (1)
//   bytes 4-7   J, the byte length of the JSON part (unsigned, big-endian)
//   J bytes     {"from":"node1","msgs":[{"type":"peer.vote",...},[{"type":"peer.appendEntries",...},4]]}
//   the rest    raw UTF-8 strings lifted out of the JSON, back to back, in message order
//
// Why not plain JSON: an entry's `data` is itself a JSON document (a ledger command), and as a JSON
// string inside the frame every quote in it is escaped by the leader and unescaped by each follower,
// work proportional to the bytes on every replica. So the bulky strings travel as raw bytes: a
// message's own `data` (a forwarded proposal) and `chunk` (a snapshot chunk), and its entries'
// `data` when every entry has one. Such a message is sent split, as `[message, flags]`: each lifted
// string replaced in the message by its UTF-8 byte length, and `flags` saying which were lifted
// (bit 0 `data`, bit 1 `chunk`, bit 2 the entries' `data`), taken in that order, entries in order.
// Only well-formed strings qualify (a lone surrogate would not survive UTF-8; JSON escapes it), so
// anything else travels as plain JSON. Lengths are consumed in order, so slices cannot overlap or
// leave gaps, and the decoder delivers exactly the object that was sent.
//
// Batching is where throughput comes from (one frame per burst of sends to a peer, see channel.ts). Decoding trusts
// nothing: the frame must be within the size limit, carry the magic, have lengths that tile the
// frame exactly, be valid UTF-8, hold valid JSON naming the sender the link authenticated, and only
// objects whose `type` is a short `peer.*` string. Anything else is reported as a drop reason, never
// thrown, so a hostile or buggy peer cannot reach the core.
import { isUtf8 } from 'node:buffer';
import type { NodeId, PeerMessage } from '../../machines/types.ts';

export const MESSAGE_TYPE_LENGTH_MAX = 64;

const MAGIC = Buffer.from([0x53, 0x50, 0x57, 0x01]);
export const FRAME_HEADER_BYTES = 8;

export type FrameDropReason = 'text' | 'oversize' | 'malformed' | 'schema' | 'spoofed';

export type DecodeResult =
  | { readonly ok: true; readonly msgs: PeerMessage[] }
  | { readonly ok: false; readonly reason: FrameDropReason; readonly detail: string };

/** One message encoded once, at send time, ready to be placed in a frame. */
export interface EncodedMessage {
  /** The message's JSON (for a split message: `[message,flags]`, lifted strings as byte lengths). */
  readonly json: string;
  readonly jsonBytes: number;
  /** A split message's lifted strings, in frame order; empty for a plain one. */
  readonly blobs: readonly string[];
  readonly blobBytes: number;
  /** What the message adds to a frame: JSON, lifted strings and a separating comma (an upper bound). */
  readonly bytes: number;
}

const NO_BLOBS: readonly string[] = [];

/** Bytes a frame adds around its messages (the messages' `bytes` include their commas). */
export function frameOverheadBytes(from: NodeId): number {
  return FRAME_HEADER_BYTES + Buffer.byteLength(frameOpen(from)) + 2;
}

function frameOpen(from: NodeId): string {
  return `{"from":${JSON.stringify(from)},"msgs":[`;
}

function stringify(value: unknown): string {
  const text = JSON.stringify(value) as string | undefined;
  if (typeof text !== 'string') throw new TypeError('JSON.stringify produced nothing');
  return text;
}

/** Top-level string fields lifted out of the JSON, bit i of the flags for field i. */
const LIFTED_FIELDS = ['data', 'chunk'] as const;
const ENTRIES_FLAG = 1 << LIFTED_FIELDS.length;
const FLAGS_MAX = 2 * ENTRIES_FLAG - 1;

/**
 * Encode one message. Throws what JSON.stringify throws (a bigint, a cycle): that is a caller bug
 * the channel reports as `unencodable`.
 */
export function encodeMessage(message: PeerMessage): EncodedMessage {
  const split = isOwnPlainObject(message) ? splitMessage(message) : null;
  if (split !== null) return split;
  const json = stringify(message);
  const jsonBytes = Buffer.byteLength(json);
  return { json, jsonBytes, blobs: NO_BLOBS, blobBytes: 0, bytes: jsonBytes + 1 };
}

/** String.prototype.isWellFormed (Node 20) is newer than the project's TypeScript lib (ES2022). */
function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

function isOwnPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** The field as JSON would write it (own and enumerable), if it is a string that survives UTF-8. */
function liftable(obj: Record<string, unknown>, field: string): string | null {
  if (!Object.prototype.propertyIsEnumerable.call(obj, field)) return null;
  const v = obj[field];
  return typeof v === 'string' && isWellFormed(v) ? v : null;
}

/** The split form, or null when the message has nothing to lift. */
function splitMessage(message: Record<string, unknown>): EncodedMessage | null {
  let copy: Record<string, unknown> | null = null;
  let flags = 0;
  let blobs: string[] = [];
  let blobBytes = 0;
  for (let i = 0; i < LIFTED_FIELDS.length; i++) {
    const field = LIFTED_FIELDS[i] as string;
    const value = liftable(message, field);
    if (value === null) continue;
    const length = Buffer.byteLength(value);
    // Spreading keeps each field where it was among the keys, so the decoded object matches key for key.
    copy ??= { ...message };
    copy[field] = length;
    blobs.push(value);
    blobBytes += length;
    flags |= 1 << i;
  }
  const entries = message['entries'];
  if (Array.isArray(entries) && entries.length > 0) {
    const lifted = liftEntries(entries);
    if (lifted !== null) {
      copy ??= { ...message };
      copy['entries'] = lifted.stripped;
      blobs = blobs.length === 0 ? lifted.blobs : blobs.concat(lifted.blobs);
      blobBytes += lifted.blobBytes;
      flags |= ENTRIES_FLAG;
    }
  }
  if (copy === null) return null;
  const json = `[${stringify(copy)},${flags}]`;
  const jsonBytes = Buffer.byteLength(json);
  return { json, jsonBytes, blobs, blobBytes, bytes: jsonBytes + blobBytes + 1 };
}

/** Entries with `data` as byte lengths, or null unless every entry is a plain object with liftable data. */
function liftEntries(entries: readonly unknown[]): { stripped: unknown[]; blobs: string[]; blobBytes: number } | null {
  const stripped: unknown[] = new Array<unknown>(entries.length);
  const blobs: string[] = new Array<string>(entries.length);
  let blobBytes = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!isOwnPlainObject(e)) return null;
    const data = liftable(e, 'data');
    if (data === null) return null;
    const length = Buffer.byteLength(data);
    blobs[i] = data;
    blobBytes += length;
    stripped[i] = { ...e, data: length };
  }
  return { stripped, blobs, blobBytes };
}

/** The exact size of the frame assembleFrame builds from these messages. */
export function frameBytes(from: NodeId, msgs: readonly EncodedMessage[]): number {
  let total = frameOverheadBytes(from) - (msgs.length > 0 ? 1 : 0);
  for (const m of msgs) total += m.bytes;
  return total;
}

/** Lifted strings at least this long are written to the frame on their own. */
const WRITE_ALONE_CHARS = 8192;

/** Join already-encoded messages into one frame. */
export function assembleFrame(from: NodeId, msgs: readonly EncodedMessage[]): Buffer {
  const open = frameOpen(from);
  let jsonBytes = Buffer.byteLength(open) + 2 + Math.max(0, msgs.length - 1);
  let blobBytes = 0;
  const parts: string[] = new Array<string>(msgs.length);
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i] as EncodedMessage;
    parts[i] = m.json;
    jsonBytes += m.jsonBytes;
    blobBytes += m.blobBytes;
  }
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + jsonBytes + blobBytes);
  MAGIC.copy(buf, 0);
  buf.writeUInt32BE(jsonBytes, 4);
  // Each write is a call into C++: small strings are joined and written together, large ones
  // written on their own (joining would copy them once more).
  let offset = FRAME_HEADER_BYTES;
  let pending = `${open}${parts.join(',')}]}`;
  for (const m of msgs) {
    for (const blob of m.blobs) {
      if (blob.length < WRITE_ALONE_CHARS) {
        pending += blob;
        continue;
      }
      offset += buf.write(pending, offset, 'utf8');
      pending = '';
      offset += buf.write(blob, offset, 'utf8');
    }
  }
  if (pending.length > 0) buf.write(pending, offset, 'utf8');
  return buf;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isPeerMessage(v: unknown): v is PeerMessage {
  if (!isPlainObject(v)) return false;
  const t = v['type'];
  return typeof t === 'string' && t.startsWith('peer.') && t.length <= MESSAGE_TYPE_LENGTH_MAX;
}

function drop(reason: FrameDropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

function isContinuationByte(b: number | undefined): boolean {
  return b !== undefined && (b & 0xc0) === 0x80;
}

export function decodeFrame(buf: Buffer, expectedFrom: NodeId, bytesMax: number): DecodeResult {
  if (buf.length > bytesMax) return drop('oversize', `${buf.length} bytes`);
  if (buf.length < FRAME_HEADER_BYTES || MAGIC.compare(buf, 0, MAGIC.length) !== 0) return drop('malformed', 'not a SyncPay frame (bad magic)');
  const jsonEnd = FRAME_HEADER_BYTES + buf.readUInt32BE(4);
  if (jsonEnd > buf.length) return drop('malformed', 'JSON part overruns the frame');
  // The WebSocket layer skips UTF-8 validation (binary frames, skipUTF8Validation): it happens here.
  // The tail is checked as one run; each slice of it is then valid if none starts mid-character.
  if (!isUtf8(buf.subarray(FRAME_HEADER_BYTES, jsonEnd)) || !isUtf8(buf.subarray(jsonEnd))) return drop('malformed', 'not UTF-8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', FRAME_HEADER_BYTES, jsonEnd));
  } catch {
    return drop('malformed', 'not JSON');
  }
  if (!isPlainObject(parsed)) return drop('schema', 'frame is not an object');
  const from = parsed['from'];
  const msgs = parsed['msgs'];
  if (typeof from !== 'string') return drop('schema', '`from` is not a string');
  if (!Array.isArray(msgs)) return drop('schema', '`msgs` is not an array');
  if (from !== expectedFrom) return drop('spoofed', `claims ${JSON.stringify(from.slice(0, 64))}`);
  const tail = new Tail(buf, jsonEnd);
  for (let i = 0; i < msgs.length; i++) {
    const m: unknown = msgs[i];
    if (!Array.isArray(m)) {
      if (!isPeerMessage(m)) return drop('schema', `msgs[${i}] is not a peer.* message`);
      continue;
    }
    const inner: unknown = m[0];
    const flags: unknown = m[1];
    if (m.length !== 2 || !isPeerMessage(inner) || typeof flags !== 'number' || !Number.isInteger(flags) || flags < 1 || flags > FLAGS_MAX) {
      return drop('schema', `msgs[${i}] is not a split peer.* message`);
    }
    for (let f = 0; f < LIFTED_FIELDS.length; f++) {
      if ((flags & (1 << f)) === 0) continue;
      const field = LIFTED_FIELDS[f] as string;
      const value = tail.take(inner[field], i, field);
      if (typeof value !== 'string') return value;
      (inner as Record<string, unknown>)[field] = value;
    }
    if ((flags & ENTRIES_FLAG) !== 0) {
      const entries = inner['entries'];
      if (!Array.isArray(entries) || entries.length === 0) return drop('schema', `msgs[${i}] is split but has no entries`);
      for (let j = 0; j < entries.length; j++) {
        const e: unknown = entries[j];
        if (!isPlainObject(e)) return drop('schema', `msgs[${i}].entries[${j}] is not an object`);
        const value = tail.take(e['data'], i, 'entries', j);
        if (typeof value !== 'string') return value;
        e['data'] = value;
      }
    }
    msgs[i] = inner;
  }
  if (tail.offset !== buf.length) return drop('malformed', `${buf.length - tail.offset} bytes after the last lifted string`);
  return { ok: true, msgs: msgs as PeerMessage[] };
}

// A plain function, not a closure made per call: tsx names every arrow function it creates, which
// costs more than the decoding around it.
function describe(msg: number, field: string, entry: number | undefined): string {
  return entry === undefined ? `msgs[${msg}].${field}` : `msgs[${msg}].entries[${entry}].data`;
}

/** Hands out the frame's lifted strings in order; a bad length is a drop reason. */
class Tail {
  constructor(
    private readonly buf: Buffer,
    public offset: number,
  ) {}

  /** The next `length` bytes as a string; `msg`, `field` and `entry` only name it in a drop reason. */
  take(length: unknown, msg: number, field: string, entry?: number): string | DecodeResult {
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) return drop('schema', `${describe(msg, field, entry)} is not a byte length`);
    if (length > this.buf.length - this.offset) return drop('malformed', `${describe(msg, field, entry)} overruns the frame`);
    // The whole tail is valid UTF-8, so slices that start on a character boundary are too.
    if (length > 0 && isContinuationByte(this.buf[this.offset])) return drop('malformed', `${describe(msg, field, entry)} starts mid-character`);
    const text = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return text;
  }
}
