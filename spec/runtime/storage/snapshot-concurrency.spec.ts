// A snapshot file is written outside the log store's exclusive lock: appends and truncations
// issued while it is written finish before it does, and the log and snapshot that result (or
// that a crash at any point leaves) boot to the same entries. The snapshot writer is replaced by
// one that stops at a gate the test opens, so "while the file is written" is a state the test
// holds for as long as it likes, with no timing involved.
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../../machines/types.ts';
import { textOf } from '../../../machines/snapshot-text.ts';
import type { RecoveredLog } from '../../../actors/ports.ts';
import { openFileLogStore, type FileLogStore } from '../../../runtime/storage/index.ts';
import { snapshotFileName } from '../../../runtime/storage/file-names.ts';
import { writeSnapshot } from '../../../runtime/storage/snapshot-file.ts';
import type { SnapshotFileWriter } from '../../../runtime/storage/snapshot-pipeline.ts';
import { captureLogger } from '../../support/quiet-ports.ts';
import { assertRejects, plainSnapshot, settlesWithin, storeSuite, type Ctx } from './store-fixture.ts';

const conc = storeSuite('snapshot concurrency', 'syncpay-snapconc-');

/** Small segments, so a snapshot covers several whole ones. */
const SEGMENT_BYTES = 512;

/**
 * A deadlock breaker, not a timing assertion: a passing run never gets near it. It stops a store
 * that serialises appends behind the snapshot write (the behaviour these specs rule out) from
 * hanging the suite, and names what did not happen.
 */
const DEADLOCK_GUARD_MS = 5000;

function range(from: number, to: number, term = 1): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, kind: 'command', hlc: `h${i}`, data: `{"n":${i},"t":${term}}` });
  return out;
}

interface Gate {
  /** Resolves when a write reaches the gate. */
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * The real snapshot writer with gates: `before` stops a write after half a temporary file is on
 * disk (as an interrupted write leaves it), `after` stops it once the file is durable under its
 * final name. Writes at indexes without a gate go straight through.
 */
class GatedWriter {
  readonly events: string[] = [];
  private readonly gates = new Map<string, { gate: Gate; reach(): void; opened: Promise<void> }>();

  hold(point: 'before' | 'after', index: number): Gate {
    let reach!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    const opened = new Promise<void>((r) => (release = r));
    const gate = { reached, release };
    this.gates.set(`${point}:${index}`, { gate, reach, opened });
    return gate;
  }

  releaseAll(): void {
    for (const { gate } of this.gates.values()) gate.release();
  }

  readonly write: SnapshotFileWriter = async (dir, snapshot) => {
    const index = snapshot.meta.index;
    this.events.push(`write ${index} start`);
    await writeFile(join(dir, snapshotFileName(index) + '.tmp'), 'the first half of a snapshot');
    await this.pass(`before:${index}`);
    const name = await writeSnapshot(dir, snapshot);
    await this.pass(`after:${index}`);
    this.events.push(`write ${index} done`);
    return name;
  };

  private async pass(key: string): Promise<void> {
    const g = this.gates.get(key);
    if (g === undefined) return;
    g.reach();
    await g.opened;
  }
}

/** A loaded store writing snapshot files through `writer`, holding entries 1-60: where every test here starts. */
async function openGated(ctx: Ctx, writer: GatedWriter): Promise<FileLogStore> {
  const s = await openFileLogStore({ dir: ctx.dir, logger: captureLogger(ctx.lines), segmentBytesMax: SEGMENT_BYTES, writeSnapshotFile: writer.write });
  ctx.stores.push(s);
  await s.load();
  await s.append(range(1, 60));
  return s;
}

/** Runs a test body with a gated writer whose gates are all opened afterwards, pass or fail, so the store can close. */
async function withWriter(body: (w: GatedWriter) => Promise<void>): Promise<void> {
  const w = new GatedWriter();
  try {
    await body(w);
  } finally {
    w.releaseAll();
  }
}

/** `p`, or a rejection naming `what` if it has not settled long after it should have. */
function during<T>(p: Promise<T>, what: string): Promise<T> {
  return settlesWithin(p, DEADLOCK_GUARD_MS, `${what} did not settle while the snapshot file was held mid-write`);
}

/** Tracks whether a promise has settled, for checks of what is still pending. */
function track<T>(p: Promise<T>): { readonly settled: () => boolean; readonly promise: Promise<T> } {
  let done = false;
  const promise = p.finally(() => (done = true));
  promise.catch(() => undefined);
  return { settled: () => done, promise };
}

/** Boots a fresh store on `dir` (a crash image, or the live directory after a close). */
async function boot(dir: string): Promise<RecoveredLog> {
  const s = await openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax: SEGMENT_BYTES });
  try {
    return await s.load();
  } finally {
    await s.close();
  }
}

