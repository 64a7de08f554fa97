// The simulator's command line: `npm run sim -- --seeds N [--from S] [--nodes 3|5]
// [--supervised] [--recorder] [--fault-ms MS]`. Each seed is one randomised run of a whole cluster (faults,
// then a calm phase that must converge); the run is a pure function of its seed, so a failure
// prints the seed and the command to replay it. Without --nodes, even seeds run 3 nodes and odd
// seeds 5. --supervised builds each node with the real supervisor, clock and heartbeat actors
// and adds actor crashes to the faults. Proposals are real ledger commands applied by the real
// ledger actor (acknowledged transfers, hashes and invariants checked); --recorder swaps in the
// hash-chain stand-in and opaque proposals (consensus only, faster).
import { formatFailure, runSeed, type FaultKind } from '../spec/harness/cluster.ts';

function arg(name: string, fallback: number | null): number | null {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`--${name} needs a whole number\n`);
    process.exit(2);
  }
  return v;
}

const seeds = arg('seeds', 100)!;
const from = arg('from', 1)!;
const nodesArg = arg('nodes', null);
if (nodesArg !== null && nodesArg !== 3 && nodesArg !== 5) {
  process.stderr.write('--nodes must be 3 or 5\n');
  process.exit(2);
}
const faultMs = arg('fault-ms', 3000)!;
const assembly = process.argv.includes('--supervised') ? ('supervised' as const) : ('minimal' as const);
const ledger = process.argv.includes('--recorder') ? ('recorder' as const) : ('real' as const);

const faults = new Map<FaultKind, number>();
let simMs = 0;
let events = 0;
let acked = 0;
let terms = 0;
let ackedItems = 0;
let outcomesCompared = 0;
const started = performance.now();
const tty = process.stdout.isTTY;

function progress(done: number, seed: number): void {
  const line = `seed ${seed}  ${done}/${seeds} runs  ${[...faults.values()].reduce((a, b) => a + b, 0)} faults  sim ${(simMs / 1000).toFixed(0)} s  real ${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (tty) process.stdout.write(`\r${line}   `);
  else if (done % 50 === 0 || done === seeds) process.stdout.write(`${line}\n`);
}

for (let k = 0; k < seeds; k++) {
  const seed = from + k;
  const nodes = nodesArg ?? (seed % 2 === 0 ? 3 : 5);
  const r = await runSeed({ seed, nodes, faultMs, assembly, ledger });
  ackedItems += r.ledgerChecks.ackedItemsChecked;
  outcomesCompared += r.ledgerChecks.outcomesCompared;
  simMs += r.simMs;
  events += r.events;
  acked += r.acked;
  terms += r.terms;
  for (const [kind, n] of r.faults) faults.set(kind, (faults.get(kind) ?? 0) + n);
  progress(k + 1, seed);
  if (!r.ok) {
    if (tty) process.stdout.write('\n');
    process.stdout.write(`\nVIOLATION after ${k + 1} runs\n${formatFailure(r, assembly, ledger)}\n`);
    process.exit(1);
  }
}

if (tty) process.stdout.write('\n');
const realS = (performance.now() - started) / 1000;
process.stdout.write(
  [
    `runs: ${seeds} (seeds ${from}..${from + seeds - 1}, ${nodesArg ?? '3 and 5'} nodes, ${assembly} assembly, ${ledger === 'real' ? 'real ledger traffic' : 'recorder ledger'}), no violation`,
    `faults injected: ${[...faults.values()].reduce((a, b) => a + b, 0)}`,
    ...[...faults].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `  ${kind.padEnd(18)} ${n}`),
    `simulated time: ${(simMs / 1000).toFixed(1)} s   real time: ${realS.toFixed(1)} s   events: ${events}`,
    `proposals acknowledged: ${acked}   leader terms: ${terms}`,
    ...(ledger === 'real' ? [`ledger: ${ackedItems} acknowledged items found once on every replica, ${outcomesCompared} replica outcomes compared`] : []),
    '',
  ].join('\n'),
);
