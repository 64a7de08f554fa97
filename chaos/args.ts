// Command-line options of `npm run chaos`, parsed and checked up front so a typo fails at once
// with the flag's name rather than minutes into a run.
import type { FaultKind } from './history.ts';

export interface ChaosArgs {
  readonly durationS: number;
  readonly nodes: number;
  readonly faults: FaultKind[];
  readonly seed: number;
  readonly clients: number | null;
  readonly resultsRoot: string;
  readonly keepData: boolean;
  readonly reads: 'linearizable' | 'local';
}

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'pause', 'partition', 'clock'];

export const USAGE = 'usage: npm run chaos -- --duration <s> --nodes 3|5 --faults kill,pause,partition,clock [--seed S] [--clients N] [--reads linearizable|local] [--results DIR] [--keep-data]';

export function parseChaosArgs(argv: readonly string[], randomSeed: () => number): ChaosArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'keep-data' || name === 'help') {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    values.set(name, value);
  }
  if (flags.has('help')) throw new Error(USAGE);
  for (const key of values.keys()) {
    if (!['duration', 'nodes', 'faults', 'seed', 'clients', 'results', 'reads'].includes(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
  }
  const int = (name: string, fallback: number, lo: number, hi: number): number => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < lo || Number(raw) > hi) throw new Error(`--${name} must be an integer in [${lo}, ${hi}], got ${raw}`);
    return Number(raw);
  };
  const nodes = int('nodes', 3, 1, 9);
  if (nodes !== 3 && nodes !== 5) throw new Error(`--nodes must be 3 or 5, got ${nodes}`);
  const faultsRaw = values.get('faults') ?? 'kill,pause,partition';
  const faults = faultsRaw === '' || faultsRaw === 'none' ? [] : faultsRaw.split(',').map((f) => f.trim());
  for (const f of faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`unknown fault ${f}: choose from ${FAULT_KINDS.join(', ')}`);
  const reads = values.get('reads') ?? 'linearizable';
  if (reads !== 'linearizable' && reads !== 'local') throw new Error(`--reads must be linearizable or local, got ${reads}`);
  return {
    reads,
    durationS: int('duration', 60, 5, 86400),
    nodes,
    faults: [...new Set(faults)] as FaultKind[],
    seed: values.has('seed') ? int('seed', 0, 0, 0xffffffff) : randomSeed(),
    clients: values.has('clients') ? int('clients', 6, 1, 256) : null,
    resultsRoot: values.get('results') ?? 'chaos-results',
    keepData: flags.has('keep-data'),
  };
}
