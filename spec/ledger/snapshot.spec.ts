// Snapshots, state hashes and the entry codec: restore gives the same hash as replay; the pure
// SHA-256 agrees with node:crypto; the snapshot text is compact, round-trips unusual fields, and
// refuses to outgrow its limit; malformed entries and corrupt snapshots fail assertions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyEntry } from '../../machines/ledger/apply.ts';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { IncrementalLedgerHash, ledgerStateHash } from '../../machines/ledger/hash.ts';
import { pureSha256, sha256Hex } from '../../machines/ledger/sha256.ts';
import { nodeSha256 } from '../../actors/ledger.actor.ts';
import { SnapshotWriter, deserializeLedger, serializeLedger, serializeLedgerWithin } from '../../machines/ledger/snapshot.ts';
import { restoreSteps } from '../../machines/ledger/snapshot-restore.ts';
import type { LedgerCommand } from '../../machines/ledger/types.ts';
import { NO_OVERDRAFT, TestLog, accounts, doctorTransfer, stamp, tr, transfers } from './helpers.ts';
import { joinText, textOf } from '../../machines/snapshot-text.ts';

const native = nodeSha256;

function busyLog(): TestLog {
  const log = new TestLog();
  log.apply(accounts([{ id: 'alice', flags: NO_OVERDRAFT }, { id: 'yen', currency: 'JPY' }]));
  log.apply(transfers([tr({ id: 'f', from: 'bank', to: 'alice', amount: 10_000n })]));
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 50, amount: 300n, reference: 'hold ✓' })], { key: 'k', requestHash: 'h' }));
  log.apply(transfers([tr({ id: 'p2', pending: true, timeoutMs: 5000, amount: 200n })]));
  log.apply(transfers([tr({ id: 'c2', post: true, pendingId: 'p2', amount: 150n })]));
  log.apply(transfers([tr({ id: 'p3', pending: true, timeoutMs: 10, amount: 1n })]));
  return log;
}

test('a restored state has the same hash and the same serialisation', () => {
  const log = busyLog();
  const text = serializeLedger(log.state);
  const restored = deserializeLedger(textOf(text));
  assert.is(serializeLedger(restored), text);
  assert.is(ledgerStateHash(restored), ledgerStateHash(log.state));
});

test('a restored state keeps behaving like the original (expiry heap rebuilt)', () => {
  const log = busyLog();
  const restored = deserializeLedger(textOf(serializeLedger(log.state)));
  const next: LedgerCommand[] = [transfers([tr({ id: 'late', post: true, pendingId: 'p1' })]), transfers([tr({ id: 'x', amount: 9_000n })])];
  let index = log.index;
  for (const command of next) {
    index++;
    const entry = { index, hlc: stamp(log.ms + 100), command };
    const a = applyEntry(log.state, log.rules, entry);
    const b = applyEntry(restored, log.rules, entry);
    assert.equal(b, a);
  }
  assert.is(restored.transfers.get('p1')!.status, 'expired');
  assert.is(ledgerStateHash(restored), ledgerStateHash(log.state));
});

// Regression (seed 759009878 of replicas.spec.ts): a restore hashes as it goes, once per step of
// rows, and the status rows and idempotency records it reads after that must still reach the
// hash. They did not: a snapshot of more rows than one step, holding a pending transfer that was
// since posted or an idempotency record, was refused as corrupt on every replica that read it.
test('a snapshot longer than one restore step, with a posted pending and an idempotency record, restores', () => {
  const log = busyLog();
  for (let batch = 0; batch < 5; batch++) {
    log.apply(transfers(Array.from({ length: 500 }, (_, i) => tr({ id: `bulk-${batch}-${i}`, from: 'bank', to: 'alice', amount: 1n }))));
  }
  assert.ok(log.state.transferLog.length > 2500 && log.state.idempotency.size === 1, 'the state spans several restore steps');
  const text = serializeLedger(log.state);
  for (const sha of [pureSha256, native]) {
    const restored = deserializeLedger(textOf(text), new IncrementalLedgerHash(sha));
    assert.is(ledgerStateHash(restored), ledgerStateHash(log.state));
    assert.is(restored.transfers.get('p2')!.status, 'posted');
    assert.is(restored.idempotency.get('k')?.requestHash, 'h');
  }
});

