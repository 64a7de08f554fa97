// The safety properties of Raft's summary figure, checked against the live cluster after every
// simulator event: election safety, leader append-only, log matching, leader completeness and
// state machine safety, plus "no committed entry is ever lost or changed" (against a history of
// everything any node ever reported committed) and "every acknowledged proposal is committed at
// the position it was acknowledged with" and "a proposal answered NOT_COMMITTED never commits"
// (not at the position it was appended at, nor anywhere when its payload was proposed only once).
// A broken property throws a SafetyViolation naming it.
import type { EntryOutcome } from '../../machines/ledger/types.ts';
import type { RaftCore } from '../../machines/raft/core.ts';
import type { LogEntry, NodeId } from '../../machines/types.ts';
import type { CheckedLedger, LedgerChecks } from './ledger-checks.ts';
import type { ApplyObserver } from './recorder-ledger.ts';

export class SafetyViolation extends Error {
  constructor(
    readonly rule: string,
    detail: string,
  ) {
    super(`${rule}: ${detail}`);
  }
}

interface Committed {
  readonly term: number;
  readonly data: string;
  readonly kind: string;
  /**
   * An upper bound on the term in which it was committed: the lowest term of any node that
   * reported it committed (a reporter's term is never below the committing leader's).
   */
  commitTerm: number;
}

export interface CheckedNode {
  readonly id: NodeId;
  /** The node's Raft core, or null while it is down. */
  core(): RaftCore | null;
  /** The node's real ledger, when it runs one (the recorder stand-in has none to inspect). */
  ledgerState?: CheckedLedger['ledgerState'];
}

export class Checkers implements ApplyObserver {
  /** term -> the one leader elected in it. */
  readonly leaders = new Map<number, NodeId>();
  /** index -> the entry some node reported committed there. */
  readonly history = new Map<number, Committed>();
  /** index -> ledger hash after applying it (first node to get there). */
  private readonly appliedHash = new Map<number, string>();
  private readonly checkedCommit = new Map<NodeId, number>();
  private readonly seenLeaderTerm = new Map<NodeId, number>();
  private readonly acked: Array<{ index: number; term: number; data: string }> = [];
  /** Proposals answered NOT_COMMITTED; `once`: their payload was proposed only that one time. */
  private readonly refused: Array<{ index: number; term: number; data: string; once: () => boolean }> = [];
  appliedCount = 0;
  checks = 0;
  /** How often each rule was actually exercised (a spec asserts they were). */
  readonly exercised = { electionSafety: 0, leaderCompleteness: 0, appendOnly: 0, logMatching: 0, stateMachine: 0, committed: 0 };
  /** Checks on real ledger outcomes and final ledger states (absent: nobody runs a real ledger). */
  ledger: LedgerChecks | null = null;

  // ---- after every event --------------------------------------------------------------------

  afterEvent(nodes: readonly CheckedNode[]): void {
    this.checks++;
    for (const n of nodes) {
      const core = n.core();
      if (!core) continue;
      this.checkElectionSafety(n.id, core);
      this.recordCommitted(n.id, core);
    }
  }

  /** Election safety: at most one leader per term. */
  checkElectionSafety(id: NodeId, core: RaftCore): void {
    if (core.role() !== 'leader') return;
    this.exercised.electionSafety++;
    const term = core.term();
    const known = this.leaders.get(term);
    if (known === undefined) this.leaders.set(term, id);
    else if (known !== id) throw new SafetyViolation('election safety', `${known} and ${id} both lead term ${term}`);
    if (this.seenLeaderTerm.get(id) !== term) {
      this.seenLeaderTerm.set(id, term);
      this.checkLeaderCompleteness(id, core);
    }
  }

