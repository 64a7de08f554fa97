// `node --single-threaded-gc --import tsx bench/frame-micro.ts [ms-per-round]`: what one peer frame
// costs to encode and decode, the old JSON text frame against the current binary frame
// (runtime/transport/frame.ts), for the two shapes the benchmark sends most: (a) an appendEntries of
// 11 single-payment entries, (b) an appendEntries of one entry holding a 1,000-transfer batch.
// Commands come from the ledger's own encodeCommand, so `data` has the real amount of quoting.
// Each side does what its receiver really did: the old text frame was UTF-8-validated by ws before
// JSON.parse; the binary frame is validated by decodeFrame itself. Masking is a separate change
// (dialler.ts: an all-zero key, which ws skips): the last column is what ws's own mask + unmask of
// the new frame would have cost on top, i.e. what that change saves per frame from dialler to
// acceptor. Prints the median of 11 interleaved rounds in µs per frame, as the process's CPU time
// (--single-threaded-gc keeps GC helper threads out of it), so say what `uptime` was when quoting it.
// On a busy machine single rounds jitter by a third: compare runs, not one line.
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { encodeCommand } from '../machines/ledger/codec.ts';
import type { LedgerCommand, TransferInput } from '../machines/ledger/types.ts';
import type { LogEntry, PeerMessage } from '../machines/types.ts';
import { assembleFrame, decodeFrame, encodeMessage, isPeerMessage } from '../runtime/transport/frame.ts';

/** ws's masking helpers (the same ones its Sender and Receiver use). */
const requireCjs = createRequire(import.meta.url);
// Not an exported subpath of ws: reached by file, next to the package's entry point.
const wsBuffer = requireCjs(join(dirname(requireCjs.resolve('ws')), 'lib', 'buffer-util.js')) as {
  mask(source: Buffer, mask: Buffer, output: Buffer, offset: number, length: number): void;
  unmask(buffer: Buffer, mask: Buffer): void;
};
const MASK_KEY = Buffer.from([0x9a, 0x3c, 0x51, 0xe7]);

const MS_PER_ROUND = Number(process.argv[2] ?? 100);
const ROUNDS = 11;
const BYTES_MAX = 8 * 1024 * 1024;

// ---- the previous codec (text frames), kept here as the baseline -----------------------------

function oldEncode(from: string, msgs: readonly PeerMessage[]): Buffer {
  const text = `{"from":${JSON.stringify(from)},"msgs":[${msgs.map((m) => JSON.stringify(m)).join(',')}]}`;
  // The socket writes bytes either way (ws converts the string when it masks or writes).
  return Buffer.from(text);
}

function oldDecode(buf: Buffer, expectedFrom: string): PeerMessage[] {
  if (!isUtf8(buf)) throw new Error('ws would close: bad UTF-8');
  const parsed = JSON.parse(buf.toString('utf8')) as { from: unknown; msgs: unknown };
  if (parsed.from !== expectedFrom || !Array.isArray(parsed.msgs)) throw new Error('bad frame');
  for (const m of parsed.msgs) if (!isPeerMessage(m)) throw new Error('bad message');
  return parsed.msgs as PeerMessage[];
}

// ---- the current codec -----------------------------------------------------------------------

function newEncode(from: string, msgs: readonly PeerMessage[]): Buffer {
  return assembleFrame(from, msgs.map(encodeMessage));
}

function newDecode(buf: Buffer, expectedFrom: string): PeerMessage[] {
  const r = decodeFrame(buf, expectedFrom, BYTES_MAX);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.msgs;
}

// ---- workloads -------------------------------------------------------------------------------

const FLAGS = { linked: false, pending: false, post: false, void: false };

function transfer(i: number): TransferInput {
  return {
    id: `t-${(1_000_000 + i).toString(36)}-7Hq2xZ`, debitAccountId: `acct-${i % 1000}`, creditAccountId: `acct-${(i * 7 + 1) % 1000}`,
    amount: BigInt(100 + (i % 9000)), currency: 'USD', flags: FLAGS, pendingId: null, timeoutMs: 0, reference: i % 3 === 0 ? `inv-${i}` : null,
  };
}

function command(first: number, count: number): LedgerCommand {
  return {
    type: 'transfer.create',
    transfers: Array.from({ length: count }, (_, k) => transfer(first + k)),
    idempotency: { key: `idem-${first}-0c1f9a`, requestHash: 'b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78' },
    via: 'node1',
  };
}

