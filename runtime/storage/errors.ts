// The storage layer's error vocabulary. Three kinds, each with a stable code so the supervisor
// and operators can tell them apart:
// - CORRUPT: what is on disk cannot be trusted (names the file and byte offset); the node stops.
// - FAILED: a write or fsync failed, so what is on disk is unknown; every later call fails until
//   the node restarts and recovers from disk (retrying an fsync after it failed can lie).
// - MISUSE: the caller broke the LogStore contract (a gap in appended indexes, truncating inside
//   a snapshot); nothing was written, and the store stays usable.

export const CORRUPT = 'SYNCPAY_ERR_STORAGE_CORRUPT';
export const FAILED = 'SYNCPAY_ERR_STORAGE_FAILED';
export const MISUSE = 'SYNCPAY_ERR_STORAGE_MISUSE';
export const CLOSED = 'SYNCPAY_ERR_STORAGE_CLOSED';

export class StorageCorruptError extends Error {
  readonly code = CORRUPT;
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
  ) {
    super(`${CORRUPT}: ${file} at byte offset ${offset}: ${detail}`);
    this.name = 'StorageCorruptError';
  }
}

export class StorageMisuseError extends Error {
  readonly code = MISUSE;
  constructor(detail: string) {
    super(`${MISUSE}: ${detail}`);
    this.name = 'StorageMisuseError';
  }
}

export function failedError(cause: unknown): Error {
  const why = cause instanceof Error ? cause.message : String(cause);
  const err = new Error(`${FAILED}: a storage write failed (${why}); restart the node to recover from disk`, { cause });
  err.name = 'StorageFailedError';
  return err;
}

export function closedError(): Error {
  const err = new Error(`${CLOSED}: the log store is closed`);
  err.name = 'StorageClosedError';
  return err;
}
