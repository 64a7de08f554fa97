// CPU time of a process from /proc/<pid>/stat (utime + stime), for CPU seconds per node. The
// command name (field 2) is in parentheses and may hold spaces, so fields are counted from the
// last ')'.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime + stime in seconds from the text of /proc/<pid>/stat; null if it cannot be parsed. */
export function parseCpuSeconds(stat: string, ticksPerSecond: number): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come field 3 (state) onwards; utime and stime are fields 14 and 15.
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return (utime + stime) / ticksPerSecond;
}

let ticks: number | null = null;

function clockTicks(): number {
  if (ticks === null) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export function readCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return parseCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks());
  } catch {
    return null;
  }
}
