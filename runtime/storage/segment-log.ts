// The log's segment files and what the store knows about them in memory: where each record
// starts, the last index, and the hash the next record must link to. It carries out one group
// commit round, a suffix truncation, and the deletions that follow a snapshot. It does not decide
// when these run (commit-queue.ts does) nor how the files are recovered (recovery.ts does).
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEntry } from '../../machines/types.ts';
import { appendDurably, fsyncDir, removeFiles, removeFilesInOrder, segmentOpenFlags } from './durable-fs.ts';
import { StorageCorruptError, StorageMisuseError } from './errors.ts';
import { segmentFileName } from './file-names.ts';
import { HASH_BYTES, decodeRecordAt, encodeRecord, type EncodedRecord } from './record-codec.ts';

export interface Segment {
  readonly firstIndex: number;
  readonly name: string;
  /** Bytes of valid records; the file is never longer once a write round has finished. */
  bytes: number;
  /** offsets[i] is where the record with index firstIndex + i starts. */
  readonly offsets: number[];
}

export function segmentLastIndex(seg: Segment): number {
  return seg.firstIndex + seg.offsets.length - 1;
}

/** One caller's append, waiting for the fsync that covers it. */
export interface AppendJob {
  readonly entries: readonly LogEntry[];
  resolve(): void;
  reject(err: Error): void;
}

export interface LogTail {
  readonly segments: Segment[];
  /** Last index in the log, or the snapshot's index when no entry follows it (0: empty). */
  readonly lastIndex: number;
  /** The link the next appended record must carry. */
  readonly tailHash: Buffer;
  /** Index covered by the current snapshot (0: none); entries at or below it are immutable. */
  readonly snapshotIndex: number;
}

export interface RoundResult {
  readonly records: number;
  readonly fsyncs: number;
}

/** The segment appends go to, open for writing; `dsync`: its writes are durable on return (segmentOpenFlags). */
interface ActiveSegment {
  readonly name: string;
  readonly handle: FileHandle;
  readonly dsync: boolean;
}

export class SegmentLog {
  private segments: Segment[];
  private lastIndexValue: number;
  private tailHash: Buffer;
  private snapshotIndexValue: number;
  /** Write handle on the segment last written, kept open between rounds. */
  private active: ActiveSegment | null = null;

  constructor(
    private readonly dir: string,
    private readonly segmentBytesMax: number,
    tail: LogTail,
  ) {
    this.segments = tail.segments;
    this.lastIndexValue = tail.lastIndex;
    this.tailHash = tail.tailHash;
    this.snapshotIndexValue = tail.snapshotIndex;
  }

  get lastIndex(): number {
    return this.lastIndexValue;
  }

  get snapshotIndex(): number {
    return this.snapshotIndexValue;
  }

  /** First index still held in a segment file (may be at or below the snapshot's index). */
  get firstIndexOnDisk(): number | null {
    return this.segments[0]?.firstIndex ?? null;
  }

  get logBytes(): number {
    let n = 0;
    for (const seg of this.segments) n += seg.bytes;
    return n;
  }

