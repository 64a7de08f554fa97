// Frame codec: what a peer may send, how entries' data travels outside the JSON, and the reason
// each bad frame is dropped with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { PeerMessage } from '../../../machines/types.ts';
import {
  FRAME_HEADER_BYTES,
  assembleFrame,
  decodeFrame,
  encodeMessage,
  frameBytes,
  frameOverheadBytes,
  type DecodeResult,
} from '../../../runtime/transport/frame.ts';

const MAX = 1024;
const BIG = 1 << 20;

const frameOf = (from: string, msgs: readonly PeerMessage[]): Buffer => assembleFrame(from, msgs.map(encodeMessage));

/** A frame built by hand: magic, the JSON part's length (or `jsonLength`), JSON, then the tail. */
function rawFrame(json: string, tail: Buffer | string = '', jsonLength?: number): Buffer {
  const body = Buffer.from(json);
  const header = Buffer.from([0x53, 0x50, 0x57, 0x01, 0, 0, 0, 0]);
  header.writeUInt32BE(jsonLength ?? body.length, 4);
  return Buffer.concat([header, body, Buffer.from(tail)]);
}

const reasonOf = (r: DecodeResult) => (r.ok ? 'ok' : r.reason);

const entry = (index: number, data: string) => ({ index, term: 2, kind: 'command', hlc: '000001764000000.000001', data });
const append = (entries: unknown[]): PeerMessage => ({ type: 'peer.appendEntries', term: 2, prevIndex: 9, prevTerm: 2, entries, commit: 7 });

test('assembled frames decode back to exactly the messages sent', () => {
  const msgs: PeerMessage[] = [
    { type: 'peer.appendEntries', term: 3, prevIndex: 0, prevTerm: 0, entries: [], commit: 0 },
    { type: 'peer.vote', granted: true },
    append([entry(10, '{"type":"transfer.create","transfers":[["t1","a","b","100","USD",0,null,0,null]]}'), entry(11, '')]),
  ];
  const r = decodeFrame(frameOf('node1', msgs), 'node1', BIG);
  assert.equal(r, { ok: true, msgs });
});

test("entries' data travels as raw bytes after the JSON part, not as escaped JSON", () => {
  const data = '{"a":"quoted \\"text\\"","é":"ünïcødé 💸"}';
  const frame = frameOf('node1', [append([entry(10, data), entry(11, data)])]);
  const jsonLength = frame.readUInt32BE(4);
  const json = frame.toString('utf8', FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + jsonLength);
  assert.not.ok(json.includes('quoted'), 'the data is not inside the JSON part');
  assert.is(frame.toString('utf8', FRAME_HEADER_BYTES + jsonLength), data + data, 'the tail is the data, verbatim');
  const parsed = JSON.parse(json) as { msgs: Array<Array<{ entries: Array<{ data: unknown }> }>> };
  assert.equal(parsed.msgs[0]?.[0]?.entries.map((e) => e.data), [Buffer.byteLength(data), Buffer.byteLength(data)], 'byte lengths');
});

test('entries that cannot travel raw are sent inline and still round-trip exactly', () => {
  class Entry {
    constructor(readonly data: string) {}
  }
  const cases: PeerMessage[] = [
    append([entry(10, 'fine'), entry(11, 'lone \ud800 surrogate')]),
    append([entry(10, 'fine'), { index: 11, data: 42 }]),
    append([{ index: 10 }]),
    append([null, 'x']),
    { type: 'peer.weird', entries: 'not an array' },
  ];
  for (const m of cases) {
    const enc = encodeMessage(m);
    assert.is(enc.blobs.length, 0, JSON.stringify(m));
    assert.equal(decodeFrame(frameOf('node1', [m]), 'node1', BIG), { ok: true, msgs: [m] });
  }
  // A class instance is encoded as JSON sees it (own fields), not split.
  const withClass = append([new Entry('x')]);
  assert.is(encodeMessage(withClass).blobs.length, 0);
  assert.equal(decodeFrame(frameOf('node1', [withClass]), 'node1', BIG), { ok: true, msgs: [append([{ data: 'x' }])] });
});

test("a proposal's data and a snapshot chunk travel raw too, alone or with entries", () => {
  const msgs: PeerMessage[] = [
    { type: 'peer.propose', term: 1, reqId: 'r1', data: '{"type":"transfer.create","é":"💸"}' },
    { type: 'peer.installSnapshot', term: 1, index: 9, snapTerm: 1, offset: 0, total: 12, chunk: '{"k":"\\"v"}' },
    { ...append([entry(10, '"a"'), entry(11, '"b"')]), data: '"top"', chunk: '' },
    { type: 'peer.propose', term: 1, reqId: 'r2', data: 7 },
  ];
  const encoded = msgs.map(encodeMessage);
  assert.equal(encoded.map((e) => e.blobs), [[msgs[0]?.['data']], [msgs[1]?.['chunk']], ['"top"', '', '"a"', '"b"'], []]);
  assert.equal(encoded.map((e) => e.json.match(/,(\d)\]$/)?.[1] ?? 'plain'), ['1', '2', '7', 'plain'], 'flags name what was lifted');
  const frame = assembleFrame('node1', encoded);
  assert.not.ok(frame.toString('utf8', FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + frame.readUInt32BE(4)).includes('\\'), 'nothing escaped');
  assert.equal(decodeFrame(frame, 'node1', BIG), { ok: true, msgs });
});

