// `node --import tsx bench/ledger-micro.ts [batches] [runs]`: what the ledger costs per transfer
// when batches of 1,000 arrive (the shape of `POST /v1/transfers` under the batch benchmark), and
// what a restart costs: decode, apply, hash, snapshot (time, size, the storage layer's encoding),
// restore, and a replay of the whole log through the real ledger actor, as a node does at boot.
// Prints the median of `runs` runs per phase, in microseconds per transfer, so a change shows up
// as a ratio.
// Times are the process's CPU time (user + system), which another process competing for the cores
// inflates far less than wall time (LEDGER_BENCH_WALL=1 measures wall time instead). Run it with
// `--single-threaded-gc` so the GC's helper threads do not bill a phase for earlier garbage, on a
// quiet machine, and say what `uptime` was:
//   node --expose-gc --single-threaded-gc --import tsx bench/ledger-micro.ts 200 3
// A third argument pre-fills the ledger with that many transfers first (`... 200 5 2000000`): the
// benchmark's real runs hold millions of transfers, where cache misses in the big indexes and the
// garbage collector's work on the old generation dominate. In that mode each run decodes and
// applies its batches one entry at a time on top of the same (growing) ledger, as a follower does,
// hashes as the actor folds, and never calls gc() (collections are part of the cost); it also
// prints the minimum of the runs (other processes only ever add time), the GC pauses, what one
// full collection costs at the end, and the heap kept per transfer. The restart phases are skipped
// (they scale with the ledger, not with the batch).
import { createLedgerActor, nodeSha256, type LedgerActor } from '../actors/ledger.actor.ts';
import { DEFAULT_CONFIG } from '../machines/config.ts';
import { applyEntry } from '../machines/ledger/apply.ts';
import { decodeCommand, encodeCommand } from '../machines/ledger/codec.ts';
import { IncrementalLedgerHash } from '../machines/ledger/hash.ts';
import { rulesFromConfig } from '../machines/ledger/rules.ts';
import * as snapshot from '../machines/ledger/snapshot.ts';
import { createLedgerState } from '../machines/ledger/state.ts';
import type { LedgerCommand, LedgerState, TransferInput } from '../machines/ledger/types.ts';
import type { LogEntry } from '../machines/types.ts';
import { fakeEnv } from '../spec/ledger/fake-env.ts';
import { decodeSnapshot, encodeSnapshot } from '../runtime/storage/snapshot-file.ts';
import { createPrng } from '../machines/prng.ts';
import { textEquals, textLength, type SnapshotText } from '../machines/snapshot-text.ts';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const BATCHES = Number(process.argv[2] ?? 200);
const RUNS = Number(process.argv[3] ?? 3);
const PREFILL = Number(process.argv[4] ?? 0);
const BATCH = 1000;
const ACCOUNTS = 1000;
/** The actor folds pending hash work every ~50,000 changed records; the bench hashes as often. */
const HASH_EVERY_BATCHES = 50;
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-';

function prng(seed: number): () => number {
  const source = createPrng(seed);
  return () => source.next();
}

/** Log entries as the leader writes them: 21-character random ids like the HTTP layer's. */
function workload(batches: number, seed = 42, firstIndex = 1, t0 = 1_764_000_000_000): LogEntry[] {
  const rnd = prng(seed);
  const id = (): string => {
    let s = '';
    for (let i = 0; i < 21; i++) s += ID_ALPHABET[Math.floor(rnd() * ID_ALPHABET.length)];
    return s;
  };
  const entries: LogEntry[] = [];
  for (let b = 0; b < batches; b++) {
    const list: TransferInput[] = [];
    for (let k = 0; k < BATCH; k++) {
      const a = Math.floor(rnd() * ACCOUNTS);
      const c = (a + 1 + Math.floor(rnd() * (ACCOUNTS - 1))) % ACCOUNTS;
      list.push({
        id: id(), debitAccountId: `r1abc-a${a}`, creditAccountId: `r1abc-a${c}`, amount: 100n, currency: 'USD',
        flags: { linked: false, pending: false, post: false, void: false }, pendingId: null, timeoutMs: 0, reference: null,
      });
    }
    const command: LedgerCommand = { type: 'transfer.create', transfers: list, idempotency: null, via: 'node1' };
    const ms = t0 + b * 7;
    entries.push({ index: firstIndex + b, term: 1, kind: 'command', hlc: `${String(ms).padStart(15, '0')}.000000`, data: encodeCommand(command) });
  }
  return entries;
}

