// The progress bar on stderr: overall position in the plan, the current run and its live rate.
// On a terminal it redraws one line; piped to a file it prints a line per run instead, so a CI
// log stays readable.

export function renderBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

export class Progress {
  private readonly tty: boolean;
  private lastLine = '';

  constructor(private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.tty = stream.isTTY === true;
  }

  /** `step` runs done so far plus the fraction of the current one. */
  update(step: number, runFraction: number, label: string, detail: string): void {
    const line = `${renderBar((step + runFraction) / Math.max(1, this.total), 30)} ${step + 1}/${this.total} ${label} ${detail}`;
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
      this.lastLine = line;
    }
  }

  /** A finished run: printed as a permanent line in both modes. */
  done(line: string): void {
    if (this.tty && this.lastLine) this.stream.write('\r\x1b[2K');
    this.stream.write(`${line}\n`);
    this.lastLine = '';
  }
}
