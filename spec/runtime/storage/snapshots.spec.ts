// Snapshots and compaction: a durable snapshot deletes the segments it covers but keeps the
// entries after it; a snapshot past the log's end (or disagreeing with it) replaces the log; at
// most two snapshot files are kept; a damaged newest snapshot falls back to the older one; and
// recovery finishes a compaction or replacement that a crash interrupted.
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../../machines/types.ts';
import { textOf } from '../../../machines/snapshot-text.ts';
import type { FileLogStore } from '../../../runtime/storage/index.ts';
import { assertRejects, openStore, plainSnapshot, storeSuite, type Ctx } from './store-fixture.ts';

const snap = storeSuite('snapshots', 'syncpay-snap-');

const SEGMENT_BYTES = 512;

async function open(ctx: Ctx): Promise<FileLogStore> {
  return openStore(ctx, SEGMENT_BYTES);
}

async function reopen(ctx: Ctx, s: FileLogStore): Promise<FileLogStore> {
  await s.close();
  return open(ctx);
}

function range(from: number, to: number, term = 1): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, kind: 'command', hlc: `h${i}`, data: `{"n":${i}}` });
  return out;
}

async function files(dir: string, ext: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(ext)).sort();
}

function firstIndexOf(name: string): number {
  return Number(/-(\d+)\./.exec(name)![1]);
}

/** A copy of every segment file, to put back later and so stage a crash before deletions. */
async function copySegments(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const name of await files(dir, '.seg')) out.set(name, await readFile(join(dir, name)));
  return out;
}

snap('compaction: covered segments are deleted, entries after the snapshot kept, reload gives snapshot + tail', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 60));
  const before = await files(ctx.dir, '.seg');
  const bytesBefore = s.stats().logBytes;
  await s.saveSnapshot({ index: 40, term: 1 }, textOf('{"ledger":"state at 40"}'));

  const after = await files(ctx.dir, '.seg');
  assert.ok(after.length < before.length, 'some segments were deleted');
  assert.ok(s.stats().logBytes < bytesBefore);
  // Every deleted segment ended at or before 40; the first survivor still holds entry 41.
  assert.ok(firstIndexOf(after[0]!) <= 41);
  for (const gone of before.filter((n) => !after.includes(n))) {
    const next = before[before.indexOf(gone) + 1]!;
    assert.ok(firstIndexOf(next) - 1 <= 40, `${gone} held entries past the snapshot`);
  }
  assert.equal(await files(ctx.dir, '.snap'), ['snapshot-00000000000000000040.snap']);

  s = await reopen(ctx, s);
  const loaded = await s.load();
  assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 40, term: 1 }, data: '{"ledger":"state at 40"}' });
  assert.equal(loaded.entries, range(41, 60));
  await s.append(range(61, 62));
  assert.equal((await (await reopen(ctx, s)).load()).entries, range(41, 62));
});

snap('a snapshot at the last index deletes every segment and the log goes on after it', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 30));
  await s.saveSnapshot({ index: 30, term: 1 }, textOf('S30'));
  assert.equal(await files(ctx.dir, '.seg'), []);
  await s.append(range(31, 32));
  s = await reopen(ctx, s);
  const loaded = await s.load();
  assert.equal(loaded.snapshot?.meta, { index: 30, term: 1 });
  assert.equal(loaded.entries, range(31, 32));
});

snap('a snapshot beyond the end replaces the log: empty after it, next append follows it', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 10));
  await s.saveSnapshot({ index: 50, term: 3 }, textOf('from the leader'));
  assert.equal(await files(ctx.dir, '.seg'), []);
  s = await reopen(ctx, s);
  let loaded = await s.load();
  assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 50, term: 3 }, data: 'from the leader' });
  assert.equal(loaded.entries, []);
  await assertRejects(s.append(range(11, 11)), /expected log index 51/);
  await s.append(range(51, 53, 3));
  loaded = await (await reopen(ctx, s)).load();
  assert.equal(loaded.entries, range(51, 53, 3));
});

snap('a snapshot whose term disagrees with the log at its index replaces the log', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 10, 1));
  await s.saveSnapshot({ index: 8, term: 2 }, textOf('other history'));
  s = await reopen(ctx, s);
  const loaded = await s.load();
  assert.equal(loaded.entries, [], 'entries 9 and 10 belonged to a history the snapshot overrode');
  await s.append(range(9, 9, 2));
});

snap('at most the newest two snapshots are kept', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  await s.append(range(1, 30));
  await s.saveSnapshot({ index: 10, term: 1 }, textOf('S10'));
  await s.saveSnapshot({ index: 20, term: 1 }, textOf('S20'));
  await s.saveSnapshot({ index: 25, term: 1 }, textOf('S25'));
  assert.equal(await files(ctx.dir, '.snap'), ['snapshot-00000000000000000020.snap', 'snapshot-00000000000000000025.snap']);
  await assertRejects(s.saveSnapshot({ index: 15, term: 1 }, textOf('late')), /SYNCPAY_ERR_STORAGE_MISUSE: snapshot at 15 is older/);
  await assertRejects(s.truncateFrom(25), /SYNCPAY_ERR_STORAGE_MISUSE: truncateFrom\(25\)/);
});