type Phase = 'decode' | 'apply' | 'hash' | 'snapshotLive' | 'snapshot' | 'fileEncode' | 'fileDecode' | 'restore' | 'rehash' | 'replay' | 'replayHash'
  | 'restart' | 'gc' | 'gcMajor';
const samples = new Map<Phase, number[]>();
let snapshotChars = 0;

function record(phase: Phase, ms: number, transfers: number): void {
  const list = samples.get(phase) ?? [];
  list.push((ms * 1000) / transfers);
  samples.set(phase, list);
}

/** Milliseconds of CPU this process has used (all threads). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const performance = { now: process.env.LEDGER_BENCH_WALL ? () => globalThis.performance.now() : cpuMs };

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function oneRun(entries: LogEntry[]): Promise<void> {
  const n = entries.length * BATCH;
  const rules = rulesFromConfig(DEFAULT_CONFIG.ledger);
  gc();
  let t = performance.now();
  const commands = entries.map((e) => decodeCommand(e.data));
  record('decode', performance.now() - t, n);

  const state = createLedgerState();
  const hasher = new IncrementalLedgerHash(nodeSha256);
  // The actor's way to take snapshots: one writer that follows the state.
  const snapshots = new snapshot.SnapshotWriter();
  const writer = (s: typeof state, h: IncrementalLedgerHash): SnapshotText => snapshots.write(s, snapshot.SNAPSHOT_CHARS_MAX, h)!;
  let applyMs = 0;
  let hashMs = 0;
  let snapshotMs = 0;
  let lastSnapshotMs = 0;
  gc();
  for (let b = 0; b < entries.length; b++) {
    t = performance.now();
    applyEntry(state, rules, { index: b + 1, hlc: entries[b]!.hlc, command: commands[b]! });
    applyMs += performance.now() - t;
    if ((b + 1) % HASH_EVERY_BATCHES === 0 || b === entries.length - 1) {
      t = performance.now();
      hasher.digest(state);
      hashMs += performance.now() - t;
      // A snapshot as the actor takes it (every 50,000 transfers here): the event-loop stall.
      t = performance.now();
      writer(state, hasher);
      lastSnapshotMs = performance.now() - t;
      snapshotMs += lastSnapshotMs;
    }
  }
  record('apply', applyMs, n);
  record('hash', hashMs, n);
  record('snapshotLive', snapshotMs, n);
  lastSnapshotStallMs.push(lastSnapshotMs);
  const liveHash = hasher.digest(state);

  gc();
  t = performance.now();
  const text = snapshot.serializeLedgerWithin(state, snapshot.SNAPSHOT_CHARS_MAX, hasher)!;
  record('snapshot', performance.now() - t, n);
  snapshotChars = textLength(text);

  // What the storage layer adds around it (runtime/storage/snapshot-file.ts): UTF-8 bytes and a
  // CRC-32C to write the file, and back to a string when a node boots (no disk time included).
  gc();
  t = performance.now();
  const bytes = encodeSnapshot({ index: entries.length, term: 1 }, text, Buffer.alloc(16));
  record('fileEncode', performance.now() - t, n);
  t = performance.now();
  const decoded = decodeSnapshot(bytes, 'bench');
  record('fileDecode', performance.now() - t, n);
  if (typeof decoded === 'string' || !textEquals(decoded.data, text)) throw new Error('snapshot file round trip failed');

  gc();
  t = performance.now();
  const restored = snapshot.deserializeLedger(text, new IncrementalLedgerHash(nodeSha256));
  record('restore', performance.now() - t, n);
  t = performance.now();
  const restoredHash = new IncrementalLedgerHash(nodeSha256).digest(restored);
  record('rehash', performance.now() - t, n);
  if (restoredHash !== liveHash) throw new Error('restored hash differs from the live one');

  // A boot: the actor rebuilds from the committed history (no snapshot: the whole log).
  gc();
  const env = fakeEnv({ history: { snapshot: null, entries } });
  const actor = createLedgerActor(env) as LedgerActor;
  t = performance.now();
  await actor.start();
  record('replay', performance.now() - t, n);
  t = performance.now();
  const replayHash = actor.api.ledgerHash().hash;
  record('replayHash', performance.now() - t, n);
  if (replayHash !== liveHash) throw new Error('replayed hash differs from the live one');
  await actor.stop();

  // A boot from a snapshot at half the log plus the other half.
  gc();
  const half = Math.floor(entries.length / 2);
  const halfState = createLedgerState();
  for (let b = 0; b < half; b++) applyEntry(halfState, rules, { index: b + 1, hlc: entries[b]!.hlc, command: commands[b]! });
  const env2 = fakeEnv({ history: { snapshot: { index: half, term: 1, data: snapshot.serializeLedgerWithin(halfState, snapshot.SNAPSHOT_CHARS_MAX, new IncrementalLedgerHash(nodeSha256))! }, entries: entries.slice(half) } });
  const actor2 = createLedgerActor(env2) as LedgerActor;
  gc();
  t = performance.now();
  await actor2.start();
  const bootHash = actor2.api.ledgerHash().hash;
  record('restart', performance.now() - t, n);
  if (bootHash !== liveHash) throw new Error('snapshot+replay hash differs from the live one');
  await actor2.stop();
}

const lastSnapshotStallMs: number[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const LABELS: Record<Phase, string> = {
  decode: 'decode entry (codec)',
  apply: 'apply (applyEntry)',
  hash: 'incremental hash (amortised)',
  snapshotLive: 'snapshots as the actor takes them (amortised)',
  snapshot: 'serialise from scratch',
  fileEncode: 'snapshot file: encode + CRC (storage)',
  fileDecode: 'snapshot file: CRC + decode (storage)',
  restore: 'restore (deserialise)',
  rehash: 'full hash from scratch',
  replay: 'boot: replay whole log via actor',
  replayHash: 'first hash after replay',
  restart: 'boot: snapshot(1/2) + replay(1/2) + hash',
  gc: 'of which GC pauses (wall, all phases)',
  gcMajor: 'of which mark-compact',
};

/**
 * 21 characters like a nanoid, unique by construction, and flat like a string JSON.parse makes
 * (a concatenation would leave a rope of several heap objects per id).
 */
