// JSON schemas of the ledger routes: they document every body, query and response shape (and feed
// any OpenAPI tooling). Bodies are declared with `attachValidation`, so a schema mismatch never
// answers by itself: the route's own checks (ledger-input.ts) run first and give each bad input its
// specific code; the schema's verdict is only the fallback for anything those checks let through.

const amount = { anyOf: [{ type: 'number' }, { type: 'string' }], description: 'major units: a JSON number or a decimal string' } as const;
const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
const optionalText = { type: ['string', 'null'] } as const;

export const paymentBody = {
  type: 'object',
  required: ['amount', 'sender', 'receiver'],
  properties: { amount, sender: name, receiver: name, currency: optionalText, id: optionalText, reference: optionalText },
} as const;

const transferItem = {
  type: 'object',
  required: ['amount', 'debit_account_id', 'credit_account_id'],
  properties: {
    id: optionalText,
    amount,
    debit_account_id: name,
    credit_account_id: name,
    currency: optionalText,
    pending: { type: ['boolean', 'null'] },
    linked: { type: ['boolean', 'null'] },
    timeout_ms: { type: ['integer', 'null'], minimum: 0 },
    reference: optionalText,
  },
} as const;

export const transfersBody = { oneOf: [transferItem, { type: 'array', items: transferItem }] } as const;

export const finishBody = {
  type: ['object', 'null'],
  properties: { id: optionalText, amount: { anyOf: [{ type: 'number' }, { type: 'string' }, { type: 'null' }] }, reference: optionalText },
} as const;

export const accountBody = {
  type: 'object',
  required: ['id'],
  properties: {
    id: name,
    currency: optionalText,
    flags: {
      type: 'object',
      properties: {
        debits_must_not_exceed_credits: { type: ['boolean', 'null'] },
        credits_must_not_exceed_debits: { type: ['boolean', 'null'] },
      },
    },
  },
} as const;

export const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'string', pattern: '^[0-9]{1,9}$' },
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$' },
    account: { type: 'string', minLength: 1, maxLength: 128 },
    consistency: { type: 'string', enum: ['local', 'linearizable'] },
  },
} as const;

export const readQuery = { type: 'object', properties: { consistency: pageQuery.properties.consistency } } as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

/** The seed's `POST /payment` answer, field for field. */
export const paymentResponse = {
  type: 'object',
  required: ['status', 'transaction_id', 'timestamp', 'processed_by', 'amount', 'sender', 'receiver', 'currency', 'hlc'],
  properties: {
    status: { type: 'string' },
    transaction_id: { type: 'string' },
    timestamp: { type: 'number' },
    processed_by: { type: 'string' },
    amount: { type: 'string' },
    sender: { type: 'string' },
    receiver: { type: 'string' },
    currency: { type: 'string' },
    hlc: { type: 'string' },
  },
} as const;

/** The seed's `GET /transactions` answer. */
export const transactionsResponse = {
  type: 'object',
  required: ['node_id', 'total_count', 'transactions', 'next_cursor'],
  properties: {
    node_id: { type: 'string' },
    total_count: { type: 'integer' },
    transactions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'amount', 'sender', 'receiver', 'currency', 'timestamp', 'status', 'node_id'],
        properties: {
          id: { type: 'string' },
          amount: { type: 'string' },
          sender: { type: 'string' },
          receiver: { type: 'string' },
          currency: { type: 'string' },
          timestamp: { type: 'number' },
          status: { type: 'string' },
          node_id: { type: 'string' },
        },
      },
    },
    next_cursor: { type: ['string', 'null'] },
  },
} as const;