/** A ledger with many pending transfers, all since posted, and many idempotency records. */
function finishedPendingsLog(pendings: number, keys: number): TestLog {
  const log = new TestLog();
  for (let b = 0; b < pendings; b += 1000) {
    log.apply(transfers(Array.from({ length: Math.min(1000, pendings - b) }, (_, i) => tr({ id: `p${b + i}`, from: 'bank', to: 'alice', pending: true, amount: 2n }))));
  }
  for (let b = 0; b < pendings; b += 1000) {
    log.apply(transfers(Array.from({ length: Math.min(1000, pendings - b) }, (_, i) => tr({ id: `c${b + i}`, post: true, pendingId: `p${b + i}` }))));
  }
  for (let k = 0; k < keys; k++) log.apply(transfers([tr({ id: `k${k}`, from: 'bank', to: 'bob', amount: 1n })], { key: `key-${k}`, requestHash: `h${k}` }));
  return log;
}

/** The most digests any one step of restoring `log`'s snapshot makes; checks the restore's hash too. */
function mostDigestsInAStep(log: TestLog): number {
  let digests = 0;
  const counting = { digest: (text: string) => (digests++, native.digest(text)), running: () => native.running() };
  const steps = restoreSteps(textOf(serializeLedger(log.state)), new IncrementalLedgerHash(counting), undefined, 0);
  let most = 0;
  for (;;) {
    digests = 0;
    const step = steps.next();
    most = Math.max(most, digests);
    if (step.done) {
      assert.is(ledgerStateHash(step.value), ledgerStateHash(log.state));
      return most;
    }
  }
}

test('a restore spreads the hashing of status rows and idempotency records over its steps too', () => {
  const most = mostDigestsInAStep(finishedPendingsLog(6000, 5000));
  // A step reads at most 2,048 rows; a finished pending costs two digests, a record one. All of
  // them at the last step, as before, would be about 17,000.
  assert.ok(most <= 2 * 2048 + 64, `at most ${most} digests in one step`);
});

test('a restore spreads the hashing of accounts over its steps, with no transfers to read', () => {
  const log = new TestLog();
  for (let b = 0; b < 10_000; b += 1000) log.apply(accounts(Array.from({ length: 1000 }, (_, i) => ({ id: `acct-${b + i}` }))));
  assert.is(log.state.transferLog.length, 0);
  const most = mostDigestsInAStep(log);
  // One digest per account; all 10,000 at one step was the restore before it digested per step.
  assert.ok(most <= 2048 + 64, `at most ${most} digests in one step`);
});

test('a restore refuses a step of no rows (it would restore in one step without saying so)', () => {
  const text = textOf(serializeLedger(busyLog().state));
  for (const rows of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => deserializeLedger(text, undefined, undefined, 0, rows), /rows per step must be a positive integer/, String(rows));
  }
  assert.is(ledgerStateHash(deserializeLedger(text, undefined, undefined, 0, 1)), ledgerStateHash(busyLog().state));
});