function flatId(n: number, rnd: () => number): string {
  const codes = new Array<number>(21);
  codes[0] = 112; // p
  for (let i = 20; i >= 1; i--) {
    codes[i] = ID_ALPHABET.charCodeAt(i > 12 ? Math.floor(rnd() * 62) : n % 62);
    if (i <= 12) n = Math.floor(n / 62);
  }
  return String.fromCharCode(...codes);
}

/** Fills a ledger with `transfers` transfers of the benchmark's shape, in entries of BATCH. */
function prefilled(transfers: number): { state: LedgerState; hasher: IncrementalLedgerHash; index: number; t0: number } {
  const rules = rulesFromConfig(DEFAULT_CONFIG.ledger);
  const state = createLedgerState();
  const hasher = new IncrementalLedgerHash(nodeSha256);
  const rnd = prng(7);
  const flags = { linked: false, pending: false, post: false, void: false };
  const t0 = 1_763_000_000_000;
  let index = 0;
  for (let done = 0; done < transfers; done += BATCH) {
    const list: TransferInput[] = [];
    for (let k = 0; k < BATCH; k++) {
      const a = Math.floor(rnd() * ACCOUNTS);
      const c = (a + 1 + Math.floor(rnd() * (ACCOUNTS - 1))) % ACCOUNTS;
      const id = flatId(done + k, rnd);
      list.push({ id, debitAccountId: `r1abc-a${a}`, creditAccountId: `r1abc-a${c}`, amount: 100n, currency: 'USD', flags, pendingId: null,
        timeoutMs: 0, reference: null });
    }
    index++;
    const ms = t0 + index * 7;
    // Through the codec, so the ledger keeps what a follower's would: decoded ids and amounts.
    const data = encodeCommand({ type: 'transfer.create', transfers: list, idempotency: null, via: 'node1' });
    applyEntry(state, rules, { index, hlc: `${String(ms).padStart(15, '0')}.000000`, command: decodeCommand(data) });
    if (index % HASH_EVERY_BATCHES === 0) hasher.digest(state);
  }
  hasher.digest(state);
  return { state, hasher, index, t0: t0 + (index + 1) * 7 };
}

