// The ledger's hot-path replacements against the general definitions they replace, on seeded
// random input: the id check against the id pattern as a RegExp; the transfer index against a
// Map driven through the same operations (appends, Map-style overwrites, deletions of the log's
// tail as a rollback does them, lookups of present and absent ids, iteration), with ids from a
// tiny alphabet and many index seeds, so slots collide and probe runs wrap; shared amounts against
// BigInt. (The hash's byte lines are checked in transfer-rows.spec.ts.)
// Set FAST_PATHS_SEED to replay; the seed is printed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { isValidId } from '../../machines/ledger/rules.ts';
import { TransferLog } from '../../machines/ledger/transfer-log.ts';
import { TransferIndex, idHash } from '../../machines/ledger/transfer-index.ts';
import { transferFlags } from '../../machines/ledger/flags.ts';
import type { Transfer } from '../../machines/ledger/types.ts';
import { createPrng, type Prng } from '../../machines/prng.ts';

const SEED = Number(process.env.FAST_PATHS_SEED ?? (Date.now() % 2_147_483_647));
console.log(`fast-paths spec seed: ${SEED} (FAST_PATHS_SEED=${SEED} to replay)`);

const ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Valid characters, their neighbours in ASCII, and code units beyond ASCII (a lone surrogate too). */
const PIECES = ['a', 'Z', '0', '9', '.', '_', ':', '@', '-', '/', ' ', '\n', '\t', '`', '{', '[', '^', '+', ',', '|', '\u00e9', '\u20ac',
  '\ud834\udd1e', '\ud800', '\udc00', '\udfff', '\udbff', '\u0000', '\u007f', '\u0080', '\u0100', '\u0141', '\u0178'];

function randomText(rng: Prng): string {
  // Lengths cluster around the 1 and 128 limits as well as in between.
  const shape = rng.int(0, 3);
  const length = shape === 0 ? rng.int(0, 3) : shape === 1 ? rng.int(125, 131) : rng.int(0, 40);
  const validOnly = rng.chance(0.5);
  let s = '';
  while (s.length < length) s += validOnly ? rng.pick(PIECES.slice(0, 9)) : rng.pick(PIECES);
  return s;
}

test('isValidId agrees with the id pattern on random text', () => {
  const rng = createPrng(SEED);
  let valid = 0;
  for (let i = 0; i < 20_000; i++) {
    const s = randomText(rng);
    const expected = ID_PATTERN.test(s);
    assert.is(isValidId(s), expected, JSON.stringify(s));
    if (expected) valid++;
  }
  // Both verdicts were exercised plenty.
  assert.ok(valid > 3_000 && valid < 17_000, `valid: ${valid}`);
  for (const v of [undefined, null, 7, {}, ['a'], 'a'.repeat(128), 'a'.repeat(129), 'ok\n', '']) {
    assert.is(isValidId(v), typeof v === 'string' && ID_PATTERN.test(v), String(v));
  }
});

function record(id: string, seq: number): Transfer {
  return {
    id, debitAccountId: 'a', creditAccountId: 'b', amount: 1n, currency: 'USD', flags: transferFlags(0), pendingId: null, timeoutMs: 0,
    reference: null, timestamp: 0, hlc: '0', seq, status: null,
  };
}

test('the transfer index behaves as a Map over the transfer log', () => {
  const rng = createPrng(SEED ^ 0x5f3759df);
  for (let round = 0; round < 40; round++) {
    const log = new TransferLog();
    const index = new TransferIndex(log, rng.int(0, 2 ** 31 - 1));
    const model = new Map<string, Transfer>();
    // Short ids over three letters: plenty of repeats; thousands of them: several growths.
    const id = (): string => {
      let s = '';
      const n = rng.int(1, 8);
      for (let i = 0; i < n; i++) s += rng.pick(['x', 'y', 'z']);
      return s;
    };
    for (let step = 0; step < 3_000; step++) {
      const roll = rng.next();
      if (roll < 0.55) {
        // Append as addTransfer does (Map semantics even for an id already present).
        const t = record(id(), log.length);
        log.push(t);
        index.set(t.id, t);
        model.set(t.id, t);
      } else if (roll < 0.7 && log.length > 0) {
        // Undo the tail as rollback does.
        const k = rng.int(1, Math.min(5, log.length));
        for (let i = 0; i < k; i++) {
          const t = log.at(log.length - 1)!;
          assert.is(index.delete(t.id), model.delete(t.id), `delete ${t.id}`);
          log.pop();
        }
      } else if (roll < 0.75) {
        const probe = id();
        assert.is(index.delete(probe), model.delete(probe), `delete ${probe}`);
      } else {
        const probe = rng.chance(0.5) && log.length > 0 ? log.at(rng.int(0, log.length - 1))!.id : id();
        // The index hands out copies read from the log: equal to what was recorded, not the same object.
        assert.equal(index.get(probe), model.get(probe), `get ${probe}`);
        assert.is(index.has(probe), model.has(probe), `has ${probe}`);
      }
      assert.is(index.size, model.size);
    }
    // Every id the model holds is found again, and nothing else is.
    for (const [k, v] of model) assert.equal(index.get(k), v, `final get ${k}`);
    const present = [...index.keys()].sort();
    assert.equal(present, [...model.keys()].sort());
  }
});

