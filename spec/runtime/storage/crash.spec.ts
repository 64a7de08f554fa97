// Kill -9 in the middle of storage operations. A child process (this same file, run with
// SYNCPAY_STORAGE_CRASH_CHILD set) performs seeded random appends, truncations, snapshots and
// hard-state saves on small segments, printing each operation before it starts and an ack once
// it resolves. The parent SIGKILLs it at a random point, recovers the directory, and checks that
// every acknowledged operation survived and the one in flight left only a state it may leave:
// an append, a prefix of its entries; a truncation, a prefix of the old log at least as long as
// the new one; a snapshot or hard-state save, the state before or after it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng } from '../../../machines/prng.ts';
import type { LogEntry } from '../../../machines/types.ts';
import { textOf } from '../../../machines/snapshot-text.ts';
import type { RecoveredLog } from '../../../actors/ports.ts';
import { openFileLogStore } from '../../../runtime/storage/index.ts';
import { captureLogger } from '../../support/quiet-ports.ts';
import { runUntilKilled } from './kill-child.ts';

/** A log state small enough to print on every step: entries are determined by index and term. */
interface State {
  hs: [number, string | null];
  snap: [number, number] | null;
  /** Terms of the entries after the snapshot, in index order. */
  terms: number[];
}

type Op = { kind: 'append'; terms: number[] } | { kind: 'truncate'; from: number } | { kind: 'snapshot'; index: number; term: number } | { kind: 'hardState'; term: number; votedFor: string | null };

const SEGMENT_BYTES = 300;

function entryFor(index: number, term: number): LogEntry {
  return { index, term, kind: 'command', hlc: `h${index}`, data: `{"i":${index},"t":${term}}` };
}

function base(s: State): number {
  return s.snap?.[0] ?? 0;
}

function apply(s: State, op: Op): State {
  switch (op.kind) {
    case 'append':
      return { ...s, terms: [...s.terms, ...op.terms] };
    case 'truncate':
      return { ...s, terms: s.terms.slice(0, op.from - base(s) - 1) };
    case 'snapshot': {
      const at = op.index - base(s) - 1;
      const agrees = at < s.terms.length && s.terms[at] === op.term;
      return { ...s, snap: [op.index, op.term], terms: agrees ? s.terms.slice(at + 1) : [] };
    }
    case 'hardState':
      return { ...s, hs: [op.term, op.votedFor] };
  }
}

function fromRecovered(r: RecoveredLog): State {
  return { hs: [r.hardState.term, r.hardState.votedFor], snap: r.snapshot ? [r.snapshot.meta.index, r.snapshot.meta.term] : null, terms: r.entries.map((e) => e.term) };
}

async function child(dir: string, seed: number): Promise<void> {
  const prng = createPrng(seed);
  const store = await openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax: SEGMENT_BYTES });
  await store.load();
  let state: State = { hs: [0, null], snap: null, terms: [] };
  let term = 1;
  // Bounded, so an orphaned child (its parent gone) cannot run forever.
  for (let step = 0; step < 5000; step++) {
    const last = base(state) + state.terms.length;
    const roll = prng.next();
    let op: Op;
    if (roll < 0.55 || last === base(state)) {
      op = { kind: 'append', terms: Array.from({ length: prng.int(1, 8) }, () => term) };
    } else if (roll < 0.7) {
      op = { kind: 'truncate', from: prng.int(base(state) + 1, last) };
      term++;
    } else if (roll < 0.85) {
      const index = prng.chance(0.15) ? last + prng.int(1, 4) : prng.int(base(state) + 1, last);
      const known = state.terms[index - base(state) - 1];
      op = { kind: 'snapshot', index, term: known !== undefined && prng.chance(0.8) ? known : term + 1 };
      term = Math.max(term, op.term);
    } else {
      op = { kind: 'hardState', term: state.hs[0] + 1, votedFor: prng.pick([null, 'node1', 'node2']) };
    }
    process.stdout.write(JSON.stringify({ op, before: state }) + '\n');
    if (op.kind === 'append') await store.append(op.terms.map((t, i) => entryFor(last + 1 + i, t)));
    else if (op.kind === 'truncate') await store.truncateFrom(op.from);
    else if (op.kind === 'snapshot') await store.saveSnapshot({ index: op.index, term: op.term }, textOf(`snapshot at ${op.index}`));
    else await store.saveHardState({ term: op.term, votedFor: op.votedFor });
    state = apply(state, op);
    process.stdout.write(JSON.stringify({ ack: step }) + '\n');
  }
}

/** Why `got` is not a state the in-flight operation may leave behind, or null when it is. */
function judge(before: State, op: Op | null, got: State): string | null {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (same(got, before)) return null;
  if (op === null) return 'state differs from the last acknowledged one';
  const after = apply(before, op);
  if (same(got, after)) return null;
  if (!same(got.hs, before.hs) || !same(got.snap, before.snap)) return `${op.kind} left a state that is neither before nor after it`;
  const added = got.terms.length - before.terms.length;
  if (op.kind === 'append' && added >= 0 && same(got.terms, before.terms.concat(op.terms.slice(0, added)))) return null;
  if (op.kind === 'truncate' && got.terms.length >= after.terms.length && same(got.terms, before.terms.slice(0, got.terms.length))) return null;
  return `${op.kind} left entries that are neither a prefix it may leave nor its result`;
}

async function crashOnce(seed: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'syncpay-crash-'));
  try {
    const killAfterAcks = createPrng(seed ^ 0x5eed).int(5, 80);
    const { out, acks } = await runUntilKilled(import.meta.url, 'SYNCPAY_STORAGE_CRASH_CHILD', { dir, seed }, killAfterAcks);

    let before: State = { hs: [0, null], snap: null, terms: [] };
    let inFlight: Op | null = null;
    for (const line of out.split('\n')) {
      if (line.trim() === '') continue;
      let msg: { op?: Op; before?: State; ack?: number };
      try {
        msg = JSON.parse(line);
      } catch {
        break; // the kill may cut the last line short
      }
      if (msg.op && msg.before) {
        before = msg.before;
        inFlight = msg.op;
      } else if (msg.ack !== undefined && inFlight !== null) {
        before = apply(before, inFlight);
        inFlight = null;
      }
    }
    const store = await openFileLogStore({ dir, logger: captureLogger(), segmentBytesMax: SEGMENT_BYTES });
    const recovered = await store.load();
    await store.close();
    for (const [k, e] of recovered.entries.entries()) {
      assert.equal(e, entryFor((recovered.snapshot?.meta.index ?? 0) + 1 + k, e.term), 'recovered entries are intact');
    }
    const verdict = judge(before, inFlight, fromRecovered(recovered));
    console.log(`crash seed ${seed}: killed after ${acks} acks, in flight: ${inFlight?.kind ?? 'nothing'}`);
    assert.is(verdict, null, `seed ${seed}: ${verdict}; in flight ${JSON.stringify(inFlight)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const childArgs = process.env['SYNCPAY_STORAGE_CRASH_CHILD'];
if (childArgs) {
  const { dir, seed } = JSON.parse(childArgs) as { dir: string; seed: number };
  await child(dir, seed);
} else {
  const fromEnv = process.env['SYNCPAY_STORAGE_SEED'];
  const seeds = fromEnv ? [Number(fromEnv)] : [11, 12, 13];
  test('kill -9 at random points: acknowledged operations survive, the one in flight is atomic enough', async () => {
    for (const seed of seeds) await crashOnce(seed);
  });
  test.run();
}
