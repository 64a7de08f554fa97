// Reading the leader's HLC stamp. The format is fixed by the clock engineer:
// "PPPPPPPPPPPPPPP.LLLLLL" (15-digit physical milliseconds, a dot, 6-digit logical counter), so
// lexicographic order is HLC order and the ledger needs only the physical part for its time.

const STAMP = /^\d{15}\.\d{6}$/;

export function isHlcStamp(value: unknown): value is string {
  return typeof value === 'string' && STAMP.test(value);
}

/** Physical milliseconds of a stamp. The caller has checked the format (isHlcStamp). */
export function hlcPhysicalMs(stamp: string): number {
  return Number(stamp.slice(0, 15));
}
