// What the ledger state hash needs from SHA-256, as an interface: machines/ may not import
// node:crypto, so the pure implementation (sha256.ts) is the default and the ledger actor injects
// node:crypto's, which is many times faster. Both must give identical digests (a spec checks).

/** A SHA-256 that stays open: text can be appended after the digest was read. */
export interface RunningSha256 {
  update(text: string): void;
  /** Appends bytes as they are (read before the call returns: the caller may reuse the array). */
  updateBytes(bytes: Uint8Array): void;
  /** Hex digest of all text appended so far; the hash stays open for more. */
  peekHex(): string;
}

export interface Sha256Provider {
  /** SHA-256 of the UTF-8 bytes of `text`, as 32 bytes. */
  digest(text: string): Uint8Array;
  running(): RunningSha256;
}
