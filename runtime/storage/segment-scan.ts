// Reading one segment file back: every record's length, CRC, index and chain link is checked.
// The one damage that is expected, and repaired, is a torn tail: the last write before a crash
// reached the disk only in part. It looks like bad bytes at the end of the last segment with
// nothing valid after them. Bad bytes anywhere else, or followed by any record that passes its
// CRC, mean the disk lost or changed data that was already acknowledged; that is reported as
// corruption naming the file and offset, never silently dropped.
import type { LogEntry } from '../../machines/types.ts';
import { StorageCorruptError } from './errors.ts';
import { RECORD_HEADER_BYTES, checksumMatchesAt, decodeRecordAt, type RecordFault } from './record-codec.ts';

export interface SegmentScanInput {
  /** Path of the segment, for error messages. */
  readonly file: string;
  readonly bytes: Buffer;
  /** The first index, as the file name declares it. */
  readonly firstIndex: number;
  /** The link the first record must carry; null accepts whatever it carries (the log's start). */
  readonly expectedPrevHash: Buffer | null;
  /** Only the last segment may end in a torn write. */
  readonly isLast: boolean;
  /** Entries below this index are checked but not returned (the snapshot already covers them). */
  readonly keepFrom: number;
  /** Report the hash of the record with this index, if the segment holds it. */
  readonly hashOfIndex: number;
}

export interface SegmentScan {
  readonly entries: LogEntry[];
  /** Byte offset of every valid record, in order (offsets[i] holds index firstIndex + i). */
  readonly offsets: number[];
  readonly firstPrevHash: Buffer | null;
  readonly tailHash: Buffer | null;
  readonly hashAtIndex: Buffer | null;
  /** Bytes up to the end of the last valid record. */
  readonly validBytes: number;
  readonly torn: { readonly offset: number; readonly fault: RecordFault } | null;
}

const FAULT_TEXT: Record<RecordFault, string> = {
  'short-header': 'the file ends inside a record header',
  'bad-length': 'record length is too small to be a record',
  'past-end': 'record length runs past the end of the file',
  crc: 'record CRC-32C mismatch',
  payload: 'record passes its CRC but its payload is malformed',
};

export function scanSegment(input: SegmentScanInput): SegmentScan {
  const { bytes, file } = input;
  const entries: LogEntry[] = [];
  const offsets: number[] = [];
  let firstPrevHash: Buffer | null = null;
  let link = input.expectedPrevHash;
  let expectIndex = input.firstIndex;
  let offset = 0;
  let torn: SegmentScan['torn'] = null;
  let hashAtIndex: Buffer | null = null;

  while (offset < bytes.length) {
    const read = decodeRecordAt(bytes, offset);
    if (!read.ok) {
      if (read.fault === 'payload' || !input.isLast) throw new StorageCorruptError(file, offset, FAULT_TEXT[read.fault]);
      const later = findChecksummedRecord(bytes, offset + 1);
      if (later !== null) {
        throw new StorageCorruptError(file, offset, `${FAULT_TEXT[read.fault]}, followed by a valid record at offset ${later}`);
      }
      torn = { offset, fault: read.fault };
      break;
    }
    if (read.entry.index !== expectIndex) {
      throw new StorageCorruptError(file, offset, `expected log index ${expectIndex} but found ${read.entry.index}`);
    }
    if (link !== null && !read.prevHash.equals(link)) {
      throw new StorageCorruptError(file, offset, `hash chain broken at index ${expectIndex}: the record does not link to the one before it`);
    }
    if (offsets.length === 0) firstPrevHash = read.prevHash;
    if (expectIndex >= input.keepFrom) entries.push(read.entry);
    if (expectIndex === input.hashOfIndex) hashAtIndex = read.hash;
    offsets.push(offset);
    link = read.hash;
    expectIndex++;
    offset = read.end;
  }
  return {
    entries,
    offsets,
    firstPrevHash,
    tailHash: offsets.length > 0 ? link : null,
    hashAtIndex,
    validBytes: offset,
    torn,
  };
}

/** The first offset at or after `from` where a record with a matching CRC starts, or null. */
function findChecksummedRecord(bytes: Buffer, from: number): number | null {
  for (let q = from; q + RECORD_HEADER_BYTES <= bytes.length; q++) {
    if (checksumMatchesAt(bytes, q)) return q;
  }
  return null;
}
