// The LogStore port on real files: a node's durable consensus state (log, hard state, snapshots)
// in its data directory, with group commit on appends. It wires together the pieces that each
// own one concern: commit-queue.ts (batching and ordering), segment-log.ts (segment files),
// recovery.ts (load), hard-state-file.ts and snapshot-file.ts (the two small atomic files),
// snapshot-pipeline.ts (storing a snapshot while appends go on).
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { HardState, LogEntry, SnapshotMeta } from '../../machines/types.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import type { SnapshotText } from '../../machines/snapshot-text.ts';
import type { LogStore, Logger, RecoveredLog } from '../../actors/ports.ts';
import { CommitQueue } from './commit-queue.ts';
import { fsyncDir } from './durable-fs.ts';
import { StorageMisuseError, closedError } from './errors.ts';
import { HardStateWriter } from './hard-state-writer.ts';
import { recoverDataDir } from './recovery.ts';
import { SegmentLog, type AppendJob } from './segment-log.ts';
import { SnapshotPipeline, type SnapshotFileWriter } from './snapshot-pipeline.ts';
import { writeSnapshot } from './snapshot-file.ts';

export interface FileLogStoreOptions {
  readonly dir: string;
  /** Roll to a new segment once one would grow past this (default `raft.logSegmentBytesMax`). */
  readonly segmentBytesMax?: number;
  /** Flush a snapshot file being written every this many bytes (default `raft.snapshotSyncBytes`). */
  readonly snapshotSyncBytes?: number;
  readonly logger: Logger;
  /** Called after each group commit round with its duration and how many records it made durable. */
  readonly onFsync?: (ms: number, records: number) => void;
  /**
   * Writes a snapshot file durably (default: snapshot-file.ts's writer). A seam for specs that
   * need a write to take as long as they choose; production code leaves it unset.
   */
  readonly writeSnapshotFile?: SnapshotFileWriter;
}

export interface FileLogStoreStats {
  /** Bytes of log records in the segment files now on disk. */
  readonly logBytes: number;
  /** Segment fsyncs done by appends since the store was opened. */
  readonly fsyncs: number;
  /** Appended records per segment fsync: how well group commit is batching. */
  readonly recordsPerFsyncAvg: number;
}

export interface FileLogStore extends LogStore {
  stats(): FileLogStoreStats;
}

/** Opens (creating if needed) a node's data directory. Call `load()` before the log operations. */
export async function openFileLogStore(options: FileLogStoreOptions): Promise<FileLogStore> {
  const dir = resolve(options.dir);
  const created = await mkdir(dir, { recursive: true });
  // A new directory's own entry must be durable too, or a crash could lose the whole store.
  if (created !== undefined) await fsyncDir(dirname(created));
  return new DataDirLogStore(dir, options);
}

class DataDirLogStore implements FileLogStore {
  private readonly logger: Logger;
  private readonly segmentBytesMax: number;
  private readonly queue: CommitQueue;
  private readonly hardStateWriter: HardStateWriter;
  private readonly snapshots: SnapshotPipeline;
  private log: SegmentLog | null = null;
  private closed = false;
  private fsyncs = 0;
  private records = 0;

  constructor(
    private readonly dir: string,
    private readonly options: FileLogStoreOptions,
  ) {
    this.logger = options.logger;
    this.segmentBytesMax = options.segmentBytesMax ?? DEFAULT_CONFIG.raft.logSegmentBytesMax;
    if (!(this.segmentBytesMax > 0)) throw new RangeError(`segmentBytesMax must be positive, got ${this.segmentBytesMax}`);
    this.queue = new CommitQueue((jobs) => this.runAppendRound(jobs));
    this.hardStateWriter = new HardStateWriter(dir);
    this.snapshots = new SnapshotPipeline({
      dir,
      logger: this.logger,
      queue: this.queue,
      log: () => this.loaded(),
      writeFile: options.writeSnapshotFile ?? writeSnapshot,
      syncBytes: options.snapshotSyncBytes ?? DEFAULT_CONFIG.raft.snapshotSyncBytes,
    });
  }

