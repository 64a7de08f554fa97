// `node --import tsx bench/core-micro.ts [proposals per round] [rounds]`: what the Raft core alone
// costs per round, with no I/O: three RaftCores in one process elect a leader, then each round
// proposes N single-payment commands to it and passes every message and write completion between
// the cores until the round settles, stepping each core's inputs of a pass as one batch and
// flushing once, as the consensus engine does. Prints each core's CPU per round (the process's
// user + system time around its steps), so it says how much of a node's CPU per round is the
// protocol itself rather than the peer links, the disk and the HTTP server around it.
import { RaftCore, type RaftInput } from '../machines/raft/core.ts';
import { DEFAULT_CONFIG } from '../machines/config.ts';
import type { Effect } from '../machines/raft/effects.ts';

const ids = ['n1', 'n2', 'n3'];
const perRound = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 20_000);
let now = 0;
let stamps = 0;
const cores = new Map<string, RaftCore>();
const cpuUs = new Map<string, number>(ids.map((i) => [i, 0]));
for (const id of ids) {
  cores.set(id, new RaftCore(
    {
      self: id, peers: ids, raft: DEFAULT_CONFIG.raft, random: () => 0.5, observeStamp: () => {},
      stamp: () => `${String(1_700_000_000_000 + stamps++).padStart(15, '0')}-0000000000-${id}`,
    },
    { hardState: { term: 0, votedFor: null }, snapshot: null, entries: [] },
    0,
  ));
}
let queue: Array<[string, RaftInput]> = [];
let replies = 0;

function step(id: string, inputs: RaftInput[]): void {
  const core = cores.get(id)!;
  const t0 = process.cpuUsage();
  const effects: Effect[] = [];
  for (const input of inputs) for (const e of core.step(input)) effects.push(e);
  for (const e of core.flush()) effects.push(e);
  const spent = process.cpuUsage(t0);
  cpuUs.set(id, cpuUs.get(id)! + spent.user + spent.system);
  for (const e of effects) {
    if (e.type === 'send') queue.push([e.to, { type: 'peer.message', from: id, message: e.message, now }]);
    else if (e.type === 'persist.entries' && e.entries.length > 0) {
      const last = e.entries[e.entries.length - 1]!;
      queue.push([id, { type: 'local.persisted', index: last.index, term: last.term }]);
    } else if (e.type === 'reply') replies++;
  }
}

/** Delivers everything in flight, pass by pass, until nothing moves. */
function settle(): void {
  while (queue.length > 0) {
    const pass = queue;
    queue = [];
    for (const id of ids) {
      const mine = pass.filter(([to]) => to === id).map(([, input]) => input);
      if (mine.length > 0) step(id, mine);
    }
  }
}

now = 5_000;
step('n1', [{ type: 'tick', now, fenced: false }]);
settle();
const leader = ids.find((i) => cores.get(i)!.role() === 'leader');
if (leader === undefined) throw new Error('no leader was elected');
const data = JSON.stringify({ type: 'transfer.create', transfers: [['abcdefghijklmnopqrstuv', 'a1', 'b1', '100', 'USD', 0, null, 0, null]], idem: null, via: leader });
for (const measured of [false, true]) {
  for (const id of ids) cpuUs.set(id, 0);
  replies = 0;
  const n = measured ? rounds : Math.min(rounds, 2_000);
  for (let r = 0; r < n; r++) {
    now += 1;
    for (let k = 0; k < perRound; k++) queue.push([leader, { type: 'client.propose', reqId: `r${r}.${k}`, data, now }]);
    settle();
  }
  if (measured) {
    console.log(`${perRound} proposal(s) per round, ${n} rounds, ${replies} answered; CPU µs per round: ${ids.map((i) => `${i}${i === leader ? ' (leader)' : ''} ${(cpuUs.get(i)! / n).toFixed(1)}`).join(', ')}`);
  }
}
