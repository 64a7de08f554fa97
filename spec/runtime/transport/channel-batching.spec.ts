// How a peer channel turns sends into socket writes, against a recording fake socket so the number
// and content of frames are exact: the first burst of a turn leaves when its callback ends, later
// bursts of the same turn share one frame at the end of the turn, a queue reaching
// coalesceBytesMax is written at once, message order holds across frames, the send-buffer limit
// counts queued bytes, and nothing is written once the socket has closed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import type { PeerMessage } from '../../../machines/types.ts';
import { PeerChannel, type ChannelOptions } from '../../../runtime/transport/channel.ts';
import { assembleFrame, decodeFrame, encodeMessage } from '../../../runtime/transport/frame.ts';
import { createPrng } from '../../../machines/prng.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: Buffer[] = [];
  send(data: Buffer, _cb?: (err?: Error) => void): void {
    this.frames.push(data);
  }
  ping(): void {}
  terminate(): void {
    this.shut(1006);
  }
  close(code: number): void {
    this.shut(code);
  }
  shut(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close', code, Buffer.from(''));
  }
}

interface Rig {
  readonly socket: FakeSocket;
  readonly channel: PeerChannel;
  readonly drops: string[];
  readonly lines: CapturedLine[];
  /** What the channel delivered from incoming frames, frame by frame. */
  readonly delivered: PeerMessage[][];
  /** The messages of every frame written so far, frame by frame. */
  frames(): PeerMessage[][];
}

const BIG = 8 * 1024 * 1024;

function rig(limits: Partial<Pick<ChannelOptions, 'messageBytesMax' | 'sendBufferBytesMax' | 'coalesceBytesMax'>> = {}): Rig {
  const socket = new FakeSocket();
  const drops: string[] = [];
  const lines: CapturedLine[] = [];
  const delivered: PeerMessage[][] = [];
  const messageBytesMax = limits.messageBytesMax ?? BIG;
  const channel = new PeerChannel({
    self: 'node1',
    peer: 'node2',
    socket: socket as unknown as WebSocket,
    messageBytesMax,
    sendBufferBytesMax: limits.sendBufferBytesMax ?? 4 * BIG,
    coalesceBytesMax: limits.coalesceBytesMax ?? BIG,
    pingIntervalMs: 60_000,
    logger: captureLogger(lines, { node: 'node1' }),
    count: (_name, labels) => drops.push(labels['reason'] ?? '?'),
    deliver: (msgs) => delivered.push([...msgs]),
    closed: () => {},
  });
  const frames = () =>
    socket.frames.map((f) => {
      assert.ok(Buffer.isBuffer(f), 'frames are binary');
      assert.ok(f.length <= messageBytesMax, `frame of ${f.length} bytes exceeds ${messageBytesMax}`);
      const decoded = decodeFrame(f, 'node1', messageBytesMax);
      if (!decoded.ok) throw new Error(`bad frame: ${decoded.reason} ${decoded.detail}`);
      return decoded.msgs;
    });
  return { socket, channel, drops, lines, delivered, frames };
}

const endOfTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const msg = (i: number, pad = 0): PeerMessage => ({ type: 'peer.test', i, pad: 'p'.repeat(pad) });
const ids = (frames: PeerMessage[][]) => frames.map((f) => f.map((m) => m['i']));

test('a burst leaves as one frame when its callback ends, without waiting for the turn', async () => {
  const { channel, socket, frames } = rig();
  assert.ok(channel.send(msg(0)));
  assert.ok(channel.send(msg(1)));
  assert.is(socket.frames.length, 0, 'not written in the middle of the burst');
  await Promise.resolve();
  assert.equal(ids(frames()), [[0, 1]], 'written as soon as the callback is done');
});

