// /health while the ledger restores a snapshot a few thousand rows per turn: the node answers, but
// says it is unavailable (503, reason `restoring`) until the restored state is whole, because
// until then its ledger is the state from before the snapshot.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLedgerActor, type LedgerActor } from '../../actors/ledger.actor.ts';
import { DEFAULT_CONFIG } from '../../machines/config.ts';
import { encodeCommand } from '../../machines/ledger/codec.ts';
import { fakeEnv } from '../ledger/fake-env.ts';
import { fakeNode } from '../ledger/http-fakes.ts';
import { stamp, T0, tr, transfers } from '../ledger/helpers.ts';

test('/health says restoring (503) while the ledger restores a snapshot, and stops saying it once the state is whole', async () => {
  const source = createLedgerActor(fakeEnv()) as LedgerActor;
  await source.start();
  const bulk = transfers(Array.from({ length: 6000 }, (_, i) => tr({ id: `h-${i}` })));
  source.receive({ type: 'log.committed', entries: [{ index: 1, term: 1, kind: 'command', hlc: stamp(T0 + 1), data: encodeCommand(bulk) }] });
  const snap = source.api.snapshotData();
  // A slice of no time: each step of the restore ends the turn.
  const node = await fakeNode({ config: { ...DEFAULT_CONFIG, ledger: { ...DEFAULT_CONFIG.ledger, applySliceMs: 0 } } });
  try {
    // The ledger's next turns wait until the spec lets them run.
    const turns: Array<() => void> = [];
    node.env.clock.defer = (fn: () => void) => void turns.push(fn);
    node.ledger.receive({ type: 'ledger.restore', index: snap.appliedIndex, term: 1, data: snap.data });
    const during = await node.app.inject({ method: 'GET', url: '/health' });
    assert.is(during.statusCode, 503);
    assert.is(during.json().reason, 'restoring');
    assert.is(during.json().status, 'unavailable');
    assert.ok(turns.length > 0, 'the rest of the restore waits for a later turn');
    for (let n = 0; turns.length > 0 && n < 100; n++) turns.shift()!();
    assert.is(node.ledger.api.appliedIndex(), snap.appliedIndex);
    const after = await node.app.inject({ method: 'GET', url: '/health' });
    assert.is.not(after.json().reason, 'restoring');
    assert.is(after.json().transaction_count, 6000);
  } finally {
    await node.close();
    await source.stop();
  }
});

test.run();
