// Recovery from damaged logs: a torn tail (the last write only partly on disk) is cut off with a
// warning; damage anywhere else, a broken hash chain, a missing segment or a gap in indexes stops
// the node with SYNCPAY_ERR_STORAGE_CORRUPT naming the file and byte offset.
import * as assert from 'uvu/assert';
import { appendFile, mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LogEntry } from '../../../machines/types.ts';
import type { FileLogStore } from '../../../runtime/storage/index.ts';
import { ZERO_HASH, encodeRecord } from '../../../runtime/storage/record-codec.ts';
import { openStore, storeSuite, type Ctx } from './store-fixture.ts';

const recovery = storeSuite('recovery', 'syncpay-recovery-');

async function open(ctx: Ctx, segmentBytesMax?: number): Promise<FileLogStore> {
  return openStore(ctx, segmentBytesMax);
}

function range(from: number, to: number, term = 1): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push({ index: i, term, kind: 'command', hlc: `h${i}`, data: `{"transfer":"t${i}","amount":"${i}.00"}` });
  return out;
}

/** Writes entries 1..n, each in its own append (its own write and fsync), then closes. */
async function writeLog(ctx: Ctx, n: number, segmentBytesMax?: number): Promise<string[]> {
  const s = await open(ctx, segmentBytesMax);
  await s.load();
  for (const e of range(1, n)) await s.append([e]);
  await s.close();
  return (await readdir(ctx.dir)).filter((f) => f.endsWith('.seg')).sort();
}

/** Byte offset of each record in a segment file, from the length fields. */
async function recordOffsets(path: string): Promise<number[]> {
  const bytes = await readFile(path);
  const out: number[] = [];
  for (let o = 0; o < bytes.length; o += 24 + bytes.readUInt32BE(o)) out.push(o);
  return out;
}

