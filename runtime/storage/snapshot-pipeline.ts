// Storing a snapshot without holding the log back. Encoding, writing and fsyncing a snapshot
// file of tens of MB takes long enough for a leader to miss its heartbeats, so a snapshot that
// only compacts the log (the usual case: the node snapshots what it applied) is done in three
// steps, and only the first and last hold the commit queue's exclusive lock:
//
//   1. plan (locked, at the call's place among the other log operations): check the snapshot
//      against the log, read the chain hash of the entry at its index, and raise the floor
//      below which truncations are refused;
//   2. write (unlocked): temporary file, fsync, rename, fsync of the directory; appends and
//      truncations above the floor go on meanwhile;
//   3. install (locked): delete the segments the snapshot covers and the stale snapshot files.
//
// Why the unlocked write is safe:
// - The snapshot covers only indexes <= its index, and the floor makes truncateFrom refuse to
//   drop any of them from step 1 on (as it would once the snapshot were installed, so callers see
//   the same contract). Appends only add entries after the last one. So the entry at the index,
//   and with it the chain hash the file records, cannot change while the file is written.
// - Installing deletes whole segments that end at or before the index, so entries appended (or
//   rewritten after a truncation) above the index during the write are never removed.
// - A crash before the rename leaves a temporary file (recovery deletes it): the old snapshot
//   and a log that still holds every entry. A crash after it leaves the new snapshot and a log
//   that still holds its index with the recorded hash: recovery drops the covered segments, as
//   it does for any interrupted compaction. Either way the same committed prefix boots.
// - Snapshot writes are serialised among themselves: each waits for the previous one's file,
//   installs happen in index order, and a snapshot older than one already planned is refused (a
//   stale one that lost the race never replaces a newer one). One at the same index as a planned
//   snapshot resolves when that one is installed.
//
// A snapshot whose data is too large for a snapshot file (4 GiB of UTF-8) is refused at its call
// as a misuse, before anything is planned or written: failing the store would stop the node's log
// as well, and the next boot would only try the same snapshot again.
//
// A snapshot that replaces the log (from the leader, past the log's end or disagreeing with it)
// still runs wholly under the lock: the appends that follow it continue the snapshot, not the old
// log, so none of them may be written before it is durable and the old log is gone. It first
// finishes any snapshot still being written, so that installs stay in order.
import { readdir } from 'node:fs/promises';
import type { SnapshotMeta } from '../../machines/types.ts';
import type { SnapshotText } from '../../machines/snapshot-text.ts';
import type { Logger } from '../../actors/ports.ts';
import type { CommitQueue } from './commit-queue.ts';
import { fsyncDir, removeFiles } from './durable-fs.ts';
import { StorageMisuseError } from './errors.ts';
import type { SegmentLog } from './segment-log.ts';
import {
  SNAPSHOT_DATA_BYTES_MAX,
  nextTurn,
  snapshotContentHash,
  snapshotDataBytes,
  snapshotDataFits,
  snapshotFilesNewestFirst,
  writeSnapshot,
} from './snapshot-file.ts';

/** Writes a snapshot file durably (temporary name, fsync, rename, directory fsync); returns its name. */
export type SnapshotFileWriter = typeof writeSnapshot;

/** How many snapshot files to keep: the newest, and one to fall back on if it is damaged. */
const SNAPSHOTS_KEPT = 2;

interface Planned {
  readonly meta: SnapshotMeta;
  readonly chainHash: Buffer;
  /** Settles once the file is durable under its final name. */
  readonly written: Promise<string>;
  /** Settles once the snapshot is installed (or the store failed). */
  readonly done: Promise<void>;
  installed: boolean;
  /** True once `done` has settled either way. */
  finished: boolean;
}

export interface SnapshotPipelineDeps {
  readonly dir: string;
  readonly logger: Logger;
  readonly queue: CommitQueue;
  /** The loaded log; throws a StorageMisuseError before load(). */
  readonly log: () => SegmentLog;
  readonly writeFile: SnapshotFileWriter;
  /** Passed to writeFile: flush the file every this many bytes. */
  readonly syncBytes: number;
  /** Largest snapshot data in UTF-8 bytes (default: what the file format holds); specs lower it. */
  readonly dataBytesMax?: number;
}

export class SnapshotPipeline {
  /** Planned snapshots not yet installed, in increasing index order. */
  private planned: Planned[] = [];

  constructor(private readonly deps: SnapshotPipelineDeps) {}

  /** Lowest index a truncation may still drop, minus one: the newest snapshot stored or planned. */
  floor(log: SegmentLog): number {
    return Math.max(log.snapshotIndex, this.planned.at(-1)?.meta.index ?? 0);
  }

  /** Stores a snapshot and compacts the log; resolves once both are durable. */
  async save(meta: SnapshotMeta, data: SnapshotText): Promise<void> {
    const { done } = await this.deps.queue.exclusive(() => this.plan(meta, data));
    await done;
  }

  /**
   * Under the queue's lock: waits for every planned snapshot's file and installs them, so the
   * caller (a load, a log replacement) sees no snapshot in flight.
   */
  async finishPlannedUnderLock(): Promise<void> {
    const last = this.planned.at(-1);
    if (last !== undefined) await this.installThrough(last);
  }

  /** True while a planned snapshot has neither been installed nor failed. */
  get busy(): boolean {
    return this.planned.some((p) => !p.finished);
  }

