// The ReplicaSet actor: keeps exactly spec.replicas active pods matching its selector.
// States: Scaling (active pods ≠ replicas), Waiting (count right, not all ready), Ready.
// Effects (`execute`): createPods {count}, deletePods {names}.
// The host sends SYNC with the desired count and the owned pods whenever either changes. With
// minReadySeconds, a ready pod becomes available later with no event to say so: the times it
// does are kept in context (`pendingAvailable`) and the next one is `wakeAt`, a TICK.

import { reducerMachine } from './reducer-machine.ts';
import { availableFrom, isActive, type PodSummary, reconcileReplicas } from './replicaset-logic.ts';

export * from './replicaset-logic.ts';
export const REPLICASET_SCHEMA = 1;

export type ReplicaSetCommand =
  | { type: 'createPods'; count: number }
  | { type: 'deletePods'; names: string[] };

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  observedGeneration: number;
}

export interface ReplicaSetContext {
  schema: 1;
  replicas: number;
  status: ReplicaSetStatus;
  commands: ReplicaSetCommand[];
  /** minReadySeconds: when ready pods not yet available become available (ms, ascending) */
  pendingAvailable?: number[];
  wakeAt?: number;
}

export type ReplicaSetEvent =
  | { type: 'SYNC'; replicas: number; generation: number; pods: PodSummary[]; at: number; minReadySeconds?: number }
  | { type: 'TICK'; at: number };

/** TICK: pods whose minReadySeconds have passed become available. */
function tick(ctx: ReplicaSetContext, at: number): ReplicaSetContext {
  const pending = ctx.pendingAvailable ?? [];
  const still = pending.filter((t) => t > at);
  return {
    ...ctx,
    commands: [],
    status: { ...ctx.status, availableReplicas: ctx.status.availableReplicas + pending.length - still.length },
    pendingAvailable: still.length ? still : undefined,
    wakeAt: still[0],
  };
}

export const replicaSetMachine = reducerMachine<ReplicaSetContext, ReplicaSetEvent, { replicas: number }>({
  id: 'replicaset',
  states: ['Scaling', 'Waiting', 'Ready'],
  initial: ({ replicas }) => ({
    schema: 1,
    replicas,
    status: { replicas: 0, fullyLabeledReplicas: 0, readyReplicas: 0, availableReplicas: 0, observedGeneration: 0 },
    commands: [],
  }),
  reduce: (ctx, ev) => {
    if (ev.type === 'TICK') return tick(ctx, ev.at);
    const plan = reconcileReplicas(ev.replicas, ev.pods);
    const commands: ReplicaSetCommand[] = [];
    if (plan.create > 0) commands.push({ type: 'createPods', count: plan.create });
    if (plan.delete.length > 0) commands.push({ type: 'deletePods', names: plan.delete });
    const active = ev.pods.filter(isActive);
    const ready = active.filter((p) => p.ready);
    const from = ready.map((p) => availableFrom(p, ev.minReadySeconds ?? 0));
    const pending = from.filter((t) => t > ev.at).sort((a, b) => a - b);
    return {
      ...ctx,
      replicas: ev.replicas,
      commands,
      status: {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready.length,
        availableReplicas: ready.length - pending.length,
        observedGeneration: ev.generation,
      },
      pendingAvailable: pending.length ? pending : undefined,
      wakeAt: pending[0],
    };
  },
  stateOf: (ctx) =>
    ctx.status.replicas !== ctx.replicas
      ? 'Scaling'
      : ctx.status.readyReplicas === ctx.replicas
      ? 'Ready'
      : 'Waiting',
});
