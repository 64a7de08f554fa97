// One bigint per small amount, shared by every transfer that moves it. A bigint is a heap object
// and every transfer keeps its amount for good: with millions of transfers of a few common
// amounts, one object per value instead of one per transfer is less for the garbage collector to
// copy and trace. Values are immutable, so sharing is invisible to everyone else.

/** Amounts below this (in minor units) are shared. */
export const SHARED_AMOUNTS = 1 << 17;

const shared: Array<bigint | undefined> = [];
// Pushed, not `new Array(n)`: V8 gives a large pre-sized array slow dictionary elements.
for (let i = 0; i < SHARED_AMOUNTS; i++) shared.push(undefined);

/** BigInt(value) for a non-negative safe integer, shared below SHARED_AMOUNTS. */
export function amountOf(value: number): bigint {
  if (value >= SHARED_AMOUNTS) return BigInt(value);
  let b = shared[value];
  if (b === undefined) shared[value] = b = BigInt(value);
  return b;
}