test('later bursts of the same turn share one frame, written at the end of the turn', async () => {
  const { channel, socket, frames } = rig();
  assert.ok(channel.send(msg(0)));
  await Promise.resolve();
  assert.ok(channel.send(msg(1)));
  await null;
  assert.ok(channel.send(msg(2)));
  await Promise.resolve();
  assert.is(socket.frames.length, 1, 'held until the turn ends');
  await endOfTurn();
  assert.equal(ids(frames()), [[0], [1, 2]]);
});

test('sends from separate callbacks of one event-loop phase take two frames, not one each', async () => {
  const { channel, frames } = rig();
  await new Promise<void>((resolve) => {
    // Immediates queued together run in one check phase, with microtasks drained between them: the
    // shape of many client requests or fsync completions handled in one turn. (Timers of 0 ms were
    // used before, but on a loaded machine their creation can straddle a millisecond, splitting
    // them over two turns: 2 failures in 20 runs at load 4.)
    for (let i = 0; i < 5; i++) setImmediate(() => channel.send(msg(i)));
    setImmediate(() => setImmediate(resolve));
  });
  await endOfTurn();
  assert.equal(ids(frames()), [[0], [1, 2, 3, 4]]);
});

test('the next turn starts afresh: its first burst leaves at once again', async () => {
  const { channel, socket, frames } = rig();
  channel.send(msg(0));
  await endOfTurn(); // (queued before the channel's own end-of-turn timer: still this turn)
  await endOfTurn();
  channel.send(msg(1));
  channel.send(msg(2));
  await Promise.resolve();
  assert.equal(ids(frames()), [[0], [1, 2]]);
  await endOfTurn();
  await endOfTurn();
  assert.is(socket.frames.length, 2, 'a turn with nothing queued writes nothing');
});

test('reaching coalesceBytesMax writes at once; order holds across the frames', async () => {
  const { channel, socket, frames } = rig({ coalesceBytesMax: 1000 });
  for (let i = 0; i < 3; i++) channel.send(msg(i, 250));
  assert.is(socket.frames.length, 0, 'under the threshold: still queued');
  channel.send(msg(3, 250));
  assert.is(socket.frames.length, 1, 'the fourth message crossed 1000 bytes: written in the same call');
  for (let i = 4; i < 6; i++) channel.send(msg(i, 250));
  assert.is(socket.frames.length, 1);
  await Promise.resolve();
  assert.equal(ids(frames()), [[0, 1, 2, 3], [4, 5]], 'the tail leaves with its burst, not at the end of the turn');
});

test('a message written early does not hold back the small ones after it in the same burst', async () => {
  const { channel, socket, frames } = rig({ coalesceBytesMax: 1000 });
  channel.send(msg(0, 1200));
  assert.is(socket.frames.length, 1, 'over the threshold on its own: written in the call');
  channel.send(msg(1));
  await Promise.resolve();
  assert.equal(ids(frames()), [[0], [1]]);
});

test('coalescing never builds a frame larger than messageBytesMax', async () => {
  const { channel, frames } = rig({ messageBytesMax: 2000, coalesceBytesMax: 1_000_000 });
  for (let i = 0; i < 20; i++) assert.ok(channel.send(msg(i, 300)));
  await endOfTurn();
  const got = frames();
  assert.ok(got.length >= 4, `${got.length} frames`);
  assert.equal(got.flat().map((m) => m['i']), Array.from({ length: 20 }, (_, i) => i));
});

test('queued bytes count against the send buffer: excess sends are refused and counted', async () => {
  const { channel, socket, drops, lines, frames } = rig({ sendBufferBytesMax: 2000 });
  socket.bufferedAmount = 500;
  const accepted: boolean[] = [];
  for (let i = 0; i < 20; i++) accepted.push(channel.send(msg(i, 100)));
  const n = accepted.filter(Boolean).length;
  assert.ok(n > 5 && n < 20, `accepted ${n}`);
  assert.ok(accepted.slice(0, n).every(Boolean), 'refusals only once full');
  assert.is(drops.filter((r) => r === 'send-buffer-full').length, 20 - n);
  assert.is(lines.filter((l) => l.msg?.startsWith('send buffer full')).length, 1, 'one warn per episode');
  await endOfTurn();
  assert.equal(frames().flat().map((m) => m['i']), Array.from({ length: n }, (_, i) => i));
});

