// `node --import tsx cli/tour.ts`: starts a throwaway three-node cluster through the `npm start`
// launcher, runs every command of the README's tour against it as written (see tour-runner.ts for
// the few things a test cluster changes), prints each command with its output, and exits non-zero
// at the first command that fails.
import { startTourCluster } from '../spec/docs/tour-cluster.ts';
import { readmeText, runTour, tourSteps } from './tour-runner.ts';

const steps = tourSteps(readmeText());
process.stdout.write(`starting a three-node cluster for the README tour (${steps.length} commands)...\n`);
const cluster = await startTourCluster();
let failed = false;
try {
  await runTour(steps, cluster, cluster.cwd, (r) => {
    failed ||= r.code !== 0;
    process.stdout.write(`\n$ ${r.step.command}\n${r.output}${r.output.endsWith('\n') || r.output === '' ? '' : '\n'}`);
    if (r.code !== 0) process.stdout.write(`^ README line ${r.step.line} failed with exit ${r.code} (ran: ${r.ran})\n`);
  });
} finally {
  await cluster.stop();
}
process.stdout.write(failed ? '\ntour FAILED\n' : '\ntour passed: every command worked as written\n');
process.exitCode = failed ? 1 : 0;