test('the lifted strings of one message are taken in flag order: data, chunk, entries', () => {
  const json = '{"from":"node1","msgs":[[{"type":"peer.x","entries":[{"data":1}],"chunk":2,"data":3},7]]}';
  const r = decodeFrame(rawFrame(json, 'DDDCCE'), 'node1', MAX);
  assert.equal(r, { ok: true, msgs: [{ type: 'peer.x', entries: [{ data: 'E' }], chunk: 'CC', data: 'DDD' }] });
});

test('large and small lifted strings mixed in one frame keep their order', () => {
  const big = (c: string) => `${c}é`.repeat(6000);
  const msgs: PeerMessage[] = [
    append([entry(10, 'small'), entry(11, big('a')), entry(12, ''), entry(13, 'tail')]),
    { type: 'peer.installSnapshot', term: 2, index: 9, snapTerm: 1, offset: 0, total: 1, chunk: big('c') },
    { type: 'peer.propose', term: 2, reqId: 'r', data: 'x' },
  ];
  const encoded = msgs.map(encodeMessage);
  const frame = assembleFrame('node1', encoded);
  assert.is(frame.length, frameBytes('node1', encoded));
  assert.equal(decodeFrame(frame, 'node1', BIG), { ok: true, msgs });
});

test('an empty batch is a valid frame', () => {
  assert.equal(decodeFrame(frameOf('node1', []), 'node1', MAX), { ok: true, msgs: [] });
});

test('frameBytes is the exact frame size and the overhead plus message sizes bound it', () => {
  const from = 'nødé-1';
  const batches: PeerMessage[][] = [[], [{ type: 'peer.x' }], [append([entry(10, 'é'.repeat(50))]), { type: 'peer.y', s: '€' }]];
  for (const msgs of batches) {
    const enc = msgs.map(encodeMessage);
    const frame = assembleFrame(from, enc);
    assert.is(frameBytes(from, enc), frame.length);
    assert.ok(frameOverheadBytes(from) + enc.reduce((n, m) => n + m.bytes, 0) >= frame.length);
  }
});

test('encodeMessage throws on what JSON cannot carry (the channel counts it as unencodable)', () => {
  assert.throws(() => encodeMessage({ type: 'peer.money', amount: 10n }));
  assert.throws(() => encodeMessage(append([{ ...entry(10, 'x'), big: 1n }])));
});

test('frames that are not ours, or whose lengths do not tile the frame -> malformed', () => {
  const good = frameOf('node1', [append([entry(10, 'abc'), entry(11, 'de')])]);
  const jsonLength = good.readUInt32BE(4);
  const json = good.toString('utf8', FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + jsonLength);
  const cases: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'magic'],
    ['short header', good.subarray(0, 6), 'magic'],
    ['old text format', Buffer.from('{"from":"node1","msgs":[{"type":"peer.x"}]}'), 'magic'],
    ['wrong version', Buffer.concat([Buffer.from([0x53, 0x50, 0x57, 0x02]), good.subarray(4)]), 'magic'],
    ['JSON length past the end', rawFrame(json, 'abcde', jsonLength + 6), 'JSON part overruns'],
    ['truncated data', good.subarray(0, good.length - 1), 'entries[1].data overruns'],
    ['trailing garbage', Buffer.concat([good, Buffer.from('x')]), '1 bytes after the last'],
    ['data longer than the frame', rawFrame(json.replace('"data":2', '"data":99'), 'abcde'), 'entries[1].data overruns'],
    ['not JSON', rawFrame('{"from":"node1","msgs":[}'), 'not JSON'],
    ['bad UTF-8 in data', rawFrame(json, Buffer.from([0x61, 0x62, 0xff, 0x64, 0x65])), 'not UTF-8'],
    ['data splitting a character', rawFrame(json, 'abéd'), 'mid-character'],
  ];
  // Bad UTF-8 inside the JSON part needs raw bytes a string cannot hold: C3 28 is an invalid pair.
  const badJson = Buffer.from('{"from":"node1","msgs":[{"type":"peer.x","s":"??"}]}');
  badJson[badJson.indexOf('??')] = 0xc3;
  badJson[badJson.indexOf('?')] = 0x28;
  cases.push(['bad UTF-8 in JSON', Buffer.concat([rawFrame('', '', badJson.length), badJson]), 'not UTF-8']);
  for (const [name, frame, detail] of cases) {
    const r = decodeFrame(frame, 'node1', BIG);
    assert.is(reasonOf(r), 'malformed', name);
    assert.ok(!r.ok && r.detail.includes(detail), `${name}: ${r.ok ? '' : r.detail}`);
  }
  assert.ok(decodeFrame(good, 'node1', BIG).ok, 'the unmodified frame is fine');
});

