// Public face of the durable storage layer: the file-backed LogStore and its error codes.
export { openFileLogStore, type FileLogStore, type FileLogStoreOptions, type FileLogStoreStats } from './file-log-store.ts';
export { CORRUPT, FAILED, MISUSE, CLOSED, StorageCorruptError, StorageMisuseError } from './errors.ts';
