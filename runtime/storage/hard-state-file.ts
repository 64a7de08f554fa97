// The durable election state `{term, votedFor}`, one small JSON file that people can read, with a
// CRC-32C of its canonical form so a damaged file is detected rather than believed: trusting a
// wrong `votedFor` could let this node vote twice in one term.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HardState } from '../../machines/types.ts';
import { crc32c } from './crc32c.ts';
import { writeFileAtomically } from './durable-fs.ts';
import { StorageCorruptError } from './errors.ts';
import { HARD_STATE_FILE } from './file-names.ts';

export const INITIAL_HARD_STATE: HardState = { term: 0, votedFor: null };

function canonical(hs: HardState): string {
  return JSON.stringify({ term: hs.term, votedFor: hs.votedFor });
}

function checksum(hs: HardState): string {
  return crc32c(Buffer.from(canonical(hs), 'utf8')).toString(16).padStart(8, '0');
}

export function encodeHardState(hs: HardState): Buffer {
  if (!Number.isSafeInteger(hs.term) || hs.term < 0) throw new RangeError(`bad term ${hs.term}`);
  const body = { term: hs.term, votedFor: hs.votedFor, crc32c: checksum(hs) };
  return Buffer.from(JSON.stringify(body) + '\n', 'utf8');
}

/** Parses a hard-state file; throws SYNCPAY_ERR_STORAGE_CORRUPT naming `file` when it is damaged. */
export function decodeHardState(bytes: Buffer, file: string): HardState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StorageCorruptError(file, 0, 'hard state is not valid JSON');
  }
  const p = parsed as { term?: unknown; votedFor?: unknown; crc32c?: unknown } | null;
  if (
    p === null ||
    typeof p !== 'object' ||
    typeof p.term !== 'number' ||
    !Number.isSafeInteger(p.term) ||
    p.term < 0 ||
    !(p.votedFor === null || typeof p.votedFor === 'string')
  ) {
    throw new StorageCorruptError(file, 0, 'hard state has missing or mistyped fields');
  }
  const hs: HardState = { term: p.term, votedFor: p.votedFor };
  if (p.crc32c !== checksum(hs)) throw new StorageCorruptError(file, 0, 'hard state checksum mismatch');
  return hs;
}

export async function readHardState(dir: string): Promise<HardState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, HARD_STATE_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return INITIAL_HARD_STATE;
    throw err;
  }
  return decodeHardState(bytes, join(dir, HARD_STATE_FILE));
}

export async function writeHardState(dir: string, hs: HardState): Promise<void> {
  await writeFileAtomically(dir, HARD_STATE_FILE, encodeHardState(hs));
}
