// File-system steps whose order is what makes data survive a crash. POSIX only promises that a
// file's bytes are on disk after fsync on the file, and that a create, rename or unlink is on disk
// after fsync on the directory holding it; every helper here exists to do one of those right.
import { constants, fdatasync, write } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { TEMP_SUFFIX } from './file-names.ts';

/** Makes creates, renames and deletes in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes all of `bytes` at `position`; a single write call may legally write less. */
async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}

/** The two callback calls appendDurably makes; a spec substitutes short writes. */
export interface FdIo {
  write(fd: number, bytes: Uint8Array, offset: number, length: number, position: number, done: (err: NodeJS.ErrnoException | null, written: number) => void): void;
  fdatasync(fd: number, done: (err: NodeJS.ErrnoException | null) => void): void;
}

const NODE_FD_IO: FdIo = { write, fdatasync };

/** How a log segment was opened for appending: see segmentOpenFlags. */
export interface SegmentOpen {
  readonly flags: number;
  /** True when every write is durable on return (O_DSYNC), so no fdatasync is needed after it. */
  readonly dsync: boolean;
}

/**
 * Open flags for a log segment (create: a new, empty one; else the last one, to append to).
 * On Linux, O_DSYNC makes a write return only once its bytes, and the file size that reaches them,
 * are on disk, as if fdatasync had followed it: an append round is then one write rather than a
 * write and an fdatasync, one hand-off to libuv's thread pool instead of two. On two busy cores each
 * hand-off waits for a core, so this shortens every node's part of a round (docs/performance.md,
 * ninth round). Elsewhere the fdatasync stays: on macOS, libuv's fdatasync is F_FULLFSYNC, which
 * also empties the drive's cache, and an O_DSYNC write does not.
 */
export function segmentOpenFlags(create: boolean, platform: string = process.platform): SegmentOpen {
  const base = create ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : constants.O_RDWR;
  return platform === 'linux' ? { flags: base | constants.O_DSYNC, dsync: true } : { flags: base, dsync: false };
}

/**
 * Writes all of `bytes` at `position` of the open file `fd` and resolves once they are durable:
 * at the last write's return when `fd` was opened with O_DSYNC (`dsync`), else after an
 * fdatasync: a group commit's durable step. Callback I/O with a single promise around it, because
 * this runs once per append round on every node, and each FileHandle call costs a promise and its
 * bookkeeping of its own. It works on the raw descriptor, so nothing else may close that file
 * while it runs (FileHandle would wait): the log store's commit queue runs an append round apart
 * from every close.
 */
export function appendDurably(fd: number, bytes: Uint8Array, position: number, dsync: boolean, io: FdIo = NODE_FD_IO): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const next = (): void => {
      if (done === bytes.length) {
        if (dsync) resolve();
        else io.fdatasync(fd, (err) => (err ? reject(err) : resolve()));
        return;
      }
      io.write(fd, bytes, done, bytes.length - done, position + done, (err, written) => {
        if (err) reject(err);
        else if (written <= 0) reject(new Error(`write returned ${written}`));
        else {
          done += written;
          next();
        }
      });
    };
    next();
  });
}

/**
 * Replaces `dir/name` with `bytes` so that a crash leaves either the old file or the new one,
 * never a mix: write a temporary file, fsync it, rename it over the old one, fsync the directory.
 */
export async function writeFileAtomically(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  await writeFileAtomicallyWith(dir, name, (write) => write(bytes, 0));
}

/** Writes all of `bytes` at `position` of the file being made; resolves once they are written. */
export type PositionedWrite = (bytes: Uint8Array, position: number) => Promise<void>;

/**
 * writeFileAtomically for a file made piece by piece: `fill` writes the content through the
 * function it is given (in any order of positions), awaiting each write before it reuses that
 * piece's bytes and before it resolves; the file then is fsynced and replaces `dir/name`. A large
 * file need not exist in memory as one buffer. Every `syncBytes` written, the file is flushed
 * (fdatasync) before the write resolves: the kernel would otherwise keep all of a large file's
 * pages dirty until the final fsync, which then holds the disk for as long as they take to write,
 * and every other fsync on it (the log's, which acknowledgements wait for) waits behind it.
 */
export async function writeFileAtomicallyWith(dir: string, name: string, fill: (write: PositionedWrite) => Promise<void>,
  syncBytes = Number.POSITIVE_INFINITY): Promise<void> {
  const temp = join(dir, name + TEMP_SUFFIX);
  const handle = await open(temp, 'w');
  try {
    let unsynced = 0;
    await fill(async (bytes, position) => {
      await writeFully(handle, bytes, position);
      unsynced += bytes.length;
      if (unsynced >= syncBytes) {
        unsynced = 0;
        await handle.datasync();
      }
    });
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, join(dir, name));
  await fsyncDir(dir);
}

/** Deletes files (missing ones are fine: a crash may have removed them already). The caller
 *  fsyncs the directory once afterwards. */
export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      await unlink(join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Deletes files one at a time in the given order, making each deletion durable before the next:
 * a crash then leaves a prefix of the deletions done, never an arbitrary subset (which could
 * leave a hole in the middle of the log).
 */
export async function removeFilesInOrder(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    await removeFiles(dir, [name]);
    await fsyncDir(dir);
  }
}
