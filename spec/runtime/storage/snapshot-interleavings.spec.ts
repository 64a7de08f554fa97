// Seeded random bursts of log operations issued without waiting for each other (as the consensus
// engine issues them), snapshots among them, against an in-memory model that applies every call
// at once in call order. A snapshot's file is written outside the store's lock, yet each call must
// settle as the model says (done, or refused as misuse), each load() must see exactly the model
// at its place, and every reopen must boot to the model. The snapshot writer of a compaction
// holds its file back until the appends and truncations issued after it (up to the next log
// replacement or load, which rightly wait for it) have settled: a store that made them wait
// for the file fails here. Set SYNCPAY_STORAGE_SEED to replay one seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng, type Prng } from '../../../machines/prng.ts';
import type { LogEntry } from '../../../machines/types.ts';
import { textOf } from '../../../machines/snapshot-text.ts';
import type { RecoveredLog } from '../../../actors/ports.ts';
import { openFileLogStore, type FileLogStore } from '../../../runtime/storage/index.ts';
import { writeSnapshot } from '../../../runtime/storage/snapshot-file.ts';
import type { SnapshotFileWriter } from '../../../runtime/storage/snapshot-pipeline.ts';
import { captureLogger } from '../../support/quiet-ports.ts';
import { plainSnapshot, settlesWithin } from './store-fixture.ts';

/** Only breaks a deadlock (the behaviour this spec rules out); a passing run never waits on it. */
const DEADLOCK_GUARD_MS = 5000;

interface Model {
  snapshot: { meta: { index: number; term: number }; data: string } | null;
  entries: LogEntry[];
}

type Op =
  | { kind: 'append'; entries: LogEntry[] }
  | { kind: 'truncate'; from: number }
  | { kind: 'snapshot'; index: number; term: number; data: string }
  | { kind: 'load' };

/** What a call must settle to: done, refused as misuse, or (a load) the model at its place. */
type Expect = { ok: true } | { misuse: true } | { loaded: Model };

/** What a snapshot call does to the log: the two need different things of the store. */
type Effect = 'compaction' | 'replacement' | 'none';

function snapIndex(m: Model): number {
  return m.snapshot?.meta.index ?? 0;
}

function lastIndex(m: Model): number {
  return m.entries.at(-1)?.index ?? snapIndex(m);
}

function entry(index: number, term: number): LogEntry {
  return { index, term, kind: 'command', hlc: `h${index}`, data: `{"i":${index},"t":${term}}` };
}

/** Applies `op` to the model as the call-ordered store must; returns what the call settles to. */
function apply(m: Model, op: Op): { expect: Expect; effect: Effect } {
  const done = { expect: { ok: true } as Expect, effect: 'none' as Effect };
  switch (op.kind) {
    case 'append':
      m.entries.push(...op.entries);
      return done;
    case 'truncate':
      if (op.from <= snapIndex(m)) return { expect: { misuse: true }, effect: 'none' };
      m.entries = m.entries.filter((e) => e.index < op.from);
      return done;
    case 'snapshot': {
      if (op.index < snapIndex(m)) return { expect: { misuse: true }, effect: 'none' };
      if (op.index === snapIndex(m)) return done;
      const agrees = m.entries.some((e) => e.index === op.index && e.term === op.term);
      m.snapshot = { meta: { index: op.index, term: op.term }, data: op.data };
      m.entries = agrees ? m.entries.filter((e) => e.index > op.index) : [];
      return { expect: { ok: true }, effect: agrees ? 'compaction' : 'replacement' };
    }
    case 'load':
      return { expect: { loaded: structuredClone(m) }, effect: 'none' };
  }
}

function nextOp(prng: Prng, m: Model, term: { now: number }, tag: string): Op {
  const roll = prng.next();
  const last = lastIndex(m);
  const base = snapIndex(m);
  if (roll < 0.45 || last === 0) {
    return { kind: 'append', entries: Array.from({ length: prng.int(1, 5) }, (_, k) => entry(last + 1 + k, term.now)) };
  }
  if (roll < 0.6) {
    // Mostly a follower's conflicting suffix; now and then (a caller bug) inside the snapshot.
    const from = base > 0 && prng.chance(0.15) ? prng.int(1, base) : prng.int(base + 1, last + 1);
    if (from > base) term.now++;
    return { kind: 'truncate', from };
  }
  if (roll < 0.92) {
    const r = prng.next();
    let index: number;
    let t: number;
    if (r < 0.65 && last > base) {
      index = prng.int(base + 1, last); // a local snapshot of applied entries: compaction
      t = m.entries.find((e) => e.index === index)!.term;
    } else if (r < 0.8) {
      index = last + prng.int(1, 4); // the leader's snapshot past the log: replacement
      t = ++term.now;
    } else if (r < 0.9 && base > 0) {
      index = prng.int(Math.max(1, base - 3), base); // stale or repeated
      t = 1;
    } else {
      index = prng.int(base + 1, last + 1); // disagrees with the log: replacement
      t = ++term.now;
    }
    return { kind: 'snapshot', index, term: t, data: `snapshot ${tag} at ${index}` };
  }
  return { kind: 'load' };
}