/** The files of `dir` as they are now: what a crash at this moment leaves on disk. */
async function crashImage(dir: string): Promise<{ dir: string; files: Map<string, Buffer> }> {
  const image = await mkdtemp(join(tmpdir(), 'syncpay-snapconc-crash-'));
  const files = new Map<string, Buffer>();
  for (const name of await readdir(dir)) {
    const bytes = await readFile(join(dir, name));
    files.set(name, bytes);
    await writeFile(join(image, name), bytes);
  }
  return { dir: image, files };
}

function names(files: Iterable<string>, ext: string): string[] {
  return [...files].filter((n) => n.endsWith(ext)).sort();
}

function stored(ctx: Ctx, index: number): boolean {
  return ctx.lines.some((l) => l.msg === 'snapshot stored' && (l.obj as { index?: number }).index === index);
}


conc('appends issued while the snapshot file is written complete before it; log and snapshot then boot to the same entries', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const segmentsBefore = names(await readdir(ctx.dir), '.seg');
    const gate = w.hold('before', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;

    // One call, then a burst in the same tick (a group commit round), then one more.
    await during(s.append(range(61, 61)), 'an append');
    await during(Promise.all([s.append(range(62, 63)), s.append(range(64, 66))]), 'a burst of appends');
    await during(s.append(range(67, 70)), 'an append');
    w.events.push('appends done');
    assert.not.ok(snap.settled(), 'the snapshot is still being written');
    assert.ok(names(await readdir(ctx.dir), '.seg').includes(segmentsBefore[0]!), 'nothing was compacted before the file is durable');

    gate.release();
    await snap.promise;
    assert.equal(w.events, ['write 40 start', 'appends done', 'write 40 done']);
    const segmentsAfter = names(await readdir(ctx.dir), '.seg');
    assert.ok(segmentsAfter.length < segmentsBefore.length, 'covered segments were deleted once the snapshot was installed');
    assert.equal(names(await readdir(ctx.dir), '.snap'), ['snapshot-00000000000000000040.snap']);

    // The store goes on from the state it holds in memory, and the disk agrees with it.
    await s.append(range(71, 72));
    await s.close();
    const loaded = await boot(ctx.dir);
    assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 40, term: 1 }, data: 'S40' });
    assert.equal(loaded.entries, range(41, 72));
  }),
);

conc('truncations above the snapshot go on during the write; ones it covers are refused at once; compaction keeps what follows it', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('before', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;

    // A follower's conflicting suffix: cut it and write the leader's entries, twice, the second
    // time right after the snapshot's index so its segment also holds entries the snapshot does not cover.
    await during(s.truncateFrom(50), 'a truncation above the snapshot');
    await during(s.append(range(50, 55, 2)), 'an append after a truncation');
    await during(s.truncateFrom(41), 'a truncation right after the snapshot');
    await during(s.append(range(41, 47, 3)), 'an append after a truncation');
    // The snapshot's entries are immutable from the moment it was planned, as once it is installed.
    await during(assertRejects(s.truncateFrom(40), /SYNCPAY_ERR_STORAGE_MISUSE: truncateFrom\(40\)/), 'a refused truncation');
    await during(assertRejects(s.truncateFrom(12), /SYNCPAY_ERR_STORAGE_MISUSE: truncateFrom\(12\)/), 'a refused truncation');
    assert.not.ok(snap.settled());

    gate.release();
    await snap.promise;
    await s.append(range(48, 48, 3));
    await s.close();
    const loaded = await boot(ctx.dir);
    assert.equal(loaded.snapshot?.meta, { index: 40, term: 1 });
    assert.equal(loaded.entries, range(41, 48, 3));
  }),
);

