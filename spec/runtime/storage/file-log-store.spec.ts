// The file-backed LogStore's everyday behaviour: entries and hard state survive a reopen, group
// commit shares fsyncs among concurrent appends, truncation drops a suffix durably, segments
// roll at their size limit, and contract violations are refused without harming the store.
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../../machines/types.ts';
import type { FileLogStore } from '../../../runtime/storage/index.ts';
import { assertRejects, openStore, storeSuite, type Ctx } from './store-fixture.ts';

const store = storeSuite('file log store', 'syncpay-store-');

async function open(ctx: Ctx, segmentBytesMax?: number, onFsync?: (ms: number, records: number) => void): Promise<FileLogStore> {
  return openStore(ctx, segmentBytesMax, onFsync);
}

async function reopen(ctx: Ctx, s: FileLogStore, segmentBytesMax?: number): Promise<FileLogStore> {
  await s.close();
  return open(ctx, segmentBytesMax);
}

function entry(index: number, term = 1): LogEntry {
  return { index, term, kind: index % 5 === 0 ? 'noop' : 'command', hlc: `hlc-${index}`, data: JSON.stringify({ transfer: `t${index}`, amount: String(index * 100) }) };
}

function range(from: number, to: number, term = 1): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
}

store('a fresh directory loads as an empty log with the initial hard state', async (ctx) => {
  const s = await open(ctx);
  assert.equal(await s.load(), { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] });
});

store('round trip: appended entries come back identical after a reopen', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 3));
  await s.append(range(4, 10, 2));
  s = await reopen(ctx, s);
  const loaded = await s.load();
  assert.equal(loaded.entries, [...range(1, 3), ...range(4, 10, 2)]);
  assert.is(loaded.snapshot, null);
});

store('group commit: concurrent appends share fsyncs, and each resolves only once durable', async (ctx) => {
  const rounds: number[] = [];
  const s = await open(ctx, undefined, (_ms, records) => rounds.push(records));
  await s.load();
  const appends = 200;
  const pending: Promise<void>[] = [];
  for (let i = 1; i <= appends; i++) pending.push(s.append([entry(i)]));
  // Stagger a second burst behind the first round's fsync: those must join a later round.
  await pending[0];
  for (let i = appends + 1; i <= appends * 2; i++) pending.push(s.append([entry(i)]));
  await Promise.all(pending);

  const { fsyncs, recordsPerFsyncAvg } = s.stats();
  console.log(`group commit: ${appends * 2} appends, ${fsyncs} fsyncs, ${recordsPerFsyncAvg.toFixed(1)} records per fsync`);
  assert.ok(fsyncs < appends * 2, `expected fewer fsyncs than appends, got ${fsyncs}`);
  assert.is(rounds.reduce((a, b) => a + b, 0), appends * 2, 'every record is counted in exactly one fsync round');
  assert.is(recordsPerFsyncAvg, (appends * 2) / fsyncs);
  const loaded = await (await reopen(ctx, s)).load();
  assert.is(loaded.entries.length, appends * 2);
  assert.is(loaded.entries.at(-1)!.index, appends * 2);
});

store('an append resolves only after its bytes are in the segment file', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  const p = s.append(range(1, 3)).then(async () => (await readFile(join(ctx.dir, (await segmentFiles(ctx.dir))[0]!))).length);
  const bytesSeenAtResolve = await p;
  assert.is(bytesSeenAtResolve, s.stats().logBytes);
  assert.ok(bytesSeenAtResolve > 0);
});

store('truncate then append: the dropped suffix is gone and the new one chains on', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.append(range(1, 10));
  await s.truncateFrom(6);
  await s.append(range(6, 8, 2));
  s = await reopen(ctx, s);
  const loaded = await s.load();
  assert.equal(loaded.entries, [...range(1, 5), ...range(6, 8, 2)]);
  // The chain continued correctly, so appending after the reload works too.
  await s.append([entry(9, 2)]);
  assert.is((await (await reopen(ctx, s)).load()).entries.length, 9);
});

