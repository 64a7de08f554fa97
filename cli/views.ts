// What the CLI prints for the ledger and event answers of the API, as pure functions from the JSON
// a node sent to text (status-view.ts does the same for /status), and the defensive readers both
// use: a field that is missing or of the wrong type (a node of another version, a proxy's error
// page) shows as `-`, it never crashes the CLI.
import { parseHlc } from '../machines/clock/hlc.ts';
import { renderRecord, renderTable, type Column } from './table.ts';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const DASH = '-';

export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return DASH;
}

export function int(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Milliseconds with at most one decimal, signed offsets keep their sign: `+1.5 ms`. */
export function formatMs(value: unknown, signed = false): string {
  const n = int(value);
  if (n === null) return DASH;
  const rounded = Math.round(n * 10) / 10;
  const sign = signed && rounded > 0 ? '+' : '';
  return `${sign}${rounded} ms`;
}

/** Seconds since the epoch (the API's `timestamp`) as an ISO instant, to the millisecond. */
export function formatEpochSeconds(value: unknown): string {
  const n = int(value);
  if (n === null) return DASH;
  return new Date(Math.round(n * 1000)).toISOString();
}

// ---- ledger ------------------------------------------------------------------------------------

export function renderPayment(t: Json): string {
  const amount = `${text(t['amount'])} ${text(t['currency'])}`;
  return `${text(t['status']) === 'posted' ? 'paid' : text(t['status'])} ${amount} from ${text(t['debit_account_id'])} to ${text(t['credit_account_id'])}  (transfer ${text(t['id'])}, ${text(t['hlc'])})`;
}

export function renderAccount(a: Json): string {
  const balances = isObject(a['balances']) ? a['balances'] : {};
  const flags = isObject(a['flags']) ? a['flags'] : {};
  const on = Object.entries(flags).filter(([, v]) => v === true).map(([k]) => k);
  return renderRecord([
    ['account', text(a['id'])],
    ['currency', text(a['currency'])],
    ['balance', text(a['balance'])],
    ['debits posted', text(balances['debits_posted'])],
    ['credits posted', text(balances['credits_posted'])],
    ['debits pending', text(balances['debits_pending'])],
    ['credits pending', text(balances['credits_pending'])],
    ['flags', on.length === 0 ? 'none' : on.join(', ')],
    ['opened', formatEpochSeconds(a['timestamp'])],
  ]);
}

const TRANSFER_COLUMNS: readonly Column[] = [
  { header: 'TIME' },
  { header: 'ID' },
  { header: 'FROM' },
  { header: 'TO' },
  { header: 'AMOUNT', align: 'right' },
  { header: 'CURRENCY' },
  { header: 'STATUS' },
];

/** `GET /transactions` (the seed's shape) as a table, newest first as the node sent it. */
export function renderTransfers(page: Json): string {
  const items = Array.isArray(page['transactions']) ? page['transactions'].filter(isObject) : [];
  const table = renderTable(
    TRANSFER_COLUMNS,
    items.map((t) => [formatEpochSeconds(t['timestamp']), text(t['id']), text(t['sender']), text(t['receiver']), text(t['amount']), text(t['currency']), text(t['status'])]),
  );
  const total = int(page['total_count']);
  const footer = total === null ? '' : `\n${items.length} shown of ${total}${typeof page['node_id'] === 'string' ? ` (read from ${page['node_id']})` : ''}`;
  return table + footer;
}

// ---- events ------------------------------------------------------------------------------------

const EVENT_FIELDS_SHOWN_ELSEWHERE = new Set(['hlc', 'node', 'actor', 'type']);

/** `001795687768057.000003` -> `2026-11-26T10:12:48.057Z #3`; the raw stamp when it does not parse. */
export function formatHlc(stamp: string): string {
  const h = parseHlc(stamp);
  if (h === null) return stamp;
  return `${new Date(h.physicalMs).toISOString()} #${h.logical}`;
}

function detailOf(event: Json): string {
  return Object.entries(event)
    .filter(([k]) => !EVENT_FIELDS_SHOWN_ELSEWHERE.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

const EVENT_COLUMNS: readonly Column[] = [{ header: 'TIME (HLC)' }, { header: 'NODE' }, { header: 'ACTOR' }, { header: 'EVENT' }, { header: 'DETAIL' }];

export function eventRow(event: Json): string[] {
  return [formatHlc(text(event['hlc'])), text(event['node']), text(event['actor']), text(event['type']), detailOf(event)];
}

export function renderEvents(events: readonly Json[]): string {
  return renderTable(EVENT_COLUMNS, events.map(eventRow));
}