conc('snapshots are written one at a time and installed in order; a stale one is refused, a repeated one waits for the first', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('before', 20);
    const first = track(s.saveSnapshot({ index: 20, term: 1 }, textOf('S20')));
    await gate.reached;

    let repeatSawFirstInstalled: boolean | null = null;
    const repeat = track(s.saveSnapshot({ index: 20, term: 1 }, textOf('S20')).then(() => void (repeatSawFirstInstalled = stored(ctx, 20))));
    const second = track(s.saveSnapshot({ index: 30, term: 1 }, textOf('S30')));
    // Older than a snapshot already under way: refused straight away, and it writes nothing.
    await during(assertRejects(s.saveSnapshot({ index: 15, term: 1 }, textOf('S15 (stale)')), /SYNCPAY_ERR_STORAGE_MISUSE: snapshot at 15 is older than the one stored or being written at 30/), 'a stale snapshot');
    await during(s.append(range(61, 65)), 'an append');
    assert.equal(w.events, ['write 20 start'], 'the second file waits for the first');
    assert.not.ok(first.settled() || second.settled() || repeat.settled());

    gate.release();
    await Promise.all([first.promise, second.promise, repeat.promise]);
    assert.equal(w.events, ['write 20 start', 'write 20 done', 'write 30 start', 'write 30 done']);
    assert.is(repeatSawFirstInstalled, true, 'the repeated snapshot resolved only once the first was installed');
    assert.equal(names(await readdir(ctx.dir), '.snap'), ['snapshot-00000000000000000020.snap', 'snapshot-00000000000000000030.snap']);
    await s.close();
    const loaded = await boot(ctx.dir);
    assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 30, term: 1 }, data: 'S30' });
    assert.equal(loaded.entries, range(31, 65));
  }),
);

conc('a snapshot from the leader that replaces the log finishes the one being written first, and the appends after it follow it', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('before', 40);
    const local = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.append(range(61, 62)), 'an append');

    // In call order: the replacement, then entries that continue it (not the old log).
    const replacement = track(s.saveSnapshot({ index: 100, term: 3 }, textOf('S100 from the leader')));
    const after = track(s.append(range(101, 103, 3)));
    assert.not.ok(local.settled() || replacement.settled() || after.settled());

    gate.release();
    await Promise.all([local.promise, replacement.promise, after.promise]);
    assert.equal(w.events, ['write 40 start', 'write 40 done', 'write 100 start', 'write 100 done']);
    assert.equal(names(await readdir(ctx.dir), '.snap'), ['snapshot-00000000000000000040.snap', 'snapshot-00000000000000000100.snap']);
    assert.equal(names(await readdir(ctx.dir), '.seg'), ['log-00000000000000000101.seg']);
    await s.close();
    const loaded = await boot(ctx.dir);
    assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 100, term: 3 }, data: 'S100 from the leader' });
    assert.equal(loaded.entries, range(101, 103, 3));
  }),
);

conc('a crash while the file is written boots to the old snapshot and every entry acknowledged meanwhile', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    await s.saveSnapshot({ index: 20, term: 1 }, textOf('S20'));
    const gate = w.hold('before', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.truncateFrom(58), 'a truncation');
    await during(s.append(range(58, 70, 2)), 'an append');

    const image = await crashImage(ctx.dir);
    try {
      assert.ok(image.files.has('snapshot-00000000000000000040.snap.tmp'), 'the crash caught the file half written');
      const loaded = await boot(image.dir);
      assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 20, term: 1 }, data: 'S20' });
      assert.equal(loaded.entries, [...range(21, 57), ...range(58, 70, 2)]);
      assert.not.ok((await readdir(image.dir)).some((n) => n.endsWith('.tmp')), 'recovery deleted the half-written file');
    } finally {
      await rm(image.dir, { recursive: true, force: true });
    }
    gate.release();
    await snap.promise;
  }),
);