test('the character-splitting case really splits a character and is otherwise valid UTF-8', () => {
  // 'abéd' is a b 0xC3 0xA9 d: lengths 3 then 2 start the second slice on 0xA9.
  const tail = Buffer.from('abéd');
  assert.is(tail.length, 5);
  assert.is(tail[2], 0xc3);
  const json = JSON.stringify({ from: 'node1', msgs: [[append([entry(10, ''), entry(11, '')]), 4]] });
  const fits = rawFrame(json.replace('"data":""', '"data":3').replace('"data":""', '"data":2'), tail);
  const r = decodeFrame(fits, 'node1', BIG);
  assert.is(reasonOf(r), 'malformed');
  assert.ok(!r.ok && r.detail.includes('mid-character'), !r.ok ? r.detail : '');
  const whole = rawFrame(json.replace('"data":""', '"data":4').replace('"data":""', '"data":1'), tail);
  const ok = decodeFrame(whole, 'node1', BIG);
  assert.ok(ok.ok);
  assert.equal(ok.ok && (ok.msgs[0]?.['entries'] as Array<{ data: string }>).map((e) => e.data), ['abé', 'd']);
});

test('oversize (in bytes, data included) -> oversize', () => {
  const frame = frameOf('node1', [append([entry(10, 'é'.repeat(MAX / 2))])]);
  assert.ok(frame.readUInt32BE(4) < MAX && frame.length > MAX, 'only the data makes it too big');
  assert.is(reasonOf(decodeFrame(frame, 'node1', MAX)), 'oversize');
  assert.ok(decodeFrame(frame, 'node1', frame.length).ok, 'a limit equal to the size is fine');
});

test('schema violations -> schema', () => {
  const cases = [
    '[]',
    'null',
    '"node1"',
    '{"msgs":[]}',
    '{"from":1,"msgs":[]}',
    '{"from":"node1"}',
    '{"from":"node1","msgs":{}}',
    '{"from":"node1","msgs":[null]}',
    '{"from":"node1","msgs":[[]]}',
    '{"from":"node1","msgs":[{"kind":"peer.x"}]}',
    '{"from":"node1","msgs":[{"type":7}]}',
    '{"from":"node1","msgs":[{"type":"client.payment"}]}',
    '{"from":"node1","msgs":[{"type":"peer.ok"},{"type":"Peer.bad"}]}',
    `{"from":"node1","msgs":[{"type":"peer.${'x'.repeat(60)}"}]}`,
    // The split form: [peer message, flags], lifted strings replaced by their byte lengths.
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]}]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},4,4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},0]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},8]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},4.5]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},"4"]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a"},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":{}},4]]}',
    '{"from":"node1","msgs":[[{"type":"client.a","entries":[{"data":0}]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":0}]},{"type":"peer.b"}]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[null]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[[0]]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{}]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":"x"}]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":-1}]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":1.5}]},4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.a","entries":[{"data":1e300}]},4]]}',
    '{"from":"node1","msgs":[[[{"type":"peer.a","entries":[{"data":0}]},4],4]]}',
    '{"from":"node1","msgs":[[{"type":"peer.propose"},1]]}',
    '{"from":"node1","msgs":[[{"type":"peer.propose","data":"text"},1]]}',
    '{"from":"node1","msgs":[[{"type":"peer.installSnapshot","data":0},2]]}',
  ];
  for (const json of cases) assert.is(reasonOf(decodeFrame(rawFrame(json), 'node1', MAX)), 'schema', json);
});

test('type length limit is inclusive at 64', () => {
  const type = `peer.${'y'.repeat(59)}`;
  assert.is(type.length, 64);
  assert.ok(decodeFrame(rawFrame(`{"from":"node1","msgs":[{"type":"${type}"}]}`), 'node1', MAX).ok);
});

test('a frame claiming another sender -> spoofed', () => {
  assert.is(reasonOf(decodeFrame(frameOf('node3', [{ type: 'peer.vote' }]), 'node1', MAX)), 'spoofed');
});

test('__proto__ keys stay plain data', () => {
  const r = decodeFrame(rawFrame('{"from":"node1","msgs":[{"type":"peer.x","__proto__":{"polluted":true}}]}'), 'node1', MAX);
  assert.ok(r.ok);
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
});

test.run();