test('a snapshot that lost a status row, or whose idempotency records are out of order, is refused', () => {
  const log = finishedPendingsLog(3, 2);
  const lines = serializeLedger(log.state).split('\n');
  const head = lines[0]!.split(',');
  // The header: magic, version, now, accounts, transfers, statuses, idempotency records, hash.
  const firstStatus = 1 + lines.slice(1).findIndex((l) => /^[0-9a-z]+,[povx]$/.test(l));
  assert.match(lines[firstStatus]!, /^[0-9a-z]+,o$/);
  const lost = [...lines];
  lost.splice(firstStatus, 1);
  lost[0] = [...head.slice(0, 5), String(Number(head[5]) - 1), ...head.slice(6)].join(',');
  assert.throws(() => deserializeLedger(textOf(lost.join('\n'))), /status rows do not match the pending transfers/);
  const idem = lines.length - 1 - 2; // the two records, before the final empty line
  assert.match(lines[idem]!, /^\["key-0"/);
  const swapped = [...lines];
  [swapped[idem], swapped[idem + 1]] = [lines[idem + 1]!, lines[idem]!];
  assert.throws(() => deserializeLedger(textOf(swapped.join('\n'))), /idempotency records out of order/);
  assert.is(ledgerStateHash(deserializeLedger(textOf(lines.join('\n')))), ledgerStateHash(log.state), 'the text as written restores');
});

test('the pure SHA-256 and node:crypto give the same state hash', () => {
  const log = busyLog();
  assert.is(ledgerStateHash(log.state), ledgerStateHash(log.state, native));
  assert.is(ledgerStateHash(log.state, pureSha256), ledgerStateHash(log.state, nodeSha256));
  assert.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('different states hash differently', () => {
  const a = busyLog();
  const b = busyLog();
  b.apply(transfers([tr({ id: 'one-more', amount: 1n })]));
  assert.is.not(ledgerStateHash(a.state), ledgerStateHash(b.state));
});

test('a plain transfer is one short row: id, account numbers, decimal minor units', () => {
  const log = new TestLog();
  log.apply(transfers([tr({ id: 'plain-1', from: 'cash', to: 'shop', amount: 123_456n })]));
  const lines = serializeLedger(log.state).split('\n');
  // Header, two accounts (numbered 0 and 1 by creation), the entry's stamp line, the transfer.
  assert.is(lines[3], `@${stamp(log.ms)},${log.ms}`);
  assert.is(lines[4], 'plain-1,0,1,123456');
  assert.is(lines[5], '', 'the text ends with a newline');
  assert.ok(lines[1]!.startsWith('cash,USD,0,123456,0,0,0,'), 'account balances are decimal minor units');
});

test('unusual fields survive a round trip: references with commas, quotes, newlines and emoji; another currency; flags', () => {
  const log = new TestLog();
  log.apply(accounts([{ id: 'eur', currency: 'EUR' }, { id: 'eur2', currency: 'EUR' }]));
  log.apply(transfers([
    tr({ id: 'r1', from: 'eur', to: 'eur2', currency: 'EUR', reference: 'a,b\n"c"\\ 𝄞 \u2028', pending: true, timeoutMs: 99 }),
    tr({ id: 'null', from: 'eur2', to: 'eur', currency: 'EUR', amount: 5n, linked: true }),
    tr({ id: 'r3', post: true, pendingId: 'r1', amount: 40n, reference: '' }),
  ]));
  const text = serializeLedger(log.state);
  const restored = deserializeLedger(textOf(text), new IncrementalLedgerHash(native));
  assert.is(serializeLedger(restored), text);
  assert.equal(restored.transfers.get('r1'), log.state.transfers.get('r1'));
  assert.equal(restored.transfers.get('r3'), log.state.transfers.get('r3'));
  assert.is(restored.transfers.get('r3')!.reference, '');
  assert.is(restored.transfers.get('null')!.flags.linked, true);
});

test('a snapshot of plain batches takes few characters per transfer (V8 caps a string at ~536.9 M characters)', () => {
  const log = new TestLog();
  const batch = (n: number) => transfers(Array.from({ length: 1000 }, (_, i) =>
    tr({ id: `V1StGXR8.Z5jdHi6B-${n}${String(i).padStart(4, '0')}`, from: `run1-a${i % 97}`, to: `run1-a${(i + 1) % 97}` })));
  log.apply(batch(1));
  const before = serializeLedger(log.state).length;
  log.apply(batch(2));
  assert.is(log.state.transferLog.length, 2000);
  // 23-character ids: the JSON format of before took ~120 characters per transfer.
  const perTransfer = (serializeLedger(log.state).length - before) / 1000;
  assert.ok(perTransfer <= 34, `${perTransfer} characters per transfer`);
});

test('a state too large for the limit gives null rather than a RangeError, and the limit is exact', () => {
  const log = busyLog();
  const text = serializeLedger(log.state);
  assert.is(joinText(serializeLedgerWithin(log.state, text.length)!), text);
  assert.is(serializeLedgerWithin(log.state, text.length - 1), null);
  assert.is(serializeLedgerWithin(log.state, 10), null);
});

test('corrupt snapshots are refused: wrong format, truncation, a changed digit, an unknown account, trailing text', () => {
  const text = serializeLedger(busyLog().state);
  const lines = text.split('\n');
  const plain = lines.findIndex((l) => l.startsWith('f,'));
  const withLine = (i: number, line: string) => lines.map((l, k) => (k === i ? line : l)).join('\n');
  const bad: Array<[string, string]> = [
    ['the JSON format of before', '{"v":1,"now":0,"accounts":[],"transfers":[],"idempotency":[]}'],
    ['empty', ''],
    ['truncated by one character', text.slice(0, -1)],
    ['truncated by a line', text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1)],
    ['an amount changed', withLine(plain, lines[plain]!.replace(/,10000$/, ',10001'))],
    ['an account balance changed', withLine(1, lines[1]!.replace('10000', '10100'))],
    ['an unknown account number', withLine(plain, lines[plain]!.replace(/^f,\w+,/, 'f,zz,'))],
    ['a count changed', withLine(0, lines[0]!.replace(/^(syncpay-ledger-snapshot,3,\d+,)(\d+)/, (_m, a: string, n: string) => `${a}${Number(n) + 1}`))],
    ['trailing text', `${text}x\n`],
    ['a negative amount', withLine(plain, lines[plain]!.replace(/,10000$/, ',-10000'))],
    ['a pending status changed', text.replace(/\n(\w+),p\n/, '\n$1,o\n')],
    ['a status row for a transfer that is not pending', text.replace(/\n(\w+),p\n/, '\n0,p\n')],
  ];
  for (const [what, data] of bad) {
    assert.ok(data !== text, what);
    assert.throws(() => deserializeLedger(textOf(data), new IncrementalLedgerHash(native)), /SYNCPAY_ERR_ASSERTION/, what);
  }
});

test('a writer that follows the state writes only new rows, and its text equals one written from scratch', () => {
  const log = busyLog();
  const writer = new SnapshotWriter();
  const hasher = new IncrementalLedgerHash(native);
  const check = (what: string) => assert.is(joinText(writer.write(log.state, 1e9, hasher)!), serializeLedger(log.state), what);
  check('first snapshot');
  log.apply(transfers([tr({ id: 'w1', from: 'newcomer', to: 'alice' }), tr({ id: 'w2', pending: true, timeoutMs: 30 })]));
  check('new transfers and a new account');
  log.apply(transfers([tr({ id: 'w3', void: true, pendingId: 'w2' })]));
  check('a status change of a pending written before');
  log.apply(transfers([tr({ id: 'w4', post: true, pendingId: 'p3', linked: true }), tr({ id: 'w5', amount: 0n })]));
  check('a rolled-back chain');
  log.apply(null, 50);
  check('expiry');
  // A restored state hands its rows to the writer; the next snapshot reuses them.
  const restoredWriter = new SnapshotWriter();
  const restored = deserializeLedger(textOf(serializeLedger(log.state)), new IncrementalLedgerHash(native), restoredWriter);
  const more = transfers([tr({ id: 'w6', amount: 5n }), tr({ id: 'w7', pending: true })]);
  log.apply(more);
  applyEntry(restored, log.rules, { index: log.index, hlc: stamp(log.ms), command: decodeCommand(encodeCommand(more)) });
  assert.is(joinText(restoredWriter.write(restored, 1e9)!), serializeLedger(log.state), 'after a restore and more entries');
  check('the original writer still follows its state');
});

test('rows written ahead between applies (advance) leave every snapshot exactly as written from scratch', () => {
  const log = new TestLog();
  const writer = new SnapshotWriter();
  // The first advance starts the writer on a ledger that already holds transfers, a few rows at a time.
  log.apply(accounts([{ id: 'alice', flags: NO_OVERDRAFT }]));
  log.apply(transfers([tr({ id: 'f', from: 'bank', to: 'alice', amount: 10_000n }), tr({ id: 'g', from: 'bank', to: 'bob', amount: 7n })]));
  writer.advance(log.state, 1e9, 1);
  assert.is(writer.rowsWritten, 1, 'one row ahead, as asked');
  log.apply(transfers([tr({ id: 'p1', pending: true, timeoutMs: 50, amount: 300n, reference: 'hold, \u2713' })]));
  writer.advance(log.state, 1e9, 2);
  assert.is(writer.rowsWritten, 3);
  log.apply(transfers([tr({ id: 'n1', from: 'newcomer', to: 'alice' }), tr({ id: 'n2', from: 'alice', to: 'other' })]));
  writer.advance(log.state, 1e9, 1000);
  assert.is(writer.rowsWritten, log.state.transferLog.length, 'every applied transfer has its row before any snapshot is asked for');
  assert.is(joinText(writer.write(log.state, 1e9)!), serializeLedger(log.state), 'advanced past every transfer, new accounts included');
  log.apply(transfers([tr({ id: 'v1', void: true, pendingId: 'p1' }), tr({ id: 'm1', amount: 3n })]));
  writer.advance(log.state, 1e9, 1);
  assert.is(writer.rowsWritten, log.state.transferLog.length - 1, 'advanced part of the way');
  assert.is(joinText(writer.write(log.state, 1e9)!), serializeLedger(log.state), 'advanced part of the way; a status changed after its row was written');
  // Past the limit nothing more is kept: the snapshot would not be written anyway.
  const capped = new SnapshotWriter();
  capped.advance(log.state, 40, 1000);
  const kept = capped.rowsWritten;
  log.apply(transfers([tr({ id: 'late', amount: 4n })]));
  capped.advance(log.state, 40, 1000);
  assert.is(capped.rowsWritten, kept, 'no rows grow past charsMax');
  log.apply(transfers([tr({ id: 'c1', post: true, pendingId: 'p1', linked: true }), tr({ id: 'c2', amount: 0n })]));
  writer.advance(log.state, 1e9, 1000);
  assert.is(joinText(writer.write(log.state, 1e9)!), serializeLedger(log.state), 'a rolled-back chain between advances');
});

test('a writer given a state whose written transfers were replaced starts over', () => {
  const log = busyLog();
  const writer = new SnapshotWriter();
  writer.write(log.state, 1e9);
  const other = busyLog();
  other.apply(transfers([tr({ id: 'x' })]));
  assert.is(joinText(writer.write(other.state, 1e9)!), serializeLedger(other.state));
  const popped = other.state.transferLog.at(other.state.transferLog.length - 1)!;
  other.state.transfers.delete(popped.id);
  other.state.transferLog.pop();
  assert.is(joinText(writer.write(other.state, 1e9)!), serializeLedger(other.state));
  // The same length as the rows it wrote, but another transfer last.
  const n = other.state.transferLog.length;
  doctorTransfer(other.state.transferLog, n - 1, { id: 'replaced' });
  assert.is(joinText(writer.write(other.state, 1e9)!), serializeLedger(other.state));
});

test('a snapshot read from pieces cut anywhere restores the same state, and its writer reuses the rows', () => {
  const log = busyLog();
  log.apply(transfers(Array.from({ length: 40 }, (_, i) => tr({ id: `b${i}`, from: `acct${i % 7}`, to: 'alice', amount: BigInt(i + 1), reference: i % 9 === 0 ? `ref 𝄞 ${i}` : undefined }))));
  const text = serializeLedger(log.state);
  const seed = Number(process.env.SEED ?? Date.now() % 100_000);
  let x = seed;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
  for (let round = 0; round < 60; round++) {
    // Cuts anywhere, even inside a surrogate pair: the reader only ever joins pieces, never encodes them.
    const cuts = [...new Set(Array.from({ length: 1 + next(12) }, () => next(text.length)))].sort((a, b) => a - b);
    const pieces: string[] = [];
    let at = 0;
    for (const c of [...cuts, text.length]) {
      pieces.push(text.slice(at, c));
      at = c;
    }
    const writer = new SnapshotWriter();
    const restored = deserializeLedger(pieces, new IncrementalLedgerHash(native), writer);
    assert.is(ledgerStateHash(restored), ledgerStateHash(log.state), `seed ${seed}, cuts ${cuts.join(',')}`);
    assert.is(joinText(writer.write(restored, 1e9)!), text, `seed ${seed}, cuts ${cuts.join(',')}: the adopted rows`);
  }
});

test('a snapshot comes in pieces of bounded size, and the next one starts with the same pieces', () => {
  const log = new TestLog();
  const batch = (n: number) => transfers(Array.from({ length: 1000 }, (_, i) => tr({ id: `t${n}-${i}`, from: `a${i % 31}`, to: `a${(i + 1) % 31}` })));
  for (let n = 0; n < 12; n++) log.apply(batch(n));
  const writer = new SnapshotWriter();
  const first = writer.write(log.state, 1e9)!;
  log.apply(batch(12));
  const second = writer.write(log.state, 1e9)!;
  assert.is(joinText(second), serializeLedger(log.state));
  // The header and the account rows change; the full pieces of transfer rows follow them unchanged.
  const full = first.filter((p) => p.length >= 1 << 16);
  assert.ok(full.length >= 2, `${full.length} full pieces of transfer rows`);
  const at = second.indexOf(full[0]!);
  assert.ok(at > 0 && full.every((p, k) => second[at + k] === p), 'the first snapshot\'s full pieces, in order, in the second');
  assert.ok(second.every((p) => p.length <= 2 * (1 << 16)), 'no piece holds more than about two pieces\' worth of rows');
});

test('the incremental hash follows rollbacks, expiry and idempotency pruning, and equals the full one', () => {
  const log = busyLog();
  const inc = new IncrementalLedgerHash(native);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native));
  log.apply(transfers([tr({ id: 'l1', linked: true, from: 'n1', to: 'n2' }), tr({ id: 'l2', amount: 0n })]));
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after a rolled-back chain');
  log.apply(null, 100);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after expiry');
  log.apply(null, 25 * 3600 * 1000);
  assert.is(log.state.idempotency.size, 0);
  assert.is(inc.digest(log.state), ledgerStateHash(log.state, native), 'after pruning');
  const restored = deserializeLedger(textOf(serializeLedger(log.state)));
  assert.is(inc.digest(restored), inc.digest(log.state), 'a new state object starts over');
});

