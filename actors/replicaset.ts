// The ReplicaSet actor: keeps exactly spec.replicas active pods matching its selector.
// States: Scaling (active pods ≠ replicas), Waiting (count right, not all ready), Ready.
// Effects (`execute`): createPods {count}, deletePods {names}.
// The host sends SYNC with the desired count and the owned pods whenever either changes.

import { reducerMachine } from './reducer-machine.ts';
import { isActive, type PodSummary, reconcileReplicas } from './replicaset-logic.ts';

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
}

export type ReplicaSetEvent = { type: 'SYNC'; replicas: number; generation: number; pods: PodSummary[]; at: number };

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
    const plan = reconcileReplicas(ev.replicas, ev.pods);
    const commands: ReplicaSetCommand[] = [];
    if (plan.create > 0) commands.push({ type: 'createPods', count: plan.create });
    if (plan.delete.length > 0) commands.push({ type: 'deletePods', names: plan.delete });
    const active = ev.pods.filter(isActive);
    const ready = active.filter((p) => p.ready).length;
    return {
      ...ctx,
      replicas: ev.replicas,
      commands,
      status: {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: ev.generation,
      },
    };
  },
  stateOf: (ctx) =>
    ctx.status.replicas !== ctx.replicas
      ? 'Scaling'
      : ctx.status.readyReplicas === ctx.replicas
      ? 'Ready'
      : 'Waiting',
});
