// The log entry's wire text for each kind of command, spelled out: field order, idem and via at
// the end, amounts as decimal strings of minor units, flags as bits, JSON escapes in strings. The
// golden spec pins a hash of many encodings; this one names the exact text per command kind, so an
// encoder change that moves a byte shows where. Each text also decodes back to its command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeCommand, encodeCommand } from '../../machines/ledger/codec.ts';
import { transferFlags } from '../../machines/ledger/flags.ts';
import type { LedgerCommand } from '../../machines/ledger/types.ts';

const cases: Array<[LedgerCommand, string]> = [
  [
    { type: 'account.create', idempotency: null, via: 'n1', accounts: [
      { id: 'alice', currency: 'USD', flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false, closed: false } },
      { id: 'bob', currency: 'JPY', flags: { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: true, closed: true } },
    ] },
    '{"type":"account.create","accounts":[["alice","USD",1],["bob","JPY",6]],"idem":null,"via":"n1"}',
  ],
  [
    { type: 'transfer.create', idempotency: { key: 'k-1', requestHash: 'abc' }, via: null, transfers: [
      { id: 't1', debitAccountId: 'alice', creditAccountId: 'bob', amount: 15075n, currency: 'USD', flags: transferFlags(0), pendingId: null, timeoutMs: 0, reference: null },
      { id: 't2', debitAccountId: 'a"b', creditAccountId: 'c\\d', amount: 123456789012345678901n, currency: 'EUR', flags: transferFlags(3), pendingId: null,
        timeoutMs: 5000, reference: 'é "quoted"\n\u0001 \ud800' },
      { id: 't3', debitAccountId: '', creditAccountId: '', amount: null, currency: '', flags: transferFlags(4), pendingId: 't2', timeoutMs: 0, reference: 'r' },
    ] },
    '{"type":"transfer.create","transfers":[["t1","alice","bob","15075","USD",0,null,0,null],'
      + '["t2","a\\"b","c\\\\d","123456789012345678901","EUR",3,null,5000,"é \\"quoted\\"\\n\\u0001 \\ud800"],'
      + '["t3","","",null,"",4,"t2",0,"r"]],"idem":["k-1","abc"],"via":null}',
  ],
  [
    { type: 'transfer.post', id: 'p1', pendingId: 't2', amount: 7n, reference: null, idempotency: { key: 'k', requestHash: 'h' }, via: 'n2' },
    '{"type":"transfer.post","id":"p1","pendingId":"t2","amount":"7","reference":null,"idem":["k","h"],"via":"n2"}',
  ],
  [
    { type: 'transfer.post', id: 'p2', pendingId: 't2', amount: null, reference: 'x', idempotency: null, via: null },
    '{"type":"transfer.post","id":"p2","pendingId":"t2","amount":null,"reference":"x","idem":null,"via":null}',
  ],
  [
    { type: 'transfer.void', id: 'v1', pendingId: 't2', reference: null, idempotency: null, via: 'n3' },
    '{"type":"transfer.void","id":"v1","pendingId":"t2","reference":null,"idem":null,"via":"n3"}',
  ],
];

for (const [command, text] of cases) {
  test(`${command.type} encodes to its exact wire text and back`, () => {
    assert.is(encodeCommand(command), text);
    assert.equal(decodeCommand(text), command);
  });
}

test.run();
