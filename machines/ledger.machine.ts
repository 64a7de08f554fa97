// The ledger actor's modes. It only tracks where the actor stands (recovering its state, ready to
// apply, restoring a snapshot a few thousand rows per turn, failed); applying entries is plain
// function calls in machines/ledger/apply.ts, never one XState transition per entry, so the hot
// path costs no interpreter overhead.
import { assign, setup } from 'xstate';

export interface LedgerMachineContext {
  readonly restores: number;
  readonly failure: string | null;
}

export type LedgerMachineEvent =
  | { type: 'ledger.recovered' }
  | { type: 'ledger.restoring'; index: number }
  | { type: 'ledger.restored'; index: number }
  | { type: 'ledger.fault'; reason: string };

export const ledgerMachine = setup({
  types: {
    context: {} as LedgerMachineContext,
    events: {} as LedgerMachineEvent,
  },
  actions: {
    countRestore: assign({ restores: ({ context }) => context.restores + 1 }),
    recordFailure: assign({
      failure: ({ event }) => (event.type === 'ledger.fault' ? event.reason : null),
    }),
  },
}).createMachine({
  id: 'ledger',
  initial: 'recovering',
  context: { restores: 0, failure: null },
  states: {
    recovering: {
      on: {
        'ledger.recovered': { target: 'ready' },
        'ledger.restored': { actions: 'countRestore' },
        'ledger.fault': { target: 'failed', actions: 'recordFailure' },
      },
    },
    ready: {
      on: {
        'ledger.restoring': { target: 'restoring' },
        'ledger.restored': { actions: 'countRestore' },
        'ledger.fault': { target: 'failed', actions: 'recordFailure' },
      },
    },
    // The state served meanwhile is the one before the snapshot (an empty one at boot).
    restoring: {
      on: {
        'ledger.restored': { target: 'ready', actions: 'countRestore' },
        'ledger.fault': { target: 'failed', actions: 'recordFailure' },
      },
    },
    failed: { type: 'final' },
  },
});
