// Plain-text tables for a terminal: a header row, columns padded to their widest cell, numbers
// right-aligned so digits line up. Pure and width-exact, so the CLI's human output is tested as
// strings. Cells are strings; the caller decides how to show a missing value (`-`).

export interface Column {
  readonly header: string;
  /** Right-align (numbers); left by default. */
  readonly align?: 'left' | 'right';
}

const GAP = '  ';

/** Control characters and newlines would break the grid (and let a payload repaint the terminal). */
export function cleanCell(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((_, i) => cleanCell(row[i] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => [...(row[i] ?? '')].length)));
  const line = (values: readonly string[]): string =>
    columns
      .map((c, i) => {
        const value = values[i] ?? '';
        const pad = ' '.repeat((widths[i] ?? 0) - [...value].length);
        return c.align === 'right' ? pad + value : value + pad;
      })
      .join(GAP)
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** Key/value lines for one record (an account, a transfer), keys padded to one width. */
export function renderRecord(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cleanCell(v)}`.trimEnd()).join('\n');
}
