// The Namespace actor: Active, then Terminating while everything in it is deleted.
// Effects (`execute`): deleteContents (once, on entering Terminating), finalize (when empty).

import { reducerMachine } from './reducer-machine.ts';

export const NAMESPACE_SCHEMA = 1;

export type NamespaceCommand = { type: 'deleteContents' } | { type: 'finalize' };
export interface NamespaceContext {
  schema: 1;
  terminating: boolean;
  remaining: number;
  commands: NamespaceCommand[];
}
export type NamespaceEvent =
  | { type: 'DELETE'; remaining: number; at: number }
  | { type: 'SYNC'; remaining: number; at: number };

export const namespaceMachine = reducerMachine<NamespaceContext, NamespaceEvent, Record<string, never>>({
  id: 'namespace',
  states: ['Active', 'Terminating'],
  initial: () => ({ schema: 1, terminating: false, remaining: 0, commands: [] }),
  reduce: (ctx, ev) => {
    const commands: NamespaceCommand[] = [];
    const terminating = ctx.terminating || ev.type === 'DELETE';
    if (ev.type === 'DELETE' && !ctx.terminating) commands.push({ type: 'deleteContents' });
    if (terminating && ev.remaining === 0) commands.push({ type: 'finalize' });
    return { ...ctx, terminating, remaining: ev.remaining, commands };
  },
  stateOf: (ctx) => (ctx.terminating ? 'Terminating' : 'Active'),
});
