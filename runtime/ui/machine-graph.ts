// Turns an XState machine into the small drawable graph the visualiser and `npm run diagrams`
// share: states with their nesting, and transitions labelled by event and guard. It walks the live
// StateNode tree rather than `machine.toJSON()`, because the JSON drops guard combinators such as
// `and([...])` (they are functions) and a chart without its guards misleads more than it helps.
import type { AnyStateMachine } from 'xstate';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface ChartTransitionLabel {
  readonly event: string;
  readonly guard: string | null;
  readonly actions: readonly string[];
}

export interface ChartState {
  /** The XState state node id (`leader-election.candidate`): the page's `data-state-id`. */
  readonly id: string;
  readonly key: string;
  /** Keys from the root down; the root's path is empty. */
  readonly path: readonly string[];
  readonly parent: string | null;
  readonly type: ChartStateType;
  /** Id of the initial child of a compound state. */
  readonly initial: string | null;
  readonly description: string | null;
  /** Transitions without a target (actions only): written inside the state's box. */
  readonly internal: readonly ChartTransitionLabel[];
}

export interface ChartTransition extends ChartTransitionLabel {
  readonly id: string;
  readonly source: string;
  readonly target: string;
  /** Leaves and re-enters its source (drawn like any other edge, a self-loop when source = target). */
  readonly reenter: boolean;
}

export interface MachineGraph {
  readonly id: string;
  /** Id of the root state node (the machine itself). */
  readonly root: string;
  /** Parents before children, siblings in document order. */
  readonly states: readonly ChartState[];
  readonly transitions: readonly ChartTransition[];
}

/** Anything shaped like an XState machine: what a module's exports are tested against. */
export function isMachine(value: unknown): value is AnyStateMachine {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { root?: unknown; definition?: unknown };
  return typeof candidate.root === 'object' && candidate.root !== null && typeof candidate.definition === 'object';
}

interface LooseStateNode {
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly path: readonly string[];
  readonly description?: string;
  readonly states: Record<string, LooseStateNode>;
  readonly initial?: { readonly target?: ReadonlyArray<{ readonly id: string }> };
  readonly transitions: Map<string, readonly LooseTransition[]>;
  readonly always?: readonly LooseTransition[];
}

interface LooseTransition {
  readonly eventType: string;
  readonly guard?: unknown;
  readonly actions?: readonly unknown[];
  readonly target?: ReadonlyArray<{ readonly id: string }>;
  readonly reenter?: boolean;
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root as unknown as LooseStateNode;
  const states: ChartState[] = [];
  const transitions: ChartTransition[] = [];
  const visit = (node: LooseStateNode, parent: string | null): void => {
    const internal: ChartTransitionLabel[] = [];
    const outgoing = [...node.transitions.values()].flat().concat(node.always ?? []);
    for (const t of outgoing) {
      const label = { event: eventLabel(t.eventType), guard: guardLabel(t.guard), actions: (t.actions ?? []).map(actionLabel) };
      const targets = t.target ?? [];
      if (targets.length === 0) {
        internal.push(label);
        continue;
      }
      for (const target of targets) {
        transitions.push({ id: `t${transitions.length}`, source: node.id, target: target.id, reenter: t.reenter === true, ...label });
      }
    }
    states.push({
      id: node.id,
      key: node.key,
      path: [...node.path],
      parent,
      type: stateType(node.type),
      initial: node.initial?.target?.[0]?.id ?? null,
      description: typeof node.description === 'string' ? node.description : null,
      internal,
    });
    for (const child of Object.values(node.states)) visit(child, node.id);
  };
  visit(root, null);
  return { id: machine.id, root: root.id, states, transitions };
}

function stateType(type: string): ChartStateType {
  return type === 'compound' || type === 'parallel' || type === 'final' || type === 'history' ? type : 'atomic';
}

function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const delayed = /^xstate\.after\.(.+?)\.[^.]+/.exec(eventType);
  if (delayed) return /^\d+$/.test(delayed[1] ?? '') ? `after ${delayed[1]} ms` : `after ${delayed[1]}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  return eventType;
}

/** Guards print as their names; combinators (`and`, `or`, `not`) print their parts. */
export function guardLabel(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const fn = guard as { name?: string; guards?: unknown; type?: unknown };
    if (Array.isArray(fn.guards) && (fn.name === 'and' || fn.name === 'or')) {
      return fn.guards.map((g) => guardLabel(g) ?? '?').join(fn.name === 'and' ? ' && ' : ' || ');
    }
    if (fn.name === 'not' && fn.guards !== undefined) {
      const inner = Array.isArray(fn.guards) ? fn.guards[0] : fn.guards;
      return `!${guardLabel(inner) ?? '?'}`;
    }
    if (typeof fn.type === 'string') return fn.type;
    return fn.name && fn.name !== 'guard' ? fn.name : 'inline guard';
  }
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    const { type, params } = guard as { type: string; params?: unknown };
    return params === undefined || typeof params === 'function' ? type : `${type}(${paramsText(params)})`;
  }
  return 'guard';
}

/** Parameters shown compactly: values only for an object (`verdictIs(synced, fenced)`). */
function paramsText(params: unknown): string {
  if (typeof params === 'object' && params !== null && !Array.isArray(params)) {
    return Object.values(params).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
  }
  return typeof params === 'string' ? params : JSON.stringify(params);
}

function actionLabel(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'object' && action !== null && typeof (action as { type?: unknown }).type === 'string') {
    return (action as { type: string }).type;
  }
  if (typeof action === 'function') {
    const fn = action as { type?: unknown; name?: string };
    if (typeof fn.type === 'string') return fn.type.replace(/^xstate\./, '');
    return fn.name || 'inline';
  }
  return 'action';
}
