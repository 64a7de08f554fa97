// The README against the code, without a cluster: the configuration table is exactly what the
// code generates, every CLI usage line is the parser's own, every route the HTTP layer registers
// is in the API reference (and nothing is documented that no code registers), the quickstart is
// the two commands the issue promises, and every local link resolves. The tour itself runs
// against a live cluster in tour.spec.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMANDS, usageLine } from '../../cli/commands.ts';
import { configDocRows, configTableMarkdown, replaceConfigTable, tableInReadme } from '../../cli/readme-config.ts';
import { tourSteps } from '../../cli/tour-runner.ts';
import { describeKeys, ENV_API_TOKENS, ENV_NODE, ENV_SECRET, PASSTHROUGH_ENV } from '../../runtime/config.ts';
import { headingAnchors, routesInReadme } from './readme-parts.ts';

const README = readFileSync('README.md', 'utf8');

test('the configuration table is the one the code generates (refresh: node --import tsx cli/readme-config.ts --write)', () => {
  const table = tableInReadme(README);
  assert.ok(table !== null, 'README.md has the config-table markers');
  assert.fixture(table!, configTableMarkdown());
});

test('the configuration table has one row per key the loader accepts, with env name and unit', () => {
  const rows = configDocRows();
  assert.is(rows.length, describeKeys().length);
  const byKey = new Map(rows.map((r) => [r.key, r]));
  assert.is(byKey.get('raft.electionTimeoutMsMin')?.env, 'SYNCPAY_RAFT_ELECTION_TIMEOUT_MS_MIN');
  assert.is(byKey.get('raft.electionTimeoutMsMin')?.unit, 'ms');
  assert.is(byKey.get('link.messageBytesMax')?.unit, 'bytes');
  assert.is(byKey.get('raft.pendingProposalsMax')?.unit, 'count');
  assert.is(byKey.get('ledger.amountMax')?.unit, 'major currency units');
  for (const r of rows) assert.ok(README.includes(`| \`${r.key}\` | \`${r.env}\` |`), `${r.key} documented`);
});

test('the settings that are not keys (node id, secret, tokens, pretty logs) are named as the loader reads them', () => {
  for (const name of [ENV_NODE, ENV_SECRET, ENV_API_TOKENS, ...PASSTHROUGH_ENV]) assert.ok(README.includes(`\`${name}`), `${name} in README`);
});

test('a stale table is detected and replaced', () => {
  const stale = README.replace('| `raft.heartbeatIntervalMs` |', '| `raft.heartbeatMs` |');
  assert.is.not(tableInReadme(stale), configTableMarkdown());
  assert.is(tableInReadme(replaceConfigTable(stale)), configTableMarkdown());
});

test('the CLI section shows every subcommand with the usage the parser accepts', () => {
  for (const spec of COMMANDS) assert.ok(README.includes(`\n${usageLine(spec)}\n`), `README shows: ${usageLine(spec)}`);
});

test('the quickstart is exactly two commands, and the test command is npm test', () => {
  const section = README.slice(README.indexOf('## Quickstart'), README.indexOf('## A short tour'));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
  assert.equal(blocks, ['npm ci && npm start', 'npm ci && npm test']);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
  assert.type(pkg.scripts['start'], 'string');
  assert.type(pkg.scripts['test'], 'string');
  assert.is(pkg.bin['syncpay'], 'runtime/cli.js');
});

test('the tour is a list of shell commands the tour runner can read', () => {
  const steps = tourSteps(README);
  assert.ok(steps.length >= 8, `${steps.length} steps`);
  assert.ok(steps.some((s) => s.command.startsWith('curl -fsS --retry 5 -X POST localhost:5001/payment') && s.command.includes('"receiver":"bob"')), 'continuation lines joined');
  assert.ok(steps.some((s) => s.command.startsWith('kill -9 ')), 'the leader is killed');
  for (const s of steps) assert.not.match(s.command, /^\s*#/);
});

// ---- routes ----------------------------------------------------------------------------------------

/** `METHOD /path` of every route registered with app.get/app.post in runtime/http/. */
function routesInCode(): string[] {
  const out = new Set<string>();
  const dir = 'runtime/http';
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const m of source.matchAll(/app\.(get|post|put|patch|delete)\s*(?:<[^>]*>)?\(\s*([`'"])(\/[^`'"]*)\2/g)) {
      const method = m[1]!.toUpperCase();
      const path = m[3]!;
      const loop = /\$\{(\w+)\}/.exec(path);
      if (loop === null) {
        out.add(`${method} ${path}`);
        continue;
      }
      // A route declared in a loop (`for (const action of ['post', 'void'])`): one per value.
      const values = new RegExp(`for \\(const ${loop[1]} of \\[([^\\]]*)\\]`).exec(source)?.[1];
      assert.ok(values !== undefined, `cannot expand ${path} in ${file}`);
      for (const v of values!.matchAll(/'([^']+)'/g)) out.add(`${method} ${path.replace(loop[0], v[1]!)}`);
    }
  }
  return [...out].sort();
}

test('every route the HTTP layer registers is in the API reference', () => {
  const documented = new Set(routesInReadme(README));
  const code = routesInCode();
  assert.ok(code.length >= 15, `${code.length} routes found in runtime/http`);
  // The visualiser's assets and feeds are documented as "under /ui/", not one by one.
  const missing = code.filter((r) => !documented.has(r) && !(r.startsWith('GET /ui/') && documented.has('GET /ui')));
  assert.equal(missing, [], 'routes missing from the README');
});

test('every route in the API reference is registered by the code', () => {
  const code = new Set(routesInCode());
  const phantom = routesInReadme(README).filter((r) => !code.has(r));
  assert.equal(phantom, [], 'documented routes no code serves');
});

// ---- links -------------------------------------------------------------------------------------------

test('local links and images in the README and docs resolve', () => {
  for (const doc of ['README.md', 'docs/operations.md', 'docs/design.md']) {
    assert.ok(existsSync(doc), `${doc} exists`);
    const text = readFileSync(doc, 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]*)(?:#([^)\s]*))?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      const path = target === '' ? doc : resolve(dirname(doc), target);
      assert.ok(existsSync(path), `${doc} links to ${target}`);
      if (m[2] !== undefined && path.endsWith('.md')) {
        assert.ok(headingAnchors(readFileSync(path, 'utf8')).has(m[2]), `${doc} links to a heading #${m[2]} in ${target || doc}`);
      }
    }
  }
});

test.run();
