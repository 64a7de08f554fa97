// Shared fixture of the storage specs: a suite whose every test gets a fresh temporary data
// directory, a capturing logger and the stores it opened, all closed and removed afterwards; and
// the assertions they need that uvu lacks: a rejection with a given message, and settling in time.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import { openFileLogStore, type FileLogStore } from '../../../runtime/storage/index.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';

export interface Ctx {
  dir: string;
  lines: CapturedLine[];
  stores: FileLogStore[];
}

export function storeSuite(name: string, dirPrefix: string): Test<Ctx> {
  const s = suite<Ctx>(name);
  s.before.each(async (ctx) => {
    ctx.dir = await mkdtemp(join(tmpdir(), dirPrefix));
    ctx.lines = [];
    ctx.stores = [];
  });
  s.after.each(async (ctx) => {
    for (const store of ctx.stores) await store.close();
    await rm(ctx.dir, { recursive: true, force: true });
  });
  return s;
}

/** Opens a store on the test's directory; it is closed after the test. */
export async function openStore(ctx: Ctx, segmentBytesMax?: number, onFsync?: (ms: number, records: number) => void): Promise<FileLogStore> {
  const store = await openFileLogStore({ dir: ctx.dir, logger: captureLogger(ctx.lines), segmentBytesMax, onFsync });
  ctx.stores.push(store);
  return store;
}

/** `p` rejects, with a message matching `pattern`. */
export async function assertRejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (err) {
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a rejection matching ${pattern}`);
}

/** `p`, or a rejection with `failure` if it has not settled within `ms`: a deadlock fails the test instead of hanging it. */
export async function settlesWithin<T>(p: Promise<T>, ms: number, failure: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(failure)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}