  /** Settles once every snapshot planned so far is installed or has failed. */
  async idle(): Promise<void> {
    await Promise.all(this.planned.map((p) => p.done.catch(() => undefined)));
  }

  /** Step 1, under the lock. Returns what the caller waits for outside it. */
  private async plan(meta: SnapshotMeta, data: SnapshotText): Promise<{ done: Promise<void> }> {
    const max = this.deps.dataBytesMax ?? SNAPSHOT_DATA_BYTES_MAX;
    if (!snapshotDataFits(data, max)) {
      throw new StorageMisuseError(`snapshot at ${meta.index} has ${snapshotDataBytes(data)} bytes of data, more than the ${max} a snapshot file holds`);
    }
    const log = this.deps.log();
    if (!Number.isSafeInteger(meta.index) || meta.index < 1 || !Number.isSafeInteger(meta.term) || meta.term < 0) {
      throw new StorageMisuseError(`bad snapshot meta ${JSON.stringify(meta)}`);
    }
    const newest = this.floor(log);
    if (meta.index < newest) {
      throw new StorageMisuseError(`snapshot at ${meta.index} is older than the one stored or being written at ${newest}`);
    }
    if (meta.index === newest) {
      // Replicas apply deterministically, so a second snapshot at the same index holds the same
      // state; if that one is still being written, this call is done when it is.
      const same = this.planned.find((p) => p.meta.index === meta.index);
      if (same !== undefined) return { done: same.done };
      this.deps.logger.debug({ index: meta.index }, 'snapshot at this index already stored; nothing to do');
      return { done: Promise.resolve() };
    }
    // Raft's rule: entries after the snapshot survive only if the log agrees with it at its
    // index (same term there); otherwise the snapshot replaces the whole log.
    let chainHash: Buffer | null = null;
    if (log.holds(meta.index)) {
      const at = await log.readEntry(meta.index);
      if (at.entry.term === meta.term) chainHash = at.hash;
    }
    if (chainHash === null) {
      await this.replaceLog(meta, data);
      return { done: Promise.resolve() };
    }

    // Step 2 starts once the previous snapshot's file is durable: one file write at a time, and
    // files reach the disk in index order.
    const previous = this.planned.at(-1)?.written ?? Promise.resolve('');
    const hash = chainHash;
    const written = previous.then(() => this.deps.writeFile(this.deps.dir, { meta, data, chainHash: hash }, this.deps.syncBytes));
    // A write that fails leaves the disk in an unknown state: it fails the store, like a failed append.
    const durable = written.catch((err: unknown) => {
      throw this.deps.queue.fail(err);
    });
    const entry: Planned = {
      meta,
      chainHash,
      written: durable,
      installed: false,
      finished: false,
      done: durable.then(() => this.deps.queue.exclusive(() => this.installThrough(entry))),
    };
    this.planned.push(entry);
    // Marks the snapshot finished for close(); as a rejection handler it also keeps a failure
    // from going unobserved when no caller is left to see it (the store is failed either way).
    entry.done.then(
      () => void (entry.finished = true),
      () => void (entry.finished = true),
    );
    return { done: entry.done };
  }

  /** Step 3, under the lock: installs every planned snapshot up to `target`, oldest first. */
  private async installThrough(target: Planned): Promise<void> {
    while (!target.installed) {
      const next = this.planned[0];
      if (next === undefined) throw new Error('SYNCPAY_ERR_ASSERTION: a planned snapshot went missing before its install');
      const name = await next.written;
      await this.install(next, name);
      next.installed = true;
      this.planned.shift();
    }
  }

  private async install(p: Planned, name: string): Promise<void> {
    const log = this.deps.log();
    const { index, term } = p.meta;
    // The floor kept the entry at the index in place while the file was written; check it
    // anyway, since deleting segments on a wrong premise would lose entries for good.
    if (!log.holds(index) || log.snapshotIndex >= index || !(await log.readEntry(index)).hash.equals(p.chainHash)) {
      throw new Error(`SYNCPAY_ERR_ASSERTION: the log changed under snapshot ${name} while it was written`);
    }
    const deletedSegments = await log.compact(index, false, p.chainHash);
    const deletedSnapshots = await this.deleteStaleSnapshots();
    this.deps.logger.info({ snapshot: name, index, term, replacedLog: false, deletedSegments, deletedSnapshots }, 'snapshot stored');
  }

  /** The whole of a log replacement, under the lock (see the module note). */
  private async replaceLog(meta: SnapshotMeta, data: SnapshotText): Promise<void> {
    await this.finishPlannedUnderLock();
    const log = this.deps.log();
    const chainHash = await snapshotContentHash(meta, data, nextTurn);
    const name = await this.deps.writeFile(this.deps.dir, { meta, data, chainHash }, this.deps.syncBytes);
    const deletedSegments = await log.compact(meta.index, true, chainHash);
    const deletedSnapshots = await this.deleteStaleSnapshots();
    this.deps.logger.info({ snapshot: name, index: meta.index, term: meta.term, replacedLog: true, deletedSegments, deletedSnapshots }, 'snapshot stored');
  }

  private async deleteStaleSnapshots(): Promise<string[]> {
    // Only files under their final names count: a later snapshot's temporary file is not one.
    const stale = snapshotFilesNewestFirst(await readdir(this.deps.dir))
      .slice(SNAPSHOTS_KEPT)
      .map((s) => s.name);
    await removeFiles(this.deps.dir, stale);
    if (stale.length > 0) await fsyncDir(this.deps.dir);
    return stale;
  }
}
