// The fixed seed list CI runs: 200 randomised cluster runs (even seeds 3 nodes, odd seeds 5),
// each with message loss, duplication, reordering, partitions, crashes with lost or torn
// writes and clock jumps, then a calm phase in which a leader must emerge and fresh proposals
// commit; plus a shorter list on fully supervised nodes. Every run carries real ledger traffic
// through the real ledger actor: replicas must agree on every outcome and hash, conserve money
// after every apply, and hold every acknowledged transfer exactly once once the run settles. A
// proposal answered success must be committed at the position it was answered with, and one
// answered NOT_COMMITTED must never be committed. Any violation fails with the seed and the trace
// to replay it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatFailure, runSeed } from '../harness/cluster.ts';

const FIRST = 1;
const COUNT = 200;

test(`simulator: ${COUNT} fixed seeds (${FIRST}..${FIRST + COUNT - 1}) over 3 and 5 nodes find no violation`, async () => {
  let faults = 0;
  let acked = 0;
  let ackedItems = 0;
  let outcomes = 0;
  let notCommitted = 0;
  let unknown = 0;
  for (let seed = FIRST; seed < FIRST + COUNT; seed++) {
    const r = await runSeed({ seed, nodes: seed % 2 === 0 ? 3 : 5, faultMs: 2000 });
    if (!r.ok) {
      console.log(formatFailure(r));
      assert.unreachable(`seed ${seed}: ${r.violation}`);
    }
    for (const n of r.faults.values()) faults += n;
    acked += r.acked;
    ackedItems += r.ledgerChecks.ackedItemsChecked;
    outcomes += r.ledgerChecks.outcomesCompared;
    notCommitted += r.notCommitted;
    unknown += r.outcomeUnknown;
  }
  console.log(`seeds ${FIRST}..${FIRST + COUNT - 1}: ${acked} acknowledged, ${notCommitted} answered NOT_COMMITTED (each checked never to commit), ${unknown} OUTCOME_UNKNOWN`);
  assert.ok(faults > COUNT * 2, `faults were injected (${faults})`);
  assert.ok(acked > COUNT * 5, `proposals were acknowledged (${acked})`);
  assert.ok(ackedItems > COUNT * 10, `acknowledged transfers were found once on every replica (${ackedItems} checks)`);
  assert.ok(outcomes > COUNT * 10, `replicas' ledger outcomes were compared (${outcomes})`);
  assert.ok(notCommitted > 0, `some proposals were answered NOT_COMMITTED and checked (${notCommitted})`);
});

// 7086 once caught a restarted clock actor handing out stamps below the log's last one.
const SUPERVISED = [7086, 3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008, 3009, 3010, 3011, 3012, 3013, 3014, 3015];

test(`simulator: ${SUPERVISED.length} fixed seeds with the real supervisor, clock and heartbeat actors (and actor crashes)`, async () => {
  let ackedItems = 0;
  for (const seed of SUPERVISED) {
    const r = await runSeed({ seed, nodes: seed % 2 === 0 ? 3 : 5, faultMs: 2000, assembly: 'supervised' });
    if (!r.ok) {
      console.log(formatFailure(r, 'supervised'));
      assert.unreachable(`seed ${seed}: ${r.violation}`);
    }
    ackedItems += r.ledgerChecks.ackedItemsChecked;
  }
  assert.ok(ackedItems > SUPERVISED.length * 10, `the supervised real ledger was checked (${ackedItems})`);
});

test.run();
