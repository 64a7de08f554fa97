// UTF-8 encoding into a byte array, as Buffer and TextEncoder do it (a lone surrogate becomes
// U+FFFD), for the ledger's hashes: machines/ may not use Node's Buffer, and the hash must be the
// same bytes on every platform. Written once for the pure SHA-256 and for the hash lines.

/** Bytes one UTF-16 code unit can take in UTF-8 at most (a surrogate pair: 4 for 2 units). */
export const UTF8_PER_UNIT_MAX = 3;

/**
 * Writes the UTF-8 of `s` into `out` from `at` and returns where it ended. `out` must have room for
 * `s.length * UTF8_PER_UNIT_MAX` bytes from `at`. ASCII (every id and currency) takes the first
 * branch only.
 */
export function writeUtf8(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
    } else if (c < 0x10000) {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 63);
    } else {
      out[at++] = 0xf0 | (c >> 18);
      out[at++] = 0x80 | ((c >> 12) & 63);
      out[at++] = 0x80 | ((c >> 6) & 63);
    }
    out[at++] = 0x80 | (c & 63);
  }
  return at;
}