snap('a damaged newest snapshot is skipped with a warning in favour of the older one', async (ctx) => {
  // One large segment, so both snapshots lie inside it and the log still reaches back to the older.
  let s = await openStore(ctx);
  await s.load();
  await s.append(range(1, 30));
  await s.saveSnapshot({ index: 10, term: 1 }, textOf('S10'));
  await s.saveSnapshot({ index: 20, term: 1 }, textOf('S20'));
  await s.close();
  const newest = join(ctx.dir, 'snapshot-00000000000000000020.snap');
  const bytes = await readFile(newest);
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x40;
  await writeFile(newest, bytes);

  s = await open(ctx);
  const loaded = await s.load();
  assert.equal(plainSnapshot(loaded.snapshot), { meta: { index: 10, term: 1 }, data: 'S10' });
  assert.equal(loaded.entries, range(11, 30));
  const warning = ctx.lines.find((l) => l.level === 'warn' && /snapshot failed its checks/.test(l.msg ?? ''));
  assert.ok(warning, 'a warning names the skipped snapshot');
  assert.match(JSON.stringify(warning.obj), /snapshot-00000000000000000020\.snap/);
});

snap('a damaged newest snapshot whose log was already compacted away is reported, not papered over', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 60));
  await s.saveSnapshot({ index: 5, term: 1 }, textOf('S5'));
  await s.saveSnapshot({ index: 50, term: 1 }, textOf('S50'));
  await s.close();
  await writeFile(join(ctx.dir, 'snapshot-00000000000000000050.snap'), 'garbage');
  s = await open(ctx);
  await assertRejects(s.load(), /^SYNCPAY_ERR_STORAGE_CORRUPT: .*log-\d+\.seg at byte offset 0: entries 6 to \d+ are missing between .*snapshot-00000000000000000005\.snap and the log/);
});

snap('recovery finishes a compaction that a crash interrupted', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 60));
  const segments = await copySegments(ctx.dir);
  await s.saveSnapshot({ index: 40, term: 1 }, textOf('S40'));
  const kept = await files(ctx.dir, '.seg');
  await s.close();
  // Put the deleted segments back: the state of a crash right after the snapshot's rename.
  for (const [name, bytes] of segments) await writeFile(join(ctx.dir, name), bytes);

  s = await open(ctx);
  const loaded = await s.load();
  assert.equal(loaded.snapshot?.meta, { index: 40, term: 1 });
  assert.equal(loaded.entries, range(41, 60));
  assert.equal(await files(ctx.dir, '.seg'), kept);
});

snap('recovery copes with any subset of a compaction\'s deletions having reached the disk', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 60));
  const segments = await copySegments(ctx.dir);
  await s.saveSnapshot({ index: 40, term: 1 }, textOf('S40'));
  const kept = await files(ctx.dir, '.seg');
  await s.close();
  const deleted = [...segments.keys()].filter((n) => !kept.includes(n));
  assert.ok(deleted.length >= 3);
  // Only the first deleted segment comes back: a hole among covered segments, not a prefix.
  await writeFile(join(ctx.dir, deleted[0]!), segments.get(deleted[0]!)!);

  s = await open(ctx);
  assert.equal((await s.load()).entries, range(41, 60));
  assert.equal(await files(ctx.dir, '.seg'), kept);
});

snap('recovery finishes a log replacement that a crash interrupted', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 30));
  const segments = await copySegments(ctx.dir);
  await s.saveSnapshot({ index: 20, term: 2 }, textOf('S20 from a new leader'));
  await s.close();
  for (const [name, bytes] of segments) await writeFile(join(ctx.dir, name), bytes);

  s = await open(ctx);
  const loaded = await s.load();
  assert.equal(loaded.snapshot?.meta, { index: 20, term: 2 });
  assert.equal(loaded.entries, [], 'the old history is not resurrected');
  assert.equal(await files(ctx.dir, '.seg'), []);
  assert.ok(ctx.lines.some((l) => l.level === 'warn' && /interrupted log replacement/.test(l.msg ?? '')));
  await s.append(range(21, 21, 2));
});

snap('a half-written snapshot temp file is deleted, other components\' files are left alone', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 5));
  await s.saveSnapshot({ index: 3, term: 1 }, textOf('S3'));
  await s.close();
  await writeFile(join(ctx.dir, 'snapshot-00000000000000000005.snap.tmp'), 'half a snapshot');
  await writeFile(join(ctx.dir, 'ledger-export.tmp'), 'not ours');
  s = await open(ctx);
  const loaded = await s.load();
  assert.equal(loaded.snapshot?.meta, { index: 3, term: 1 });
  assert.equal(loaded.entries, range(4, 5));
  const names = await readdir(ctx.dir);
  assert.not.ok(names.includes('snapshot-00000000000000000005.snap.tmp'));
  assert.ok(names.includes('ledger-export.tmp'));
});

snap('a large snapshot with non-ASCII data round-trips', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  const data = JSON.stringify({ accounts: Array.from({ length: 5000 }, (_, i) => ({ id: `acct-${i}`, name: `Zoë ${i} 💶`, balance: String(i * 1234567) })) });
  await s.saveSnapshot({ index: 7, term: 2 }, textOf(data));
  s = await reopen(ctx, s);
  assert.is(plainSnapshot((await s.load()).snapshot)?.data, data);
});


snap.run();