store('truncating across segments deletes the later segment files', async (ctx) => {
  let s = await open(ctx, 512);
  await s.load();
  await s.append(range(1, 40));
  const before = await segmentFiles(ctx.dir);
  assert.ok(before.length >= 4, `expected several segments, got ${before.length}`);
  await s.truncateFrom(3);
  assert.equal(await segmentFiles(ctx.dir), [before[0]!]);
  await s.truncateFrom(1);
  assert.equal(await segmentFiles(ctx.dir), [], 'truncating from the first index empties the log');
  await s.append(range(1, 2, 3));
  s = await reopen(ctx, s, 512);
  assert.equal((await s.load()).entries, range(1, 2, 3));
});

store('truncating past the end changes nothing', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  await s.append(range(1, 3));
  await s.truncateFrom(4);
  assert.equal((await (await reopen(ctx, s)).load()).entries, range(1, 3));
});

store('segment rolling: files roll at the size limit and each is named by its first index', async (ctx) => {
  let s = await open(ctx, 1024);
  await s.load();
  for (let i = 1; i <= 100; i += 10) await s.append(range(i, i + 9));
  const files = await segmentFiles(ctx.dir);
  assert.ok(files.length > 3, `expected rolling, got ${files.length} segment(s)`);
  assert.is(files[0], 'log-00000000000000000001.seg');
  let expectFirst = 1;
  for (const f of files) {
    const bytes = (await readFile(join(ctx.dir, f))).length;
    assert.ok(bytes <= 1024, `${f} is ${bytes} bytes, over the limit`);
    assert.is(Number(/log-(\d+)\.seg/.exec(f)![1]), expectFirst);
    expectFirst += countRecords(await readFile(join(ctx.dir, f)));
  }
  assert.is(expectFirst, 101);
  s = await reopen(ctx, s, 1024);
  assert.equal((await s.load()).entries, range(1, 100));
});

function countRecords(bytes: Buffer): number {
  let n = 0;
  for (let o = 0; o < bytes.length; o += 24 + bytes.readUInt32BE(o)) n++;
  return n;
}

store('a record larger than the segment limit gets a segment of its own', async (ctx) => {
  let s = await open(ctx, 256);
  await s.load();
  const big: LogEntry = { ...entry(2), data: 'x'.repeat(1000) };
  await s.append([entry(1), big, entry(3)]);
  assert.is((await segmentFiles(ctx.dir)).length, 3);
  s = await reopen(ctx, s, 256);
  assert.equal((await s.load()).entries, [entry(1), big, entry(3)]);
});

store('hard state: overwritten atomically, newest wins, no temp file left behind', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.saveHardState({ term: 1, votedFor: 'node1' });
  // Several saves in flight: the last one called must be what is on disk.
  await Promise.all([s.saveHardState({ term: 2, votedFor: null }), s.saveHardState({ term: 2, votedFor: 'node3' }), s.saveHardState({ term: 3, votedFor: 'node2' })]);
  const names = await readdir(ctx.dir);
  assert.ok(names.includes('hardstate.json'));
  assert.not.ok(names.some((n) => n.endsWith('.tmp')));
  s = await reopen(ctx, s);
  assert.equal((await s.load()).hardState, { term: 3, votedFor: 'node2' });
});

store('hard state: saves racing a load() (an actor restart) neither fail nor get lost', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  for (let term = 1; term <= 5; term++) {
    const saved = s.saveHardState({ term, votedFor: 'node2' });
    const loaded = s.load();
    await saved;
    const seen = (await loaded).hardState.term;
    assert.ok(seen === term || seen === term - 1, `load saw term ${seen} while term ${term} was being saved`);
  }
  assert.equal((await s.load()).hardState, { term: 5, votedFor: 'node2' });
});

store('hard state: a leftover temp file from a crash mid-write is ignored and removed', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.saveHardState({ term: 4, votedFor: 'node1' });
  await writeFile(join(ctx.dir, 'hardstate.json.tmp'), '{"term":9,"vot');
  s = await reopen(ctx, s);
  assert.equal((await s.load()).hardState, { term: 4, votedFor: 'node1' });
  assert.not.ok((await readdir(ctx.dir)).includes('hardstate.json.tmp'));
});

