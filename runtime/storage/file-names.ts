// Names of the files in a node's data directory. Indexes are zero-padded to 20 digits so that a
// plain directory listing sorts segments and snapshots in log order, for tools and for people.

export const HARD_STATE_FILE = 'hardstate.json';
/** Suffix of a file being written; a crash can leave one behind, and recovery deletes it. */
export const TEMP_SUFFIX = '.tmp';

const SEGMENT_RE = /^log-(\d{20})\.seg$/;
const SNAPSHOT_RE = /^snapshot-(\d{20})\.snap$/;

function pad(index: number): string {
  return String(index).padStart(20, '0');
}

export function segmentFileName(firstIndex: number): string {
  return `log-${pad(firstIndex)}.seg`;
}

export function snapshotFileName(index: number): string {
  return `snapshot-${pad(index)}.snap`;
}

/** The first index a segment file name declares, or null when the name is not a segment's. */
export function parseSegmentFileName(name: string): number | null {
  return parseIndex(SEGMENT_RE.exec(name));
}

export function parseSnapshotFileName(name: string): number | null {
  return parseIndex(SNAPSHOT_RE.exec(name));
}

function parseIndex(match: RegExpExecArray | null): number | null {
  if (!match) return null;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** True for a temporary file this store writes (other components may share the directory). */
export function isOwnTempFileName(name: string): boolean {
  if (!name.endsWith(TEMP_SUFFIX)) return false;
  const final = name.slice(0, -TEMP_SUFFIX.length);
  return final === HARD_STATE_FILE || SNAPSHOT_RE.test(final);
}
