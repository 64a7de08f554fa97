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
//
// The data is a SnapshotText (a list of pieces), and it is never joined on the way in or out: a
// ledger's text may be longer than V8's longest string, and its file (up to 4 GiB, the length
// field's limit) longer than what `readFile` accepts. Writing encodes it a slice at a time through
// one reused buffer; reading goes through a file handle a slice at a time, and the decoded slices
// are the pieces the caller gets back.
import { createHash, type Hash } from 'node:crypto';
import { open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { SnapshotMeta } from '../../machines/types.ts';
import { assert } from '../../machines/assert.ts';
import { isHighSurrogate, textLength, type SnapshotText } from '../../machines/snapshot-text.ts';
import type { Logger } from '../../actors/ports.ts';
import { crc32c } from './crc32c.ts';
import { writeFileAtomicallyWith, type PositionedWrite } from './durable-fs.ts';
import { parseSnapshotFileName, snapshotFileName } from './file-names.ts';
import { HASH_BYTES } from './record-codec.ts';

const MAGIC = Buffer.from('SPSN', 'ascii');
const HEADER_BYTES = 44;

/** The most data bytes the header's u32 length field can describe. */
export const SNAPSHOT_DATA_BYTES_MAX = 0xffffffff;

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: SnapshotText;
  readonly chainHash: Buffer;
  readonly file: string;
}

/** UTF-16 units encoded, checksummed and written between two yields: a few milliseconds of work. */
const SLICE_UNITS = 1 << 20;

/** Bytes read (and checksummed and decoded) per read call when a snapshot file is loaded. */
const READ_SLICE_BYTES = 4 << 20;

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

/**
 * The text cut into slices of at most `units` UTF-16 units (small pieces share a slice, a large one
 * spans several), each slice yielded as the runs of whole characters it holds. A cut inside a
 * piece never falls between the halves of a surrogate pair, and a high surrogate that ends a piece
 * is held back to meet the low one that may open the next, so each run encodes on its own to the
 * bytes it has in the joined text. SnapshotText's rule says a pair is never cut between pieces,
 * but holding the half back costs nothing and keeps a text that breaks the rule from being stored
 * with two replacement characters in place of one of its characters.
 */
function* sliceRuns(text: SnapshotText, units: number): Generator<string[]> {
  assert(Number.isSafeInteger(units) && units >= 2, `slices of ${units} units cannot hold a surrogate pair`);
  let runs: string[] = [];
  let room = units;
  let heldHigh = -1;
  /** Adds `s` to the slice; false when the slice is too full to take it. */
  const put = (s: string): boolean => {
    if (s.length > room) return false;
    runs.push(s);
    room -= s.length;
    return true;
  };
  const full = (): string[] => {
    const slice = runs;
    runs = [];
    room = units;
    return slice;
  };
  for (const piece of text) {
    if (piece.length === 0) continue;
    let at = 0;
    if (heldHigh >= 0) {
      const first = piece.charCodeAt(0);
      const held = isLowSurrogate(first) ? String.fromCharCode(heldHigh, first) : String.fromCharCode(heldHigh);
      if (!put(held)) {
        yield full();
        put(held);
      }
      at = held.length - 1;
      heldHigh = -1;
    }
    let stop = piece.length;
    if (stop > at && isHighSurrogate(piece.charCodeAt(stop - 1))) heldHigh = piece.charCodeAt(--stop);
    while (at < stop) {
      let end = Math.min(stop, at + room);
      if (end < stop && isHighSurrogate(piece.charCodeAt(end - 1))) end--;
      if (end === at) {
        yield full();
        continue;
      }
      put(at === 0 && end === piece.length ? piece : piece.slice(at, end));
      at = end;
    }
  }
  if (heldHigh >= 0 && !put(String.fromCharCode(heldHigh))) {
    yield full();
    put(String.fromCharCode(heldHigh));
  }
  if (runs.length > 0) yield full();
}

