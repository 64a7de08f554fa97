// A short fixed-seed chaos run on real processes (about a minute): three nodes behind proxies,
// the bank workload, and a kill, a pause and a partition, judged by the checker. The seed is
// fixed so CI repeats the same schedule; the timing of real processes still varies run to run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runChaos } from '../../chaos/run.ts';

const SEED = 20261126;

test(`a 45 s run with kill, pause and partition passes the checker (seed ${SEED})`, async () => {
  const root = mkdtempSync(join(tmpdir(), 'syncpay-chaos-spec-'));
  const lines: string[] = [];
  console.log(`chaos short run: seed ${SEED}`);
  let keep = true;
  try {
    const outcome = await runChaos({
      durationS: 45,
      nodes: 3,
      faults: ['kill', 'pause', 'partition'],
      seed: SEED,
      resultsRoot: root,
      progress: (line) => lines.push(line),
      workload: { clients: 4 },
    });
    const { check, availability, summary } = outcome.report;
    const context = `\n${lines.join('\n')}\n${outcome.note}\n${check.anomalies.map((a) => `[${a.kind}] ${a.detail}`).join('\n')}`;
    assert.ok(summary.settled, `the cluster settled${context}`);
    assert.ok(check.ok, `the checker passes${context}`);
    assert.ok(check.stats.transfersAcknowledged > 50, `the workload made progress${context}`);
    assert.ok(check.stats.readsChecked > 20, `reads were checked${context}`);
    const kinds = new Set(availability.faults.map((f) => f.kind));
    for (const k of ['kill', 'pause', 'partition']) assert.ok(kinds.has(k), `a ${k} fault was injected${context}`);
    assert.ok(availability.faults.every((f) => f.endMs !== null), 'every fault was healed');
    keep = false;
  } finally {
    if (keep) console.log(`chaos short run failed: report kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
});

test.run();
