// appendDurably is the append round's only write: it must put every byte at its position (after
// what is already there), however few bytes each write call takes, sync only after the last of
// them (or not at all on a segment opened with O_DSYNC, whose writes are durable on return),
// resolve only once the bytes are durable, and report an I/O error rather than resolve. The log
// store opens its segments with O_DSYNC where the platform has it (Linux, where the specs run).
// writeFileAtomicallyWith (snapshot files) flushes the file every `syncBytes` as it goes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendDurably, segmentOpenFlags, writeFileAtomicallyWith, type FdIo } from '../../../runtime/storage/durable-fs.ts';
import { openFileLogStore } from '../../../runtime/storage/index.ts';
import { captureLogger } from '../../support/quiet-ports.ts';

/** An in-memory file whose write calls take at most `per` bytes and answer on a later turn. */
function shortWrites(per: number): { io: FdIo; file: Buffer; calls: string[]; finishSync: () => void } {
  const file = Buffer.alloc(64);
  const calls: string[] = [];
  let pendingSync: (() => void) | null = null;
  const io: FdIo = {
    write(_fd, bytes, offset, length, position, done) {
      const n = Math.min(per, length);
      file.set(bytes.subarray(offset, offset + n), position);
      calls.push(`write ${position} ${n}`);
      setImmediate(() => done(null, n));
    },
    fdatasync(_fd, done) {
      calls.push('sync');
      pendingSync = () => done(null);
    },
  };
  return { io, file, calls, finishSync: () => pendingSync?.() };
}