store('hard state: a damaged file stops recovery with the corrupt error', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  await s.saveHardState({ term: 4, votedFor: 'node1' });
  const file = join(ctx.dir, 'hardstate.json');
  await writeFile(file, (await readFile(file, 'utf8')).replace('"term":4', '"term":5'));
  s = await reopen(ctx, s);
  try {
    await s.load();
    assert.unreachable('load should have failed');
  } catch (err) {
    assert.match((err as Error).message, /^SYNCPAY_ERR_STORAGE_CORRUPT: .*hardstate\.json at byte offset 0: hard state checksum mismatch/);
  }
});

store('misuse: an append with a gap is refused, and the store stays usable', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  await s.append(range(1, 2));
  const results = await Promise.allSettled([s.append([entry(3)]), s.append([entry(5)]), s.append([entry(4)])]);
  assert.equal(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.match(String((results[1] as PromiseRejectedResult).reason.message), /^SYNCPAY_ERR_STORAGE_MISUSE: append expected log index 4 but got 5/);
  await s.append([entry(5)]);
  assert.equal((await (await reopen(ctx, s)).load()).entries, range(1, 5));
});

store('misuse: the log refuses use before load() and after close()', async (ctx) => {
  const s = await open(ctx);
  await assertRejects(s.append([entry(1)]), /SYNCPAY_ERR_STORAGE_MISUSE: call load\(\)/);
  await s.load();
  await s.close();
  await assertRejects(s.append([entry(1)]), /SYNCPAY_ERR_STORAGE_CLOSED/);
});

store('close() waits for appends already issued', async (ctx) => {
  let s = await open(ctx);
  await s.load();
  const appended = s.append(range(1, 50));
  await s.close();
  await appended;
  s = await open(ctx);
  assert.is((await s.load()).entries.length, 50);
});

store('load() can run again on the same store (an actor restart) and sees the same log', async (ctx) => {
  const s = await open(ctx, 600);
  await s.load();
  await s.append(range(1, 20));
  const again = await s.load();
  assert.equal(again.entries, range(1, 20));
  await s.append(range(21, 25));
  assert.equal((await s.load()).entries, range(1, 25));
});

store('a failed write fails the store: every later call rejects until a restart', async (ctx) => {
  const s = await open(ctx, 200);
  await s.load();
  await s.append(range(1, 2));
  // The directory vanishing makes the next segment's creation fail (root ignores permissions).
  await rm(ctx.dir, { recursive: true, force: true });
  const results = await Promise.allSettled([s.append(range(3, 12)), s.append(range(13, 13))]);
  for (const r of results) {
    assert.is(r.status, 'rejected');
    assert.match(String((r as PromiseRejectedResult).reason.message), /^SYNCPAY_ERR_STORAGE_FAILED: a storage write failed \(ENOENT/);
  }
  await assertRejects(s.truncateFrom(1), /^SYNCPAY_ERR_STORAGE_FAILED/);
  await assertRejects(s.saveHardState({ term: 1, votedFor: null }), /^SYNCPAY_ERR_STORAGE_FAILED/);
});

store('a failed hard-state write fails the store too', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  await rm(ctx.dir, { recursive: true, force: true });
  await assertRejects(s.saveHardState({ term: 1, votedFor: 'node1' }), /^SYNCPAY_ERR_STORAGE_FAILED: .*ENOENT/);
  await assertRejects(s.append(range(1, 1)), /^SYNCPAY_ERR_STORAGE_FAILED/);
  await assertRejects(s.saveHardState({ term: -1, votedFor: null }), /^SYNCPAY_ERR_STORAGE_FAILED/);
});

store('a malformed hard state is refused without failing the store', async (ctx) => {
  const s = await open(ctx);
  await s.load();
  await assertRejects(s.saveHardState({ term: 1.5, votedFor: null }), /^SYNCPAY_ERR_STORAGE_MISUSE: bad hard state/);
  await s.saveHardState({ term: 2, votedFor: null });
});


store.run();
