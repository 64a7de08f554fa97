// `npm run bench`: benchmarks a local three-node SyncPay cluster (and, with --compare etcd, a
// three-member etcd) and writes JSON, markdown and an SVG chart to bench/results/. Exits non-zero
// when any run fails its data checks: a benchmark that loses data is a failure, not a number.
import { parseArgs } from '../bench/plan.ts';
import { compareRows, renderCompareText } from '../bench/report/compare.ts';
import { evaluateGoals } from '../bench/report/goals.ts';
import { runsTable } from '../bench/report/markdown.ts';
import { writeReport } from '../bench/report/write.ts';
import { installSignalCleanup, runBench } from '../bench/runner.ts';

const argv = process.argv.slice(2);
let options;
try {
  options = parseArgs(argv);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}

installSignalCleanup();
const command = ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
const report = await runBench(options, command);
const files = writeReport(report, options.resultsDir);

console.log('');
console.log(runsTable(report.summaries));
const rows = compareRows(report.summaries);
if (rows.some((r) => r.etcdPut !== null || r.etcdTxn !== null)) {
  console.log('\nSyncPay single payments (leader) vs etcd');
  console.log(renderCompareText(rows));
}
if (report.failover) {
  console.log(`\nfailover: median ${report.failover.medianMs?.toFixed(0) ?? '-'} ms over [${report.failover.samplesMs.map((s) => s.toFixed(0)).join(', ')}] ms; data check ${report.failover.check?.ok ? 'ok' : `FAILED ${report.failover.check?.reasons.join('; ')}`}`);
}
if (report.problems.length > 0) {
  console.log('\nproblems:');
  for (const p of report.problems) console.log(`  ${p}`);
}
console.log('\ngoals:');
for (const g of evaluateGoals(report.summaries, report.failover)) console.log(`  [${g.met === null ? ' n/a ' : g.met ? ' met ' : 'MISSED'}] ${g.goal}: ${g.measured} (target ${g.target})`);
console.log(`\nwrote ${files.filter((f) => f.includes('latest')).join(', ')}`);
if (!report.ok) {
  console.error('\nFAILED: at least one run failed its data checks or could not be carried out');
  process.exit(1);
}
process.exit(0);
