// The always-on assertion (DESIGN section 7): a failed one is a bug or corruption and crashes the
// actor, whose supervisor rebuilds it from durable state. It lives in machines/ so pure code and
// actors share one.

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`SYNCPAY_ERR_ASSERTION: ${message}`);
}
