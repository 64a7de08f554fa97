// Runs a spec file again as a child process that writes to a store and prints one JSON line per
// event, and kills it with SIGKILL once it has printed `killAfterAcks` acknowledgements: the crash
// specs then boot whatever the child left on disk and compare it with what it had acknowledged.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';

export interface KilledChild {
  /** Everything the child printed; its last line may be cut short by the kill. */
  readonly out: string;
  /** Acknowledgements printed before the kill took effect. */
  readonly acks: number;
}

/** `specUrl` is the spec's own `import.meta.url`; the child finds its job in `env[envName]`. */
export async function runUntilKilled(specUrl: string, envName: string, job: unknown, killAfterAcks: number): Promise<KilledChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(specUrl)], {
    env: { ...process.env, [envName]: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let acks = 0;
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout.on('data', (d: Buffer) => {
    const text = d.toString();
    out += text;
    acks += text.split('"ack"').length - 1;
    if (acks >= killAfterAcks) proc.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((done) => proc.on('close', (c) => done(c)));
  assert.is(code, null, `the child should die by SIGKILL, but exited ${code}: ${err}`);
  return { out, acks };
}