test('the hash depends on transfer order, not only on the set of transfers', () => {
  const a = new TestLog();
  const b = new TestLog();
  a.apply(transfers([tr({ id: 'x' }), tr({ id: 'y' })]));
  b.apply(transfers([tr({ id: 'y' }), tr({ id: 'x' })]));
  assert.is.not(ledgerStateHash(a.state), ledgerStateHash(b.state));
});

const commands: LedgerCommand[] = [
  accounts([{ id: 'a', currency: 'EUR', flags: NO_OVERDRAFT }]),
  transfers([tr({ id: 't', linked: true, reference: 'r' }), tr({ id: 'p', pending: true, timeoutMs: 5 })], { key: 'k', requestHash: 'h' }),
  { type: 'transfer.post', id: 'c', pendingId: 'p', amount: 5n, reference: null, idempotency: null, via: 'node2' },
  { type: 'transfer.post', id: 'c', pendingId: 'p', amount: null, reference: null, idempotency: null, via: null },
  { type: 'transfer.void', id: 'v', pendingId: 'p', reference: 'x', idempotency: { key: 'k2', requestHash: 'h2' }, via: null },
];
for (const command of commands) {
  test(`codec round trip: ${command.type}`, () => {
    assert.equal(decodeCommand(encodeCommand(command)), command);
  });
}

