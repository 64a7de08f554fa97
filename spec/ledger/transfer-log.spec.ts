// The columnar transfer log against a plain array of the same transfers: whatever is pushed,
// popped and re-statused, every read gives back exactly what an array would hold, across chunk
// boundaries of both the columns and the string bytes, for strings of any code unit, amounts past
// 64 bits and transfers of one entry sharing a stamp.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { transferFlags } from '../../machines/ledger/flags.ts';
import { TransferLog } from '../../machines/ledger/transfer-log.ts';
import type { PendingStatus, Transfer } from '../../machines/ledger/types.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';
import { stamp } from './helpers.ts';

const SEED = Number(process.env['SYNCPAY_SEED'] ?? 0x7a11) >>> 0;
console.log(`transfer-log.spec seed ${SEED} (SYNCPAY_SEED to repeat)`);

const STATUSES: ReadonlyArray<PendingStatus | null> = [null, 'pending', 'posted', 'voided', 'expired'];

function text(rng: Prng, unitsMax: number): string {
  let s = '';
  const n = rng.int(1, unitsMax);
  for (let i = 0; i < n; i++) {
    const roll = rng.next();
    // Mostly id characters; some Latin-1, some wider units, and now and then a lone surrogate.
    s += String.fromCharCode(roll < 0.8 ? rng.int(0x21, 0x7e) : roll < 0.9 ? rng.int(0x80, 0xff) : roll < 0.98 ? rng.int(0x100, 0xd7ff) : rng.int(0xd800, 0xdfff));
  }
  return s;
}

function id(rng: Prng): string {
  let s = '';
  const n = rng.int(1, 40);
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0x30, 0x7a));
  return s;
}

function amount(rng: Prng): bigint {
  const roll = rng.next();
  if (roll < 0.6) return BigInt(rng.int(1, 200_000));
  if (roll < 0.8) return BigInt(rng.int(0, 2 ** 31)) * BigInt(rng.int(0, 2 ** 31)) * BigInt(rng.int(1, 8));
  // Around and past the signed 64-bit range, and far past it.
  const edge = [2n ** 63n - 1n, 2n ** 63n, 2n ** 64n + 7n, 10n ** 40n, -(2n ** 63n), -(2n ** 63n) + 1n][rng.int(0, 5)]!;
  return edge;
}

function transfer(rng: Prng, seq: number, previous: Transfer | undefined): Transfer {
  const sameEntry = previous !== undefined && rng.chance(0.7);
  const bits = rng.int(0, 15);
  return {
    id: rng.chance(0.05) ? text(rng, 30) : id(rng),
    debitAccountId: `acc${rng.int(0, 50)}`,
    creditAccountId: `acc${rng.int(0, 50)}`,
    amount: amount(rng),
    currency: rng.pick(['USD', 'EUR', 'JPY']),
    flags: transferFlags(bits),
    pendingId: rng.chance(0.2) ? id(rng) : null,
    timeoutMs: rng.chance(0.2) ? rng.int(1, 2 ** 40) : 0,
    reference: rng.chance(0.3) ? text(rng, rng.chance(0.01) ? 9000 : 60) : null,
    timestamp: sameEntry ? previous.timestamp : rng.int(0, 2 ** 45),
    hlc: sameEntry ? previous.hlc : rng.chance(0.02) ? text(rng, 10) : stamp(rng.int(0, 2 ** 45), rng.int(0, 999)),
    seq,
    status: rng.pick(STATUSES),
  };
}

function checkAll(log: TransferLog, model: Transfer[], where: string): void {
  assert.is(log.length, model.length, where);
  for (let seq = 0; seq < model.length; seq++) {
    assert.equal(log.at(seq), model[seq], `${where}: transfer ${seq}`);
    assert.is(log.statusAt(seq), model[seq]!.status, `${where}: status ${seq}`);
  }
  assert.is(log.at(model.length), undefined, `${where}: past the end`);
  assert.equal([...log], model, `${where}: iteration`);
}

test('pushes, pops and status changes read back exactly as an array holds them', () => {
  const rng = createPrng(SEED);
  for (let round = 0; round < 20; round++) {
    const log = new TransferLog();
    const model: Transfer[] = [];
    for (let step = 0; step < 600; step++) {
      const roll = rng.next();
      if (roll < 0.7) {
        const t = transfer(rng, model.length, model[model.length - 1]);
        log.push(t);
        model.push(t);
      } else if (roll < 0.85 && model.length > 0) {
        for (let k = rng.int(1, Math.min(4, model.length)); k > 0; k--) {
          log.pop();
          model.pop();
        }
      } else if (model.length > 0) {
        const seq = rng.int(0, model.length - 1);
        const status = rng.pick(STATUSES);
        log.setStatus(seq, status);
        model[seq] = { ...model[seq]!, status };
      }
    }
    checkAll(log, model, `round ${round}`);
  }
});

