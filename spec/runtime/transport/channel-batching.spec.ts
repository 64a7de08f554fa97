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
import { decodeFrame } from '../../../runtime/transport/frame.ts';
import { captureLogger, type CapturedLine } from '../../support/quiet-ports.ts';

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  readonly frames: string[] = [];
  send(data: string, _cb?: (err?: Error) => void): void {
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
  /** The messages of every frame written so far, frame by frame. */
  frames(): PeerMessage[][];
}

const BIG = 8 * 1024 * 1024;

function rig(limits: Partial<Pick<ChannelOptions, 'messageBytesMax' | 'sendBufferBytesMax' | 'coalesceBytesMax'>> = {}): Rig {
  const socket = new FakeSocket();
  const drops: string[] = [];
  const lines: CapturedLine[] = [];
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
    deliver: () => {},
    closed: () => {},
  });
  const frames = () =>
    socket.frames.map((f) => {
      assert.ok(Buffer.byteLength(f) <= messageBytesMax, `frame of ${Buffer.byteLength(f)} bytes exceeds ${messageBytesMax}`);
      const decoded = decodeFrame(f, 'node1', messageBytesMax);
      if (!decoded.ok) throw new Error(`bad frame: ${decoded.reason} ${decoded.detail}`);
      return decoded.msgs;
    });
  return { socket, channel, drops, lines, frames };
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
    // Timers due together run in one timers phase, with microtasks drained between them: the
    // shape of many client requests or fsync completions handled in one turn.
    for (let i = 0; i < 5; i++) setTimeout(() => channel.send(msg(i)), 0);
    setTimeout(() => setImmediate(resolve), 0);
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

test.run();