  /**
   * One group commit: encodes every job's entries, writes each touched segment with one durable
   * write (appendDurably: O_DSYNC, or a write and an fdatasync), and only then settles the jobs.
   * A job that breaks index contiguity is rejected on its own and the rest proceed. An I/O error
   * propagates, leaving the jobs for the caller to fail.
   */
  async appendRound(jobs: readonly AppendJob[]): Promise<RoundResult> {
    interface PendingWrite {
      readonly seg: Segment;
      readonly isNew: boolean;
      readonly start: number;
      readonly chunks: Buffer[];
    }
    const writes: PendingWrite[] = [];
    const accepted: AppendJob[] = [];
    let records = 0;
    for (const job of jobs) {
      let encoded: EncodedRecord[];
      try {
        encoded = this.encodeJob(job.entries);
      } catch (err) {
        job.reject(err instanceof StorageMisuseError ? err : new StorageMisuseError((err as Error).message));
        continue;
      }
      for (let i = 0; i < encoded.length; i++) {
        const rec = encoded[i]!;
        const index = job.entries[i]!.index;
        let seg = this.segments.at(-1);
        let write = writes.at(-1);
        if (seg === undefined || (seg.bytes > 0 && seg.bytes + rec.bytes.length > this.segmentBytesMax)) {
          seg = { firstIndex: index, name: segmentFileName(index), bytes: 0, offsets: [] };
          this.segments.push(seg);
          write = { seg, isNew: true, start: 0, chunks: [] };
          writes.push(write);
        } else if (write === undefined || write.seg !== seg) {
          write = { seg, isNew: false, start: seg.bytes, chunks: [] };
          writes.push(write);
        }
        write.chunks.push(rec.bytes);
        seg.offsets.push(seg.bytes);
        seg.bytes += rec.bytes.length;
        this.tailHash = rec.hash;
        this.lastIndexValue = index;
      }
      records += encoded.length;
      accepted.push(job);
    }

    // Segments are written and synced one after another, the older first, so a crash can tear
    // only the newest file: recovery accepts a torn tail in the last segment alone.
    let fsyncs = 0;
    for (const w of writes) {
      const active = await this.writeHandle(w.seg, w.isNew);
      await appendDurably(active.handle.fd, w.chunks.length === 1 ? w.chunks[0]! : Buffer.concat(w.chunks), w.start, active.dsync);
      fsyncs++;
      if (w.isNew) await fsyncDir(this.dir);
    }
    for (const job of accepted) job.resolve();
    return { records, fsyncs };
  }

  /** Encodes a job's entries against the current tail without changing any state. */
  private encodeJob(entries: readonly LogEntry[]): EncodedRecord[] {
    const out: EncodedRecord[] = [];
    let link = this.tailHash;
    let expect = this.lastIndexValue + 1;
    for (const entry of entries) {
      if (entry.index !== expect) {
        throw new StorageMisuseError(`append expected log index ${expect} but got ${entry.index}`);
      }
      const rec = encodeRecord(entry, link);
      out.push(rec);
      link = rec.hash;
      expect++;
    }
    return out;
  }

