// A live cluster for the README tour, started the way the README starts one: through the
// `npm start` launcher (runtime/cluster.js), on free ports, with its data in a temporary
// directory that also holds its cluster.config.json (so the CLI, run there, finds it).
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { TourCluster } from '../../cli/tour-runner.ts';
import { ProcessCluster, processesOf, waitFor } from '../support/process-cluster.ts';

export interface LiveTourCluster extends TourCluster {
  readonly layout: ProcessCluster;
  /** Where the tour's commands run (the directory of the cluster's configuration). */
  readonly cwd: string;
  /** The launcher's output so far (banner and node logs), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The leader every node in `urls` agrees on, once they do. */
export async function agreedLeader(urls: readonly string[], timeoutMs = 20000): Promise<string> {
  return waitFor(async () => {
    const views = await Promise.all(urls.map(async (u) => {
      try {
        const res = await fetch(`${u}/status`);
        return (await res.json()) as { leader: string | null; role: string };
      } catch {
        return null;
      }
    }));
    const leaders = new Set(views.map((v) => v?.leader ?? null));
    const leader = [...leaders][0];
    return leaders.size === 1 && typeof leader === 'string' && views.some((v) => v?.role === 'leader') ? leader : undefined;
  }, timeoutMs, 'the nodes to agree on a leader', 50);
}

export async function startTourCluster(): Promise<LiveTourCluster> {
  const layout = await ProcessCluster.create({ size: 3 });
  const launcher: ChildProcess = spawn(process.execPath, [resolve('runtime/cluster.js'), '--config', layout.configPath], {
    cwd: layout.dir,
    env: { ...process.env, SYNCPAY_LOG_PRETTY: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (c: Buffer): void => {
    output += c.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  launcher.stdout?.on('data', keep);
  launcher.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => launcher.on('exit', () => done()));
  const urls = layout.nodes.map((n) => n.url);
  const stop = async (): Promise<void> => {
    launcher.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 12000))]);
    launcher.kill('SIGKILL');
    // The launcher stops its nodes; anything left (it was killed first) goes by pid.
    for (const pid of processesOf(layout.configPath)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await layout.destroy();
  };
  try {
    await waitFor(() => (output.includes('Ctrl-C stops every node') ? true : undefined), 60000, 'the npm start banner');
    await agreedLeader(urls, 60000);
  } catch (error) {
    await stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${output.slice(-4000)}`);
  }
  return { layout, urls, configPath: layout.configPath, cwd: layout.dir, output: () => output, stop };
}