/** The text's UTF-8 a slice at a time (see sliceRuns), each a view of one reused buffer valid until the next is asked for. */
function* utf8Slices(text: SnapshotText, units: number): Generator<Buffer> {
  // At most three bytes per unit (a pair's two units make four), and never more than the text needs.
  const chunk = Buffer.allocUnsafe(3 * Math.min(units, textLength(text)));
  for (const runs of sliceRuns(text, units)) {
    let filled = 0;
    for (const run of runs) filled += chunk.write(run, filled, 'utf8');
    yield chunk.subarray(0, filled);
  }
}

/** UTF-8 bytes of one slice of sliceRuns. */
function runsBytes(runs: readonly string[]): number {
  let n = 0;
  for (const run of runs) n += Buffer.byteLength(run, 'utf8');
  return n;
}

/** The text's exact UTF-8 length: that of the joined text. */
export function snapshotDataBytes(text: SnapshotText): number {
  let n = 0;
  for (const runs of sliceRuns(text, SLICE_UNITS)) n += runsBytes(runs);
  return n;
}

/** Throws unless `bytes` of data fit the file's u32 length field. Apart so a spec can test it on a number. */
export function assertSnapshotDataFits(bytes: number, max = SNAPSHOT_DATA_BYTES_MAX): void {
  assert(bytes <= max, `snapshot data is ${bytes} bytes of UTF-8, more than the ${max} a snapshot file can hold`);
}

/**
 * True when the text's UTF-8 fits in `max` bytes. Three bytes per UTF-16 unit bound it, so only
 * a text within a factor of three of the limit is measured exactly.
 */
export function snapshotDataFits(text: SnapshotText, max = SNAPSHOT_DATA_BYTES_MAX): boolean {
  return 3 * textLength(text) <= max || snapshotDataBytes(text) <= max;
}

/**
 * The link for the first entry after a snapshot that replaced the whole log, hashed a slice at a
 * time with `pause()` awaited in between: a follower replacing its log with a leader's snapshot of
 * hundreds of MB must not go silent for the second or more that hashing it takes, or it would
 * miss heartbeats and start an election.
 */
export async function snapshotContentHash(meta: SnapshotMeta, data: SnapshotText, pause: () => Promise<void>, sliceUnits = SLICE_UNITS): Promise<Buffer> {
  const h = contentHasher(meta);
  let first = true;
  for (const bytes of utf8Slices(data, sliceUnits)) {
    if (!first) await pause();
    first = false;
    h.update(bytes);
  }
  return h.digest().subarray(0, HASH_BYTES);
}

/** SHA-256 fed what precedes the data; the data's UTF-8 follows, and the same bytes in the same order as hashing the joined text's. */
function contentHasher(meta: SnapshotMeta): Hash {
  const head = Buffer.alloc(16);
  head.writeBigUInt64BE(BigInt(meta.index), 0);
  head.writeBigUInt64BE(BigInt(meta.term), 8);
  return createHash('sha256').update(Buffer.from('snapshot')).update(head);
}

/** Yields to the event loop: what the store's slice-at-a-time work awaits between slices. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The whole file in one buffer: for specs and small snapshots (nodes write with writeSnapshotInSlices). */
export function encodeSnapshot(meta: SnapshotMeta, data: SnapshotText, chainHash: Uint8Array): Buffer {
  const header = snapshotHeader(meta, chainHash, snapshotDataBytes(data));
  const buf = Buffer.allocUnsafe(HEADER_BYTES + header.readUInt32BE(40));
  header.copy(buf, 0);
  let at = HEADER_BYTES;
  for (const bytes of utf8Slices(data, SLICE_UNITS)) at += bytes.copy(buf, at);
  assert(at === buf.length, `snapshot encoded to ${at} bytes, expected ${buf.length}`);
  buf.writeUInt32BE(crc32c(buf.subarray(8)), 4);
  return buf;
}

