// The ledger subcommands: `pay`, `account open`, `account show` and `transfers`, each one request
// to the first node that answers, printed as a record or a table (or JSON with --json).
import type { ParsedCommand } from './args.ts';
import { requestFirst } from './client.ts';
import { EXIT_OK, expectOk, option, query, type Context } from './context.ts';
import { renderAccount, renderPayment, renderTransfers } from './views.ts';

export async function pay(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const p = cmd.positionals;
  const currency = option(cmd, 'currency');
  const reference = option(cmd, 'reference');
  const body = {
    // Chosen here, not by the node: if the node dies after committing, the retry on the next node
    // carries the same id and the ledger answers `exists` instead of paying twice.
    id: option(cmd, 'id') ?? ctx.io.newId(),
    debit_account_id: p['from'],
    credit_account_id: p['to'],
    amount: p['amount'],
    ...(currency === undefined ? {} : { currency }),
    ...(reference === undefined ? {} : { reference }),
  };
  const answer = await requestFirst(ctx.targets, 'POST', '/v1/transfers', body, ctx.client);
  const transfer = expectOk(answer, 'payments (POST /v1/transfers)');
  ctx.print(`${renderPayment(transfer)}\nvia ${answer.node.id}`, { ...transfer, via: answer.node.id });
  return EXIT_OK;
}

export async function accountOpen(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const currency = option(cmd, 'currency');
  const body = {
    id: cmd.positionals['id'],
    ...(currency === undefined ? {} : { currency }),
    ...(cmd.options['no-overdraft'] === true ? { flags: { debits_must_not_exceed_credits: true } } : {}),
  };
  const answer = await requestFirst(ctx.targets, 'POST', '/v1/accounts', body, ctx.client);
  const account = expectOk(answer, 'accounts (POST /v1/accounts)');
  const verb = answer.status === 201 ? 'opened' : 'already open';
  ctx.print(`${verb}: ${String(account['id'])}\n${renderAccount(account)}`, account);
  return EXIT_OK;
}

export async function accountShow(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const id = cmd.positionals['id'] as string;
  const path = `/v1/accounts/${encodeURIComponent(id)}${query({ consistency: cmd.options['local'] === true ? 'local' : undefined })}`;
  const answer = await requestFirst(ctx.targets, 'GET', path, undefined, ctx.client);
  const account = expectOk(answer, 'accounts (GET /v1/accounts/:id)');
  ctx.print(renderAccount(account), account);
  return EXIT_OK;
}

export async function transfers(cmd: ParsedCommand, ctx: Context): Promise<number> {
  const path = `/transactions${query({
    limit: option(cmd, 'limit') ?? '20',
    account: option(cmd, 'account'),
    consistency: cmd.options['local'] === true ? 'local' : undefined,
  })}`;
  const answer = await requestFirst(ctx.targets, 'GET', path, undefined, ctx.client);
  const page = expectOk(answer, 'transfers (GET /transactions)');
  ctx.print(renderTransfers(page), page);
  return EXIT_OK;
}
