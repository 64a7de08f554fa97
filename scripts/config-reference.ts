// Prints the configuration reference (every key, its environment variable, default and unit) as
// a markdown table, from DEFAULT_CONFIG itself, so the README's table can be regenerated rather
// than maintained by hand: `node --import tsx scripts/config-reference.ts`.
import { DEFAULT_CONFIG } from '../machines/config.ts';

export interface ConfigKeyRow {
  readonly key: string;
  readonly env: string;
  readonly defaultValue: string;
  readonly unit: string;
}

const UNITS: ReadonlyArray<[RegExp, string]> = [
  [/Ms(Min|Max)?$/, 'ms'],
  [/Bytes(Min|Max)?$/, 'bytes'],
  [/Max$|Threshold$|Size$/, 'count'],
];

export function envName(key: string): string {
  return `SYNCPAY_${key.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

export function configRows(): ConfigKeyRow[] {
  const rows: ConfigKeyRow[] = [];
  for (const [section, values] of Object.entries(DEFAULT_CONFIG)) {
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const key = `${section}.${name}`;
      const unit = UNITS.find(([re]) => re.test(name))?.[1] ?? '';
      const shown = key === 'cluster.nodes' ? 'node1..node3 on 127.0.0.1:5000-5002 (peers 5100-5102)' : JSON.stringify(value);
      rows.push({ key, env: envName(key), defaultValue: shown, unit });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('| key | environment | default | unit |');
  console.log('|---|---|---|---|');
  for (const r of configRows()) console.log(`| \`${r.key}\` | \`${r.env}\` | \`${r.defaultValue}\` | ${r.unit} |`);
}
