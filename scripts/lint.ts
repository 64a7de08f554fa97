// Architecture lint: keeps the three layers honest. `machines/` is pure (no Node modules,
// no wall clock, no global randomness, no timers, no process); `actors/` talk to the world only
// through ports, so they import neither Node I/O modules nor `runtime/`. Run by `npm test`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface Rule { pattern: RegExp; why: string }

const machineRules: Rule[] = [
  { pattern: /from\s+['"]node:/, why: 'machines/ must not import Node modules' },
  { pattern: /from\s+['"](ws|fs|fastify|pino|net|http)['"]/, why: 'machines/ must not import I/O libraries' },
  { pattern: /Date\.now\(|new Date\(\s*\)/, why: 'machines/ read time only from their inputs' },
  { pattern: /Math\.random\(/, why: 'machines/ take randomness as input' },
  { pattern: /(?<![.\w])set(Timeout|Interval|Immediate)\((?!\w+\s*:)/, why: 'machines/ never schedule timers' },
  { pattern: /\bprocess\./, why: 'machines/ never touch the process' },
  { pattern: /from\s+['"]\.\.\/(\.\.\/)?(actors|runtime)\//, why: 'machines/ import nothing above them' },
];
const actorRules: Rule[] = [
  { pattern: /from\s+['"]node:(fs|net|http|https|child_process|dgram|tls)/, why: 'actors/ reach I/O only through ports' },
  { pattern: /from\s+['"](ws|fastify)['"]/, why: 'actors/ reach I/O only through ports' },
  { pattern: /from\s+['"]\.\.\/runtime\//, why: 'actors/ must not import runtime/' },
  { pattern: /Math\.random\(/, why: 'actors/ take randomness from the Random port' },
  { pattern: /(?<![.\w])set(Timeout|Interval)\((?!\w+\s*:)/, why: 'actors/ schedule through the Clock port' },
];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

let problems = 0;
function check(dir: string, rules: Rule[]): void {
  for (const file of files(dir)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, '');
      for (const rule of rules) {
        if (rule.pattern.test(code)) {
          problems++;
          console.log(`${relative('.', file)}:${i + 1}: ${rule.why}\n    ${line.trim()}`);
        }
      }
    });
  }
}
check('machines', machineRules);
check('actors', actorRules);
if (problems > 0) {
  console.log(`lint: ${problems} problem(s)`);
  process.exit(1);
}
console.log('lint: layers clean');
