// The leader's CPU per transfer on the batch write path, without HTTP or consensus: what one
// `POST /v1/transfers` of 1,000 seed-shaped items costs from its body text to the per-item result
// objects, phase by phase. Parse (JSON.parse of the body), check (checkTransfer per item, as the
// route does), encode (encodeCommand), decode (decodeCommand, which every node does), apply
// (applyEntry on a fresh ledger, as bench/ledger-micro.ts does) and render (the route's
// `{index, id, code, ok}` objects; `serialise` is JSON.stringify of that answer, for scale).
// Bodies are built once, like the load generator's (bench/load/syncpay-target.ts: 64 bodies reused
// round-robin, no ids, amount "1.00"), so the checks generate ids as they do under the benchmark.
// Prints the median over `runs` runs of CPU µs per transfer per phase (process CPU time, user +
// system, which another process competing for the cores inflates far less than wall time), so a
// change shows as a ratio. Run it on a quiet machine and say what `uptime` was:
//   node --expose-gc --single-threaded-gc --import tsx bench/write-path-micro.ts [batches=100] [runs=7] [accounts=2000]
// With --single-threaded-gc a phase is billed for the collections its own allocations cause;
// gc() (with --expose-gc) runs between runs so a run does not pay for the last one's garbage.
// WRITE_BENCH_BASELINE=<dir> also loads the same modules from another checkout (a copy of the tree
// with the original files) and alternates runs of the two in this one process, so both see the
// same machine load; it prints both tables and the ratio per phase.
// WRITE_BENCH_ALLOC=1 prints instead the heap bytes each phase allocates per transfer:
//   WRITE_BENCH_ALLOC=1 node --expose-gc --max-semi-space-size=64 --import tsx bench/write-path-micro.ts
import { getHeapStatistics } from 'node:v8';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as configModule from '../machines/config.ts';
import * as applyModule from '../machines/ledger/apply.ts';
import * as codecModule from '../machines/ledger/codec.ts';
import * as rulesModule from '../machines/ledger/rules.ts';
import * as stateModule from '../machines/ledger/state.ts';
import type { ItemResult, LedgerCommand, LedgerState, TransferInput } from '../machines/ledger/types.ts';
import { createPrng } from '../machines/prng.ts';
import * as inputModule from '../runtime/http/ledger-input.ts';

const BATCHES = Number(process.argv[2] ?? 100);
const RUNS = Number(process.argv[3] ?? 7);
const ACCOUNTS = Number(process.argv[4] ?? 2000);
const BATCH = 1000;
const BODIES = 64;
const RUN_ID = 'wmi0q3k1x';

type Phase = 'parse' | 'check' | 'encode' | 'decode' | 'apply' | 'render' | 'serialise';
const PHASES: readonly Phase[] = ['parse', 'check', 'encode', 'decode', 'apply', 'render', 'serialise'];
const LABELS: Record<Phase, string> = {
  parse: 'JSON.parse of the body',
  check: 'checkTransfer per item',
  encode: 'encodeCommand',
  decode: 'decodeCommand',
  apply: 'applyEntry (fresh ledger)',
  render: 'per-item result objects',
  serialise: '(JSON.stringify of the answer)',
};
/** The phases of the path proper, summed as its total. */
const PATH: readonly Phase[] = ['parse', 'check', 'encode', 'decode', 'apply', 'render'];

/** The path's functions, from this tree or from a baseline copy of it. */
interface PathModules {
  readonly name: string;
  readonly config: typeof configModule.DEFAULT_CONFIG;
  readonly checkTransfer: typeof inputModule.checkTransfer;
  readonly encodeCommand: typeof codecModule.encodeCommand;
  readonly decodeCommand: typeof codecModule.decodeCommand;
  readonly applyEntry: typeof applyModule.applyEntry;
  readonly createLedgerState: typeof stateModule.createLedgerState;
  readonly rules: ReturnType<typeof rulesModule.rulesFromConfig>;
}

function pathModules(name: string, m: {
  config: typeof configModule; input: typeof inputModule; codec: typeof codecModule; apply: typeof applyModule;
  state: typeof stateModule; rules: typeof rulesModule;
}): PathModules {
  return {
    name, config: m.config.DEFAULT_CONFIG, checkTransfer: m.input.checkTransfer, encodeCommand: m.codec.encodeCommand,
    decodeCommand: m.codec.decodeCommand, applyEntry: m.apply.applyEntry, createLedgerState: m.state.createLedgerState,
    rules: m.rules.rulesFromConfig(m.config.DEFAULT_CONFIG.ledger),
  };
}

