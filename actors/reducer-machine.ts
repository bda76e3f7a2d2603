// Builds an xstate v5 machine around a pure reducer. Every event runs `reduce` (an assign) and
// then the named effect `execute`, which src/ provides with machine.provide() to carry out the
// commands the reducer left in context. The machine's states mirror `stateOf(context)`: after
// each event an eventless (`always`) transition moves the machine to the state its context
// belongs in, so the state value is always a dotted path like `Running.Ready`.

import { assign, createMachine, type AnyStateMachine } from 'xstate';

export interface ReducerMachineSpec<C, E extends { type: string }, I> {
  id: string;
  /** leaf states as dotted paths; the first is the initial one */
  states: readonly string[];
  /** states the actor never leaves */
  finalStates?: readonly string[];
  initial: (input: I) => C;
  reduce: (context: C, event: E) => C;
  stateOf: (context: C) => string;
}

export interface CommandContext {
  commands: unknown[];
}

export function reducerMachine<C extends CommandContext, E extends { type: string }, I>(
  spec: ReducerMachineSpec<C, E, I>,
): AnyStateMachine {
  const root: Record<string, any> = {};
  for (const path of spec.states) {
    const parts = path.split('.');
    let level = root;
    parts.forEach((part, i) => {
      level[part] ??= {};
      const node = level[part];
      if (i < parts.length - 1) {
        node.states ??= {};
        node.initial ??= parts[i + 1];
        level = node.states;
      } else {
        const others = spec.states.filter((s) => s !== path);
        node.always = spec.finalStates?.includes(path) ? undefined : others.map((target) => ({
          guard: ({ context }: { context: C }) => spec.stateOf(context) === target,
          target: `#${spec.id}.${target}`,
        }));
        if (spec.finalStates?.includes(path)) node.type = 'final';
      }
    });
  }
  return createMachine({
    id: spec.id,
    context: ({ input }: { input: I }) => spec.initial(input),
    initial: spec.states[0].split('.')[0],
    on: {
      '*': {
        actions: [
          assign(({ context, event }: { context: C; event: E }) => spec.reduce(context, event) as any),
          { type: 'execute' },
        ],
      },
    },
    states: root,
  } as any, {
    actions: {
      // The default does nothing: src/ provides the real effect.
      execute: () => {},
    },
  } as any) as AnyStateMachine;
}

/** The state value as a dotted path: `{Running: 'Ready'}` → `Running.Ready`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [k, v] = Object.entries(value)[0] ?? [];
    return k === undefined ? '' : `${k}.${statePath(v)}`.replace(/\.$/, '');
  }
  return '';
}
