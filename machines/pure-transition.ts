// Stepping a machine as a pure function, without xstate's per-call set-up. xstate's own
// `transition()` builds a throwaway actor on every call, and building an actor computes the
// machine's initial snapshot: on the hot path (a peer-progress step per append acknowledgement, a
// heartbeat step per pong, a clock step per sample) that set-up cost more than the step itself.
// Here the inert scope is built once per machine and reused; each call collects its own actions.
// Only for machines that neither spawn nor invoke children: the scope's system is shared.
import { createActor, type ActionExecutor, type AnyActorLogic, type AnyActorScope, type EventFromLogic, type ExecutableActionsFrom, type SnapshotFrom } from 'xstate';

interface Scope {
  readonly scope: AnyActorScope;
  sink: unknown[];
}

const scopes = new WeakMap<AnyActorLogic, Scope>();

function scopeOf(logic: AnyActorLogic): Scope {
  const known = scopes.get(logic);
  if (known) return known;
  const self = createActor(logic);
  const entry: Scope = {
    sink: [],
    scope: {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      emit: () => {},
      system: self.system,
      stopChild: () => {},
      actionExecutor: ((action) => void entry.sink.push(action)) as ActionExecutor,
    },
  };
  scopes.set(logic, entry);
  return entry;
}

/** Same contract as xstate's `transition()`: the next snapshot and the actions to execute, nothing run. */
export function transition<T extends AnyActorLogic>(
  logic: T,
  snapshot: SnapshotFrom<T>,
  event: EventFromLogic<T>,
): [nextSnapshot: SnapshotFrom<T>, actions: ExecutableActionsFrom<T>[]] {
  const entry = scopeOf(logic);
  const actions: unknown[] = [];
  const outer = entry.sink;
  entry.sink = actions;
  try {
    const next = logic.transition(snapshot, event, entry.scope) as SnapshotFrom<T>;
    return [next, actions as ExecutableActionsFrom<T>[]];
  } finally {
    entry.sink = outer;
  }
}