async function loadError(ctx: Ctx): Promise<string> {
  const s = await open(ctx);
  try {
    await s.load();
  } catch (err) {
    return (err as Error).message;
  }
  assert.unreachable('load() should have reported corruption');
  return '';
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

recovery('torn tail: the last record cut in half is dropped with a warning, and the log goes on', async (ctx) => {
  const [seg] = await writeLog(ctx, 10);
  const path = join(ctx.dir, seg!);
  const offsets = await recordOffsets(path);
  const lastStart = offsets.at(-1)!;
  const size = (await readFile(path)).length;
  await truncate(path, lastStart + Math.floor((size - lastStart) / 2));

  const s = await open(ctx);
  const loaded = await s.load();
  assert.equal(loaded.entries, range(1, 9));
  const warning = ctx.lines.find((l) => l.level === 'warn' && /torn write/.test(l.msg ?? ''));
  assert.ok(warning);
  assert.equal({ file: (warning.obj as { file: string }).file, offset: (warning.obj as { offset: number }).offset }, { file: path, offset: lastStart });
  assert.is((await readFile(path)).length, lastStart, 'the torn bytes are cut from the file');
  await s.append(range(10, 11, 2));
  await s.close();
  assert.equal((await (await open(ctx)).load()).entries, [...range(1, 9), ...range(10, 11, 2)]);
});

recovery('torn tail: a header cut short, or zeros the file system left past the end, is dropped', async (ctx) => {
  const [seg] = await writeLog(ctx, 5);
  const path = join(ctx.dir, seg!);
  await appendFile(path, Buffer.alloc(4096));
  assert.equal((await (await open(ctx)).load()).entries, range(1, 5));
  await appendFile(path, Buffer.from([0, 0, 0]));
  assert.equal((await (await open(ctx)).load()).entries, range(1, 5));
});

recovery('torn tail: a last segment with no complete record is deleted', async (ctx) => {
  const segs = await writeLog(ctx, 20, 300);
  const last = join(ctx.dir, segs.at(-1)!);
  const offsets = await recordOffsets(last);
  const firstIndexOfLast = Number(/log-(\d+)/.exec(segs.at(-1)!)![1]);
  await truncate(last, (offsets[1] ?? (await readFile(last)).length) - 3);
  const loaded = await (await open(ctx, 300)).load();
  assert.equal(loaded.entries, range(1, firstIndexOfLast - 1));
  assert.not.ok((await readdir(ctx.dir)).includes(segs.at(-1)!));
});

recovery('a flipped byte in a middle record is corruption naming the file and offset', async (ctx) => {
  const [seg] = await writeLog(ctx, 10);
  const path = join(ctx.dir, seg!);
  const offsets = await recordOffsets(path);
  const bytes = await readFile(path);
  const victim = offsets[4]!;
  bytes[victim + 30] = bytes[victim + 30]! ^ 0x10;
  await writeFile(path, bytes);
  const message = await loadError(ctx);
  assert.match(message, new RegExp(`^SYNCPAY_ERR_STORAGE_CORRUPT: ${escape(path)} at byte offset ${victim}: record CRC-32C mismatch, followed by a valid record`));
});

recovery('a damaged length field in the middle is corruption, not a torn tail', async (ctx) => {
  const [seg] = await writeLog(ctx, 10);
  const path = join(ctx.dir, seg!);
  const offsets = await recordOffsets(path);
  const bytes = await readFile(path);
  bytes.writeUInt32BE(0x7fffffff, offsets[6]!);
  await writeFile(path, bytes);
  assert.match(await loadError(ctx), new RegExp(`at byte offset ${offsets[6]}: record length runs past the end of the file, followed by a valid record`));
});

recovery('damage at the end of a segment that is not the last is corruption', async (ctx) => {
  const segs = await writeLog(ctx, 30, 400);
  assert.ok(segs.length >= 3);
  const path = join(ctx.dir, segs[0]!);
  const offsets = await recordOffsets(path);
  await truncate(path, offsets.at(-1)! + 5);
  assert.match(await loadError(ctx), new RegExp(`^SYNCPAY_ERR_STORAGE_CORRUPT: ${escape(path)} at byte offset ${offsets.at(-1)}: `));
});

recovery('a broken hash chain is detected even when every CRC is valid', async (ctx) => {
  const [seg] = await writeLog(ctx, 10);
  const path = join(ctx.dir, seg!);
  const offsets = await recordOffsets(path);
  const bytes = await readFile(path);
  // Re-encode entry 6 with a wrong link: a well-formed record (same size, valid CRC) that does
  // not belong where it sits, as a spliced or stale file would leave.
  const forged = encodeRecord(range(6, 6)[0]!, Buffer.alloc(16, 0x5a)).bytes;
  assert.is(forged.length, offsets[6]! - offsets[5]!);
  forged.copy(bytes, offsets[5]!);
  await writeFile(path, bytes);
  assert.match(await loadError(ctx), new RegExp(`^SYNCPAY_ERR_STORAGE_CORRUPT: ${escape(path)} at byte offset ${offsets[5]}: hash chain broken at index 6`));
});

recovery('a missing middle segment is corruption naming the segment after the hole', async (ctx) => {
  const segs = await writeLog(ctx, 30, 400);
  assert.ok(segs.length >= 3);
  await unlink(join(ctx.dir, segs[1]!));
  const message = await loadError(ctx);
  assert.match(message, new RegExp(`^SYNCPAY_ERR_STORAGE_CORRUPT: ${escape(join(ctx.dir, segs[2]!))} at byte offset 0: a segment is missing`));
});

recovery('a gap in indexes inside a segment is corruption', async (ctx) => {
  // Records 1, 2, 4 with a correct chain: only the index check can catch it.
  const parts: Buffer[] = [];
  let link: Buffer = ZERO_HASH;
  for (const e of [...range(1, 2), ...range(4, 4)]) {
    const rec = encodeRecord(e, link);
    parts.push(rec.bytes);
    link = rec.hash;
  }
  const path = join(ctx.dir, 'log-00000000000000000001.seg');
  await writeFile(path, Buffer.concat(parts));
  const gapAt = parts[0]!.length + parts[1]!.length;
  assert.match(await loadError(ctx), new RegExp(`${escape(path)} at byte offset ${gapAt}: expected log index 3 but found 4`));
});

recovery('a log that does not start at index 1 without a snapshot is corruption', async (ctx) => {
  const segs = await writeLog(ctx, 30, 400);
  await unlink(join(ctx.dir, segs[0]!));
  assert.match(await loadError(ctx), /^SYNCPAY_ERR_STORAGE_CORRUPT: .*at byte offset 0: log starts at index \d+ but no valid snapshot covers/);
});

recovery('a clean log loads without warnings', async (ctx) => {
  await writeLog(ctx, 25, 400);
  const loaded = await (await open(ctx, 400)).load();
  assert.equal(loaded.entries, range(1, 25));
  assert.equal(ctx.lines.filter((l) => l.level === 'warn'), []);
});

recovery.run();
