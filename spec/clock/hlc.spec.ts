// Rule table and properties of the hybrid logical clock: format, order, monotonicity under
// backwards wall-clock jumps, receive merging, and counter overflow.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { compareHlc, formatHlc, HLC_LOGICAL_MAX, HLC_ZERO, hlcNow, hlcObserve, parseHlc, type Hlc } from '../../machines/clock/hlc.ts';

const SEED = Number(process.env['SEED'] ?? 20261126);
console.log(`hlc.spec seed=${SEED}`);

test('format is 15 digits, a dot, 6 digits', () => {
  assert.is(formatHlc({ physicalMs: 1764150000123, logical: 7 }), '001764150000123.000007');
  assert.is(formatHlc(HLC_ZERO), '000000000000000.000000');
});

test('parse inverts format and rejects malformed stamps', () => {
  assert.equal(parseHlc('001764150000123.000007'), { physicalMs: 1764150000123, logical: 7 });
  for (const bad of ['', '1764150000123.7', '001764150000123.0000007', '001764150000123-000007', 'x01764150000123.000007', ' 001764150000123.000007']) {
    assert.is(parseHlc(bad), null, bad);
  }
});

test('hlcNow follows physical time when it moves forward', () => {
  assert.equal(hlcNow({ physicalMs: 100, logical: 5 }, 200), { physicalMs: 200, logical: 0 });
});

test('hlcNow counts logically when physical time stands still or jumps backwards', () => {
  const a = hlcNow({ physicalMs: 100, logical: 5 }, 100);
  assert.equal(a, { physicalMs: 100, logical: 6 });
  const b = hlcNow(a, 40);
  assert.equal(b, { physicalMs: 100, logical: 7 });
});

test('counter overflow bumps physical by one millisecond', () => {
  const h = hlcNow({ physicalMs: 100, logical: HLC_LOGICAL_MAX }, 100);
  assert.equal(h, { physicalMs: 101, logical: 0 });
  assert.ok(formatHlc(h) > formatHlc({ physicalMs: 100, logical: HLC_LOGICAL_MAX }));
});

test('hlcObserve is greater than both the local state and the observed stamp', () => {
  const local: Hlc = { physicalMs: 100, logical: 3 };
  assert.equal(hlcObserve(local, '000000000000500.000009', 200), { physicalMs: 500, logical: 10 });
  assert.equal(hlcObserve(local, '000000000000050.000009', 90), { physicalMs: 100, logical: 4 });
  assert.equal(hlcObserve(local, '000000000000050.000009', 900), { physicalMs: 900, logical: 0 });
  assert.equal(hlcObserve(local, { physicalMs: 100, logical: 8 }, 100), { physicalMs: 100, logical: 9 });
  assert.throws(() => hlcObserve(local, 'garbage', 100), /SYNCPAY_ERR_BAD_HLC/);
});

test('compareHlc agrees with string order and with value order', () => {
  assert.is(compareHlc('000000000000100.000002', '000000000000100.000010'), -1);
  assert.is(compareHlc({ physicalMs: 101, logical: 0 }, '000000000000100.999999'), 1);
  assert.is(compareHlc('000000000000100.000002', { physicalMs: 100, logical: 2 }), 0);
  assert.throws(() => compareHlc('bad', '000000000000100.000002'), /SYNCPAY_ERR_BAD_HLC/);
});

test('property: stamps strictly increase under arbitrary clock jumps, sends and receives', () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('now' as const), pt: fc.integer({ min: 0, max: 10_000 }) }),
    fc.record({
      kind: fc.constant('observe' as const),
      pt: fc.integer({ min: 0, max: 10_000 }),
      remote: fc.record({ physicalMs: fc.integer({ min: 0, max: 12_000 }), logical: fc.integer({ min: 0, max: HLC_LOGICAL_MAX }) }),
    }),
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 200 }), (ops) => {
      let h = HLC_ZERO;
      let last = formatHlc(h);
      for (const o of ops) {
        const next = o.kind === 'now' ? hlcNow(h, o.pt) : hlcObserve(h, o.remote, o.pt);
        const stamp = formatHlc(next);
        if (!(stamp > last)) return false;
        if (o.kind === 'observe' && !(stamp > formatHlc(o.remote))) return false;
        if (next.physicalMs < o.pt) return false;
        assert.equal(parseHlc(stamp), next);
        h = next;
        last = stamp;
      }
      return true;
    }),
    { seed: SEED, numRuns: 300 },
  );
});

test.run();
