// The answer to a batch of transfers is written as text (batchAnswerJson) rather than serialised
// from an object per item: it must be exactly the bytes JSON.stringify gives for the object form,
// for any id (quotes, backslashes, control characters, non-Latin-1 text, lone surrogates) and every
// result code, and the route must send it as JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RESULT_CODES, type ResultCode } from '../../machines/ledger/codes.ts';
import type { ItemResult } from '../../machines/ledger/types.ts';
import { createPrng } from '../../machines/prng.ts';
import { batchAnswerJson } from '../../runtime/http/ledger-render.ts';
import { fakeNode } from '../ledger/http-fakes.ts';

const SEED = Number(process.env.BATCH_ANSWER_SEED ?? Date.now() % 100_000);
const PIECES = ['t', 'Z9', '"', '\\', '\n', '\u0000', '\u001f', 'é', '€', '😀', '\ud800', '\udfff', '/', ' ', '\u2028'];
const CODES = Object.keys(RESULT_CODES) as ResultCode[];

function objectForm(results: readonly ItemResult[], hlc: string): string {
  return JSON.stringify({
    results: results.map((r, index) => ({ index, id: r.id, code: r.code, ok: r.code === 'ok' || r.code === 'exists' })),
    hlc,
  });
}

test(`batchAnswerJson writes the bytes of the object form for random ids and every code (seed ${SEED})`, () => {
  console.log(`batch-answer seed ${SEED} (BATCH_ANSWER_SEED=${SEED} to repeat)`);
  const r = createPrng(SEED);
  assert.is(batchAnswerJson([], 'h'), objectForm([], 'h'), 'an empty list');
  const seen = new Set<ResultCode>();
  for (let n = 0; n < 300; n++) {
    const results: ItemResult[] = Array.from({ length: r.int(1, 40) }, () => {
      const code = r.pick(CODES);
      seen.add(code);
      return { id: Array.from({ length: r.int(0, 6) }, () => r.pick(PIECES)).join(''), code };
    });
    const hlc = `${r.int(0, 1e9)}-${r.pick(PIECES)}`;
    assert.is(batchAnswerJson(results, hlc), objectForm(results, hlc));
  }
  assert.is(seen.size, CODES.length, 'every result code was written at least once');
});

test('POST /v1/transfers with an array answers JSON with a result per item', async () => {
  const node = await fakeNode();
  const res = await node.app.inject({ method: 'POST', url: '/v1/transfers', payload: [
    { id: 'b1', amount: '1.00', debit_account_id: 'x', credit_account_id: 'y' },
    { id: 'b1', amount: '1.00', debit_account_id: 'x', credit_account_id: 'y' },
  ] });
  assert.is(res.statusCode, 200, res.body);
  assert.is(res.headers['content-type'], 'application/json; charset=utf-8');
  const body = res.json() as { results: unknown[]; hlc: string };
  assert.equal(body.results, [
    { index: 0, id: 'b1', code: 'ok', ok: true },
    { index: 1, id: 'b1', code: 'exists', ok: true },
  ]);
  assert.type(body.hlc, 'string');
  await node.close();
});

test.run();
