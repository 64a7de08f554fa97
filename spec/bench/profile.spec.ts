// The .cpuprofile reader behind docs/performance.md: self time charged by sample deltas, idle kept
// out of the busy share, areas named by layer or dependency, and callers of a hot function.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { areaOf, callersOf, summarizeProfile, type CpuProfile } from '../../bench/profile/cpuprofile.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root -> main -> (appendRound, send -> writev), plus (idle) and (garbage collector)
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6, 7] },
    { id: 2, callFrame: frame('main', 'file:///w/runtime/node.ts', 9), children: [3, 4] },
    { id: 3, callFrame: frame('appendRound', 'file:///w/runtime/storage/segment-log.ts', 99) },
    { id: 4, callFrame: frame('send', 'file:///w/node_modules/ws/lib/sender.js', 10), children: [5] },
    { id: 5, callFrame: frame('writev', '') },
    { id: 6, callFrame: frame('(idle)') },
    { id: 7, callFrame: frame('(garbage collector)') },
  ],
  // 1 ms per sample: writev 4, appendRound 3, idle 2, gc 1.
  samples: [5, 5, 3, 6, 5, 3, 7, 5, 3, 6],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

test('self time by function and area, idle excluded from busy time', () => {
  const s = summarizeProfile(profile);
  assert.is(s.totalMs, 10);
  assert.is(s.busyMs, 8);
  assert.equal(s.byFunction.map((f) => [f.name, f.ms]), [
    ['writev', 4],
    ['appendRound runtime/storage/segment-log.ts:100', 3],
    ['(garbage collector)', 1],
  ]);
  assert.is(s.byFunction[0]?.share, 0.5);
  assert.equal(s.byArea.map((a) => a.name), ['(program/native)', 'runtime/storage', '(gc)']);
});

test('areas: our layers, dependencies (scoped too), Node internals', () => {
  assert.is(areaOf('file:///x/machines/ledger/apply.ts', 'f'), 'machines/ledger');
  assert.is(areaOf('file:///x/actors/consensus-engine.ts', 'f'), 'actors/consensus-engine.ts');
  assert.is(areaOf('file:///x/node_modules/xstate/dist/a.js', 'f'), 'xstate');
  assert.is(areaOf('file:///x/node_modules/@pinojs/redact/index.js', 'f'), '@pinojs/redact');
  assert.is(areaOf('node:internal/streams/writable', 'f'), 'node internals');
  assert.is(areaOf('', '(idle)'), '(idle)');
});

test('callers of a hot native function name who called it', () => {
  const callers = callersOf(profile, 'writev', 2);
  assert.is(callers.length, 1);
  assert.is(callers[0]?.name, 'send ws/lib/sender.js:11 < main runtime/node.ts:10');
  assert.is(callers[0]?.share, 1);
});

test('without sample deltas, hit counts spread the profile duration', () => {
  const s = summarizeProfile({
    startTime: 0,
    endTime: 4000,
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 3] },
      { id: 2, callFrame: frame('a', 'file:///w/machines/x.ts'), hitCount: 3 },
      { id: 3, callFrame: frame('b', 'file:///w/machines/y.ts'), hitCount: 1 },
    ],
  });
  assert.is(s.busyMs, 4);
  assert.is(s.byFunction[0]?.ms, 3);
});

test.run();
