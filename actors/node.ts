// The Node actor: one per cluster member, following membership. Alive → Suspect → Dead (SWIM),
// or Left after a graceful stop. A Dead node's pods are evicted at once, so their owners replace
// them on live nodes; a node that Left is given `leftEvictionMs` to come back first (a restart
// keeps its pods). The host derives the Node object's status (Ready condition, capacity) from
// the context.
// Effects (`execute`): evictPods.

import { reducerMachine } from './reducer-machine.ts';

export const NODE_SCHEMA = 2;

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left';

export interface NodeContext {
  schema: 2;
  status: MemberStatus;
  since: number;
  /** what the member gossips about itself (address, capacity, runtime, version) */
  meta?: Record<string, unknown>;
  leftEvictionMs: number;
  /** its pods were evicted (since it last was alive) */
  evicted: boolean;
  wakeAt?: number;
  commands: { type: 'evictPods'; reason: string }[];
}

export type NodeEvent =
  | { type: 'MEMBER'; state: MemberStatus; meta?: Record<string, unknown>; at: number }
  | { type: 'TICK'; at: number };

export const nodeMachine = reducerMachine<NodeContext, NodeEvent, { at: number; leftEvictionMs: number }>({
  id: 'node',
  states: ['Alive', 'Suspect', 'Dead', 'Left'],
  initial: ({ at, leftEvictionMs }) => ({ schema: 2, status: 'alive', since: at, leftEvictionMs, evicted: false, commands: [] }),
  reduce: (ctx, ev) => {
    const next: NodeContext = { ...ctx, commands: [] };
    if (ev.type === 'MEMBER') {
      if (ev.meta) next.meta = ev.meta;
      if (ev.state !== ctx.status) {
        next.status = ev.state;
        next.since = ev.at;
        if (ev.state === 'alive') next.evicted = false;
      }
    }
    const evictAt = next.status === 'left' ? next.since + next.leftEvictionMs : next.since;
    const due = (next.status === 'dead' || next.status === 'left') && !next.evicted && evictAt <= ev.at;
    if (due) {
      next.evicted = true;
      next.commands.push({ type: 'evictPods', reason: next.status === 'dead' ? 'the node is dead' : 'the node left the cluster' });
    }
    next.wakeAt = next.status === 'left' && !next.evicted ? evictAt : undefined;
    return next;
  },
  stateOf: (ctx) => ({ alive: 'Alive', suspect: 'Suspect', dead: 'Dead', left: 'Left' })[ctx.status],
});
