// Frame codec: what a peer may send, and the reason each bad frame is dropped with.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assembleFrame, decodeFrame, frameOverheadBytes } from '../../../runtime/transport/frame.ts';

const MAX = 1024;

test('assembled frames decode back to the same messages', () => {
  const msgs = [{ type: 'peer.appendEntries', term: 3, entries: [] }, { type: 'peer.vote', granted: true }];
  const text = assembleFrame('node1', msgs.map((m) => JSON.stringify(m)));
  assert.equal(JSON.parse(text), { from: 'node1', msgs });
  assert.equal(decodeFrame(text, 'node1', MAX), { ok: true, msgs });
});

test('an empty batch is a valid frame', () => {
  assert.equal(decodeFrame(assembleFrame('node1', []), 'node1', MAX), { ok: true, msgs: [] });
});

test('overhead covers the frame envelope', () => {
  const from = 'nødé-1';
  const frame = assembleFrame(from, ['{}']);
  assert.ok(frameOverheadBytes(from) + Buffer.byteLength('{}') >= Buffer.byteLength(frame));
});

test('not JSON -> malformed', () => {
  for (const text of ['', '{', 'nope', '{"from":"node1","msgs":[}']) {
    const r = decodeFrame(text, 'node1', MAX);
    assert.is(r.ok ? 'ok' : r.reason, 'malformed', text);
  }
});

test('oversize (in bytes, not characters) -> oversize', () => {
  const text = assembleFrame('node1', [JSON.stringify({ type: 'peer.x', pad: 'é'.repeat(MAX / 2) })]);
  assert.ok(text.length < MAX + 100 && Buffer.byteLength(text) > MAX);
  const r = decodeFrame(text, 'node1', MAX);
  assert.is(r.ok ? 'ok' : r.reason, 'oversize');
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
  ];
  for (const text of cases) {
    const r = decodeFrame(text, 'node1', MAX);
    assert.is(r.ok ? 'ok' : r.reason, 'schema', text);
  }
});

test('type length limit is inclusive at 64', () => {
  const type = `peer.${'y'.repeat(59)}`;
  assert.is(type.length, 64);
  assert.ok(decodeFrame(`{"from":"node1","msgs":[{"type":"${type}"}]}`, 'node1', MAX).ok);
});

test('a frame claiming another sender -> spoofed', () => {
  const r = decodeFrame(assembleFrame('node3', ['{"type":"peer.vote"}']), 'node1', MAX);
  assert.is(r.ok ? 'ok' : r.reason, 'spoofed');
});

test('__proto__ keys stay plain data', () => {
  const r = decodeFrame('{"from":"node1","msgs":[{"type":"peer.x","__proto__":{"polluted":true}}]}', 'node1', MAX);
  assert.ok(r.ok);
  assert.is(({} as Record<string, unknown>)['polluted'], undefined);
});

test.run();