  /**
   * Drops every entry with index >= `index` and makes the cut durable. Entries up to `floor` (the
   * stored snapshot, or a newer one the caller is writing) cannot be dropped.
   */
  async truncateFrom(index: number, floor = this.snapshotIndexValue): Promise<void> {
    if (!Number.isSafeInteger(index)) throw new StorageMisuseError(`truncateFrom(${index}): not an index`);
    if (index <= floor) {
      throw new StorageMisuseError(`truncateFrom(${index}): entries up to ${floor} are in a snapshot and cannot be dropped`);
    }
    if (index > this.lastIndexValue) return;
    const k = this.segmentHolding(index);
    const seg = this.segments[k]!;
    const offset = seg.offsets[index - seg.firstIndex]!;
    // The cut record's own link is the hash of the record before it: the new tail.
    const newTail = await this.readLink(seg, offset);

    await this.closeActive();
    // Newest first, each durable before the next, and the cut last: a crash part way leaves a
    // longer log that is still whole (the caller never saw this truncation succeed), not a hole.
    const doomed = this.segments.slice(offset === 0 ? k : k + 1);
    await removeFilesInOrder(this.dir, doomed.map((s) => s.name).reverse());
    if (offset > 0) {
      const handle = await open(join(this.dir, seg.name), 'r+');
      try {
        await handle.truncate(offset);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      seg.bytes = offset;
      seg.offsets.length = index - seg.firstIndex;
    }
    this.segments = this.segments.slice(0, this.segments.length - doomed.length);
    this.lastIndexValue = index - 1;
    this.tailHash = newTail;
  }

  /** The entry at `index` and its record's hash, read back from disk. */
  async readEntry(index: number): Promise<{ entry: LogEntry; hash: Buffer }> {
    const seg = this.segments[this.segmentHolding(index)]!;
    const i = index - seg.firstIndex;
    const offset = seg.offsets[i]!;
    const end = seg.offsets[i + 1] ?? seg.bytes;
    const bytes = await this.readRange(seg, offset, end - offset);
    const read = decodeRecordAt(bytes, 0);
    if (!read.ok || read.entry.index !== index) {
      throw new StorageCorruptError(join(this.dir, seg.name), offset, `record ${index} no longer reads back (${read.ok ? 'wrong index' : read.fault})`);
    }
    return { entry: read.entry, hash: read.hash };
  }

  /** True when a segment still holds the entry at `index`. */
  holds(index: number): boolean {
    const first = this.firstIndexOnDisk;
    return first !== null && index >= first && index <= this.lastIndexValue;
  }

  /**
   * After a snapshot at `snapshotIndex` is durable: drop the segments it wholly covers, or every
   * segment when the snapshot replaces the log (`replace`; the next entry then links to
   * `chainHash`). Returns the names of the deleted files. Deletions are durable on return.
   */
  async compact(snapshotIndex: number, replace: boolean, chainHash: Buffer): Promise<string[]> {
    const doomed = replace ? this.segments : this.segments.filter((s) => segmentLastIndex(s) <= snapshotIndex);
    // The write handle may belong to a doomed file; reopening it later is cheap.
    if (doomed.length > 0) await this.closeActive();
    const names = doomed.map((s) => s.name);
    if (replace) {
      // Newest first, one at a time: a crash leaves a prefix of the old log, which recovery
      // recognises (it disagrees with the snapshot) and finishes deleting.
      await removeFilesInOrder(this.dir, [...names].reverse());
      this.segments = [];
      this.lastIndexValue = snapshotIndex;
      this.tailHash = chainHash;
    } else if (doomed.length > 0) {
      // Any subset of these may survive a crash: recovery drops covered segments by name alone.
      await removeFiles(this.dir, names);
      await fsyncDir(this.dir);
      this.segments = this.segments.slice(doomed.length);
    }
    this.snapshotIndexValue = snapshotIndex;
    return names;
  }

  async close(): Promise<void> {
    await this.closeActive();
  }

  private segmentHolding(index: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.segments[mid]!.firstIndex <= index) lo = mid;
      else hi = mid - 1;
    }
    const seg = this.segments[lo];
    if (seg === undefined || index < seg.firstIndex || index > segmentLastIndex(seg)) {
      throw new StorageMisuseError(`log index ${index} is not held in any segment`);
    }
    return lo;
  }

  private async readLink(seg: Segment, offset: number): Promise<Buffer> {
    return Buffer.from(await this.readRange(seg, offset + 8, HASH_BYTES));
  }

  private async readRange(seg: Segment, position: number, length: number): Promise<Buffer> {
    const buf = Buffer.alloc(length);
    const handle = await open(join(this.dir, seg.name), 'r');
    try {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, position + done);
        if (bytesRead === 0) throw new StorageCorruptError(join(this.dir, seg.name), position + done, 'segment is shorter than the store recorded');
        done += bytesRead;
      }
    } finally {
      await handle.close();
    }
    return buf;
  }

  private async writeHandle(seg: Segment, create: boolean): Promise<ActiveSegment> {
    if (this.active !== null && this.active.name === seg.name && !create) return this.active;
    await this.closeActive();
    // Creating truncates, which is right for a new segment: no valid file can have its name, since
    // recovery and truncation delete empty and dropped segments.
    const { flags, dsync } = segmentOpenFlags(create);
    const handle = await open(join(this.dir, seg.name), flags);
    // An O_DSYNC write makes only its own bytes durable. Bytes an earlier process wrote to this
    // segment and never synced (killed between its write and its fdatasync) are made durable
    // before anything is appended after them: a power cut must not leave a hole under records
    // this node acknowledged. Without O_DSYNC the fdatasync after the first write covers them.
    if (dsync && !create) await handle.datasync();
    this.active = { name: seg.name, handle, dsync };
    return this.active;
  }

  private async closeActive(): Promise<void> {
    const active = this.active;
    this.active = null;
    if (active !== null) await active.handle.close();
  }
}
