// Runs the README's tour, command by command, against a live cluster, so the README cannot drift
// from the code (used by cli/tour.ts and spec/docs/tour.spec.ts in `npm test`).
// The commands are taken verbatim from the README's tour section and changed only where a test
// cluster must differ from a newcomer's: its ports (the README says 5000-5002), how the CLI is
// invoked (`npx syncpay` becomes this checkout's runtime/cli.js), and the process pattern of the
// kill step, which is narrowed to this cluster so a test never kills another cluster's node.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './delegate.ts';

export const TOUR_START = '<!-- tour:start -->';
export const TOUR_END = '<!-- tour:end -->';

export interface TourStep {
  /** The command as the README shows it (continuation lines joined). */
  readonly command: string;
  /** 1-based line in the README where it starts. */
  readonly line: number;
}

/** Every shell command in the README's tour section, in order (comments and blank lines left out). */
export function tourSteps(readme: string): TourStep[] {
  const start = readme.indexOf(TOUR_START);
  const end = readme.indexOf(TOUR_END);
  if (start === -1 || end === -1 || end < start) throw new Error('README.md has no tour markers');
  const firstLine = readme.slice(0, start).split('\n').length;
  const lines = readme.slice(start, end).split('\n');
  const steps: TourStep[] = [];
  let inShell = false;
  let pending: { text: string; line: number } | null = null;
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    if (/^```(sh|bash|shell)\s*$/.test(line)) return void (inShell = true);
    if (line.startsWith('```')) return void (inShell = false);
    if (!inShell) return;
    if (pending === null && (line.trim() === '' || line.trim().startsWith('#'))) return;
    const text = line.endsWith('\\') ? line.slice(0, -1) : line;
    pending = pending === null ? { text: text.trim(), line: firstLine + i } : { text: `${pending.text} ${text.trim()}`, line: pending.line };
    if (!line.endsWith('\\')) {
      steps.push({ command: pending.text, line: pending.line });
      pending = null;
    }
  });
  return steps;
}

export interface TourCluster {
  /** API URLs in the README's order: the first stands for port 5000, the next for 5001, ... */
  readonly urls: readonly string[];
  /** The configuration file every node of this cluster was started with (`--config <path>`). */
  readonly configPath: string;
}

const README_PORT = /\b(localhost|127\.0\.0\.1):(50\d\d)\b/g;
const KILL_PATTERN = /start\.js --node (\$\(npx syncpay leader\)|[\w-]+) "/g;

/** The command to run against `cluster` instead of the README's default cluster. */
export function adaptStep(command: string, cluster: TourCluster, cliPath = join(PACKAGE_ROOT, 'runtime', 'cli.js')): string {
  let out = command.replace(README_PORT, (whole, _host: string, port: string) => {
    const url = cluster.urls[Number(port) - 5000];
    if (url === undefined) throw new Error(`the tour uses port ${port}, but the test cluster has ${cluster.urls.length} nodes`);
    return new URL(url).host;
  });
  out = out.replace(KILL_PATTERN, (_whole, node: string) => `start.js --node ${node} --config ${cluster.configPath}"`);
  if (/\b(kill|pkill)\b/.test(out) && !out.includes(cluster.configPath)) {
    throw new Error(`refusing to run a kill step that is not narrowed to the test cluster: ${command}`);
  }
  return out.replace(/\bnpx syncpay\b/g, `"${process.execPath}" "${cliPath}"`);
}

export interface StepResult {
  readonly step: TourStep;
  readonly ran: string;
  readonly code: number | null;
  readonly output: string;
}

/** Runs one adapted command in bash (errexit, pipefail) in `cwd`, where the cluster's config lives. */
export function runStep(step: TourStep, cluster: TourCluster, cwd: string, timeoutMs = 60000): Promise<StepResult> {
  const ran = adaptStep(step.command, cluster);
  return new Promise((done) => {
    const child = spawn('bash', ['-c', `set -eo pipefail\n${ran}`], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ step, ran, code, output });
    });
  });
}

/** Runs every step in order and stops at the first that fails. */
export async function runTour(steps: readonly TourStep[], cluster: TourCluster, cwd: string, onStep?: (r: StepResult) => void): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const result = await runStep(step, cluster, cwd);
    results.push(result);
    onStep?.(result);
    if (result.code !== 0) break;
  }
  return results;
}

export function readmeText(): string {
  return readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');
}