test('writes every byte at its position, after the bytes already in the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  try {
    const path = join(dir, 'seg');
    writeFileSync(path, 'head:');
    const handle = await open(path, 'r+');
    const body = Buffer.alloc(300_000, 'x');
    body.write('tail', body.length - 4);
    await appendDurably(handle.fd, body, 5, false);
    await appendDurably(handle.fd, new Uint8Array(0), 5 + body.length, false);
    await handle.close();
    const back = readFileSync(path);
    assert.is(back.length, 5 + body.length);
    assert.is(back.subarray(0, 5).toString(), 'head:');
    assert.ok(back.subarray(5).equals(body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('short writes: every byte lands at its place, the sync comes after the last, and it resolves only once synced', async () => {
  const { io, file, calls, finishSync } = shortWrites(7);
  const bytes = Buffer.from('0123456789abcdefghijklmnopqrstu');
  let resolved = false;
  const done = appendDurably(3, bytes, 10, false, io).then(() => {
    resolved = true;
  });
  for (let turn = 0; turn < 50 && !calls.includes('sync'); turn++) await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.ok(calls.includes('sync'), 'synced');
  assert.is(resolved, false, 'not resolved while the sync is outstanding');
  finishSync();
  await done;
  assert.equal(calls, ['write 10 7', 'write 17 7', 'write 24 7', 'write 31 7', 'write 38 3', 'sync']);
  assert.is(file.subarray(10, 10 + bytes.length).toString(), bytes.toString());
});

test('on a descriptor opened with O_DSYNC: every byte at its place, no fdatasync, resolved after the last write', async () => {
  const { io, file, calls, finishSync } = shortWrites(5);
  const bytes = Buffer.from('0123456789abcdefgh');
  let resolved = false;
  const done = appendDurably(3, bytes, 4, true, io).then(() => {
    resolved = true;
  });
  for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
  assert.is(resolved, false, 'not resolved before the last write returned');
  for (let turn = 0; turn < 50 && !resolved; turn++) await new Promise((r) => setImmediate(r));
  finishSync(); // (a sync, had one been asked for, is let finish so a failure reports rather than hangs)
  await done;
  assert.equal(calls, ['write 4 5', 'write 9 5', 'write 14 5', 'write 19 3']);
  assert.is(file.subarray(4, 4 + bytes.length).toString(), bytes.toString());
});

test('the log store appends through a descriptor opened with O_DSYNC, and its records read back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  const O_DSYNC = 0o10000; // Linux's value, as /proc/self/fdinfo prints flags (octal)
  try {
    assert.ok(segmentOpenFlags(true).dsync && segmentOpenFlags(false).dsync, 'O_DSYNC is used on Linux');
    // Elsewhere the write is followed by fdatasync (on macOS, F_FULLFSYNC: O_DSYNC would not empty the drive's cache).
    assert.equal([segmentOpenFlags(true, 'darwin').dsync, segmentOpenFlags(false, 'win32').dsync], [false, false]);
    const store = await openFileLogStore({ dir, logger: captureLogger() });
    await store.load();
    await store.append([{ index: 1, term: 1, kind: 'command', hlc: 'h1', data: '{"a":1}' }]);
    const segmentFds = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir) && readlinkSync(`/proc/self/fd/${fd}`).endsWith('.seg');
      } catch {
        return false; // the directory's own descriptor, closed while it was listed
      }
    });
    assert.is(segmentFds.length, 1, 'one segment open for appending');
    const flags = Number.parseInt(/flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${segmentFds[0]}`, 'utf8'))?.[1] ?? '0', 8);
    assert.ok((flags & O_DSYNC) !== 0, `segment opened with O_DSYNC (flags ${flags.toString(8)})`);
    await store.close();
    const again = await openFileLogStore({ dir, logger: captureLogger() });
    const back = await again.load();
    assert.equal(back.entries.map((e) => e.data), ['{"a":1}']);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after a restart the last segment is flushed once before anything is appended to it (O_DSYNC syncs only what it writes)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  const entry = (index: number) => ({ index, term: 1, kind: 'command' as const, hlc: `h${index}`, data: `{"i":${index}}` });
  try {
    const first = await openFileLogStore({ dir, logger: captureLogger() });
    await first.load();
    await first.append([entry(1)]);
    await first.close();
    const again = await openFileLogStore({ dir, logger: captureLogger() });
    await again.load();
    const reopened = await recordHandleCalls(() => again.append([entry(2)]));
    assert.equal(reopened.filter((c) => c === 'datasync'), ['datasync'], 'one flush of what an earlier process may have left unsynced');
    const next = await recordHandleCalls(() => again.append([entry(3)]));
    assert.equal(next.filter((c) => c === 'datasync'), [], 'the writes themselves are durable after that');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write call that writes nothing is an error, and nothing is synced', async () => {
  const calls: string[] = [];
  const io: FdIo = {
    write: (_fd, _bytes, _offset, _length, _position, done) => setImmediate(() => done(null, 0)),
    fdatasync: (_fd, done) => {
      calls.push('sync');
      done(null);
    },
  };
  let failed: unknown = null;
  await appendDurably(3, Buffer.from('abc'), 0, false, io).catch((err: unknown) => {
    failed = err;
  });
  assert.match(String(failed), /write returned 0/);
  assert.equal(calls, []);
});

test('rejects when the descriptor cannot be written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  try {
    const path = join(dir, 'ro');
    writeFileSync(path, 'x');
    const handle = await open(path, 'r');
    let failed: unknown = null;
    await appendDurably(handle.fd, Buffer.from('nope'), 0, true).catch((err: unknown) => {
      failed = err;
    });
    await handle.close();
    assert.is((failed as NodeJS.ErrnoException | null)?.code, 'EBADF');
    assert.is(readFileSync(path, 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Records the calls made on every FileHandle while `body` runs (the prototype's methods, wrapped). */
async function recordHandleCalls(body: () => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as Record<string, (...args: unknown[]) => Promise<unknown>>;
  await probe.close();
  rmSync(dir, { recursive: true, force: true });
  const calls: string[] = [];
  const saved = { write: proto['write']!, datasync: proto['datasync']!, sync: proto['sync']! };
  for (const name of ['write', 'datasync', 'sync'] as const) {
    const original = saved[name];
    proto[name] = async function (this: unknown, ...args: unknown[]) {
      calls.push(name === 'write' ? `write ${String(args[3])}` : name);
      const result = await original.apply(this, args);
      // When a flush has finished matters: the next write must not start before it.
      if (name === 'datasync') calls.push('datasync done');
      return result;
    };
  }
  try {
    await body();
  } finally {
    Object.assign(proto, saved);
  }
  return calls;
}

test('a file written piece by piece is flushed every syncBytes, then synced once more before it replaces the old one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  try {
    const piece = (i: number): Buffer => Buffer.alloc(100, 0x61 + i);
    const fill = async (write: (bytes: Uint8Array, position: number) => Promise<void>): Promise<void> => {
      for (let i = 0; i < 7; i++) await write(piece(i), i * 100);
    };
    // 200 bytes reached exactly: a flush, finished before the next write starts. The last two
    // calls: the file, then the directory after the rename.
    const stepped = await recordHandleCalls(() => writeFileAtomicallyWith(dir, 'stepped', fill, 200));
    assert.equal(stepped, ['write 0', 'write 100', 'datasync', 'datasync done', 'write 200', 'write 300', 'datasync', 'datasync done',
      'write 400', 'write 500', 'datasync', 'datasync done', 'write 600', 'sync', 'sync']);
    const once = await recordHandleCalls(() => writeFileAtomicallyWith(dir, 'once', fill));
    assert.equal(once, ['write 0', 'write 100', 'write 200', 'write 300', 'write 400', 'write 500', 'write 600', 'sync', 'sync']);
    const expected = Buffer.concat(Array.from({ length: 7 }, (_, i) => piece(i)));
    assert.ok(readFileSync(join(dir, 'stepped')).equals(expected));
    assert.ok(readFileSync(join(dir, 'once')).equals(expected));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
