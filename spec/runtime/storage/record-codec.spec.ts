// The record format: entries survive a round trip byte for byte, every single-byte change is
// caught, and a record's hash depends on its link, which is what makes the log a chain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { LogEntry } from '../../../machines/types.ts';
import { RECORD_HEADER_BYTES, ZERO_HASH, checksumMatchesAt, decodeRecordAt, encodeRecord } from '../../../runtime/storage/record-codec.ts';

const entry: LogEntry = { index: 42, term: 7, kind: 'command', hlc: '0001732600000000-0003', data: '{"from":"alice","to":"bob","amount":"12.50","memo":"café ☕"}' };

test('an entry round-trips, including non-ASCII data, and reports its link and length', () => {
  const link = Buffer.alloc(16, 0xab);
  const { bytes, hash } = encodeRecord(entry, link);
  const read = decodeRecordAt(bytes, 0);
  assert.ok(read.ok);
  if (!read.ok) return;
  assert.equal(read.entry, entry);
  assert.ok(read.prevHash.equals(link));
  assert.ok(read.hash.equals(hash));
  assert.is(read.end, bytes.length);
});

test('a noop with empty strings round-trips', () => {
  const noop: LogEntry = { index: 1, term: 1, kind: 'noop', hlc: '', data: '' };
  const read = decodeRecordAt(encodeRecord(noop, ZERO_HASH).bytes, 0);
  assert.ok(read.ok && read.entry.kind === 'noop' && read.entry.data === '');
});

test('flipping any single byte makes the record fail its checks', () => {
  const { bytes } = encodeRecord(entry, ZERO_HASH);
  for (let i = 0; i < bytes.length; i++) {
    const damaged = Buffer.from(bytes);
    damaged[i] = damaged[i]! ^ 0x01;
    const read = decodeRecordAt(damaged, 0);
    assert.not.ok(read.ok, `byte ${i} flipped went unnoticed`);
    assert.not.ok(checksumMatchesAt(damaged, 0));
  }
});

test('a cut-off record is reported as such, not misread', () => {
  const { bytes } = encodeRecord(entry, ZERO_HASH);
  const header = decodeRecordAt(bytes.subarray(0, RECORD_HEADER_BYTES - 1), 0);
  assert.equal(header, { ok: false, fault: 'short-header' });
  const body = decodeRecordAt(bytes.subarray(0, bytes.length - 1), 0);
  assert.equal(body, { ok: false, fault: 'past-end' });
});

test('the hash commits to the link: same entry, different predecessor, different hash', () => {
  const a = encodeRecord(entry, ZERO_HASH);
  const b = encodeRecord(entry, Buffer.alloc(16, 1));
  assert.not.ok(a.hash.equals(b.hash));
  assert.is(a.hash.length, 16);
});

test('entries that cannot be stored faithfully are refused', () => {
  assert.throws(() => encodeRecord({ ...entry, index: 0 }, ZERO_HASH), /bad log index/);
  assert.throws(() => encodeRecord({ ...entry, term: 1.5 }, ZERO_HASH), /bad term/);
  assert.throws(() => encodeRecord({ ...entry, kind: 'other' as 'noop' }, ZERO_HASH), /bad entry kind/);
});

test.run();