test('idEquals answers for the id at a position and nothing else', () => {
  const rng = createPrng(SEED ^ 0x1d);
  const log = new TransferLog();
  const model: Transfer[] = [];
  for (let seq = 0; seq < 500; seq++) {
    const t = transfer(rng, seq, model[seq - 1]);
    log.push(t);
    model.push(t);
  }
  for (let seq = 0; seq < model.length; seq++) {
    const own = model[seq]!.id;
    assert.ok(log.idEquals(seq, own), `own id at ${seq}`);
    assert.not.ok(log.idEquals(seq, `${own}x`), `longer id at ${seq}`);
    assert.not.ok(log.idEquals(seq, own.slice(1) || 'zz'), `other id at ${seq}`);
    assert.not.ok(log.idEquals(seq, String.fromCharCode(own.charCodeAt(0) + 0x100) + own.slice(1)), `a wider unit at ${seq}`);
  }
  assert.not.ok(log.idEquals(model.length, model[0]!.id), 'past the end');
  assert.not.ok(log.idEquals(-1, model[0]!.id), 'before the start');
});

test('hundreds of thousands of transfers span column and byte chunks and read back exactly', () => {
  const rng = createPrng(SEED ^ 0xb16);
  const log = new TransferLog();
  const n = 200_000;
  // Long references fill byte chunks quickly, so chunks are crossed many times.
  const make = (seq: number): Transfer => ({
    id: `t${seq}-${(seq * 2654435761) % 1000003}`, debitAccountId: `a${seq % 97}`, creditAccountId: `b${seq % 89}`,
    amount: BigInt(seq) * 1_000_003n, currency: seq % 3 === 0 ? 'EUR' : 'USD', flags: transferFlags(seq % 16), pendingId: null,
    timeoutMs: seq % 5, reference: seq % 7 === 0 ? 'r'.repeat(seq % 300) : null, timestamp: Math.floor(seq / 10),
    hlc: stamp(Math.floor(seq / 10)), seq, status: STATUSES[seq % 5]!,
  });
  for (let seq = 0; seq < n; seq++) log.push(make(seq));
  // Every transfer's strings (a handful straddle the end of a byte chunk), then whole records at random.
  for (let seq = 0; seq < n; seq++) {
    const got = log.at(seq)!;
    const want = make(seq);
    if (got.id !== want.id || got.reference !== want.reference || got.hlc !== want.hlc) assert.equal(got, want, `transfer ${seq}`);
  }
  for (let k = 0; k < 3000; k++) {
    const seq = rng.int(0, n - 1);
    assert.equal(log.at(seq), make(seq), `transfer ${seq}`);
  }
  for (const seq of [0, 65_535, 65_536, 131_071, 131_072, n - 1]) assert.equal(log.at(seq), make(seq), `transfer ${seq}`);
});

test('pops across byte chunks: long texts fill chunks fast, and what stays reads back exactly', () => {
  const rng = createPrng(SEED ^ 0xc4a);
  const log = new TransferLog();
  const model: Transfer[] = [];
  const long = (): string => String.fromCharCode(rng.int(0x41, 0x5a)).repeat(rng.int(50_000, 400_000));
  for (let step = 0; step < 120; step++) {
    if (rng.chance(0.8) || model.length === 0) {
      const t = { ...transfer(rng, model.length, model[model.length - 1]), reference: long() };
      log.push(t);
      model.push(t);
    } else {
      for (let k = rng.int(1, Math.min(2, model.length)); k > 0; k--) {
        log.pop();
        model.pop();
      }
    }
  }
  // About 60 transfers of 50,000-400,000 characters: a dozen or more byte chunks.
  assert.ok(model.length > 30, `only ${model.length} transfers left`);
  checkAll(log, model, 'after pushes and pops');
});

test('a push must come at the end of the log', () => {
  const log = new TransferLog();
  const rng = createPrng(SEED ^ 0x5e9);
  const t = transfer(rng, 0, undefined);
  log.push(t);
  assert.throws(() => log.push({ ...t, seq: 5 }), /seq 5 pushed at 1/);
  assert.throws(() => new TransferLog().pop(), /pop of an empty log/);
});

test.run();