/**
 * Writes the bytes `encodeSnapshot` makes through `write`, a slice at a time with `pause()`
 * awaited in between, the header (whose checksum covers everything after it) last.
 * Encoding and checksumming a ledger of millions of transfers takes hundreds of milliseconds of
 * main-thread time (about 4 ms per MB here); done in one go, that silence is as long as an
 * election timeout and a leader taking a snapshot under load would lose its leadership. And the
 * file never exists in memory as one buffer: a buffer of hundreds of MB, counted by V8 as external
 * memory, forces a full garbage collection of the heap on every node at every snapshot.
 * A text too large for the length field is refused before anything is written.
 */
export async function writeSnapshotInSlices(write: PositionedWrite, meta: SnapshotMeta, data: SnapshotText, chainHash: Uint8Array,
  pause: () => Promise<void>, sliceUnits = SLICE_UNITS): Promise<void> {
  let started = false;
  const yieldBetweenSlices = async (): Promise<void> => {
    if (started) await pause();
    started = true;
  };
  // The length field comes before the data under the checksum, so the data is measured first, in
  // slices too: counting the UTF-8 of text held as two-byte strings runs at about 3 ms per M units.
  let dataBytes = 0;
  for (const runs of sliceRuns(data, sliceUnits)) {
    await yieldBetweenSlices();
    dataBytes += runsBytes(runs);
  }
  const header = snapshotHeader(meta, chainHash, dataBytes);
  let crc = crc32c(header.subarray(8));
  let position = HEADER_BYTES;
  for (const bytes of utf8Slices(data, sliceUnits)) {
    await yieldBetweenSlices();
    crc = crc32c(bytes, crc);
    // Awaited before the generator reuses its buffer for the next slice.
    await write(bytes, position);
    position += bytes.length;
  }
  assert(position === HEADER_BYTES + dataBytes, `snapshot encoded to ${position} bytes, expected ${HEADER_BYTES + dataBytes}`);
  header.writeUInt32BE(crc, 4);
  await write(header, 0);
}

/** The file's header with every field but the checksum filled in; refuses data too long for the length field. */
function snapshotHeader(meta: SnapshotMeta, chainHash: Uint8Array, dataBytes: number): Buffer {
  assertSnapshotDataFits(dataBytes);
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(buf, 0);
  buf.writeBigUInt64BE(BigInt(meta.index), 8);
  buf.writeBigUInt64BE(BigInt(meta.term), 16);
  buf.set(chainHash.subarray(0, HASH_BYTES), 24);
  buf.writeUInt32BE(dataBytes, 40);
  return buf;
}

export async function writeSnapshot(dir: string, snapshot: Omit<StoredSnapshot, 'file'>, syncBytes = Number.POSITIVE_INFINITY): Promise<string> {
  const name = snapshotFileName(snapshot.meta.index);
  await writeFileAtomicallyWith(dir, name, (write) => writeSnapshotInSlices(write, snapshot.meta, snapshot.data, snapshot.chainHash, nextTurn), syncBytes);
  return name;
}

/**
 * Checks and decodes a snapshot file's bytes fed in order, a slice at a time: the header first,
 * then the data. The data is decoded only when the header's length matches the file's size (a
 * file that fails that check is only checksummed, so the reasons come in the order they always
 * have: magic, checksum, length). StringDecoder carries a character cut by a slice boundary over
 * to the next slice, so no piece ends inside a character, let alone inside a surrogate pair.
 */
class SnapshotDecoding {
  private crc: number;
  private readonly decoder = new StringDecoder('utf8');
  private readonly pieces: string[] = [];
  private dataSeen = 0;
  private readonly decode: boolean;

  constructor(
    private readonly header: Buffer,
    fileBytes: number,
  ) {
    this.crc = crc32c(header.subarray(8));
    this.decode = header.readUInt32BE(40) === fileBytes - HEADER_BYTES;
  }

