// `node --import tsx bench/rerender.ts <report.json> [dir]`: writes the markdown and SVG of a saved
// report again (after a change to the writers, or to re-read an old run) without re-running it.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeReport } from './report/write.ts';
import { summarizeRuns } from './report/summarize.ts';
import type { BenchReport } from './types.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx bench/rerender.ts <report.json> [dir]');
  process.exit(2);
}
const saved = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
// Summaries are recomputed from the runs, so a change to how repeats fold shows up too.
const report: BenchReport = { ...saved, problems: saved.problems ?? [], summaries: summarizeRuns(saved.runs) };
for (const path of writeReport(report, process.argv[3] ?? dirname(file))) console.log(`wrote ${path}`);
