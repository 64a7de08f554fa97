// `node --expose-gc --import tsx bench/large-snapshot-probe.ts [transfers] [dir]`: takes a ledger
// past the size one JavaScript string could hold as a snapshot (about 16.7 million transfers), then
// snapshots it the way a node does (rows written between applies, the text handed to the file
// writer in pieces), writes the file, reads it back and restores it, and checks that the restored
// ledger has the same hash and writes the same snapshot; then restores it again in steps, as a
// follower installing a leader's snapshot does. Prints the time of each step, the longest the event
// loop went without a turn, the longest restore step, and the memory in use.
// A diagnostic for docs/operations.md ("How large a ledger one node holds"), not a benchmark.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSha256 } from '../actors/ledger.actor.ts';
import { DEFAULT_CONFIG } from '../machines/config.ts';
import { applyEntry } from '../machines/ledger/apply.ts';
import { IncrementalLedgerHash } from '../machines/ledger/hash.ts';
import { rulesFromConfig } from '../machines/ledger/rules.ts';
import { SNAPSHOT_CHARS_MAX, SnapshotWriter, deserializeLedger } from '../machines/ledger/snapshot.ts';
import { restoreSteps } from '../machines/ledger/snapshot-restore.ts';
import { createLedgerState } from '../machines/ledger/state.ts';
import type { TransferInput } from '../machines/ledger/types.ts';
import { textEquals, textLength } from '../machines/snapshot-text.ts';
import { readNewestValidSnapshot, writeSnapshot } from '../runtime/storage/snapshot-file.ts';

const transfers = Number(process.argv[2] ?? 20_000_000);
const dir = mkdtempSync(join(process.argv[3] ?? tmpdir(), 'syncpay-large-snapshot-'));
const BATCH = 1000;
const ACCOUNTS = 1000;
/** Rows the ledger actor writes ahead between apply slices (about its SNAPSHOT_ROWS_PER_MS x applySliceMs). */
const ROWS_AHEAD = 20_000;

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(0)} MiB`;
const memory = (): string => {
  const m = process.memoryUsage();
  return `heap ${mib(m.heapUsed)}, external+array buffers ${mib(m.external + m.arrayBuffers)}, rss ${mib(m.rss)}`;
};
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
async function timed<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  let longestGapMs = 0;
  let last = performance.now();
  const watch = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 1);
  const t = performance.now();
  const out = await run();
  clearInterval(watch);
  // A step that never yields is one turn from start to end.
  longestGapMs = Math.max(longestGapMs, performance.now() - last);
  console.log(`${what}: ${((performance.now() - t) / 1000).toFixed(2)} s, longest turn ${longestGapMs.toFixed(0)} ms; ${memory()}`);
  return out;
}

const rules = rulesFromConfig(DEFAULT_CONFIG.ledger);
const state = createLedgerState();
const hasher = new IncrementalLedgerHash(nodeSha256);
const writer = new SnapshotWriter();
const flags = { linked: false, pending: false, post: false, void: false };
await timed(`apply ${transfers.toLocaleString('en')} transfers in batches of ${BATCH}`, () => {
  const t0 = 1_763_000_000_000;
  for (let index = 1; (index - 1) * BATCH < transfers; index++) {
    const list: TransferInput[] = [];
    for (let k = 0; k < BATCH; k++) {
      const n = (index - 1) * BATCH + k;
      list.push({ id: `t${n.toString(36).padStart(9, '0')}-${(n * 7919) % 100_003}`, debitAccountId: `acct-${n % ACCOUNTS}`,
        creditAccountId: `acct-${(n * 31 + 1) % ACCOUNTS}`, amount: BigInt(100 + (n % 900)), currency: 'USD', flags, pendingId: null,
        timeoutMs: 0, reference: null });
    }
    applyEntry(state, rules, { index, hlc: `${String(t0 + index * 7).padStart(15, '0')}.000000`, command: { type: 'transfer.create', transfers: list, idempotency: null, via: 'node1' } });
    // As the actor does between apply slices: rows written ahead, changes folded into the hash.
    if (index % 20 === 0) {
      writer.advance(state, SNAPSHOT_CHARS_MAX, ROWS_AHEAD);
      hasher.digest(state);
    }
  }
});
gc();
const text = await timed('snapshot text (SnapshotWriter.write)', () => writer.write(state, SNAPSHOT_CHARS_MAX, hasher));
if (text === null) throw new Error('the writer refused the snapshot');
const chars = textLength(text);
console.log(`  ${chars.toLocaleString('en')} characters in ${text.length.toLocaleString('en')} pieces, ${(chars / state.transferLog.length).toFixed(1)} per transfer`);
const meta = { index: 1, term: 1 };
const name = await timed('write and fsync the file', () => writeSnapshot(dir, { meta, data: text, chainHash: Buffer.alloc(16) }, DEFAULT_CONFIG.raft.snapshotSyncBytes));
console.log(`  ${mib(statSync(join(dir, name)).size)} on disk`);
const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } };
const read = await timed('read and check the file', () => readNewestValidSnapshot(dir, silent));
if (read.snapshot === null) throw new Error('the snapshot file did not read back');
const data = read.snapshot.data;
const restoredWriter = new SnapshotWriter();
const restoredHasher = new IncrementalLedgerHash(nodeSha256);
const restored = await timed('restore (parse, rebuild, check the hash)', () => deserializeLedger(data, restoredHasher, restoredWriter));
const again = await timed('next snapshot of the restored ledger', () => restoredWriter.write(restored, SNAPSHOT_CHARS_MAX, restoredHasher));
if (again === null || !textEquals(again, text)) throw new Error('the restored ledger writes another snapshot');
console.log(`restored ledger: ${restored.transferLog.length.toLocaleString('en')} transfers, same hash, same snapshot text`);
// What a follower does with a leader's snapshot: the same restore in steps, a turn each at most.
await timed('restore again in steps (as a follower installs a snapshot)', () => {
  const steps = restoreSteps(data, new IncrementalLedgerHash(nodeSha256), new SnapshotWriter(), 0);
  let longest = 0;
  let count = 0;
  for (;;) {
    const t = performance.now();
    const step = steps.next();
    longest = Math.max(longest, performance.now() - t);
    count++;
    if (step.done) break;
  }
  console.log(`  ${count.toLocaleString('en')} steps, the longest ${longest.toFixed(1)} ms`);
});
rmSync(dir, { recursive: true, force: true });