function entry(index: number, data: string): LogEntry {
  return { index, term: 3, kind: 'command', hlc: `${String(1_764_000_000_000 + index).padStart(15, '0')}.000001`, data };
}

function append(entries: LogEntry[]): PeerMessage {
  return { type: 'peer.appendEntries', term: 3, prevIndex: (entries[0]?.index ?? 1) - 1, prevTerm: 3, entries, commit: 100 };
}

const cases: Array<{ name: string; msgs: PeerMessage[] }> = [
  { name: '(a) 11 single-payment entries', msgs: [append(Array.from({ length: 11 }, (_, i) => entry(101 + i, encodeCommand(command(i, 1)))))] },
  { name: '(b) 1 entry of 1,000 transfers', msgs: [append([entry(101, encodeCommand(command(0, 1000)))])] },
];

// ---- timing ----------------------------------------------------------------------------------

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** How many calls of `fn` take about `ms` of CPU. */
function callsFor(fn: () => void, ms: number): number {
  let n = 1;
  for (;;) {
    const start = cpuUs();
    for (let i = 0; i < n; i++) fn();
    const spent = cpuUs() - start;
    if (spent > 10_000) return Math.max(1, Math.round((n * ms * 1000) / spent));
    n *= 2;
  }
}

/**
 * Median µs per call of each function. Rounds of the functions alternate, so a neighbour's burst
 * of CPU use lands on all of them alike instead of on whichever ran at that moment.
 */
function timeAll(fns: ReadonlyArray<() => void>): number[] {
  const calls = fns.map((fn) => callsFor(fn, MS_PER_ROUND));
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    fns.forEach((fn, k) => {
      const n = calls[k] ?? 1;
      const start = cpuUs();
      for (let i = 0; i < n; i++) fn();
      samples[k]?.push((cpuUs() - start) / n);
    });
  }
  return samples.map((xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN);
}

let sink = 0;
const fmt = (us: number) => us.toFixed(us < 10 ? 2 : 1).padStart(9);

console.log(`frame codec micro-benchmark: median of ${ROUNDS} interleaved rounds, CPU µs per frame`);
console.log(`${'case'.padEnd(34)} ${'codec'.padEnd(7)} ${'bytes'.padStart(8)} ${'encode'.padStart(9)} ${'decode'.padStart(9)} ${'both'.padStart(9)} ${'ws mask'.padStart(9)}`);
const codecs = [['old', oldEncode, oldDecode], ['new', newEncode, newDecode]] as const;
for (const c of cases) {
  const frames = codecs.map(([label, enc, dec]) => {
    const frame = enc('node1', c.msgs);
    // The round trip must be exact before its speed means anything.
    if (JSON.stringify(dec(frame, 'node1')) !== JSON.stringify(c.msgs)) throw new Error(`${label} codec does not round-trip ${c.name}`);
    return frame;
  });
  const scratch = Buffer.alloc(Math.max(...frames.map((f) => f.length)));
  const fns = codecs.flatMap(([, enc, dec], k) => {
    const frame = frames[k] as Buffer;
    return [
      () => (sink += enc('node1', c.msgs).length),
      () => (sink += dec(frame, 'node1').length),
      () => (sink += dec(enc('node1', c.msgs), 'node1').length),
      () => {
        wsBuffer.mask(frame, MASK_KEY, scratch, 0, frame.length);
        wsBuffer.unmask(scratch.subarray(0, frame.length), MASK_KEY);
        sink += scratch[0] ?? 0;
      },
    ];
  });
  const t = timeAll(fns);
  codecs.forEach(([label], k) => {
    const [e, d, both, m] = t.slice(4 * k, 4 * k + 4) as [number, number, number, number];
    console.log(`${c.name.padEnd(34)} ${label.padEnd(7)} ${String(frames[k]?.length).padStart(8)} ${fmt(e)} ${fmt(d)} ${fmt(both)} ${fmt(m)}`);
  });
  const saved = 1 - (t[6] ?? 0) / (t[2] ?? 1);
  console.log(`${''.padEnd(34)} new saves ${(saved * 100).toFixed(0)}% of encode+decode`);
}
if (sink === 0) console.log('');
