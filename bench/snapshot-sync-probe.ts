// `node --import tsx bench/snapshot-sync-probe.ts [dir] [MB per flush]`: how long a log append
// (64 KB + fdatasync, in a loop) waits while a 160 MB file is written beside it on the same disk
// and then fsynced, as a snapshot file is: (a) with one fsync at the end, (b) flushed every
// `MB per flush` as it is written (raft.snapshotSyncBytes). Prints the appends' p50, p99 and max
// while the big file was being written, for each way.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dir = await mkdtemp(join(process.argv[2] ?? tmpdir(), 'snapshot-sync-probe-'));
const stepBytes = Number(process.argv[3] ?? 16) * 1024 * 1024;
const TOTAL_BYTES = 160 * 1024 * 1024;
const PIECE_BYTES = 3 * 1024 * 1024;

async function probe(stepped: boolean): Promise<string> {
  const log = await open(join(dir, 'log'), 'w');
  const latencies: number[] = [];
  let stop = false;
  let position = 0;
  const record = Buffer.alloc(64 * 1024, 0x61);
  const appends = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await log.write(record, 0, record.length, position);
      position += record.length;
      await log.datasync();
      latencies.push(performance.now() - t0);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const from = latencies.length;
  const t0 = performance.now();
  const big = await open(join(dir, 'big'), 'w');
  const piece = Buffer.alloc(PIECE_BYTES, 0x62);
  let unsynced = 0;
  for (let at = 0; at < TOTAL_BYTES; at += piece.length) {
    await big.write(piece, 0, piece.length, at);
    unsynced += piece.length;
    if (stepped && unsynced >= stepBytes) {
      await big.datasync();
      unsynced = 0;
    }
  }
  const tSync = performance.now();
  await big.sync();
  const t1 = performance.now();
  await big.close();
  stop = true;
  await appends;
  await log.close();
  await rm(join(dir, 'big'));
  await rm(join(dir, 'log'));
  const during = latencies.slice(from).sort((a, b) => a - b);
  const at = (q: number): string => (during[Math.min(during.length - 1, Math.floor(q * during.length))] ?? 0).toFixed(1);
  return `${stepped ? `flushed every ${stepBytes >> 20} MB` : 'one fsync at the end'}: 160 MB file in ${(t1 - t0).toFixed(0)} ms`
    + ` (its last fsync ${(t1 - tSync).toFixed(0)} ms); ${during.length} log appends meanwhile: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

try {
  for (let round = 0; round < 2; round++) {
    console.log(await probe(false));
    console.log(await probe(true));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
