// A small SHA-256 (FIPS 180-4) in plain TypeScript, because machines/ may not import node:crypto.
// It is the ledger hash's default provider (specs, tools); the ledger actor injects node:crypto's,
// and a spec checks that both give the same digests, one-shot and running, however the text is
// split. Text is hashed as UTF-8 (lone surrogates as U+FFFD, like Buffer and TextEncoder).
import type { RunningSha256, Sha256Provider } from './hash-provider.ts';
import { UTF8_PER_UNIT_MAX, writeUtf8 } from './utf8.ts';

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/** Shared message schedule: the hash is synchronous, so one scratch array serves every instance. */
const W = new Uint32Array(64);
/** Text encoded to UTF-8 before it is fed, shared the same way; grows to the longest text fed. */
let scratch = new Uint8Array(1024);

/** An open SHA-256: feed text, read the digest of what was fed so far, keep feeding. */
export class Sha256 implements RunningSha256 {
  private readonly h = Uint32Array.from(INITIAL);
  private readonly block = new Uint8Array(64);
  private used = 0;
  private bytes = 0;

  update(text: string): void {
    const need = text.length * UTF8_PER_UNIT_MAX;
    if (scratch.length < need) scratch = new Uint8Array(Math.max(need, 2 * scratch.length));
    const end = writeUtf8(text, scratch, 0);
    for (let i = 0; i < end; i++) this.push(scratch[i]!);
  }

  updateBytes(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.push(bytes[i]!);
  }

  /** The digest of everything fed so far; this hash stays open. */
  digest(): Uint8Array {
    const copy = new Sha256();
    copy.h.set(this.h);
    copy.block.set(this.block);
    copy.used = this.used;
    copy.bytes = this.bytes;
    return copy.finish();
  }

  peekHex(): string {
    return toHex(this.digest());
  }

  private push(byte: number): void {
    this.block[this.used++] = byte;
    this.bytes++;
    if (this.used === 64) {
      this.compress();
      this.used = 0;
    }
  }

  private finish(): Uint8Array {
    const bits = this.bytes * 8;
    this.push(0x80);
    while (this.used !== 56) this.push(0);
    const high = Math.floor(bits / 0x100000000);
    for (const word of [high, bits >>> 0]) {
      this.push((word >>> 24) & 255);
      this.push((word >>> 16) & 255);
      this.push((word >>> 8) & 255);
      this.push(word & 255);
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.h[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = (v >>> 16) & 255;
      out[i * 4 + 2] = (v >>> 8) & 255;
      out[i * 4 + 3] = v & 255;
    }
    return out;
  }

  private compress(): void {
    const b = this.block;
    const h = this.h;
    for (let t = 0; t < 16; t++) W[t] = (b[t * 4]! << 24) | (b[t * 4 + 1]! << 16) | (b[t * 4 + 2]! << 8) | b[t * 4 + 3]!;
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15]!;
      const y = W[t - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) >>> 0;
    }
    let a = h[0]!, c1 = h[1]!, c2 = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let t = 0; t < 64; t++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & c1) ^ (a & c2) ^ (c1 & c2))) >>> 0;
      k = g; g = f; f = e; e = (d + t1) >>> 0; d = c2; c2 = c1; c1 = a; a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0; h[1] = (h[1]! + c1) >>> 0; h[2] = (h[2]! + c2) >>> 0; h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0; h[5] = (h[5]! + f) >>> 0; h[6] = (h[6]! + g) >>> 0; h[7] = (h[7]! + k) >>> 0;
  }
}

export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return hex;
}

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  const h = new Sha256();
  h.update(text);
  return h.peekHex();
}

/** The pure provider: slow next to node:crypto, but equal digests and usable in machines/. */
export const pureSha256: Sha256Provider = {
  digest(text) {
    const h = new Sha256();
    h.update(text);
    return h.digest();
  },
  running: () => new Sha256(),
};
