// Ledger traffic for simulations: a seeded stream of realistic, valid commands (payments between
// a few named accounts, overdraft-limited accounts, pendings with timeouts, posts, voids, linked
// pairs, retries under the same Idempotency-Key or the same id), encoded as log-entry data, some
// of it as group entries of several commands (as a node's write path joins the requests of one
// turn). The simulator can propose these instead of opaque strings, so its runs exercise the real
// ledger.
import { encodeCommand, encodeGroup } from '../../machines/ledger/codec.ts';
import type { LedgerCommand, TransferInput } from '../../machines/ledger/types.ts';
import type { Prng } from '../../machines/prng.ts';

const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin'];
const LIMITED = ['alice', 'bob'];

function transfer(id: string, from: string, to: string, amount: bigint, extra: Partial<TransferInput> = {}): TransferInput {
  return {
    id, debitAccountId: from, creditAccountId: to, amount, currency: 'USD',
    flags: { linked: false, pending: false, post: false, void: false, ...extra.flags },
    pendingId: null, timeoutMs: 0, reference: null, ...extra,
  };
}

export class LedgerTraffic {
  private n = 0;
  private readonly pendings: string[] = [];
  /** Every command sent, alone or in a group: what a client may retry. */
  private readonly sentCommands: string[] = [];

  constructor(private readonly prng: Prng, private readonly prefix = 'sim') {}

  /** The opening entry: limited accounts and a funding source. Propose it first. */
  opening(): string {
    return encodeCommand({
      type: 'account.create',
      accounts: LIMITED.map((id) => ({ id, currency: 'USD', flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: false, closed: false } })),
      idempotency: { key: `${this.prefix}-open`, requestHash: 'open' },
      via: null,
    });
  }

  /** The next entry's data: a command, or now and then a group of two to four. */
  next(): string {
    if (this.prng.chance(0.15)) {
      const members: string[] = [];
      for (let k = this.prng.int(2, 4); k > 0; k--) members.push(this.command());
      return encodeGroup(members);
    }
    return this.command();
  }

  /** One command's data: a new one, or a client's retry of an earlier command. */
  private command(): string {
    const p = this.prng;
    const id = `${this.prefix}-${this.n++}`;
    const from = p.pick(['bank', ...PEOPLE]);
    let to = p.pick(PEOPLE);
    if (to === from) to = from === 'alice' ? 'bob' : 'alice';
    const amount = BigInt(p.int(1, 5000));
    const roll = p.next();
    let command: LedgerCommand;
    if (roll < 0.1 && this.sentCommands.length > 0) return p.pick(this.sentCommands); // a client retry, byte for byte
    if (roll < 0.5) {
      command = { type: 'transfer.create', transfers: [transfer(id, from, to, amount)], idempotency: p.chance(0.5) ? { key: `k-${id}`, requestHash: id } : null, via: null };
    } else if (roll < 0.65) {
      this.pendings.push(id);
      command = { type: 'transfer.create', transfers: [transfer(id, from, to, amount, { flags: { linked: false, pending: true, post: false, void: false }, timeoutMs: p.pick([0, 50, 500, 5000]) })], idempotency: null, via: null };
    } else if (roll < 0.8 && this.pendings.length > 0) {
      const pendingId = p.pick(this.pendings);
      command = p.chance(0.6)
        ? { type: 'transfer.post', id, pendingId, amount: p.chance(0.5) ? null : BigInt(p.int(1, 5000)), reference: null, idempotency: null, via: null }
        : { type: 'transfer.void', id, pendingId, reference: null, idempotency: null, via: null };
    } else {
      command = {
        type: 'transfer.create',
        transfers: [transfer(`${id}.a`, from, to, amount, { flags: { linked: true, pending: false, post: false, void: false } }), transfer(`${id}.b`, to, from, amount / 2n + 1n)],
        idempotency: { key: `k-${id}`, requestHash: id },
        via: null,
      };
    }
    const data = encodeCommand(command);
    this.sentCommands.push(data);
    return data;
  }
}
