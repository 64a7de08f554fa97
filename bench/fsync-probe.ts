// `node --import tsx bench/fsync-probe.ts [dir] [records] [bytes]`: what one durable append costs
// on this disk, written the two ways a log can be written. (a) Growing the file, as
// runtime/storage/segment-log.ts does: every fdatasync must also commit the new file size, a
// journal transaction. (b) Overwriting a preallocated file, as etcd's WAL does: fdatasync
// flushes data only. The gap between the two is the gain available from preallocating segments.
// It also prints the process's CPU per append (user and system, the pool thread's included): what
// every append round costs each node in CPU before any of its own work, mostly the kernel's side
// of fdatasync.
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './report/stats.ts';

const dir = process.argv[2] ?? tmpdir();
const records = Number(process.argv[3] ?? 300);
const bytes = Number(process.argv[4] ?? 256);

async function probe(name: string, preallocate: boolean): Promise<void> {
  const work = await mkdtemp(join(dir, 'fsync-probe-'));
  const file = join(work, 'log');
  const handle = await open(file, 'w+');
  try {
    if (preallocate) {
      // Real blocks, not a sparse hole: write zeros, then make them durable once.
      const zeros = Buffer.alloc(1024 * 1024);
      for (let off = 0; off < records * bytes; off += zeros.length) await handle.write(zeros, 0, zeros.length, off);
      await handle.sync();
    }
    const record = Buffer.alloc(bytes, 0x61);
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < records; i++) {
      const t0 = performance.now();
      await handle.write(record, 0, bytes, i * bytes);
      await handle.datasync();
      times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const total = times.reduce((s, t) => s + t, 0);
    console.log(`${name.padEnd(34)} ${(records / (total / 1000)).toFixed(0).padStart(6)} appends/s  p50 ${percentile(times, 0.5)?.toFixed(3)} ms  p99 ${percentile(times, 0.99)?.toFixed(3)} ms`
      + `  CPU per append ${((cpu.user + cpu.system) / records).toFixed(0)} µs (system ${(cpu.system / records).toFixed(0)})`);
  } finally {
    await handle.close();
    await rm(work, { recursive: true, force: true });
  }
}

console.log(`${records} appends of ${bytes} bytes, each followed by fdatasync, in ${dir}`);
for (let round = 1; round <= 2; round++) {
  await probe(`growing file (segment-log today) #${round}`, false);
  await probe(`preallocated file (etcd WAL) #${round}`, true);
}
