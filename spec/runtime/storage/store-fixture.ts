// Shared fixture of the storage specs: a suite whose every test gets a fresh temporary data
// directory, a capturing logger and the stores it opened, all closed and removed afterwards; and
// the assertions they need that uvu lacks: a rejection with a given message, and settling in time;
// and the two sides of snapshot texts: cutting one into pieces, and comparing what comes back
// without caring how the store cut it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Prng } from '../../../machines/prng.ts';
import type { HardState, LogEntry, SnapshotMeta } from '../../../machines/types.ts';
import { isHighSurrogate, joinText } from '../../../machines/snapshot-text.ts';
import type { RecoveredLog } from '../../../actors/ports.ts';
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

/** A recovered snapshot with its data joined: what it holds, not how the store cut it. */
export function plainSnapshot(s: RecoveredLog['snapshot'] | undefined): { meta: SnapshotMeta; data: string } | null {
  return s == null ? null : { meta: s.meta, data: joinText(s.data) };
}

/** A recovered log with its snapshot's data joined (see plainSnapshot). */
export function plainLog(r: RecoveredLog): { hardState: HardState; snapshot: { meta: SnapshotMeta; data: string } | null; entries: readonly LogEntry[] } {
  return { hardState: r.hardState, snapshot: plainSnapshot(r.snapshot), entries: r.entries };
}

/**
 * `s` cut at up to `cuts` random places, empty pieces possible, but never between the halves of
 * a surrogate pair (the one rule a SnapshotText keeps).
 */
export function cutIntoPieces(s: string, prng: Prng, cuts: number): string[] {
  const at = new Set<number>();
  for (let k = 0; k < cuts; k++) {
    const p = prng.int(0, s.length);
    if (p > 0 && isHighSurrogate(s.charCodeAt(p - 1))) continue;
    at.add(p);
  }
  const points = [0, ...[...at].sort((a, b) => a - b), s.length];
  const out: string[] = [];
  for (let k = 1; k < points.length; k++) out.push(s.slice(points[k - 1], points[k]));
  return out;
}
