// A stamp in the HLC format (15-digit ms, dot, 6-digit counter) for the rare moments when no
// clock actor is running (boot, restart). It carries physical time only.
export function fallbackHlc(physicalMs: number): string {
  return `${Math.max(0, Math.floor(physicalMs)).toString().padStart(15, '0')}.000000`;
}
