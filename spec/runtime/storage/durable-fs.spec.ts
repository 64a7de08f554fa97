// writeFullyAndSync is the append round's only write: it must put every byte at its position
// (after what is already there) and report an I/O error rather than resolve.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFullyAndSync } from '../../../runtime/storage/durable-fs.ts';

test('writes every byte at its position, after the bytes already in the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  try {
    const path = join(dir, 'seg');
    writeFileSync(path, 'head:');
    const handle = await open(path, 'r+');
    const body = Buffer.alloc(300_000, 'x');
    body.write('tail', body.length - 4);
    await writeFullyAndSync(handle.fd, body, 5);
    await writeFullyAndSync(handle.fd, new Uint8Array(0), 5 + body.length);
    await handle.close();
    const back = readFileSync(path);
    assert.is(back.length, 5 + body.length);
    assert.is(back.subarray(0, 5).toString(), 'head:');
    assert.ok(back.subarray(5).equals(body));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rejects when the descriptor cannot be written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-durable-fs-'));
  try {
    const path = join(dir, 'ro');
    writeFileSync(path, 'x');
    const handle = await open(path, 'r');
    let failed: unknown = null;
    await writeFullyAndSync(handle.fd, Buffer.from('nope'), 0).catch((err: unknown) => {
      failed = err;
    });
    await handle.close();
    assert.is((failed as NodeJS.ErrnoException | null)?.code, 'EBADF');
    assert.is(readFileSync(path, 'utf8'), 'x');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
