// The consensus vocabulary: every peer message the two consensus actors exchange, the results of
// client requests, and the shape checks that turn untrusted peer input into typed messages
// (malformed input is dropped by the caller, never thrown into the core).
import type { LogEntry, NodeId } from './types.ts';

export interface RequestVote {
  readonly type: 'peer.requestVote';
  readonly term: number;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  readonly pre: boolean;
  readonly transfer: boolean;
}
export interface RequestVoteReply {
  readonly type: 'peer.requestVoteReply';
  readonly term: number;
  readonly granted: boolean;
  readonly pre: boolean;
}
export interface AppendEntries {
  readonly type: 'peer.appendEntries';
  readonly term: number;
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly LogEntry[];
  readonly commit: number;
}
export interface AppendEntriesReply {
  readonly type: 'peer.appendEntriesReply';
  readonly term: number;
  readonly success: boolean;
  /** On success the last index now known to match; on rejection the prevIndex that was rejected. */
  readonly index: number;
  /** Rejection hint (fast backtracking): the term at prevIndex (0 if the follower lacks it)... */
  readonly conflictTerm: number;
  /** ...and the first index the follower holds with that term (or its last index + 1). */
  readonly conflictIndex: number;
  readonly lastIndex: number;
}
export interface Heartbeat {
  readonly type: 'peer.heartbeat';
  readonly term: number;
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms (0: none). */
  readonly ctx: number;
}
export interface HeartbeatReply {
  readonly type: 'peer.heartbeatReply';
  readonly term: number;
  readonly ctx: number;
  /** The follower's last log index: lets the leader notice a follower whose disk was replaced. */
  readonly lastIndex: number;
}
export interface InstallSnapshot {
  readonly type: 'peer.installSnapshot';
  readonly term: number;
  readonly index: number;
  readonly snapTerm: number;
  readonly offset: number;
  readonly total: number;
  readonly chunk: string;
}
export interface InstallSnapshotReply {
  readonly type: 'peer.installSnapshotReply';
  readonly term: number;
  readonly index: number;
  /** The offset the follower expects next; `total` once it has installed the whole snapshot. */
  readonly nextOffset: number;
  readonly done: boolean;
}
export interface TimeoutNow {
  readonly type: 'peer.timeoutNow';
  readonly term: number;
}
export interface ReadIndexAsk {
  readonly type: 'peer.readIndex';
  readonly term: number;
  readonly reqId: string;
}
export interface Failure {
  readonly ok: false;
  readonly code: string;
  readonly detail: string;
  readonly leader: NodeId | null;
  readonly retryAfterMs: number;
}
export interface ReadIndexReply {
  readonly type: 'peer.readIndexReply';
  readonly term: number;
  readonly reqId: string;
  readonly result: { readonly ok: true; readonly index: number } | Failure;
}
export interface ProposeAsk {
  readonly type: 'peer.propose';
  readonly term: number;
  readonly reqId: string;
  readonly data: string;
}
export interface ProposeReply {
  readonly type: 'peer.proposeReply';
  readonly term: number;
  readonly reqId: string;
  readonly result: { readonly ok: true; readonly index: number; readonly term: number; readonly hlc: string } | Failure;
}

export type RaftMessage =
  | RequestVote
  | RequestVoteReply
  | AppendEntries
  | AppendEntriesReply
  | Heartbeat
  | HeartbeatReply
  | InstallSnapshot
  | InstallSnapshotReply
  | TimeoutNow
  | ReadIndexAsk
  | ReadIndexReply
  | ProposeAsk
  | ProposeReply;

export type RaftMessageType = RaftMessage['type'];

/** Client requests forwarded between nodes: they carry a term for tracing only, the gate passes them. */
export const FORWARDED_TYPES: ReadonlySet<string> = new Set([
  'peer.readIndex',
  'peer.readIndexReply',
  'peer.propose',
  'peer.proposeReply',
]);

// ---- shape checks -------------------------------------------------------------------------

type Rec = Record<string, unknown>;
const isNat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isStr = (v: unknown): v is string => typeof v === 'string';

function isEntry(v: unknown): v is LogEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Rec;
  return isNat(e.index) && e.index > 0 && isNat(e.term) && (e.kind === 'noop' || e.kind === 'command') && isStr(e.hlc) && isStr(e.data);
}

function isFailure(v: unknown): boolean {
  const f = v as Rec;
  return f.ok === false && isStr(f.code) && isStr(f.detail) && (f.leader === null || isStr(f.leader)) && isNat(f.retryAfterMs);
}

const shapes: Record<RaftMessageType, (m: Rec) => boolean> = {
  'peer.requestVote': (m) => isNat(m.lastLogIndex) && isNat(m.lastLogTerm) && isBool(m.pre) && isBool(m.transfer),
  'peer.requestVoteReply': (m) => isBool(m.granted) && isBool(m.pre),
  'peer.appendEntries': (m) => {
    if (!(isNat(m.prevIndex) && isNat(m.prevTerm) && isNat(m.commit) && Array.isArray(m.entries))) return false;
    let expect = m.prevIndex + 1;
    for (const e of m.entries as unknown[]) {
      if (!isEntry(e) || e.index !== expect) return false;
      expect++;
    }
    return true;
  },
  'peer.appendEntriesReply': (m) =>
    isBool(m.success) && isNat(m.index) && isNat(m.conflictTerm) && isNat(m.conflictIndex) && isNat(m.lastIndex),
  'peer.heartbeat': (m) => isNat(m.commit) && isNat(m.ctx),
  'peer.heartbeatReply': (m) => isNat(m.ctx) && isNat(m.lastIndex),
  'peer.installSnapshot': (m) =>
    isNat(m.index) && isNat(m.snapTerm) && isNat(m.offset) && isNat(m.total) && isStr(m.chunk) && m.offset + m.chunk.length <= m.total,
  'peer.installSnapshotReply': (m) => isNat(m.index) && isNat(m.nextOffset) && isBool(m.done),
  'peer.timeoutNow': () => true,
  'peer.readIndex': (m) => isStr(m.reqId),
  'peer.readIndexReply': (m) => {
    const r = m.result as Rec | null;
    return isStr(m.reqId) && typeof r === 'object' && r !== null && ((r.ok === true && isNat(r.index)) || isFailure(r));
  },
  'peer.propose': (m) => isStr(m.reqId) && isStr(m.data),
  'peer.proposeReply': (m) => {
    const r = m.result as Rec | null;
    return (
      isStr(m.reqId) &&
      typeof r === 'object' &&
      r !== null &&
      ((r.ok === true && isNat(r.index) && isNat(r.term) && isStr(r.hlc)) || isFailure(r))
    );
  },
};

export function isRaftMessageType(type: unknown): type is RaftMessageType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(shapes, type);
}

/** The message typed, or null when its shape is wrong (the caller logs and drops it). */
export function parseRaftMessage(msg: { readonly type: string; readonly [k: string]: unknown }): RaftMessage | null {
  if (!isRaftMessageType(msg.type)) return null;
  const m = msg as Rec;
  if (!isNat(m.term)) return null;
  return shapes[msg.type](m) ? (msg as unknown as RaftMessage) : null;
}
