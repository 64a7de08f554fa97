// Counts elections and leader changes from the node's timeline (and from what scrapes see).
// The consensus actors report `election.started`, `leader.elected` and `role.changed`; which
// fields they carry is theirs to choose, so this reads them tolerantly and deduplicates: a win is
// counted when this node turns leader (not once per event saying so), and a leader change when a
// leader different from the last one known is seen, whichever source saw it first.

export interface LeadershipCounts {
  /** A pre-vote round (Raft's PreVote): asks whether an election could win, without a new term. */
  preVoteStarted(): void;
  electionStarted(): void;
  electionWon(): void;
  leaderChanged(): void;
}

interface TimelineLike {
  readonly type: string;
  readonly [field: string]: unknown;
}

const LEADER_FIELDS = ['leader', 'leaderId', 'winner'] as const;
const ROLE_FIELDS = ['role', 'to'] as const;

function stringField(event: TimelineLike, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = event[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export class LeadershipTracker {
  private lastLeader: string | null = null;
  private selfIsLeader = false;

  constructor(
    private readonly self: string,
    private readonly counts: LeadershipCounts,
  ) {}

  onEvent(event: TimelineLike): void {
    switch (event.type) {
      case 'election.started':
        if (event['pre'] === true) this.counts.preVoteStarted();
        else this.counts.electionStarted();
        this.becameLeader(false);
        return;
      case 'leader.elected': {
        // Without a leader field the event is this node announcing its own win.
        const leader = stringField(event, LEADER_FIELDS) ?? this.self;
        this.becameLeader(leader === this.self);
        this.leaderSeen(leader);
        return;
      }
      case 'role.changed': {
        const role = stringField(event, ROLE_FIELDS);
        if (role === 'leader') {
          this.becameLeader(true);
          this.leaderSeen(this.self);
        } else if (role !== undefined) {
          this.becameLeader(false);
          const leader = stringField(event, LEADER_FIELDS);
          if (leader !== undefined) this.leaderSeen(leader);
        }
        return;
      }
      case 'leader.changed': {
        const leader = stringField(event, LEADER_FIELDS);
        if (leader !== undefined) {
          this.becameLeader(leader === this.self);
          this.leaderSeen(leader);
        }
        return;
      }
      default:
        return;
    }
  }

  /** What a scrape read from the consensus status. */
  onStatus(leader: string | null, selfIsLeader: boolean): void {
    this.becameLeader(selfIsLeader);
    if (leader !== null) this.leaderSeen(leader);
  }

  private becameLeader(isLeader: boolean): void {
    if (isLeader && !this.selfIsLeader) this.counts.electionWon();
    this.selfIsLeader = isLeader;
  }

  private leaderSeen(leader: string): void {
    if (leader === this.lastLeader) return;
    this.lastLeader = leader;
    this.counts.leaderChanged();
  }
}