conc('a crash after the rename boots to the new snapshot and the entries appended meanwhile, also part way through the compaction', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('after', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.truncateFrom(45), 'a truncation');
    await during(s.append(range(45, 66, 2)), 'an append');
    const expected = [...range(41, 44), ...range(45, 66, 2)];

    // Crash between the rename and the install: the old log is all still there.
    const beforeInstall = await crashImage(ctx.dir);
    gate.release();
    await snap.promise;
    const afterInstall = await crashImage(ctx.dir);
    // Crash part way through the install: some covered segments deleted, others not yet.
    const covered = names(beforeInstall.files.keys(), '.seg').filter((n) => !afterInstall.files.has(n));
    assert.ok(covered.length >= 2, 'the snapshot covers several segments');
    await writeFile(join(afterInstall.dir, covered[1]!), beforeInstall.files.get(covered[1]!)!);
    try {
      for (const image of [beforeInstall, afterInstall]) {
        const loaded = await boot(image.dir);
        assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 40, term: 1 }, data: 'S40' });
        assert.equal(loaded.entries, expected);
      }
    } finally {
      await rm(beforeInstall.dir, { recursive: true, force: true });
      await rm(afterInstall.dir, { recursive: true, force: true });
    }
    await s.close();
    assert.equal((await boot(ctx.dir)).entries, expected);
  }),
);

conc('load() (an actor restart) during a write waits for the snapshot and recovers it with the entries appended meanwhile', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('before', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.append(range(61, 65)), 'an append');
    const reload = track(s.load());
    assert.not.ok(reload.settled());

    gate.release();
    const loaded = await reload.promise;
    await snap.promise;
    assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 40, term: 1 }, data: 'S40' });
    assert.equal(loaded.entries, range(41, 65));
    await s.append(range(66, 66));
    await s.close();
    assert.equal((await boot(ctx.dir)).entries, range(41, 66));
  }),
);

conc('close() during a write waits until the snapshot is installed', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const segmentsBefore = names(await readdir(ctx.dir), '.seg');
    const gate = w.hold('before', 40);
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.append(range(61, 64)), 'an append');
    const closing = s.close().then(() => void w.events.push('closed'));
    gate.release();
    await closing;
    await snap.promise;
    assert.equal(w.events, ['write 40 start', 'write 40 done', 'closed']);
    assert.ok(names(await readdir(ctx.dir), '.seg').length < segmentsBefore.length, 'the install ran before the store closed');
    const loaded = await boot(ctx.dir);
    assert.equal(loaded.snapshot?.meta, { index: 40, term: 1 });
    assert.equal(loaded.entries, range(41, 64));
  }),
);

conc('close() right after a snapshot call, before the store reached it, still waits for the install', (ctx) =>
  withWriter(async (w) => {
    const s = await openGated(ctx, w);
    const gate = w.hold('before', 40);
    // All in one tick: the snapshot is only planned once the queue reaches it, after the first append.
    const before = s.append(range(61, 62));
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    const after = s.append(range(63, 64));
    const closing = s.close().then(() => void w.events.push('closed'));
    await gate.reached;
    await during(Promise.all([before, after]), 'the appends around the snapshot call');
    gate.release();
    await closing;
    await snap.promise;
    assert.equal(w.events, ['write 40 start', 'write 40 done', 'closed']);
    const loaded = await boot(ctx.dir);
    assert.equal(loaded.snapshot?.meta, { index: 40, term: 1 });
    assert.equal(loaded.entries, range(41, 64));
  }),
);

conc('a failed snapshot write fails the store after the appends made meanwhile, which survive', (ctx) =>
  withWriter(async (w) => {
    let failNext = false;
    const failing: SnapshotFileWriter = async (dir, snapshot) => {
      const name = await w.write(dir, snapshot);
      if (failNext) throw new Error('EIO: simulated fsync failure');
      return name;
    };
    const s = await openFileLogStore({ dir: ctx.dir, logger: captureLogger(ctx.lines), segmentBytesMax: SEGMENT_BYTES, writeSnapshotFile: failing });
    ctx.stores.push(s);
    await s.load();
    await s.append(range(1, 60));
    const gate = w.hold('before', 40);
    failNext = true;
    const snap = track(s.saveSnapshot({ index: 40, term: 1 }, textOf('S40')));
    await gate.reached;
    await during(s.append(range(61, 62)), 'an append');

    gate.release();
    await assertRejects(snap.promise, /SYNCPAY_ERR_STORAGE_FAILED: .*EIO: simulated fsync failure/);
    await assertRejects(s.append(range(63, 63)), /SYNCPAY_ERR_STORAGE_FAILED/);
    await s.close();
    // The file did reach its final name before the (simulated) failure: either snapshot boots
    // to the same entries, and the two appended during the write are among them.
    const loaded = await boot(ctx.dir);
    const base = loaded.snapshot?.meta.index ?? 0;
    assert.equal(loaded.entries, range(base + 1, 62));
  }),
);

conc.run();
