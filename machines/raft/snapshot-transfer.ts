// InstallSnapshot in chunks, both ends. The leader keeps one transfer per follower and sends one
// chunk at a time (the follower's reply says which offset it wants next, so a lost or reordered
// chunk is simply asked for again); the follower reassembles chunks strictly in order and starts
// over when a different snapshot begins. Both ends are plain bookkeeping: the core turns their
// answers into messages and persist effects. The text stays in pieces at both ends
// (snapshot-text.ts): the chunks a follower receives are the pieces of its copy.
import type { InstallSnapshot } from '../raft-events.ts';
import { chunkEnd, sliceText, textLength, type SnapshotText } from '../snapshot-text.ts';

export interface OutgoingSnapshot {
  readonly index: number;
  readonly term: number;
  readonly data: SnapshotText;
  /** Offset of the chunk to send next (what the follower last asked for). */
  offset: number;
}

/** The chunk at the transfer's current offset, as message fields (term added by the caller). */
export function chunkAt(out: OutgoingSnapshot, chunkBytes: number): Omit<InstallSnapshot, 'type' | 'term'> {
  // A chunk never ends between the halves of a surrogate pair, so each chunk is a valid piece.
  const chunk = sliceText(out.data, out.offset, chunkEnd(out.data, out.offset, chunkBytes));
  return { index: out.index, snapTerm: out.term, offset: out.offset, total: textLength(out.data), chunk };
}

export type ChunkVerdict =
  /** Ask the leader for this offset next (a gap, a repeat, or simply the next chunk). */
  | { readonly kind: 'want'; readonly offset: number }
  /** The snapshot is whole. */
  | { readonly kind: 'complete'; readonly index: number; readonly term: number; readonly data: SnapshotText };

/** The follower's end: one snapshot being reassembled at a time. */
export class SnapshotReceiver {
  private index = 0;
  private term = 0;
  private total = 0;
  private chunks: string[] = [];
  private offset = 0;
  private active = false;

  reset(): void {
    this.active = false;
    this.chunks = [];
  }

  accept(msg: InstallSnapshot): ChunkVerdict {
    const same = this.active && this.index === msg.index && this.term === msg.snapTerm && this.total === msg.total;
    if (!same) {
      if (msg.offset !== 0) return { kind: 'want', offset: 0 };
      this.active = true;
      this.index = msg.index;
      this.term = msg.snapTerm;
      this.total = msg.total;
      this.chunks = [];
      this.offset = 0;
    }
    if (msg.offset !== this.offset) return { kind: 'want', offset: this.offset };
    this.chunks.push(msg.chunk);
    this.offset += msg.chunk.length;
    if (this.offset < this.total) return { kind: 'want', offset: this.offset };
    const data = this.chunks;
    this.reset();
    return { kind: 'complete', index: this.index, term: this.term, data };
  }
}
