// `npm run chaos -- --duration <s> --nodes 3|5 --faults kill,pause,partition,clock [--seed S]`:
// a fault-injection run on real node processes, judged by the chaos checker. Exits 0 when the
// checker passes, 1 when it finds an anomaly (or the cluster never settled), 2 on bad options.
import { randomInt } from 'node:crypto';
import { parseChaosArgs } from '../chaos/args.ts';
import type { ChaosCluster } from '../chaos/cluster.ts';
import { runChaos } from '../chaos/run.ts';

let args;
try {
  args = parseChaosArgs(process.argv.slice(2), () => randomInt(0, 2 ** 31));
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}

let cluster: ChaosCluster | null = null;
process.on('SIGINT', () => {
  process.stderr.write('\ninterrupted: stopping the nodes\n');
  void (cluster?.destroy() ?? Promise.resolve()).finally(() => process.exit(130));
});

const started = Date.now();
const log = (line: string) => process.stdout.write(`chaos ${new Date().toISOString().slice(11, 19)} ${line}\n`);
log(`seed ${args.seed} (rerun with --seed ${args.seed})`);
try {
  const outcome = await runChaos({
    durationS: args.durationS,
    nodes: args.nodes,
    faults: args.faults,
    seed: args.seed,
    resultsRoot: args.resultsRoot,
    keepData: args.keepData,
    progress: log,
    workload: { readConsistency: args.reads, ...(args.clients !== null ? { clients: args.clients } : {}) },
    onCluster: (c) => (cluster = c),
  });
  process.stdout.write(`\n${outcome.note}\n(${((Date.now() - started) / 1000).toFixed(0)} s in all)\n`);
  process.exit(outcome.ok ? 0 : 1);
} catch (error) {
  process.stderr.write(`chaos run failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
}