  /**
   * Leader completeness: a leader's log holds every entry committed in an earlier term. (An entry
   * committed in a later term can exist already: terms overlap in time on different nodes.)
   */
  checkLeaderCompleteness(id: NodeId, core: RaftCore): void {
    const floor = core.log.snapshotIndex();
    const term = core.term();
    this.exercised.leaderCompleteness++;
    for (const [idx, c] of this.history) {
      if (c.commitTerm >= term) continue;
      if (idx > core.log.lastIndex()) {
        throw new SafetyViolation('leader completeness', `${id} leads term ${term} with last index ${core.log.lastIndex()}, entry ${idx} was committed in term ${c.commitTerm}`);
      }
      if (idx <= floor) continue;
      const e = core.log.entry(idx);
      if (!e || e.term !== c.term || e.data !== c.data) {
        throw new SafetyViolation('leader completeness', `${id} leads term ${core.term()} without committed entry ${idx} (t${c.term})`);
      }
    }
  }

  /** No committed entry is lost or changed: every node's committed prefix agrees with history. */
  recordCommitted(id: NodeId, core: RaftCore): void {
    const commit = core.commitIndex();
    const from = Math.max(this.checkedCommit.get(id) ?? 0, core.log.snapshotIndex()) + 1;
    if (from > commit) return;
    for (let i = from; i <= commit; i++) {
      const e = core.log.entry(i);
      if (!e) throw new SafetyViolation('commit', `${id} reports commit ${commit} but lacks entry ${i}`);
      this.recordOne(id, e, core.term());
      this.exercised.committed++;
    }
    this.checkedCommit.set(id, commit);
  }

  private recordOne(id: NodeId, e: LogEntry, reporterTerm: number): void {
    const known = this.history.get(e.index);
    if (!known) {
      this.history.set(e.index, { term: e.term, data: e.data, kind: e.kind, commitTerm: reporterTerm });
      return;
    }
    known.commitTerm = Math.min(known.commitTerm, reporterTerm);
    if (known.term !== e.term || known.data !== e.data) {
      throw new SafetyViolation('committed entry changed', `${id} committed ${e.index} as t${e.term} "${e.data}", history has t${known.term} "${known.data}"`);
    }
  }

  /** A node restarted: its commit index starts over from its snapshot. */
  forgetNode(id: NodeId): void {
    this.checkedCommit.delete(id);
    this.seenLeaderTerm.delete(id);
  }

  // ---- the leader never rewrites its own log ------------------------------------------------

  onTruncate(id: NodeId, core: RaftCore | null, index: number): void {
    this.exercised.appendOnly++;
    if (core && core.role() === 'leader') {
      throw new SafetyViolation('leader append-only', `leader ${id} of term ${core.term()} truncated its log from ${index}`);
    }
  }

  // ---- state machine safety (from the ledgers) ----------------------------------------------

  onApply(node: NodeId, entry: LogEntry, hash: string, outcome?: EntryOutcome): void {
    this.appliedCount++;
    this.exercised.stateMachine++;
    const c = this.history.get(entry.index);
    if (c && (c.term !== entry.term || c.data !== entry.data)) {
      throw new SafetyViolation('state machine safety', `${node} applied ${entry.index} t${entry.term} but t${c.term} committed there`);
    }
    if (!c) this.history.set(entry.index, { term: entry.term, data: entry.data, kind: entry.kind, commitTerm: Number.POSITIVE_INFINITY });
    this.compareHash(node, entry.index, hash);
    if (outcome !== undefined) this.ledger?.onOutcome(node, entry, outcome);
  }

  onRestore(node: NodeId, index: number, hash: string): void {
    if (index > 0) this.compareHash(node, index, hash);
  }

  onLedgerFault(node: NodeId, message: string): void {
    throw new SafetyViolation('state machine safety', `${node}: ${message}`);
  }

  private compareHash(node: NodeId, index: number, hash: string): void {
    const known = this.appliedHash.get(index);
    if (known === undefined) this.appliedHash.set(index, hash);
    else if (known !== hash) throw new SafetyViolation('state machine safety', `${node} reached ${index} with ledger hash ${hash}, another node had ${known}`);
  }

  // ---- acknowledged proposals ---------------------------------------------------------------

  onAcknowledged(index: number, term: number, data: string): void {
    this.acked.push({ index, term, data });
    this.ledger?.onAcknowledged(index, term, data);
    this.checkAck(index, term, data, false);
  }

