// `npm run diagrams`: every exported machine of every machines/*.machine.ts becomes an SVG with a
// rect per state, and a module that does not import is reported without stopping the others.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { machineGraph } from '../../runtime/ui/machine-graph.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import { writeDiagrams } from '../../scripts/diagrams.ts';

test('draws each exported machine and skips a broken module', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'syncpay-diagrams-'));
  try {
    const machines = join(dir, 'machines');
    const out = join(dir, 'out');
    const xstate = JSON.stringify(resolve('node_modules/xstate/dist/xstate.esm.js'));
    const supervisor = JSON.stringify(resolve('machines/supervisor.machine.ts'));
    mkdirSync(machines);
    writeFileSync(
      join(machines, 'pair.machine.ts'),
      `import { setup } from ${xstate};
export const lampMachine = setup({}).createMachine({ id: 'lamp', initial: 'off', states: { off: { on: { 'lamp.toggle': 'on' } }, on: { on: { 'lamp.toggle': 'off' } } } });
export const notAMachine = { root: null };
export function createRingMachine(peers: readonly string[]) {
  return setup({}).createMachine({ id: 'ring', type: 'parallel', states: Object.fromEntries(peers.map((p) => [p, { initial: 'up', states: { up: {} } }])) });
}
export function createOther() { throw new Error('not called: not a machine factory name'); }
export { supervisorMachine } from ${supervisor};
`,
    );
    writeFileSync(join(machines, 'broken.machine.ts'), `export const x = ;\n`);
    writeFileSync(join(machines, 'helper.ts'), `throw new Error('not a machine file');\n`);
    const result = await writeDiagrams(machines, out);
    assert.equal(result.written.map((f) => basename(f)).sort(), ['lamp.svg', 'ring.svg', 'supervisor.svg']);
    const ring = readFileSync(join(out, 'ring.svg'), 'utf8');
    assert.ok(ring.includes('data-state-id="ring.node2.up"') && ring.includes('data-state-id="ring.node3.up"'), 'a per-node machine is drawn for sample peers');
    assert.equal(result.failed.map((f) => f.file), ['broken.machine.ts']);
    const lamp = readFileSync(join(out, 'lamp.svg'), 'utf8');
    assert.match(lamp, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const id of ['lamp', 'lamp.off', 'lamp.on']) assert.ok(lamp.includes(`data-state-id="${id}"`), id);
    assert.is(lamp.match(/>lamp\.toggle<\/text>/g)?.length, 2);
    const index = readFileSync(join(out, 'README.md'), 'utf8');
    for (const name of ['lamp', 'ring', 'supervisor']) assert.ok(index.includes(`(${name}.svg)`), `index links ${name}`);
    const sup = readFileSync(join(out, 'supervisor.svg'), 'utf8');
    for (const s of machineGraph(supervisorMachine).states) assert.ok(sup.includes(`data-state-id="${s.id}"`), s.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
