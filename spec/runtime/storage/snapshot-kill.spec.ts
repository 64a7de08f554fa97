// Kill -9 while snapshot files are written beside a stream of appends. A child process (this
// file, run with SYNCPAY_SNAPSHOT_KILL_CHILD set) appends one burst after another, each awaited,
// and every few bursts starts a snapshot of a few MB at a recent index without waiting for it,
// printing when each snapshot starts and ends and each append's acknowledgement. The parent kills
// it at a seeded point and recovers the directory: every acknowledged entry must be there, the
// snapshot must be the last one finished or one that was in flight, and the log must continue
// it. Across the seeds, appends must have been acknowledged while a snapshot was being written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng } from '../../../machines/prng.ts';
import type { LogEntry } from '../../../machines/types.ts';
import { sliceText, textLength } from '../../../machines/snapshot-text.ts';
import { openFileLogStore } from '../../../runtime/storage/index.ts';
import { captureLogger } from '../../support/quiet-ports.ts';
import { runUntilKilled } from './kill-child.ts';

const SEGMENT_BYTES = 4096;
/** Large enough that writing one takes several append rounds. */
const SNAPSHOT_CHARS = 3_000_000;

function entryFor(index: number): LogEntry {
  return { index, term: 1, kind: 'command', hlc: `h${index}`, data: `{"i":${index}}` };
}

type Line = { issued: number } | { ack: number } | { snapStart: number } | { snapDone: number };

async function child(dir: string, seed: number): Promise<void> {
  const prng = createPrng(seed);
  const store = await openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax: SEGMENT_BYTES });
  await store.load();
  const say = (line: Line): boolean => process.stdout.write(JSON.stringify(line) + '\n');
  let last = 0;
  let snapshotting = false;
  let snapshotIndex = 0;
  // Bounded, so an orphaned child (its parent gone) cannot run forever.
  for (let step = 0; step < 3000; step++) {
    if (!snapshotting && step % 6 === 5 && last - 3 > snapshotIndex) {
      const index = prng.int(Math.max(snapshotIndex + 1, last - 3), last);
      snapshotting = true;
      snapshotIndex = index;
      say({ snapStart: index });
      // Two pieces, as a ledger's serialiser hands them over: the store never joins them.
      void store.saveSnapshot({ index, term: 1 }, [`${index}:`, 'x'.repeat(SNAPSHOT_CHARS)]).then(() => {
        say({ snapDone: index });
        snapshotting = false;
      });
    }
    const burst = Array.from({ length: prng.int(1, 6) }, (_, k) => entryFor(last + 1 + k));
    say({ issued: burst.at(-1)!.index });
    await store.append(burst);
    last = burst.at(-1)!.index;
    say({ ack: last });
  }
}

interface Outcome {
  overlapped: number;
  inFlight: boolean;
}

async function killOnce(seed: number): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'syncpay-snapkill-'));
  try {
    const killAfterAcks = createPrng(seed ^ 0x5eed).int(30, 150);
    const { out, acks } = await runUntilKilled(import.meta.url, 'SYNCPAY_SNAPSHOT_KILL_CHILD', { dir, seed }, killAfterAcks);

    let acked = 0;
    let issued = 0;
    let lastDone = 0;
    let inFlight: number | null = null;
    let overlapped = 0;
    for (const text of out.split('\n')) {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        continue; // blank, or the last line cut short by the kill
      }
      if ('issued' in line) issued = line.issued;
      else if ('ack' in line) {
        acked = line.ack;
        if (inFlight !== null) overlapped++;
      } else if ('snapStart' in line) inFlight = line.snapStart;
      else {
        lastDone = line.snapDone;
        inFlight = null;
      }
    }

    const store = await openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax: SEGMENT_BYTES });
    const recovered = await store.load();
    await store.close();
    const snap = recovered.snapshot?.meta.index ?? 0;
    const allowed = inFlight === null ? [lastDone] : [lastDone, inFlight];
    const where = `seed ${seed} (killed after ${acks} acks; acked ${acked}, issued ${issued}, snapshot done ${lastDone}, in flight ${inFlight})`;
    assert.ok(allowed.includes(snap), `${where}: recovered snapshot ${snap}`);
    if (snap > 0) {
      const data = recovered.snapshot!.data;
      assert.is(sliceText(data, 0, String(snap).length + 1), `${snap}:`, where);
      assert.is(textLength(data), String(snap).length + 1 + SNAPSHOT_CHARS, `${where}: the whole snapshot text`);
    }
    const lastRecovered = recovered.entries.at(-1)?.index ?? snap;
    assert.ok(lastRecovered >= acked, `${where}: acknowledged entries up to ${acked} survive, got up to ${lastRecovered}`);
    assert.ok(lastRecovered <= issued, where);
    const want: LogEntry[] = [];
    for (let i = snap + 1; i <= lastRecovered; i++) want.push(entryFor(i));
    assert.equal(recovered.entries, want, `${where}: the log continues the snapshot`);
    console.log(`snapshot kill seed ${seed}: killed after ${acks} acks, ${overlapped} acked while a snapshot was written, snapshot in flight at the kill: ${inFlight ?? 'none'}`);
    return { overlapped, inFlight: inFlight !== null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const childArgs = process.env['SYNCPAY_SNAPSHOT_KILL_CHILD'];
if (childArgs) {
  const { dir, seed } = JSON.parse(childArgs) as { dir: string; seed: number };
  await child(dir, seed);
} else {
  const fromEnv = process.env['SYNCPAY_STORAGE_SEED'];
  const seeds = fromEnv ? [Number(fromEnv)] : [21, 22, 23];
  test('kill -9 while snapshots are written beside appends: acknowledged entries survive, the snapshot is old or new, never torn', async () => {
    let overlapped = 0;
    for (const seed of seeds) overlapped += (await killOnce(seed)).overlapped;
    assert.ok(overlapped > 0, 'appends were acknowledged before a snapshot issued ahead of them was installed');
  });
  test.run();
}