async function baselineModules(dir: string): Promise<PathModules> {
  const load = (path: string): Promise<unknown> => import(pathToFileURL(resolve(dir, path)).href);
  return pathModules(`baseline ${dir}`, {
    config: await load('machines/config.ts') as typeof configModule,
    input: await load('runtime/http/ledger-input.ts') as typeof inputModule,
    codec: await load('machines/ledger/codec.ts') as typeof codecModule,
    apply: await load('machines/ledger/apply.ts') as typeof applyModule,
    state: await load('machines/ledger/state.ts') as typeof stateModule,
    rules: await load('machines/ledger/rules.ts') as typeof rulesModule,
  });
}

/** Body texts as the load generator sends them: distinct accounts per item, amount "1.00". */
function bodies(seed: number): string[] {
  const rng = createPrng(seed);
  const out: string[] = [];
  for (let i = 0; i < BODIES; i++) {
    const items = [];
    for (let k = 0; k < BATCH; k++) {
      const a = rng.int(0, ACCOUNTS - 1);
      const b = (a + rng.int(1, ACCOUNTS - 1)) % ACCOUNTS;
      items.push({ amount: '1.00', debit_account_id: `${RUN_ID}-a${a}`, credit_account_id: `${RUN_ID}-a${b}` });
    }
    out.push(JSON.stringify(items));
  }
  return out;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Called as each phase of a batch ends. */
type Probe = (phase: Phase) => void;

/** One batch through the whole path, calling `at` after each phase; returns its ok results. */
function oneBatch(m: PathModules, text: string, state: LedgerState, index: number, t0: number, at: Probe): number {
  const body = JSON.parse(text) as unknown;
  at('parse');
  // As the route: an array body, every item checked in order, the first refusal answers.
  const items = body as unknown[];
  const transfers: TransferInput[] = [];
  for (let i = 0; i < items.length; i++) {
    const checked = m.checkTransfer(items[i], m.config);
    if (!checked.ok) throw new Error(`item ${i} refused: ${checked.problem.code}`);
    transfers.push(checked.value);
  }
  at('check');
  const command: LedgerCommand = { type: 'transfer.create', transfers, idempotency: null, via: 'node1' };
  const data = m.encodeCommand(command);
  at('encode');
  const decoded = m.decodeCommand(data);
  at('decode');
  const ms = t0 + index * 7;
  const outcome = m.applyEntry(state, m.rules, { index, hlc: `${String(ms).padStart(15, '0')}.000000`, command: decoded });
  at('apply');
  if (outcome.status !== 'applied') throw new Error(`entry ${index}: ${outcome.status}`);
  const answer = {
    results: outcome.response.results.map((r: ItemResult, i: number) => ({ index: i, id: r.id, code: r.code, ok: r.code === 'ok' || r.code === 'exists' })),
    hlc: outcome.response.hlc,
  };
  at('render');
  if (JSON.stringify(answer).length === 0) throw new Error('nothing rendered');
  at('serialise');
  let ok = 0;
  for (const r of answer.results) if (r.ok) ok++;
  return ok;
}

/** Per-phase µs per transfer of every timed run, and the ok count every run must agree on. */
interface Samples {
  readonly byPhase: Map<Phase, number[]>;
  okCount: number;
}

function newSamples(): Samples {
  return { byPhase: new Map(PHASES.map((p) => [p, []])), okCount: -1 };
}

function oneRun(m: PathModules, texts: readonly string[], t0: number, into: Samples | null): void {
  const spent = new Map<Phase, number>(PHASES.map((p) => [p, 0]));
  let last = 0;
  const at: Probe = (phase) => {
    const now = cpuMs();
    spent.set(phase, spent.get(phase)! + now - last);
    last = now;
  };
  const state = m.createLedgerState();
  let ok = 0;
  gc();
  for (let b = 0; b < BATCHES; b++) {
    last = cpuMs();
    ok += oneBatch(m, texts[b % texts.length]!, state, b + 1, t0, at);
  }
  if (into === null) return;
  if (into.okCount >= 0 && ok !== into.okCount) throw new Error(`${m.name}: runs disagree, ${ok} vs ${into.okCount} ok results`);
  into.okCount = ok;
  const n = BATCHES * BATCH;
  for (const p of PHASES) into.byPhase.get(p)!.push((spent.get(p)! * 1000) / n);
}

/** The path's total per run (then its median, not the sum of the medians: one consistent measurement). */
function totals(s: Samples): number[] {
  return Array.from({ length: s.byPhase.get('parse')!.length }, (_, r) => PATH.reduce((sum, p) => sum + s.byPhase.get(p)![r]!, 0));
}

function printTable(title: string, s: Samples): void {
  console.log(`${title}\nphase                          | median | min    | runs`);
  const row = (label: string, xs: readonly number[]): void => {
    console.log(`${label.padEnd(30)} | ${median(xs).toFixed(3).padStart(6)} | ${Math.min(...xs).toFixed(3).padStart(6)} | ${xs.map((x) => x.toFixed(3)).join(' ')}`);
  };
  for (const p of PHASES) row(LABELS[p], s.byPhase.get(p)!);
  row('path total (parse..render)', totals(s));
  console.log(`ok results per run: ${s.okCount} of ${BATCHES * BATCH}`);
}

/**
 * Bytes of heap each phase allocates per transfer (what the scavenger then has to deal with): the
 * growth of V8's used heap across the phase, from batches in which no collection ran (the used
 * heap only grows then). Needs a young generation big enough to hold a batch's garbage, e.g.
 * `--max-semi-space-size=64`; batches with a collection inside are skipped and counted.
 */
function allocationPass(m: PathModules, texts: readonly string[], t0: number): void {
  const bytes = new Map<Phase, number[]>(PHASES.map((p) => [p, []]));
  // Reading the heap allocates a little itself; measured and taken off every sample.
  let probeCost = 0;
  let last = 0;
  let collected = false;
  const marks = new Map<Phase, number>();
  const at: Probe = (phase) => {
    const now = getHeapStatistics().used_heap_size;
    if (now < last) collected = true;
    marks.set(phase, now - last - probeCost);
    last = getHeapStatistics().used_heap_size;
  };
  for (let i = 0; i < 20; i++) {
    const a = getHeapStatistics().used_heap_size;
    probeCost = getHeapStatistics().used_heap_size - a;
  }
  const state = m.createLedgerState();
  let skipped = 0;
  for (let b = 0; b < Math.min(BATCHES, 200); b++) {
    gc();
    collected = false;
    last = getHeapStatistics().used_heap_size;
    oneBatch(m, texts[b % texts.length]!, state, b + 1, t0, at);
    if (collected) {
      skipped++;
      continue;
    }
    for (const p of PHASES) bytes.get(p)!.push(marks.get(p)! / BATCH);
  }
  console.log(`${m.name}: bytes allocated per transfer (median over batches; ${skipped} batches with a collection skipped):`);
  for (const p of PHASES) console.log(`${LABELS[p].padEnd(30)} | ${median(bytes.get(p)!).toFixed(0).padStart(6)}`);
}

const current = pathModules('this tree', {
  config: configModule, input: inputModule, codec: codecModule, apply: applyModule, state: stateModule, rules: rulesModule,
});
const baselineDir = process.env.WRITE_BENCH_BASELINE;
const variants = baselineDir === undefined ? [current] : [await baselineModules(baselineDir), current];
const texts = bodies(42);
const T0 = 1_764_000_000_000;

if (process.env.WRITE_BENCH_ALLOC) {
  if ((globalThis as { gc?: unknown }).gc === undefined) throw new Error('WRITE_BENCH_ALLOC needs --expose-gc');
  for (const m of variants) {
    oneRun(m, texts, T0, null);
    allocationPass(m, texts, T0 + 10_000_000);
  }
  process.exit(0);
}

console.log(`write-path-micro: ${RUNS} runs of ${BATCHES} batches of ${BATCH} (${BATCHES * BATCH} transfers), ${ACCOUNTS} accounts,`
  + ` ${BODIES} distinct bodies of ${(texts[0]!.length / 1024).toFixed(0)} KiB; CPU µs per transfer`);
const results = variants.map(() => newSamples());
// One untimed run each so the timed ones measure optimised code, as a long-running leader does;
// then the variants take turns, run by run.
for (const m of variants) oneRun(m, texts, T0, null);
for (let r = 0; r < RUNS; r++) {
  for (let v = 0; v < variants.length; v++) oneRun(variants[v]!, texts, T0 + (r + 1) * 10_000_000, results[v]!);
}
for (let v = 0; v < variants.length; v++) printTable(variants[v]!.name, results[v]!);
if (variants.length === 2) {
  const [base, now] = results as [Samples, Samples];
  if (base.okCount !== now.okCount) throw new Error(`the baseline and this tree disagree: ${base.okCount} vs ${now.okCount} ok results`);
  console.log('phase                          | baseline -> this tree (medians) | ratio');
  const row = (label: string, a: number, b: number): void => {
    console.log(`${label.padEnd(30)} | ${a.toFixed(3).padStart(8)} -> ${b.toFixed(3).padEnd(19)} | ${(b / a).toFixed(2)}`);
  };
  for (const p of PHASES) row(LABELS[p], median(base.byPhase.get(p)!), median(now.byPhase.get(p)!));
  row('path total (parse..render)', median(totals(base)), median(totals(now)));
}
