// The pure parts of the benchmark (no cluster is started): percentiles and medians, the data-check
// verdict, how answers are classified, the etcd comparison and its ratios, the goals, the
// markdown and SVG writers, /proc parsing and the command line. Randomised checks take a seed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { parseCpuSeconds } from '../../bench/cluster/proc-stat.ts';
import { assertLoopback } from '../../bench/load/http-client.ts';
import { classifyBatch, classifyPayment } from '../../bench/load/outcome.ts';
import { Prng } from '../../bench/load/prng.ts';
import { parseArgs, planRuns, syncpayScenarios, etcdScenarios } from '../../bench/plan.ts';
import { compareRows, ratio, renderCompareText } from '../../bench/report/compare.ts';
import { evaluateGoals } from '../../bench/report/goals.ts';
import { renderMarkdown, runsTable } from '../../bench/report/markdown.ts';
import { renderBar } from '../../bench/report/progress.ts';
import { LatencyRecorder, median, percentile, summarize } from '../../bench/report/stats.ts';
import { summarizeRuns } from '../../bench/report/summarize.ts';
import { escapeXml, logScale, logTicks, renderChart } from '../../bench/report/svg-chart.ts';
import { dataVerdict, etcdVerdict, type NodeSnapshot } from '../../bench/report/verdict.ts';
import type { BenchReport, RunResult, RunSummary, Scenario } from '../../bench/types.ts';

const SEED = Number(process.env['BENCH_SPEC_SEED'] ?? 20261126);
console.log(`bench report.spec seed=${SEED} (set BENCH_SPEC_SEED to replay another)`);

// ---- percentiles -------------------------------------------------------------------------------

test('nearest-rank percentiles on known samples', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(percentile(hundred, 0.5), 50);
  assert.is(percentile(hundred, 0.95), 95);
  assert.is(percentile(hundred, 0.99), 99);
  assert.is(percentile(hundred, 1), 100);
  assert.is(percentile([7], 0.99), 7);
  assert.is(percentile([], 0.5), null);
  assert.throws(() => percentile(hundred, 0));
  assert.throws(() => percentile(hundred, 1.5));
});

test('summarize sorts a copy and reports min, mean and max', () => {
  const samples = [5, 1, 3, 2, 4];
  const s = summarize(samples);
  assert.equal(samples, [5, 1, 3, 2, 4], 'input untouched');
  assert.is(s.count, 5);
  assert.is(s.min, 1);
  assert.is(s.max, 5);
  assert.is(s.mean, 3);
  assert.is(s.p50, 3);
  assert.is(s.p99, 5);
  assert.equal(summarize([]), { count: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null });
});

test('percentiles are real samples with the right share at or below them (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.01, max: 1, noNaN: true }), (xs, q) => {
      const sorted = Float64Array.from(xs).sort();
      const p = percentile(sorted, q);
      assert.ok(p !== null && xs.includes(p));
      const atOrBelow = xs.filter((x) => x <= p).length;
      const below = xs.filter((x) => x < p).length;
      assert.ok(atOrBelow >= q * xs.length - 1e-9, 'at least q of the samples are <= p');
      assert.ok(below < q * xs.length + 1e-9, 'fewer than q of the samples are < p');
      const s = summarize(xs);
      assert.ok((s.p50 ?? 0) <= (s.p95 ?? 0) && (s.p95 ?? 0) <= (s.p99 ?? 0) && (s.p99 ?? 0) <= (s.max ?? 0));
    }),
    { seed: SEED, numRuns: 200 },
  );
});

test('median of odd and even counts ignores nulls', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  assert.is(median([null, 5, null]), 5);
  assert.is(median([null]), null);
  assert.is(median([]), null);
});

test('the latency recorder grows past its first buffer and keeps every sample', () => {
  const r = new LatencyRecorder();
  for (let i = 1; i <= 5000; i++) r.add(i);
  assert.is(r.count, 5000);
  const s = r.summary();
  assert.is(s.max, 5000);
  assert.is(s.p50, 2500);
  assert.is(s.p99, 4950);
});

// ---- data-check verdict ------------------------------------------------------------------------

const node = (id: string, hash: string | null, applied: number | null, count: number | null): NodeSnapshot => ({ node: id, ledgerHash: hash, appliedIndex: applied, transferCount: count });
const before = { n1: 10, n2: 10, n3: 10 };