test('the transfer index iterates in insertion order, like the Map it replaces', () => {
  const log = new TransferLog();
  const index = new TransferIndex(log, 1);
  for (const id of ['c', 'a', 'd', 'b']) {
    const t = record(id, log.length);
    log.push(t);
    index.set(id, t);
  }
  index.delete(log.at(log.length - 1)!.id);
  log.pop();
  assert.equal([...index.keys()], ['c', 'a', 'd']);
  assert.equal([...index.values()].map((t) => t.seq), [0, 1, 2]);
  assert.equal([...index].map(([k]) => k), ['c', 'a', 'd']);
});

test('the seed moves ids between slots and the hash spreads similar ids', () => {
  const ids = Array.from({ length: 4096 }, (_, i) => `r1abc-a${i}`);
  const buckets = new Set(ids.map((s) => idHash(s, 0) & 4095));
  // A random function fills about 63% of 4096 buckets with 4096 keys.
  assert.ok(buckets.size > 2400, `buckets used: ${buckets.size}`);
  const moved = ids.filter((s) => (idHash(s, 0) & 4095) !== (idHash(s, 12345) & 4095)).length;
  assert.ok(moved > 4000, `moved by the seed: ${moved}`);
});

function randomAmount(rng: Prng): bigint {
  switch (rng.int(0, 4)) {
    case 0: return BigInt(rng.int(0, 20));
    case 1: return BigInt(rng.int(0, 2 ** 31));
    case 2: return BigInt(Number.MAX_SAFE_INTEGER) + BigInt(rng.int(-3, 3));
    case 3: return -BigInt(rng.int(1, 1000));
    default: return 10n ** BigInt(rng.int(15, 40)) + BigInt(rng.int(0, 999));
  }
}

test('decoded amounts equal BigInt of their digits, shared or not', () => {
  const rng = createPrng(SEED ^ 0x68e31da4);
  const amounts = [0n, 1n, 99n, 100n, 131_071n, 131_072n, 131_073n, 999_999_999_999_999n, 1_000_000_000_000_000n, -1n, -131_071n];
  for (let i = 0; i < 2_000; i++) amounts.push(randomAmount(rng));
  const transfers = amounts.map((amount, i) => ({ ...record(`t${i}`, i), amount, debitAccountId: 'a', creditAccountId: 'b' }));
  const command = decodeCommand(encodeCommand({ type: 'transfer.create', transfers, idempotency: null, via: null }));
  assert.ok(command.type === 'transfer.create');
  command.transfers.forEach((t, i) => assert.is(t.amount, amounts[i], String(amounts[i])));
});

test('the transfer index grows a few slots per set, finding every id in either table meanwhile, rollbacks included', () => {
  const rng = createPrng(SEED ^ 0x2545f491);
  const log = new TransferLog();
  const index = new TransferIndex(log, rng.int(0, 2 ** 31 - 1));
  const model = new Map<string, Transfer>();
  let growths = 0;
  let setsWhileGrowing = 0;
  let longestGrowth = 0;
  let current = 0;
  for (let n = 0; n < 40_000; n++) {
    const before = index.growing;
    const t = record(`t${rng.int(0, 60_000)}`, log.length);
    log.push(t);
    index.set(t.id, t);
    model.set(t.id, t);
    if (!before && index.growing) {
      growths++;
      current = 0;
    }
    if (index.growing) {
      setsWhileGrowing++;
      current++;
      longestGrowth = Math.max(longestGrowth, current);
      // Meanwhile every id is found, in whichever table it is, and absent ids are not.
      const probe = rng.chance(0.5) ? log.at(rng.int(0, log.length - 1))!.id : `t${rng.int(0, 60_000)}`;
      assert.equal(index.get(probe), model.get(probe), `get ${probe} while growing`);
      if (rng.chance(0.05)) {
        const last = log.at(log.length - 1)!;
        assert.is(index.delete(last.id), model.delete(last.id));
        log.pop();
      }
    }
    assert.is(index.size, model.size);
  }
  for (const [k, v] of model) assert.equal(index.get(k), v, `final get ${k}`);
  // 1,024 slots growing past 40,000 ids doubles at least five times, each over many sets, never in one.
  assert.ok(growths >= 5, `growths: ${growths}`);
  assert.ok(setsWhileGrowing > growths * 20, `sets while growing: ${setsWhileGrowing}`);
  // A growth from S to 2S slots ends within about S / 16 sets (each moves 16 old slots or more).
  assert.ok(longestGrowth <= 65_536 / 16 + 1, `longest growth: ${longestGrowth} sets`);
});

test.run();
