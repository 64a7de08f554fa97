// CRC-32C against published check values, and the fast slicing-by-8 path against a plain
// bit-by-bit reference on seeded random inputs of every alignment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPrng } from '../../../machines/prng.ts';
import { crc32c } from '../../../runtime/storage/crc32c.ts';

function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

test('published check values (RFC 3720 appendix B.4 and the "123456789" check)', () => {
  assert.is(crc32c(Buffer.from('123456789', 'ascii')), 0xe3069283);
  assert.is(crc32c(new Uint8Array(0)), 0);
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});

test('matches the bitwise reference on random inputs, and continues across a split', () => {
  const seed = 20261126;
  console.log(`crc32c seed ${seed}`);
  const prng = createPrng(seed);
  for (let round = 0; round < 300; round++) {
    const bytes = Uint8Array.from({ length: prng.int(0, 100) }, () => prng.int(0, 255));
    const whole = crc32c(bytes);
    assert.is(whole, reference(bytes), `length ${bytes.length}`);
    const cut = prng.int(0, bytes.length);
    assert.is(crc32c(bytes.subarray(cut), crc32c(bytes.subarray(0, cut))), whole, `split at ${cut}`);
  }
});

test.run();