function call(s: FileLogStore, op: Op): Promise<unknown> {
  switch (op.kind) {
    case 'append':
      return s.append(op.entries);
    case 'truncate':
      return s.truncateFrom(op.from);
    case 'snapshot':
      return s.saveSnapshot({ index: op.index, term: op.term }, textOf(op.data));
    case 'load':
      return s.load();
  }
}

function guarded<T>(p: Promise<T>, what: string): Promise<T> {
  return settlesWithin(p, DEADLOCK_GUARD_MS, `${what} did not settle while a snapshot file was held back`);
}

async function runSeed(seed: number, bursts: number): Promise<void> {
  const prng = createPrng(seed);
  const yields = createPrng(seed ^ 0x9e37);
  const dir = await mkdtemp(join(tmpdir(), 'syncpay-interleave-'));
  const segmentBytesMax = prng.int(200, 1200);
  /** Per snapshot index in the current burst: the calls its file must not be written before. */
  const holdUntil = new Map<number, Promise<unknown>[]>();
  let heldWrites = 0;
  const writer: SnapshotFileWriter = async (d, snapshot) => {
    const waits = holdUntil.get(snapshot.meta.index);
    if (waits !== undefined && waits.length > 0) {
      heldWrites++;
      await guarded(Promise.allSettled(waits), `an operation issued after snapshot ${snapshot.meta.index}`);
    }
    for (let n = yields.int(0, 3); n > 0; n--) await new Promise((r) => setImmediate(r));
    return writeSnapshot(d, snapshot);
  };
  const open = (): Promise<FileLogStore> => openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax, writeSnapshotFile: writer });
  const model: Model = { snapshot: null, entries: [] };
  const term = { now: 1 };
  let store = await open();
  let trail = '';
  try {
    await store.load();
    for (let b = 0; b < bursts; b++) {
      const ops: Op[] = [];
      const expects: Expect[] = [];
      const effects: Effect[] = [];
      for (let k = prng.int(1, 7); k > 0; k--) {
        const op = nextOp(prng, model, term, `${seed}/${b}`);
        const { expect, effect } = apply(model, op);
        ops.push(op);
        expects.push(expect);
        effects.push(effect);
        trail += op.kind[0]!;
      }
      trail += ' ';
      // Every call in the burst is issued in one go, in order, as the engine does.
      holdUntil.clear();
      const calls = ops.map((op) => call(store, op));
      for (const [at, effect] of effects.entries()) {
        if (effect !== 'compaction') continue;
        const waits: Promise<unknown>[] = [];
        for (let j = at + 1; j < ops.length; j++) {
          // A load or a log replacement rightly waits for the file; so does everything after it.
          if (ops[j]!.kind === 'load' || effects[j] === 'replacement') break;
          // A later snapshot's own call settles only once it (and so this one) is installed.
          if (ops[j]!.kind !== 'snapshot') waits.push(calls[j]!);
        }
        holdUntil.set((ops[at] as { index: number }).index, waits);
      }
      const settled = await Promise.allSettled(calls.map((c, j) => guarded(c, `${ops[j]!.kind} #${j} of burst ${b}`)));
      for (const [j, result] of settled.entries()) {
        const expect = expects[j]!;
        const where = `burst ${b} call ${j} (${JSON.stringify(ops[j]).slice(0, 120)})`;
        if ('misuse' in expect) {
          assert.is(result.status, 'rejected', `${where} should be refused`);
          if (result.status === 'rejected') assert.match(String((result.reason as Error).message), /^SYNCPAY_ERR_STORAGE_MISUSE/, where);
        } else {
          if (result.status === 'rejected') assert.unreachable(`${where} failed: ${(result.reason as Error).message}`);
          else if ('loaded' in expect) {
            const got = result.value as RecoveredLog;
            assert.equal({ snapshot: plainSnapshot(got.snapshot), entries: got.entries }, expect.loaded, `${where}: load() sees the model at its place`);
          }
        }
      }
      if (prng.chance(0.15)) {
        trail += 'R ';
        await store.close();
        store = await open();
        const got = await store.load();
        assert.equal({ snapshot: plainSnapshot(got.snapshot), entries: got.entries }, model, `reopen after burst ${b}`);
      }
    }
    await store.close();
    store = await open();
    const got = await store.load();
    assert.equal({ snapshot: plainSnapshot(got.snapshot), entries: got.entries }, model, 'final reopen');
    assert.ok((await readdir(dir)).filter((n) => n.endsWith('.snap')).length <= 2);
    console.log(`  ${bursts} bursts, ${heldWrites} snapshot files held back while later calls ran: ${trail.slice(0, 100)}...`);
    assert.ok(heldWrites > 0, 'the seed exercised at least one held-back snapshot write');
  } catch (err) {
    throw new Error(`seed ${seed}, calls so far ${trail}: ${(err as Error).message}`, { cause: err });
  } finally {
    await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

const fromEnv = process.env['SYNCPAY_STORAGE_SEED'];
const seeds = fromEnv ? [Number(fromEnv)] : [101, 102, 103];

test('random bursts with snapshots written outside the lock settle and recover exactly as the call-ordered model', async () => {
  for (const seed of seeds) {
    console.log(`snapshot interleavings seed ${seed}`);
    await runSeed(seed, 40);
  }
});

test.run();