test('entry amounts decode exactly on both sides of 15 digits, and only plain decimal text is accepted', () => {
  const amounts = [1n, 999_999_999_999_999n, 1_000_000_000_000_000n, 10n ** 79n, -5n, 123_456_789_012_345_678_901_234_567_890n];
  for (const amount of amounts) {
    const command = transfers([tr({ id: 'a1', amount })]);
    assert.equal(decodeCommand(encodeCommand(command)), command, String(amount));
  }
  for (const bad of ['', '-', '1.5', '1e3', ' 1', '+1', '0x10', '1'.repeat(81)]) {
    const data = `{"type":"transfer.create","transfers":[["t","a","b",${JSON.stringify(bad)},"USD",0,null,0,null]],"idem":null,"via":null}`;
    assert.throws(() => decodeCommand(data), /SYNCPAY_ERR_ASSERTION/, bad);
  }
});

test('malformed entry data fails an assertion', () => {
  for (const bad of ['not json', '[]', '{"type":"nope","idem":null,"via":null}',
    '{"type":"transfer.create","transfers":[["t","a","b",12,"USD",0,null,0,null]],"idem":null,"via":null}',
    '{"type":"transfer.create","transfers":[["t","a","b","12","USD",64,null,0,null]],"idem":null,"via":null}',
    '{"type":"account.create","accounts":[],"idem":["k"],"via":null}']) {
    assert.throws(() => decodeCommand(bad), /SYNCPAY_ERR_ASSERTION/, bad);
  }
});

test.run();