  push(bytes: Uint8Array): void {
    this.crc = crc32c(bytes, this.crc);
    this.dataSeen += bytes.length;
    if (!this.decode) return;
    const s = this.decoder.write(bytes);
    if (s !== '') this.pieces.push(s);
  }

  finish(file: string): StoredSnapshot | string {
    if (this.crc !== this.header.readUInt32BE(4)) return 'checksum mismatch';
    if (!this.decode || this.dataSeen !== this.header.readUInt32BE(40)) return 'data length does not match the file size';
    const rest = this.decoder.end();
    if (rest !== '') this.pieces.push(rest);
    return {
      meta: { index: Number(this.header.readBigUInt64BE(8)), term: Number(this.header.readBigUInt64BE(16)) },
      data: this.pieces,
      chainHash: Buffer.from(this.header.subarray(24, 40)),
      file,
    };
  }
}

/** Why a header cannot start a snapshot file, or null. */
function headerProblem(header: Buffer): string | null {
  if (header.length < HEADER_BYTES) return 'shorter than its header';
  if (!header.subarray(0, 4).equals(MAGIC)) return 'bad magic';
  return null;
}

/** The snapshot in `bytes`, or why it cannot be trusted; the data comes back in pieces of at most `sliceBytes` bytes' worth. */
export function decodeSnapshot(bytes: Buffer, file: string, sliceBytes = READ_SLICE_BYTES): StoredSnapshot | string {
  assert(Number.isSafeInteger(sliceBytes) && sliceBytes > 0, `bad read slice size ${sliceBytes}`);
  const header = bytes.subarray(0, HEADER_BYTES);
  const problem = headerProblem(header);
  if (problem !== null) return problem;
  const decoding = new SnapshotDecoding(header, bytes.length);
  for (let at = HEADER_BYTES; at < bytes.length; at += sliceBytes) decoding.push(bytes.subarray(at, Math.min(bytes.length, at + sliceBytes)));
  return decoding.finish(file);
}

/**
 * The snapshot in the file at `path`, or why it cannot be trusted. Read through a handle
 * `sliceBytes` at a time into one buffer: never the whole file at once (`readFile` refuses files
 * over 2 GiB, and a snapshot may be 4 GiB).
 */
export async function readSnapshotFile(path: string, sliceBytes = READ_SLICE_BYTES): Promise<StoredSnapshot | string> {
  assert(Number.isSafeInteger(sliceBytes) && sliceBytes > 0, `bad read slice size ${sliceBytes}`);
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const header = Buffer.alloc(Math.min(size, HEADER_BYTES));
    await readFully(handle, header, 0);
    const problem = headerProblem(header);
    if (problem !== null) return problem;
    const decoding = new SnapshotDecoding(header, size);
    const slice = Buffer.allocUnsafe(Math.min(sliceBytes, Math.max(1, size - HEADER_BYTES)));
    for (let at = HEADER_BYTES; at < size; ) {
      const n = await readSome(handle, slice, at);
      if (n === 0) break; // the file shrank under us: the length check reports it
      decoding.push(slice.subarray(0, n));
      at += n;
    }
    return decoding.finish(path);
  } finally {
    await handle.close();
  }
}

async function readSome(handle: FileHandle, into: Buffer, position: number): Promise<number> {
  return (await handle.read(into, 0, into.length, position)).bytesRead;
}

/** Fills `into` from `position` (a single read may legally return less); stops early at the end of the file. */
async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  for (let done = 0; done < into.length; ) {
    const n = (await handle.read(into, done, into.length - done, position + done)).bytesRead;
    if (n === 0) return;
    done += n;
  }
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
export async function readNewestValidSnapshot(dir: string, logger: Logger, sliceBytes = READ_SLICE_BYTES): Promise<SnapshotChoice> {
  let fellBack = false;
  for (const { name, index } of snapshotFilesNewestFirst(await readdir(dir))) {
    const file = join(dir, name);
    const decoded = await readSnapshotFile(file, sliceBytes);
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
