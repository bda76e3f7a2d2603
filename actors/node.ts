// The Node actor: one per cluster member. Alive → Suspect → Dead follows membership (SWIM, with
// the cluster issue); Left after a graceful stop. Cordon is a flag in context.
// Effects (`execute`): none yet; the host derives the Node object's status from the state.

import { reducerMachine } from './reducer-machine.ts';

export const NODE_SCHEMA = 1;

export interface NodeContext {
  schema: 1;
  status: 'alive' | 'suspect' | 'dead' | 'left';
  since: number;
  cordoned: boolean;
  commands: never[];
}
export type NodeEvent =
  | { type: 'ALIVE'; at: number }
  | { type: 'SUSPECT'; at: number }
  | { type: 'DEAD'; at: number }
  | { type: 'LEAVE'; at: number }
  | { type: 'CORDON'; at: number }
  | { type: 'UNCORDON'; at: number };

const STATUS: Record<string, NodeContext['status'] | undefined> = {
  ALIVE: 'alive',
  SUSPECT: 'suspect',
  DEAD: 'dead',
  LEAVE: 'left',
};

export const nodeMachine = reducerMachine<NodeContext, NodeEvent, { at: number }>({
  id: 'node',
  states: ['Alive', 'Suspect', 'Dead', 'Left'],
  initial: ({ at }) => ({ schema: 1, status: 'alive', since: at, cordoned: false, commands: [] }),
  reduce: (ctx, ev) => {
    const status = STATUS[ev.type] ?? ctx.status;
    return {
      ...ctx,
      status,
      since: status !== ctx.status ? ev.at : ctx.since,
      cordoned: ev.type === 'CORDON' ? true : ev.type === 'UNCORDON' ? false : ctx.cordoned,
      commands: [],
    };
  },
  stateOf: (ctx) => ({ alive: 'Alive', suspect: 'Suspect', dead: 'Dead', left: 'Left' })[ctx.status],
});
