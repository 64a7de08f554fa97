// Snapshot files: `snapshot-<index>.snap`, each holding the snapshot's meta, the ledger's data and
// the chain hash that the log entry after the snapshot must link to.
//
//   offset 0   4B   magic "SPSN"
//   offset 4   u32  CRC-32C over bytes [8,end)
//   offset 8   u64  index      offset 16  u64  term
//   offset 24  16B  chain hash offset 40  u32  data length   offset 44  data (UTF-8)
//
// The chain hash is the hash of the log record at `index` when the log held that entry, or a hash
// of the snapshot itself when the snapshot replaced the log; either way recovery can check that
// the surviving log really continues this snapshot.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotMeta } from '../../machines/types.ts';
import type { Logger } from '../../actors/ports.ts';
import { crc32c } from './crc32c.ts';
import { writeFileAtomicallyWith, type PositionedWrite } from './durable-fs.ts';
import { parseSnapshotFileName, snapshotFileName } from './file-names.ts';
import { HASH_BYTES, hashBytes } from './record-codec.ts';

const MAGIC = Buffer.from('SPSN', 'ascii');
const HEADER_BYTES = 44;

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: string;
  readonly chainHash: Buffer;
  readonly file: string;
}

/** The link for the first entry after a snapshot that replaced the whole log. */
export function snapshotContentHash(meta: SnapshotMeta, data: string): Buffer {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(BigInt(meta.index), 0);
  head.writeBigUInt64BE(BigInt(meta.term), 8);
  return hashBytes(Buffer.from('snapshot'), head, Buffer.from(data, 'utf8'));
}

export function encodeSnapshot(meta: SnapshotMeta, data: string, chainHash: Uint8Array): Buffer {
  const header = snapshotHeader(meta, data, chainHash);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + header.readUInt32BE(40));
  header.copy(buf, 0);
  buf.write(data, HEADER_BYTES, 'utf8');
  buf.writeUInt32BE(crc32c(buf.subarray(8)), 4);
  return buf;
}

/** Characters encoded, checksummed and written between two yields: a few milliseconds of work. */
const SLICE_CHARS = 1 << 20;
/** A slice's UTF-8 can take up to three bytes per UTF-16 unit. */
const SLICE_BYTES_MAX = 3 * SLICE_CHARS;

/**
 * Writes the bytes `encodeSnapshot` makes through `write`, a slice at a time with `pause()`
 * awaited in between, the header (whose checksum covers everything after it) last.
 * Encoding and checksumming a ledger of millions of transfers takes hundreds of milliseconds of
 * main-thread time (about 4 ms per MB here); done in one go, that silence is as long as an
 * election timeout and a leader taking a snapshot under load would lose its leadership. And the
 * file never exists in memory as one buffer: a buffer of hundreds of MB, counted by V8 as external
 * memory, forces a full garbage collection of the heap on every node at every snapshot.
 */
export async function writeSnapshotInSlices(write: PositionedWrite, meta: SnapshotMeta, data: string, chainHash: Uint8Array, pause: () => Promise<void>): Promise<void> {
  const header = snapshotHeader(meta, data, chainHash);
  const dataBytes = header.readUInt32BE(40);
  let crc = crc32c(header.subarray(8));
  const chunk = Buffer.allocUnsafe(Math.min(SLICE_BYTES_MAX, Math.max(1, dataBytes)));
  let position = HEADER_BYTES;
  for (let start = 0; start < data.length; ) {
    let end = Math.min(data.length, start + SLICE_CHARS);
    // Never split a surrogate pair: each half alone would encode as a replacement character.
    const last = data.charCodeAt(end - 1);
    if (end < data.length && last >= 0xd800 && last <= 0xdbff) end--;
    const written = chunk.write(data.slice(start, end), 0, 'utf8');
    const bytes = chunk.subarray(0, written);
    crc = crc32c(bytes, crc);
    await write(bytes, position);
    position += written;
    start = end;
    if (start < data.length) await pause();
  }
  if (position !== HEADER_BYTES + dataBytes) throw new Error(`SYNCPAY_ERR_ASSERTION: snapshot encoded to ${position} bytes, expected ${HEADER_BYTES + dataBytes}`);
  header.writeUInt32BE(crc, 4);
  await write(header, 0);
}

/** The file's header with every field but the checksum filled in (the data's UTF-8 length included). */
function snapshotHeader(meta: SnapshotMeta, data: string, chainHash: Uint8Array): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buf, 0);
  buf.writeBigUInt64BE(BigInt(meta.index), 8);
  buf.writeBigUInt64BE(BigInt(meta.term), 16);
  buf.set(chainHash.subarray(0, HASH_BYTES), 24);
  buf.writeUInt32BE(Buffer.byteLength(data, 'utf8'), 40);
  return buf;
}

/** The snapshot in `bytes`, or why it cannot be trusted. */
export function decodeSnapshot(bytes: Buffer, file: string): StoredSnapshot | string {
  if (bytes.length < HEADER_BYTES) return 'shorter than its header';
  if (!bytes.subarray(0, 4).equals(MAGIC)) return 'bad magic';
  if (crc32c(bytes.subarray(8)) !== bytes.readUInt32BE(4)) return 'checksum mismatch';
  const index = Number(bytes.readBigUInt64BE(8));
  const term = Number(bytes.readBigUInt64BE(16));
  if (bytes.readUInt32BE(40) !== bytes.length - HEADER_BYTES) return 'data length does not match the file size';
  return {
    meta: { index, term },
    data: bytes.toString('utf8', HEADER_BYTES),
    chainHash: Buffer.from(bytes.subarray(24, 40)),
    file,
  };
}

export async function writeSnapshot(dir: string, snapshot: Omit<StoredSnapshot, 'file'>, syncBytes = Number.POSITIVE_INFINITY): Promise<string> {
  const name = snapshotFileName(snapshot.meta.index);
  const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  await writeFileAtomicallyWith(dir, name, (write) => writeSnapshotInSlices(write, snapshot.meta, snapshot.data, snapshot.chainHash, pause), syncBytes);
  return name;
}

/** Snapshot file names in `names`, newest (highest index) first. */
export function snapshotFilesNewestFirst(names: readonly string[]): { name: string; index: number }[] {
  const out: { name: string; index: number }[] = [];
  for (const name of names) {
    const index = parseSnapshotFileName(name);
    if (index !== null) out.push({ name, index });
  }
  return out.sort((a, b) => b.index - a.index);
}

export interface SnapshotChoice {
  readonly snapshot: StoredSnapshot | null;
  /** True when a newer snapshot file was skipped because it failed its checks. */
  readonly fellBack: boolean;
}

/** The newest snapshot that passes its checks; damaged newer ones are skipped with a warning. */
export async function readNewestValidSnapshot(dir: string, logger: Logger): Promise<SnapshotChoice> {
  let fellBack = false;
  for (const { name, index } of snapshotFilesNewestFirst(await readdir(dir))) {
    const file = join(dir, name);
    const decoded = decodeSnapshot(await readFile(file), file);
    if (typeof decoded !== 'string' && decoded.meta.index !== index) {
      logger.warn({ file, index: decoded.meta.index }, 'snapshot file name and content disagree; skipping it');
      fellBack = true;
      continue;
    }
    if (typeof decoded === 'string') {
      logger.warn({ file, reason: decoded }, 'snapshot failed its checks; falling back to an older one');
      fellBack = true;
      continue;
    }
    return { snapshot: decoded, fellBack };
  }
  return { snapshot: null, fellBack };
}
