// A small seeded generator (xorshift32) for picking accounts: the load generator needs cheap,
// repeatable choices, not cryptographic ones.
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) || 0x9e3779b9;
  }

  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }

  /** Two different integers in [0, n); n must be at least 2. */
  pair(n: number): [number, number] {
    const a = this.below(n);
    const b = (a + 1 + this.below(n - 1)) % n;
    return [a, b];
  }
}