  load(): Promise<RecoveredLog> {
    return this.guard(() =>
      this.queue.exclusive(async () => {
        // A snapshot file still being written would race recovery (which deletes temporary
        // files) and then install itself into the new log: finish it first.
        if (this.log !== null) await this.snapshots.finishPlannedUnderLock();
        await this.log?.close();
        this.log = null;
        const rec = await this.hardStateWriter.exclusive(() => recoverDataDir(this.dir, this.logger));
        this.log = new SegmentLog(this.dir, this.segmentBytesMax, rec.tail);
        this.logger.info(
          {
            dir: this.dir,
            term: rec.hardState.term,
            snapshotIndex: rec.snapshot?.meta.index ?? null,
            lastIndex: rec.tail.lastIndex,
            segments: rec.tail.segments.length,
          },
          'log store recovered',
        );
        return {
          hardState: rec.hardState,
          snapshot: rec.snapshot === null ? null : { meta: rec.snapshot.meta, data: rec.snapshot.data },
          entries: rec.entries,
        };
      }),
    );
  }

  saveHardState(hardState: HardState): Promise<void> {
    return this.guard(async () => {
      const { term, votedFor } = hardState;
      if (!Number.isSafeInteger(term) || term < 0 || !(votedFor === null || typeof votedFor === 'string')) {
        throw new StorageMisuseError(`bad hard state ${JSON.stringify(hardState)}`);
      }
      try {
        await this.hardStateWriter.save(hardState);
      } catch (err) {
        throw this.queue.fail(err);
      }
    });
  }

  append(entries: readonly LogEntry[]): Promise<void> {
    return this.guard(() => this.queue.append(entries));
  }

  truncateFrom(index: number): Promise<void> {
    return this.guard(() =>
      this.queue.exclusive(async () => {
        const log = this.loaded();
        // Entries a snapshot being written covers are as immutable as those of a stored one.
        await log.truncateFrom(index, this.snapshots.floor(log));
      }),
    );
  }

  saveSnapshot(meta: SnapshotMeta, data: SnapshotText): Promise<void> {
    return this.guard(() => this.snapshots.save(meta, data));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A snapshot being written holds no place in the queue until it installs, and one whose call
    // is still queued is planned (and starts writing) only when the queue reaches it: wait until
    // neither has anything left.
    do {
      await this.snapshots.idle();
      await this.queue.idle();
    } while (this.snapshots.busy);
    await this.hardStateWriter.idle();
    await this.log?.close();
    this.log = null;
  }

  stats(): FileLogStoreStats {
    return {
      logBytes: this.log?.logBytes ?? 0,
      fsyncs: this.fsyncs,
      recordsPerFsyncAvg: this.fsyncs === 0 ? 0 : this.records / this.fsyncs,
    };
  }

  private guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const failed = this.queue.failed;
    if (failed !== null) return Promise.reject(failed);
    return op();
  }

  private loaded(): SegmentLog {
    if (this.log === null) throw new StorageMisuseError('call load() before using the log');
    return this.log;
  }

  private async runAppendRound(jobs: AppendJob[]): Promise<void> {
    if (this.log === null) {
      for (const job of jobs) job.reject(new StorageMisuseError('call load() before using the log'));
      return;
    }
    const started = performance.now();
    const { records, fsyncs } = await this.log.appendRound(jobs);
    if (fsyncs === 0) return;
    this.fsyncs += fsyncs;
    this.records += records;
    try {
      this.options.onFsync?.(performance.now() - started, records);
    } catch (err) {
      // A metrics hook must not be mistaken for a failed write, which would fail the store.
      this.logger.warn({ err: String(err) }, 'onFsync hook threw');
    }
  }
}
