// The test command: type-check, lint, then every uvu spec. It ends with one line
// `N passed, N failed` computed from uvu's own totals, keeps uvu's exit code, and fails
// a run in which no test executed (uvu exits 0 on an empty suite).
import { spawn, spawnSync } from 'node:child_process';

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed (exit ${r.status})\n0 passed, 1 failed\n`);
    process.exit(r.status || 1);
  }
}

step('typecheck', 'npx', ['tsc', '--noEmit', '-p', '.']);
step('lint', process.execPath, ['--import', 'tsx', 'scripts/lint.ts']);

const pattern = process.argv[2] ?? '\\.spec\\.ts$';
process.stdout.write('\n== specs\n');
// Stream uvu's output as it comes (a long run shows progress) while keeping a copy to count.
const r = await new Promise((resolve) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'node_modules/uvu/bin.js', 'spec', pattern, '--no-color'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    process.stdout.write(chunk);
  });
  child.on('close', (status) => resolve({ status, stdout }));
});
const num = (label) => {
  const m = new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm').exec(r.stdout ?? '');
  return m ? Number(m[1]) : 0;
};
const total = num('Total');
const passed = num('Passed');
const skipped = num('Skipped');
let failed = Math.max(0, total - passed - skipped) + (r.status !== 0 && total === passed ? 1 : 0);
// CI installs Chromium: there, a browser spec that skipped itself is a failure, not a pass.
if (process.env.CI && /browser spec skipped/.test(r.stdout)) {
  process.stdout.write('\nthe browser spec did not run in CI (Chromium missing?)\n');
  failed += 1;
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
if (total === 0) {
  process.stdout.write('no test ran: failing the run\n');
  process.exit(1);
}
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
