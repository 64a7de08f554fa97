// The byte layout of one log record, and the hash chain that links records together.
//
//   offset 0   u32  payload length (big-endian)
//   offset 4   u32  CRC-32C over bytes [0,4) and [8,end): the length, the chain link and the payload
//   offset 8   16B  chain link: the hash of the previous record
//   offset 24  payload: u64 index, u64 term, u8 kind, u16 hlc length, hlc (UTF-8),
//                       u32 data length, data (UTF-8)
//
// A record's own hash is the first 16 bytes of SHA-256 over bytes [8,end), i.e. over its link and
// payload, so each hash commits to the whole history before it. The CRC catches torn writes and
// bit rot cheaply; the chain catches what a CRC cannot: a record that is intact but out of place
// (a lost segment, a stale file, a log that was spliced).
import { createHash, hash as oneShotHash } from 'node:crypto';
import type { LogEntry } from '../../machines/types.ts';
import { crc32c } from './crc32c.ts';

export const HASH_BYTES = 16;
export const RECORD_HEADER_BYTES = 4 + 4 + HASH_BYTES;
/** Index, term, kind, hlc length and data length: the payload without its two strings. */
export const PAYLOAD_FIXED_BYTES = 8 + 8 + 1 + 2 + 4;
/** The link of the first record of a log that starts at index 1 (no snapshot). */
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

const KIND_CODES = { noop: 0, command: 1 } as const;
const KINDS = ['noop', 'command'] as const;

export function hashBytes(...parts: Uint8Array[]): Buffer {
  // One part (every record) takes the one-shot hash: half the cost of a Hash object per record.
  if (parts.length === 1) return oneShotHash('sha256', parts[0]!, 'buffer').subarray(0, HASH_BYTES);
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, HASH_BYTES);
}

export interface EncodedRecord {
  readonly bytes: Buffer;
  /** This record's hash: the link the next record must carry. */
  readonly hash: Buffer;
}

export function encodeRecord(entry: LogEntry, prevHash: Uint8Array): EncodedRecord {
  if (!Number.isSafeInteger(entry.index) || entry.index < 1) throw new RangeError(`bad log index ${entry.index}`);
  if (!Number.isSafeInteger(entry.term) || entry.term < 0) throw new RangeError(`bad term ${entry.term} at index ${entry.index}`);
  const kind = KIND_CODES[entry.kind];
  if (kind === undefined) throw new RangeError(`bad entry kind ${String(entry.kind)} at index ${entry.index}`);
  const hlcLength = Buffer.byteLength(entry.hlc, 'utf8');
  if (hlcLength > 0xffff) throw new RangeError(`hlc of entry ${entry.index} is longer than 65535 bytes`);
  const dataLength = Buffer.byteLength(entry.data, 'utf8');
  const payloadLength = PAYLOAD_FIXED_BYTES + hlcLength + dataLength;
  if (payloadLength > 0xffffffff) throw new RangeError(`entry ${entry.index} is too large to store`);

  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadLength);
  buf.writeUInt32BE(payloadLength, 0);
  buf.set(prevHash, 8);
  let o = RECORD_HEADER_BYTES;
  buf.writeBigUInt64BE(BigInt(entry.index), o);
  buf.writeBigUInt64BE(BigInt(entry.term), o + 8);
  buf.writeUInt8(kind, o + 16);
  buf.writeUInt16BE(hlcLength, o + 17);
  o += 19;
  o += buf.write(entry.hlc, o, 'utf8');
  buf.writeUInt32BE(dataLength, o);
  o += 4;
  buf.write(entry.data, o, 'utf8');
  buf.writeUInt32BE(recordCrc(buf, 0, buf.length), 4);
  return { bytes: buf, hash: hashBytes(buf.subarray(8)) };
}

function recordCrc(buf: Buffer, start: number, end: number): number {
  return crc32c(buf.subarray(start + 8, end), crc32c(buf.subarray(start, start + 4)));
}

/** Why the bytes at an offset are not a record. `payload` means the CRC matched but the payload
 *  does not parse: never a torn write, always corruption (or a bug). */
export type RecordFault = 'short-header' | 'bad-length' | 'past-end' | 'crc' | 'payload';

export type RecordRead =
  | { readonly ok: true; readonly entry: LogEntry; readonly prevHash: Buffer; readonly hash: Buffer; readonly end: number }
  | { readonly ok: false; readonly fault: RecordFault };

/** True when a whole record with a matching CRC starts at `offset` (the payload is not parsed). */
export function checksumMatchesAt(buf: Buffer, offset: number): boolean {
  if (buf.length - offset < RECORD_HEADER_BYTES) return false;
  const length = buf.readUInt32BE(offset);
  if (length < PAYLOAD_FIXED_BYTES) return false;
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return false;
  return recordCrc(buf, offset, end) === buf.readUInt32BE(offset + 4);
}

/** Decodes and checks the record at `offset`, and computes its hash. */
export function decodeRecordAt(buf: Buffer, offset: number): RecordRead {
  if (buf.length - offset < RECORD_HEADER_BYTES) return { ok: false, fault: 'short-header' };
  const length = buf.readUInt32BE(offset);
  if (length < PAYLOAD_FIXED_BYTES) return { ok: false, fault: 'bad-length' };
  const end = offset + RECORD_HEADER_BYTES + length;
  if (end > buf.length) return { ok: false, fault: 'past-end' };
  if (recordCrc(buf, offset, end) !== buf.readUInt32BE(offset + 4)) return { ok: false, fault: 'crc' };

  let o = offset + RECORD_HEADER_BYTES;
  const index = Number(buf.readBigUInt64BE(o));
  const term = Number(buf.readBigUInt64BE(o + 8));
  const kind = KINDS[buf.readUInt8(o + 16)];
  const hlcLength = buf.readUInt16BE(o + 17);
  o += 19;
  if (kind === undefined || !Number.isSafeInteger(index) || !Number.isSafeInteger(term) || o + hlcLength + 4 > end) {
    return { ok: false, fault: 'payload' };
  }
  const hlc = buf.toString('utf8', o, o + hlcLength);
  o += hlcLength;
  const dataLength = buf.readUInt32BE(o);
  o += 4;
  if (o + dataLength !== end) return { ok: false, fault: 'payload' };
  const data = buf.toString('utf8', o, end);
  const prevHash = Buffer.from(buf.subarray(offset + 8, offset + RECORD_HEADER_BYTES));
  const hash = hashBytes(buf.subarray(offset + 8, end));
  return { ok: true, entry: { index, term, kind, hlc, data }, prevHash, hash, end };
}
