// The always-on assertion for machines/ (which may not import actors/): a failed one is a bug or
// corruption and crashes the actor, whose supervisor rebuilds it from durable state.

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`SYNCPAY_ERR_ASSERTION: ${message}`);
}
