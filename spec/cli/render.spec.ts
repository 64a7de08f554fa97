// The CLI's human output as pure functions: table layout, the status table (roles, lag against
// the leader's commit, peers up, clock offset, unreachable nodes), the leader vote, accounts,
// transfers and the event timeline. Inputs are the JSON shapes the node's routes return.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderRecord, renderTable } from '../../cli/table.ts';
import { leaderOf, renderStatus, statusRows, type NodeReport } from '../../cli/status-view.ts';
import { formatHlc, formatMs, renderAccount, renderEvents, renderTransfers } from '../../cli/views.ts';

test('renderTable pads columns to the widest cell and right-aligns numbers', () => {
  const out = renderTable([{ header: 'NAME' }, { header: 'N', align: 'right' }], [['alice', '5'], ['bo', '1234']]);
  assert.is(out, ['NAME      N', 'alice     5', 'bo     1234'].join('\n'));
});

test('renderTable neutralises control characters so a payload cannot break the grid', () => {
  const out = renderTable([{ header: 'A' }, { header: 'B' }], [['x\ny', '\u001b[2Jz']]);
  assert.is(out.split('\n').length, 2);
  assert.not.match(out, /\u001b/);
});

test('renderRecord aligns keys', () => {
  assert.is(renderRecord([['a', '1'], ['long key', '2']]), 'a         1\nlong key  2');
});

function status(id: string, role: string, extra: Record<string, unknown> = {}): NodeReport {
  return {
    id,
    url: `http://127.0.0.1:500${id.slice(-1)}`,
    error: null,
    status: {
      node_id: id, role, is_leader: role === 'leader', leader: 'node1', term: 3, commit_index: 10, applied_index: 10,
      peer_health: { a: { healthy: true, state: 'alive', phi: 0.4, rtt_ms: 1.26, last_seen_ms_ago: 20, clock_offset_ms: -0.5 }, b: { healthy: false, state: 'down', phi: 12, rtt_ms: null, last_seen_ms_ago: null, clock_offset_ms: null } },
      replication_status: {}, time_offset: 1.25, clock_fenced: false, ...extra,
    },
  };
}

test('status rows: lag is measured against the leader of the highest term', () => {
  const rows = statusRows([
    status('node1', 'leader', { commit_index: 12, applied_index: 12 }),
    status('node2', 'follower', { applied_index: 9 }),
    // A deposed leader of an older term that has not heard the news yet.
    status('node3', 'leader', { term: 2, commit_index: 30, applied_index: 30 }),
    { id: 'node4', url: 'http://127.0.0.1:5004', status: null, error: 'ECONNREFUSED' },
  ]);
  assert.equal(rows.map((r) => [r.node, r.role, r.lag]), [['node1', 'leader', 0], ['node2', 'follower', 3], ['node3', 'leader', 0], ['node4', 'unreachable', null]]);
  assert.equal([rows[1]!.peersUp, rows[1]!.peersTotal], [1, 2]);
  assert.is(rows[3]!.error, 'ECONNREFUSED');
});

test('renderStatus: the node table, each link, and why a node is missing', () => {
  const out = renderStatus([
    status('node1', 'leader', { replication_status: { a: { match_index: 10, next_index: 11, state: 'replicating', lag: 0 } } }),
    { id: 'node3', url: 'http://127.0.0.1:5002', status: null, error: 'ECONNREFUSED' },
  ]);
  const lines = out.split('\n');
  assert.match(lines[0]!, /^NODE +ROLE +TERM +LEADER +COMMIT +APPLIED +LAG +PEERS UP +CLOCK OFFSET +FENCED$/);
  assert.match(lines[1]!, /^node1 +leader +3 +node1 +10 +10 +0 +1\/2 +\+1\.3 ms +no$/);
  assert.match(lines[2]!, /^node3 +unreachable( +-)+$/);
  assert.match(out, /node1 +a +alive +0\.4 +1\.3 ms +20 ms ago +-0\.5 ms +replicating match 10 lag 0/);
  assert.match(out, /node1 +b +down +12\.0 +- +never +- +-/);
  assert.match(out, /node3 \(http:\/\/127\.0\.0\.1:5002\): ECONNREFUSED$/);
});

test('malformed status fields show as - instead of crashing', () => {
  const out = renderStatus([{ id: 'n', url: 'u', error: null, status: { term: 'three', peer_health: 'x', time_offset: Number.NaN } }]);
  assert.match(out.split('\n')[1]!, /^n +- +- +- +- +- +- +- +- +-$/);
});

test('leaderOf takes the leader most answering nodes name', () => {
  assert.is(leaderOf([status('node1', 'leader'), status('node2', 'follower'), status('node3', 'follower', { leader: 'node3' })]), 'node1');
  assert.is(leaderOf([status('node1', 'follower', { leader: null })]), null);
  assert.is(leaderOf([]), null);
});

test('formatMs rounds to a tenth and signs offsets', () => {
  assert.is(formatMs(1.26), '1.3 ms');
  assert.is(formatMs(2, true), '+2 ms');
  assert.is(formatMs(-0.04, true), '0 ms');
  assert.is(formatMs(null), '-');
});

test('renderAccount shows decimal balances as the node sent them (no float arithmetic)', () => {
  const out = renderAccount({
    id: 'bob', currency: 'USD', balance: '90071992547409.93',
    balances: { debits_posted: '0.00', credits_posted: '90071992547409.93', debits_pending: '0.00', credits_pending: '0.00' },
    flags: { debits_must_not_exceed_credits: true, credits_must_not_exceed_debits: false, closed: false }, timestamp: 1795687768.057,
  });
  assert.match(out, /^balance +90071992547409\.93$/m);
  assert.match(out, /^flags +debits_must_not_exceed_credits$/m);
  assert.match(out, /^opened +2026-11-26T\d\d:\d\d:\d\d\.057Z$/m);
});

test('renderTransfers: one row per transfer and the count', () => {
  const out = renderTransfers({
    node_id: 'node2', total_count: 7, next_cursor: '5',
    transactions: [{ id: 't2', amount: '1.50', sender: 'alice', receiver: 'bob', currency: 'USD', timestamp: 1795687768.5, status: 'success', node_id: 'node2' }],
  });
  assert.match(out, /^TIME +ID +FROM +TO +AMOUNT +CURRENCY +STATUS$/m);
  assert.match(out, /t2 +alice +bob +1\.50 +USD +success/);
  assert.match(out, /1 shown of 7 \(read from node2\)$/);
});

test('events: the HLC stamp is shown as time and logical counter, the rest as key=value', () => {
  assert.is(formatHlc('001795687768057.000003'), `${new Date(1795687768057).toISOString()} #3`);
  assert.is(formatHlc('garbage'), 'garbage');
  const out = renderEvents([{ hlc: '001795687768057.000003', node: 'node2', actor: 'leader-election', type: 'leader.elected', term: 4, leader: 'node2' }]);
  assert.match(out.split('\n')[1]!, /#3 +node2 +leader-election +leader\.elected +term=4 leader=node2$/);
});

test.run();
