// `node --import tsx bench/profile/main.ts <file.cpuprofile>...`: prints where each profiled
// process spent its CPU, by area and by function, and who called the hottest functions, for
// docs/performance.md. TOP sets how many rows (default 25), CALLERS how many hot functions get
// their callers listed (default 6), DEPTH how many frames up (default 3).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { callersOf, renderProfileSummary, summarizeProfile, type CpuProfile } from './cpuprofile.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node --import tsx bench/profile/main.ts <file.cpuprofile>...');
  process.exit(2);
}
for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, Number(process.env['TOP'] ?? 25));
  console.log(renderProfileSummary(basename(file), summary));
  const hot = summary.byFunction.filter((f) => !f.name.startsWith('(')).slice(0, Number(process.env['CALLERS'] ?? 6));
  for (const f of hot) {
    const name = f.name.split(' ')[0] ?? f.name;
    console.log(`\ncallers of ${name}:`);
    for (const c of callersOf(profile, name, Number(process.env['DEPTH'] ?? 3))) console.log(`  ${(c.share * 100).toFixed(0).padStart(3)}%  ${c.name}`);
  }
  console.log('');
}