  private checkAck(index: number, term: number, data: string, final: boolean): void {
    const c = this.history.get(index);
    if (!c) {
      if (final) throw new SafetyViolation('acknowledged entry lost', `proposal "${data}" acknowledged at ${index} t${term} never appears committed`);
      return;
    }
    if (c.term !== term || c.data !== data) {
      throw new SafetyViolation('acknowledged entry lost', `proposal "${data}" acknowledged at ${index} t${term}, but t${c.term} "${c.data}" committed there`);
    }
  }

  // ---- proposals answered NOT_COMMITTED -----------------------------------------------------------

  /**
   * A proposal appended at (index, term) was answered NOT_COMMITTED: the entry there must never
   * be it. `once` tells (at the end) whether nobody proposed the same payload again: then the
   * payload must not be committed anywhere, which also catches a request appended twice.
   */
  onNotCommitted(index: number, term: number, data: string, once: () => boolean): void {
    const r = { index, term, data, once };
    this.refused.push(r);
    this.checkRefused(r, false);
  }

  private checkRefused(r: { index: number; term: number; data: string; once: () => boolean }, final: boolean): void {
    const c = this.history.get(r.index);
    if (c && c.term === r.term && c.data === r.data) {
      throw new SafetyViolation('not-committed answer committed', `proposal "${r.data}" answered NOT_COMMITTED at ${r.index} t${r.term}, but that entry is committed there`);
    }
    if (!final || !r.once()) return;
    for (const [idx, e] of this.history) {
      if (e.data === r.data) throw new SafetyViolation('not-committed answer committed', `proposal "${r.data}" answered NOT_COMMITTED (appended at ${r.index} t${r.term}) is committed at ${idx} t${e.term}`);
    }
  }

  refusedCount(): number {
    return this.refused.length;
  }

  // ---- heavier checks, run periodically and at the end --------------------------------------

  /**
   * Log matching: two logs with an entry of the same index and term agree on everything before
   * it. Also: HLC stamps never decrease in log order (each new leader observes its last entry).
   */
  checkLogMatching(nodes: readonly CheckedNode[]): void {
    const logs = nodes.flatMap((n) => {
      const c = n.core();
      return c ? [{ id: n.id, log: c.log, commit: c.commitIndex() }] : [];
    });
    // Committed prefixes are already held to the history entry by entry: only the tails (from
    // the last committed entry on) can still disagree, so only they are compared here.
    for (const { id, log, commit } of logs) {
      let prev = '';
      for (let i = Math.max(log.firstIndex(), commit); i <= log.lastIndex(); i++) {
        const e = log.entry(i)!;
        if (e.hlc < prev) throw new SafetyViolation('hlc order', `${id}: entry ${e.index} stamped ${e.hlc} after ${prev}`);
        prev = e.hlc;
      }
    }
    for (let a = 0; a < logs.length; a++) {
      for (let b = a + 1; b < logs.length; b++) {
        const x = logs[a]!;
        const y = logs[b]!;
        this.exercised.logMatching++;
        const lo = Math.max(x.log.firstIndex(), y.log.firstIndex(), Math.min(x.commit, y.commit));
        const hi = Math.min(x.log.lastIndex(), y.log.lastIndex());
        let matched = false;
        for (let i = hi; i >= lo; i--) {
          const ex = x.log.entry(i)!;
          const ey = y.log.entry(i)!;
          if (!matched && ex.term === ey.term) matched = true;
          if (matched && (ex.term !== ey.term || ex.data !== ey.data || ex.hlc !== ey.hlc)) {
            throw new SafetyViolation('log matching', `${x.id} and ${y.id} share a later entry but differ at ${i}`);
          }
        }
      }
    }
  }

  final(nodes: readonly CheckedNode[]): void {
    this.checkLogMatching(nodes);
    // Entries committed in earlier terms after a leader was first seen: check the leaders again.
    for (const n of nodes) {
      const core = n.core();
      if (core && core.role() === 'leader') this.checkLeaderCompleteness(n.id, core);
    }
    for (const a of this.acked) this.checkAck(a.index, a.term, a.data, true);
    for (const r of this.refused) this.checkRefused(r, true);
    this.ledger?.final(nodes.map((n) => ({ id: n.id, ledgerState: () => n.ledgerState?.() ?? null })));
  }

  ackedCount(): number {
    return this.acked.length;
  }
}
