// Rebuilding a node's durable consensus state from its data directory after a start or a crash:
// the hard state, the newest snapshot that passes its checks, and the log after it, with every
// record checked. Recovery also finishes what a crash interrupted: it deletes leftover temporary
// files, cuts a torn tail, and completes a compaction or log replacement whose snapshot was
// already durable. Anything else that does not add up stops the node with SYNCPAY_ERR_STORAGE_CORRUPT.
import { open, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { HardState, LogEntry } from '../../machines/types.ts';
import type { Logger } from '../../actors/ports.ts';
import { fsyncDir, removeFiles } from './durable-fs.ts';
import { StorageCorruptError } from './errors.ts';
import { isOwnTempFileName, parseSegmentFileName } from './file-names.ts';
import { readHardState } from './hard-state-file.ts';
import { ZERO_HASH } from './record-codec.ts';
import { scanSegment } from './segment-scan.ts';
import { segmentLastIndex, type LogTail, type Segment } from './segment-log.ts';
import { readNewestValidSnapshot, type StoredSnapshot } from './snapshot-file.ts';

export interface Recovery {
  readonly hardState: HardState;
  readonly snapshot: StoredSnapshot | null;
  /** Entries after the snapshot, contiguous. */
  readonly entries: LogEntry[];
  readonly tail: LogTail;
}

export async function recoverDataDir(dir: string, logger: Logger): Promise<Recovery> {
  let dirChanged = false;
  const names = await readdir(dir);

  const temps = names.filter(isOwnTempFileName);
  if (temps.length > 0) {
    logger.info({ files: temps }, 'deleting temporary files left by an interrupted write');
    await removeFiles(dir, temps);
    dirChanged = true;
  }

  const hardState = await readHardState(dir);
  const { snapshot, fellBack } = await readNewestValidSnapshot(dir, logger);
  const snapIndex = snapshot?.meta.index ?? 0;

  let segmentFiles = names
    .map((name) => ({ name, first: parseSegmentFileName(name) }))
    .filter((s): s is { name: string; first: number } => s.first !== null)
    .sort((a, b) => a.first - b.first);

  // A segment followed by one that starts at or before snapshot + 1 holds only entries the
  // snapshot covers: it is left over from a compaction a crash interrupted (deletions may reach
  // the disk in any order), so it is deleted unread.
  const coveredCount = segmentFiles.findIndex((_, k) => (segmentFiles[k + 1]?.first ?? Infinity) > snapIndex + 1);
  if (coveredCount > 0) {
    const covered = segmentFiles.slice(0, coveredCount).map((f) => f.name);
    logger.info({ snapshot: snapshot?.file, segments: covered }, 'deleting segments the snapshot covers (an interrupted compaction)');
    await removeFiles(dir, covered);
    dirChanged = true;
    segmentFiles = segmentFiles.slice(coveredCount);
  }

  const segments: Segment[] = [];
  let entries: LogEntry[] = [];
  let link: Buffer | null = null;
  let firstPrevHash: Buffer | null = null;
  let hashAtSnapshot: Buffer | null = null;
  let expectIndex: number | null = null;

  for (let k = 0; k < segmentFiles.length; k++) {
    const { name, first } = segmentFiles[k]!;
    const path = join(dir, name);
    const isLast = k === segmentFiles.length - 1;
    if (expectIndex !== null && first !== expectIndex) {
      throw new StorageCorruptError(
        path,
        0,
        first > expectIndex
          ? `a segment is missing: the log needs one starting at index ${expectIndex}`
          : `segment overlaps the one before it, which ends at index ${expectIndex - 1}`,
      );
    }
    const bytes = await readFile(path);
    const scan = scanSegment({
      file: path,
      bytes,
      firstIndex: first,
      expectedPrevHash: link,
      isLast,
      keepFrom: snapIndex + 1,
      hashOfIndex: snapIndex,
    });
    if (scan.torn !== null) {
      logger.warn(
        { file: path, offset: scan.torn.offset, fault: scan.torn.fault, droppedBytes: bytes.length - scan.validBytes },
        'log ends in a torn write; cutting it off',
      );
    }
    if (scan.offsets.length === 0) {
      if (!isLast) throw new StorageCorruptError(path, 0, 'empty segment in the middle of the log');
      logger.warn({ file: path }, 'last segment holds no complete record; deleting it');
      await unlink(path);
      dirChanged = true;
      break;
    }
    if (scan.torn !== null) await truncateFile(path, scan.validBytes);
    segments.push({ firstIndex: first, name, bytes: scan.validBytes, offsets: scan.offsets });
    for (const e of scan.entries) entries.push(e);
    if (k === 0) firstPrevHash = scan.firstPrevHash;
    if (scan.hashAtIndex !== null) hashAtSnapshot = scan.hashAtIndex;
    link = scan.tailHash;
    expectIndex = first + scan.offsets.length;
  }

  let tail: LogTail;
  const first = segments[0];
  const lastOnDisk = expectIndex === null ? null : expectIndex - 1;

  if (snapshot === null) {
    if (first !== undefined) {
      const path = join(dir, first.name);
      if (first.firstIndex !== 1) {
        throw new StorageCorruptError(path, 0, `log starts at index ${first.firstIndex} but no valid snapshot covers the entries before it`);
      }
      if (!firstPrevHash!.equals(ZERO_HASH)) {
        throw new StorageCorruptError(path, 0, 'first record of the log does not link to the start of the log');
      }
    }
    tail = { segments, lastIndex: lastOnDisk ?? 0, tailHash: link ?? ZERO_HASH, snapshotIndex: 0 };
  } else {
    const s = snapIndex;
    const h = snapshot.chainHash;
    const replaced = (): LogTail => ({ segments: [], lastIndex: s, tailHash: h, snapshotIndex: s });
    if (first === undefined || lastOnDisk === null) {
      tail = replaced();
    } else if (first.firstIndex > s + 1) {
      throw new StorageCorruptError(
        join(dir, first.name),
        0,
        `entries ${s + 1} to ${first.firstIndex - 1} are missing between ${snapshot.file} and the log`,
      );
    } else if (lastOnDisk < s) {
      logger.info({ snapshot: snapshot.file, segments: segments.map((x) => x.name) }, 'finishing an interrupted compaction');
      await removeFiles(dir, segments.map((x) => x.name));
      dirChanged = true;
      entries = [];
      tail = replaced();
    } else {
      const actual = s >= first.firstIndex ? hashAtSnapshot! : firstPrevHash!;
      if (actual.equals(h)) {
        const covered = segments.filter((x) => segmentLastIndex(x) <= s);
        if (covered.length > 0) {
          logger.info({ snapshot: snapshot.file, segments: covered.map((x) => x.name) }, 'finishing an interrupted compaction');
          await removeFiles(dir, covered.map((x) => x.name));
          dirChanged = true;
        }
        tail = { segments: segments.slice(covered.length), lastIndex: lastOnDisk, tailHash: link!, snapshotIndex: s };
      } else if (!fellBack && s >= first.firstIndex) {
        // The snapshot was durable before the old log was deleted, so a log that holds the
        // snapshot's index with another history is one whose replacement a crash interrupted.
        logger.warn({ snapshot: snapshot.file, segments: segments.map((x) => x.name) }, 'log diverges from the snapshot; finishing an interrupted log replacement');
        await removeFiles(dir, segments.map((x) => x.name));
        dirChanged = true;
        entries = [];
        tail = replaced();
      } else {
        const at = locate(segments, s + 1 <= lastOnDisk ? s + 1 : s);
        throw new StorageCorruptError(join(dir, at.seg.name), at.offset, `the log does not continue ${snapshot.file} (hash chain mismatch after index ${s})`);
      }
    }
  }

  if (dirChanged) await fsyncDir(dir);
  return { hardState, snapshot, entries, tail };
}

function locate(segments: readonly Segment[], index: number): { seg: Segment; offset: number } {
  for (const seg of segments) {
    if (index >= seg.firstIndex && index <= segmentLastIndex(seg)) return { seg, offset: seg.offsets[index - seg.firstIndex]! };
  }
  return { seg: segments[0]!, offset: 0 };
}

async function truncateFile(path: string, length: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