test('a run passes when hashes, indexes and counts agree with what was acknowledged', () => {
  const v = dataVerdict({ after: [node('n1', 'abc', 50, 110), node('n2', 'abc', 50, 110), node('n3', 'abc', 50, 110)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.ok(v.ok, v.reasons.join('; '));
  assert.is(v.committed, 100);
  assert.equal(v.hashes, { n1: 'abc', n2: 'abc', n3: 'abc' });
});

test('different ledger hashes at the same index fail the run', () => {
  const v = dataVerdict({ after: [node('n1', 'abc', 50, 110), node('n2', 'abd', 50, 110), node('n3', 'abc', 50, 110)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.not.ok(v.ok);
  assert.match(v.reasons.join(), /hashes differ/);
});

test('replicas that never caught up fail the run', () => {
  const v = dataVerdict({ after: [node('n1', 'abc', 50, 110), node('n2', 'abc', 49, 109), node('n3', 'abc', 50, 110)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.not.ok(v.ok);
  assert.match(v.reasons.join(), /applied indexes differ/);
});

test('committed differing from acknowledged fails the run, in both directions', () => {
  const lost = dataVerdict({ after: [node('n1', 'h', 9, 109), node('n2', 'h', 9, 109)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.not.ok(lost.ok);
  assert.match(lost.reasons.join(), /committed 99 transfers but acknowledged 100/);
  const extra = dataVerdict({ after: [node('n1', 'h', 9, 111), node('n2', 'h', 9, 111)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.not.ok(extra.ok);
});

test('with unknown outcomes, extra commits up to the unknown count pass but a lost ack does not', () => {
  const after = (count: number): NodeSnapshot[] => [node('n1', 'h', 9, count), node('n2', 'h', 9, count), node('n3', 'h', 9, count)];
  assert.ok(dataVerdict({ after: after(113), countsBefore: before, acknowledged: 100, unknown: 5 }).ok);
  assert.ok(dataVerdict({ after: after(110), countsBefore: before, acknowledged: 100, unknown: 5 }).ok);
  const lost = dataVerdict({ after: after(109), countsBefore: before, acknowledged: 100, unknown: 5 });
  assert.not.ok(lost.ok);
  assert.match(lost.reasons.join(), /lost acknowledged/);
  assert.not.ok(dataVerdict({ after: after(116), countsBefore: before, acknowledged: 100, unknown: 5 }).ok);
});

test('a silent node or no node at all fails the run', () => {
  const v = dataVerdict({ after: [node('n1', 'h', 9, 110), node('n2', null, null, null)], countsBefore: before, acknowledged: 100, unknown: 0 });
  assert.not.ok(v.ok);
  assert.match(v.reasons.join(), /n2 did not report/);
  assert.not.ok(dataVerdict({ after: [], countsBefore: before, acknowledged: 0, unknown: 0 }).ok);
});

test('etcd verdict: conservation and every acknowledged put present', () => {
  assert.ok(etcdVerdict({ balanceSum: 0n, committed: null, acknowledged: 10, unknown: 0 }).ok);
  assert.not.ok(etcdVerdict({ balanceSum: 100n, committed: null, acknowledged: 10, unknown: 0 }).ok);
  assert.ok(etcdVerdict({ balanceSum: null, committed: 10, acknowledged: 10, unknown: 0 }).ok);
  assert.not.ok(etcdVerdict({ balanceSum: null, committed: 9, acknowledged: 10, unknown: 0 }).ok);
  assert.ok(etcdVerdict({ balanceSum: null, committed: 11, acknowledged: 10, unknown: 1 }).ok);
});

// ---- classifying answers -----------------------------------------------------------------------

test('payment answers: success, refusal (nothing written) and unknown', () => {
  assert.equal(classifyPayment(200, '{"status":"success","transaction_id":"x"}'), { kind: 'ok', units: 1 });
  assert.is(classifyPayment(200, 'garbage').kind, 'unknown');
  assert.equal(classifyPayment(422, '{}'), { kind: 'failed', units: 0, label: '422' });
  assert.equal(classifyPayment(429, '{}'), { kind: 'failed', units: 0, label: '429' });
  assert.equal(classifyPayment(503, '{}'), { kind: 'unknown', units: 1, label: '503' });
  assert.equal(classifyPayment(503, '{"code":"SYNCPAY_ERR_TIMEOUT"}'), { kind: 'unknown', units: 1, label: '503 SYNCPAY_ERR_TIMEOUT' });
  assert.equal(classifyPayment(422, '{"code":"exceeds_credits"}'), { kind: 'failed', units: 0, label: '422 exceeds_credits' });
});

test('batch answers count only the items whose code is ok', () => {
  const body = (codes: string[]): string => JSON.stringify({ results: codes.map((code, index) => ({ index, id: `t${index}`, code, ok: code === 'ok' })) });
  assert.equal(classifyBatch(200, body(['ok', 'ok', 'ok']), 3), { kind: 'ok', units: 3 });
  assert.equal(classifyBatch(200, body(['ok', 'exceeds_credits', 'ok']), 3), { kind: 'ok', units: 2, label: 'batch-partial' });
  assert.is(classifyBatch(200, body(['ok']), 3).kind, 'unknown', 'a short result list is not trusted');
  assert.equal(classifyBatch(400, '{}', 3), { kind: 'failed', units: 0, label: '400' });
  assert.equal(classifyBatch(504, '{}', 3), { kind: 'unknown', units: 3, label: '504' });
});

test('traffic may only go to 127.0.0.1', () => {
  assert.is(assertLoopback('http://127.0.0.1:5000/payment').port, '5000');
  assert.throws(() => assertLoopback('http://localhost:5000/'), /127\.0\.0\.1/);
  assert.throws(() => assertLoopback('http://10.0.0.1:5000/'), /refused/);
});

test('the account picker gives two different accounts in range', () => {
  const prng = new Prng(SEED);
  for (let i = 0; i < 2000; i++) {
    const [a, b] = prng.pair(7);
    assert.ok(a !== b && a >= 0 && a < 7 && b >= 0 && b < 7);
  }
});

// ---- comparison, goals, tables -----------------------------------------------------------------

const scenario = (name: string, system: 'syncpay' | 'etcd' = name.startsWith('etcd') ? 'etcd' : 'syncpay'): Scenario => ({
  name, kind: (name.startsWith('syncpay-batch') ? 'syncpay-batch' : name) as Scenario['kind'], batchSize: name.startsWith('syncpay-batch') ? Number(name.split('-')[2]) : 1, system,
});
const summary = (name: string, concurrency: number, throughput: number, p99: number, ok = true): RunSummary => ({
  scenario: scenario(name), concurrency, repeats: 3, throughput, p50: p99 / 4, p95: p99 / 2, p99,
  cpuSeconds: { n1: 1.5, n2: 1, n3: null }, nodeCpuMicrosPerUnit: 412.4, loadgenCpuMicrosPerUnit: 58.26, leaderFsyncsPerSecond: 200, leaderEntriesPerFsync: 12.5, requestsFailed: 0, ok, failures: ok ? [] : ['repeat 2: ledger hashes differ'],
});

test('ratios are null rather than infinite or NaN', () => {
  assert.is(ratio(300, 100), 3);
  assert.is(ratio(300, 0), null);
  assert.is(ratio(null, 100), null);
  assert.is(ratio(100, null), null);
  assert.is(ratio(Number.NaN, 100), null);
});

test('comparison rows pair the systems per concurrency and drop failed runs', () => {
  const rows = compareRows([
    summary('syncpay-leader', 1, 500, 4), summary('etcd-put', 1, 250, 8), summary('etcd-txn', 1, 100, 12),
    summary('syncpay-leader', 64, 9000, 30, false), summary('etcd-put', 64, 1000, 80), summary('etcd-txn', 64, 300, 200),
  ]);
  assert.is(rows.length, 2);
  assert.is(rows[0]?.vsPut, 2);
  assert.is(rows[0]?.vsTxn, 5);
  assert.is(rows[1]?.syncpay, null, 'a run that failed its data check has no throughput to compare');
  assert.is(rows[1]?.vsPut, null);
  const text = renderCompareText(rows);
  assert.match(text, /2\.00x/);
  assert.match(text, /5\.00x/);
  assert.is(text.split('\n').length, 3);
});

test('goals report met, missed by how much, and not measured', () => {
  const goals = evaluateGoals([
    summary('syncpay-leader', 64, 6000, 40), summary('etcd-put', 64, 1000, 80), summary('etcd-txn', 64, 1000, 200),
    summary('syncpay-batch-1000', 64, 50_000, 900), summary('syncpay-batch-1000', 16, 20_000, 300), summary('syncpay-batch-1000', 256, 90_000, 2000, false),
  ], { samplesMs: [900, 1100, 2000], medianMs: 1100, check: null, notes: [] });
  const by = (prefix: string) => goals.find((g) => g.goal.startsWith(prefix));
  assert.is(by('single payments vs etcd puts')?.met, true);
  assert.is(by('single payments vs etcd txn')?.met, false);
  assert.match(by('single payments vs etcd txn')?.measured ?? '', /6\.00x \(1\.3x short\)/);
  assert.is(by('single payments p99')?.met, true);
  assert.is(by('batches of 1,000')?.met, false);
  assert.match(by('batches of 1,000')?.measured ?? '', /2\.0x short/, 'the best level that passed its check counts');
  assert.match(by('batches of 1,000')?.goal ?? '', /best: c=64/);
  assert.is(by('failover')?.met, true);
  const none = evaluateGoals([], null);
  assert.ok(none.every((g) => g.met === null && g.measured === 'not measured'));
});

const run = (name: string, concurrency: number, repeat: number, throughput: number, p99: number, ok = true): RunResult => ({
  scenario: scenario(name), concurrency, repeat, throughput,
  latency: { count: 10, min: 1, mean: 2, p50: p99 / 2, p95: p99, p99, max: p99 },
  requestsFailed: 0, retries: 0, errors: {},
  nodes: [{ node: 'n1', isLeader: true, cpuSeconds: repeat, fsyncs: 100 * repeat, entriesPerFsync: 5 }, { node: 'n2', isLeader: false, cpuSeconds: 1, fsyncs: 100, entriesPerFsync: 5 }],
  leaderFsyncsPerSecond: 100 * repeat, leaderEntriesPerFsync: 5, loadgenCpuSeconds: 0.5 * repeat,
  check: { ok, reasons: ok ? [] : ['ledger hashes differ'], committed: 10_000, acknowledged: 10_000, hashes: {} },
});

test('repeats fold into medians, and one failed repeat fails the row', () => {
  const rows = summarizeRuns([run('syncpay-leader', 16, 1, 100, 10), run('syncpay-leader', 16, 2, 300, 30), run('syncpay-leader', 16, 3, 200, 90, false), run('etcd-put', 16, 1, 50, 5)]);
  assert.is(rows.length, 2);
  const ours = rows.find((r) => r.scenario.name === 'syncpay-leader');
  assert.is(ours?.throughput, 200);
  assert.is(ours?.p99, 30);
  assert.is(ours?.repeats, 3);
  assert.equal(ours?.cpuSeconds, { n1: 2, n2: 1 });
  // Per acknowledged unit: all nodes' CPU (repeat + 1 s over 10,000) and the load generator's (0.5 s x repeat).
  assert.is(ours?.nodeCpuMicrosPerUnit, 300);
  assert.is(ours?.loadgenCpuMicrosPerUnit, 100);
  assert.is(ours?.ok, false);
  assert.match(ours?.failures[0] ?? '', /repeat 3: ledger hashes differ/);
});

test('the markdown table shows FAIL instead of a plain number for a failed row', () => {
  const table = runsTable([summary('syncpay-leader', 64, 9000, 30, false), summary('syncpay-batch-100', 16, 40_000, 60)]);
  const lines = table.split('\n');
  assert.is(lines.length, 4);
  assert.match(lines[2] ?? '', /~~9,000~~/);
  assert.match(lines[2] ?? '', /\*\*FAIL\*\*/);
  assert.match(lines[3] ?? '', /\| 40,000 \|/);
  assert.match(lines[3] ?? '', /1\.5 \/ 1\.0 \/ - \| 412 \/ 58\.3 \|/, 'CPU per node, then per unit: the nodes\' and the load generator\'s');
});

test('the markdown report carries the command, the comparison and the goals', () => {
  const report: BenchReport = {
    startedAt: '2026-11-26T10:00:00.000Z', finishedAt: '2026-11-26T10:10:00.000Z', command: 'npm run bench -- --compare etcd',
    machine: { cpus: 2, model: 'cpu', node: 'v20', etcd: '3.4.23' }, options: {}, runs: [],
    summaries: [summary('syncpay-leader', 64, 6000, 40), summary('etcd-put', 64, 1000, 80)],
    failover: { samplesMs: [800, 900, 1000], medianMs: 900, check: null, notes: [] }, problems: [], ok: true,
  };
  const md = renderMarkdown(report);
  assert.match(md, /`npm run bench -- --compare etcd`/);
  assert.match(md, /\| 64 \| 6,000 \| 40\.0 \| 1,000 \| 80\.0 \| - \| - \| 6\.00x \| - \|/);
  assert.match(md, /median 900 ms over 3 run/);
  assert.match(md, /\| single payments p99, c=64 \| <= 50 ms \| 40\.0 ms \| yes \|/);
});

// ---- SVG ---------------------------------------------------------------------------------------

test('log scale and ticks', () => {
  const s = logScale(1, 1000, 0, 300);
  assert.is(s(1), 0);
  assert.is(s(1000), 300);
  assert.ok(Math.abs(s(10) - 100) < 1e-9);
  assert.equal(logTicks(1, 100), [1, 2, 5, 10, 20, 50, 100]);
});

test('the chart draws a p50 and a p99 line per series inside the frame, with escaped names', () => {
  const svg = renderChart([
    { name: 'syncpay <leader>', points: [{ x: 100, p50: 2, p99: 9, label: 'c=1' }, { x: 5000, p50: 8, p99: 40, label: 'c=64' }] },
    { name: 'etcd-put', points: [{ x: 200, p50: 4, p99: 20, label: 'c=1' }] },
  ], { title: 'T & U', width: 800, height: 500 });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.is((svg.match(/<polyline /g) ?? []).length, 4);
  assert.match(svg, /syncpay &lt;leader&gt;/);
  assert.match(svg, /T &amp; U/);
  assert.not.match(svg, /NaN|Infinity/);
  for (const m of svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)) {
    const x = Number(m[1]);
    const y = Number(m[2]);
    assert.ok(x >= 70 && x <= 800 - 220 && y >= 40 && y <= 500 - 55, `point ${x},${y} inside the plot`);
  }
  // The faster series lies further right: x grows with throughput.
  const xs = [...svg.matchAll(/<circle cx="([\d.]+)" cy="[\d.]+" r="3.5"/g)].map((m) => Number(m[1]));
  assert.ok((xs[1] ?? 0) > (xs[0] ?? 0));
  assert.is(escapeXml(`a"b'c`), 'a&quot;b&apos;c');
});

test('an empty chart is still a valid document', () => {
  const svg = renderChart([]);
  assert.match(svg, /^<svg[\s\S]*<\/svg>\n$/);
  assert.not.match(svg, /NaN/);
});

test('the progress bar is clamped', () => {
  assert.is(renderBar(0.5, 10), '[#####.....]  50%');
  assert.is(renderBar(2, 4), '[####] 100%');
  assert.is(renderBar(Number.NaN, 4), '[....]   0%');
});

// ---- /proc and the command line ----------------------------------------------------------------

test('CPU seconds from /proc/<pid>/stat, also with a process name holding spaces and parens', () => {
  const fields = (name: string) => `1234 (${name}) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 11 0 100 1000000 5000`;
  assert.is(parseCpuSeconds(fields('node'), 100), 3.25);
  assert.is(parseCpuSeconds(fields('my (odd) name'), 100), 3.25);
  assert.is(parseCpuSeconds('garbage', 100), null);
});

test('--quick and --compare etcd shape the plan', () => {
  const quick = parseArgs(['--quick']);
  assert.equal(quick.levels, [1, 64]);
  assert.is(quick.repeat, 1);
  assert.is(quick.compareEtcd, false);
  assert.is(etcdScenarios(quick).length, 0);
  const full = parseArgs(['--compare', 'etcd']);
  assert.equal(full.levels, [1, 16, 64, 256]);
  assert.is(full.repeat, 3);
  assert.equal(syncpayScenarios(full).map((s) => s.name), ['syncpay-leader', 'syncpay-spread', 'syncpay-batch-100', 'syncpay-batch-1000']);
  assert.equal(etcdScenarios(full).map((s) => s.name), ['etcd-put', 'etcd-txn']);
  const plan = planRuns(syncpayScenarios(full), full);
  assert.is(plan.length, 4 * 4 * 3);
  assert.equal(plan.slice(0, 4).map((r) => r.concurrency), [1, 16, 64, 256]);
  assert.is(plan[16]?.repeat, 2, 'repeats are interleaved, not back to back');
  const only = parseArgs(['--only', 'syncpay-batch-1000', '--levels', '8', '--duration', '0.5', '--batches', '1000']);
  assert.equal(syncpayScenarios(only).map((s) => s.name), ['syncpay-batch-1000']);
  assert.is(only.durationMs, 500);
  assert.throws(() => parseArgs(['--compare', 'zookeeper']), /etcd/);
  assert.throws(() => parseArgs(['--frobnicate']), /unknown option/);
  assert.throws(() => parseArgs(['--levels', '1,x']), /integers/);
  assert.throws(() => parseArgs(['--duration']), /needs a value/);
});

test.run();