test('messages queued when the socket closes are never written', async () => {
  const { channel, socket } = rig();
  channel.send(msg(0));
  channel.send(msg(1));
  socket.shut(1006);
  await endOfTurn();
  assert.is(socket.frames.length, 0);
  assert.is(channel.send(msg(2)), false, 'a closed link refuses sends');
});

const entry = (index: number, data: string) => ({ index, term: 1, kind: 'command', hlc: '000001764000000.000001', data });
const append = (i: number, data: string[]): PeerMessage => ({
  type: 'peer.appendEntries', i, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: data.map((d, k) => entry(k + 1, d)),
});

test("entries' data counts toward the frame limit: frames stay within messageBytesMax, all delivered exactly", async () => {
  const seed = Number(process.env['SEED'] ?? Date.now() % 1_000_000);
  console.log(`  channel frame-size seed=${seed}`);
  const prng = createPrng(seed);
  const random = () => prng.next();
  const { channel, frames, drops } = rig({ messageBytesMax: 4000, coalesceBytesMax: 1_000_000 });
  const sent: PeerMessage[] = [];
  for (let i = 0; i < 60; i++) {
    // Data of 0-1,500 characters, a third of them two bytes long in UTF-8.
    const data = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
      Array.from({ length: Math.floor(random() * 500) }, () => (random() < 0.33 ? 'é' : '"')).join(''),
    );
    const m = append(i, data);
    if (channel.send(m)) sent.push(m);
  }
  await endOfTurn();
  assert.ok(sent.length >= 50, `${sent.length} accepted, drops: ${drops.join(',')}`);
  const got = frames();
  assert.ok(got.length > 5, `${got.length} frames`);
  assert.equal(got.flat(), sent);
});

test('a message whose entry data alone breaks messageBytesMax is refused as oversize', () => {
  const { channel, socket, drops } = rig({ messageBytesMax: 2000 });
  assert.is(channel.send(append(0, ['x'.repeat(1000), 'é'.repeat(500)])), false);
  assert.equal(drops, ['oversize']);
  assert.ok(channel.send(append(1, ['x'.repeat(1000), 'é'.repeat(250)])), 'a smaller one passes');
  assert.is(socket.frames.length, 0);
});

test('incoming binary frames are delivered exactly, even when ws hands them over in fragments', () => {
  const { socket, delivered, drops } = rig();
  const msgs = [append(0, ['{"a":"b"}', 'é💸']), msg(1)];
  const frame = assembleFrame('node2', msgs.map(encodeMessage));
  socket.emit('message', frame, true);
  socket.emit('message', [frame.subarray(0, 10), frame.subarray(10)], true);
  assert.equal(delivered, [msgs, msgs]);
  assert.equal(drops, []);
});

test('text frames (the old format) and bad or spoofed binary frames are dropped and counted, not delivered', () => {
  const { socket, delivered, drops, lines } = rig();
  socket.emit('message', Buffer.from(JSON.stringify({ from: 'node2', msgs: [msg(0)] })), false);
  socket.emit('message', Buffer.from([1, 2, 3]), true);
  socket.emit('message', assembleFrame('node3', [encodeMessage(msg(1))]), true);
  const good = assembleFrame('node2', [encodeMessage(msg(2))]);
  socket.emit('message', good.subarray(0, good.length - 1), true);
  socket.emit('message', good, true);
  assert.equal(drops, ['text', 'malformed', 'spoofed', 'malformed']);
  assert.equal(delivered, [[msg(2)]]);
  assert.is(lines.filter((l) => l.msg === 'peer frame dropped').length, 4);
});

test.run();