/** One run on top of a big ledger: decode and apply entry by entry (as a follower does), hash as the actor folds. */
async function onePrefilledRun(big: ReturnType<typeof prefilled>, entries: LogEntry[]): Promise<void> {
  const rules = rulesFromConfig(DEFAULT_CONFIG.ledger);
  const n = entries.length * BATCH;
  let decodeMs = 0;
  let applyMs = 0;
  let hashMs = 0;
  // No gc() here: the old generation's collections are part of the regime being measured.
  const gcBefore = gcTotals.major + gcTotals.minor;
  const majorBefore = gcTotals.major;
  for (const e of entries) {
    let t = performance.now();
    const command = decodeCommand(e.data);
    const t1 = performance.now();
    decodeMs += t1 - t;
    applyEntry(big.state, rules, { index: e.index, hlc: e.hlc, command });
    t = performance.now();
    applyMs += t - t1;
    if (big.hasher.backlog(big.state) > 50_000) {
      big.hasher.digest(big.state);
      hashMs += performance.now() - t;
    }
  }
  record('decode', decodeMs, n);
  record('apply', applyMs, n);
  record('hash', hashMs, n);
  // The observer hears of collections on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 20));
  record('gc', gcTotals.major + gcTotals.minor - gcBefore, n);
  record('gcMajor', gcTotals.major - majorBefore, n);
}

/** GC pauses by kind (ms), from perf_hooks; with --single-threaded-gc they are main-thread time. */
const gcTotals = { major: 0, minor: 0 };
function observeGc(): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcTotals.major += entry.duration;
      else gcTotals.minor += entry.duration;
    }
  }).observe({ entryTypes: ['gc'] });
}

/** Heap in use after a full collection (what the ledger keeps, not garbage awaiting collection). */
function liveHeapMiB(): string {
  gc();
  return (process.memoryUsage().heapUsed / 2 ** 20).toFixed(0);
}

if (PREFILL > 0) {
  observeGc();
  liveHeapMiB();
  const heapBefore = process.memoryUsage().heapUsed;
  const t = performance.now();
  const big = prefilled(PREFILL);
  const fillMs = performance.now() - t;
  await new Promise((resolve) => setTimeout(resolve, 20));
  const mib = liveHeapMiB();
  console.log(`ledger-micro: pre-filled ${big.state.transferLog.length} transfers in ${(fillMs / 1000).toFixed(1)} s (wall clock; heap ${mib} MiB);`
    + ` then ${RUNS} runs of ${BATCHES} batches of ${BATCH}, ${ACCOUNTS} accounts, each on top of the last`);
  for (let r = 0; r < RUNS; r++) {
    const entries = workload(BATCHES, 1000 + r, big.index + 1, big.t0);
    big.index += entries.length;
    big.t0 += entries.length * 7;
    await onePrefilledRun(big, entries);
  }
  // The minimum too: on a shared machine other processes only ever add time.
  console.log('phase | median µs/transfer | min | runs');
  for (const [phase, xs] of samples) {
    console.log(`${LABELS[phase].padEnd(42)} | ${median(xs).toFixed(3).padStart(8)} | ${Math.min(...xs).toFixed(3).padStart(6)} | ${xs.map((x) => x.toFixed(3)).join(' ')}`);
  }
  // What one full collection costs at this size: the old generation's share of GC grows with the
  // number of objects the ledger keeps, and a real run goes through many of these.
  const fullGcMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = cpuMs();
    gc();
    fullGcMs.push(cpuMs() - t0);
  }
  console.log(`one full GC at the end: median ${median(fullGcMs).toFixed(0)} ms CPU (${fullGcMs.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`ledger at the end: ${big.state.transferLog.length} transfers, heap ${liveHeapMiB()} MiB`
    + ` (${((process.memoryUsage().heapUsed - heapBefore) / big.state.transferLog.length).toFixed(0)} bytes per transfer)`);
  process.exit(0);
}

const entries = workload(BATCHES);
console.log(`ledger-micro: ${BATCHES} batches of ${BATCH} (${BATCHES * BATCH} transfers), ${ACCOUNTS} accounts, ${RUNS} runs`);
for (let r = 0; r < RUNS; r++) await oneRun(entries);
console.log('phase | median µs/transfer | runs');
for (const [phase, xs] of samples) {
  console.log(`${LABELS[phase].padEnd(42)} | ${median(xs).toFixed(3).padStart(8)} | ${xs.map((x) => x.toFixed(3)).join(' ')}`);
}
console.log(`last snapshot of the live state (the event-loop stall at ${BATCHES * BATCH} transfers): median ${median(lastSnapshotStallMs).toFixed(1)} ms`);
console.log(`snapshot size: ${(snapshotChars / (BATCHES * BATCH)).toFixed(1)} chars per transfer (${(snapshotChars / 1e6).toFixed(1)} M chars);`
  + ` V8's string limit (~536.9 M chars) is reached at ~${((536_870_888 / (snapshotChars / (BATCHES * BATCH))) / 1e6).toFixed(1)} M transfers`);
