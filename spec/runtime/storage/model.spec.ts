// Seeded random operation sequences against a plain in-memory model of a Raft log: appends
// (bursts of concurrent ones too), truncations, snapshots inside, at and past the log's end,
// hard-state saves, reopens, torn last records and zero-filled tails. After every reopen the store must
// recover exactly what the model holds. Set SYNCPAY_STORAGE_SEED to replay or explore one seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFile, mkdtemp, readFile, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng, type Prng } from '../../../machines/prng.ts';
import type { HardState, LogEntry } from '../../../machines/types.ts';
import { openFileLogStore, type FileLogStore } from '../../../runtime/storage/index.ts';
import { captureLogger } from '../../support/quiet-ports.ts';
import { cutIntoPieces, plainLog } from './store-fixture.ts';

interface Model {
  hardState: HardState;
  snapshot: { meta: { index: number; term: number }; data: string } | null;
  entries: LogEntry[];
}

function lastIndex(m: Model): number {
  return m.entries.at(-1)?.index ?? m.snapshot?.meta.index ?? 0;
}

function termAt(m: Model, index: number): number {
  return m.entries.find((e) => e.index === index)?.term ?? m.snapshot?.meta.term ?? 0;
}

async function runSeed(seed: number, steps: number): Promise<void> {
  const prng: Prng = createPrng(seed);
  const dir = await mkdtemp(join(tmpdir(), 'syncpay-model-'));
  const segmentBytesMax = prng.int(150, 3000);
  const open = (): Promise<FileLogStore> => openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax });
  const model: Model = { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] };
  let term = 1;
  let store = await open();
  let ops = '';
  try {
    await store.load();
    for (let step = 0; step < steps; step++) {
      const roll = prng.next();
      if (roll < 0.4) {
        ops += 'a';
        const bursts = prng.int(1, 4);
        const pending: Promise<void>[] = [];
        for (let b = 0; b < bursts; b++) {
          const batch: LogEntry[] = [];
          for (let k = prng.int(1, 6); k > 0; k--) {
            const index = lastIndex(model) + 1;
            const e: LogEntry = { index, term, kind: prng.chance(0.1) ? 'noop' : 'command', hlc: `${seed}-${step}-${index}`, data: 'x'.repeat(prng.int(0, 120)) };
            batch.push(e);
            model.entries.push(e);
          }
          pending.push(store.append(batch));
        }
        await Promise.all(pending);
      } else if (roll < 0.52) {
        ops += 't';
        const from = model.snapshot?.meta.index ?? 0;
        if (lastIndex(model) > from) {
          const at = prng.int(from + 1, lastIndex(model));
          await store.truncateFrom(at);
          model.entries = model.entries.filter((e) => e.index < at);
          if (prng.chance(0.5)) term++;
        }
      } else if (roll < 0.62) {
        ops += 's';
        const from = (model.snapshot?.meta.index ?? 0) + 1;
        const beyond = prng.chance(0.2);
        const index = beyond ? lastIndex(model) + prng.int(1, 5) : prng.int(from, Math.max(from, lastIndex(model)));
        const agrees = !beyond && index <= lastIndex(model) && prng.chance(0.8);
        const snapTerm = agrees ? termAt(model, index) : term + 1;
        // Multi-byte characters and a surrogate pair, handed over cut at random places.
        const data = `snapshot ${seed}/${step} at ${index}: Zoë ☃ 💶`;
        await store.saveSnapshot({ index, term: snapTerm }, cutIntoPieces(data, prng, prng.int(0, 4)));
        model.snapshot = { meta: { index, term: snapTerm }, data };
        model.entries = agrees ? model.entries.filter((e) => e.index > index) : [];
        if (!agrees) term = Math.max(term, snapTerm);
      } else if (roll < 0.72) {
        ops += 'h';
        model.hardState = { term: model.hardState.term + prng.int(0, 2), votedFor: prng.pick([null, 'node1', 'node2']) };
        await store.saveHardState(model.hardState);
      } else if (roll < 0.76) {
        ops += 'c';
        // A crash that tore the last record: it must come back without that entry.
        await store.close();
        const segs = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
        if (segs.length > 0) {
          const path = join(dir, segs.at(-1)!);
          const bytes = await readFile(path);
          let last = 0;
          for (let o = 0; o < bytes.length; o += 24 + bytes.readUInt32BE(o)) last = o;
          await truncate(path, prng.int(last + 1, bytes.length - 1));
          model.entries.pop();
        }
        store = await open();
        assert.equal(plainLog(await store.load()), model, `seed ${seed} step ${step} ops ${ops}`);
      } else if (roll < 0.8) {
        ops += 'z';
        // A crash that left zeros past the end of the newest segment (allocated, never written).
        await store.close();
        const segs = (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();
        if (segs.length > 0) await appendFile(join(dir, segs.at(-1)!), Buffer.alloc(prng.int(1, 200)));
        store = await open();
        assert.equal(plainLog(await store.load()), model, `seed ${seed} step ${step} ops ${ops}`);
      } else {
        ops += 'r';
        await store.close();
        store = await open();
        assert.equal(plainLog(await store.load()), model, `seed ${seed} step ${step} ops ${ops}`);
      }
    }
    await store.close();
    store = await open();
    assert.equal(plainLog(await store.load()), model, `seed ${seed} final, ops ${ops}`);
    assert.ok((await readdir(dir)).filter((n) => n.endsWith('.snap')).length <= 2);
    console.log(`  operations: ${ops}`);
  } catch (err) {
    throw new Error(`seed ${seed}, operations so far ${ops}: ${(err as Error).message}`, { cause: err });
  } finally {
    await store.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

const fromEnv = process.env['SYNCPAY_STORAGE_SEED'];
const seeds = fromEnv ? [Number(fromEnv)] : [1, 2, 3];

test('random operation sequences recover exactly what the model holds', async () => {
  for (const seed of seeds) {
    console.log(`storage model seed ${seed}`);
    await runSeed(seed, 100);
  }
});

test.run();
