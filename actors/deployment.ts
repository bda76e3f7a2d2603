// The Deployment actor: owns ReplicaSets, one per pod template (named NAME-HASH).
// States: Progressing (new ReplicaSet not complete or old pods remain), Available (complete).
// Effects (`execute`): createReplicaSet, scaleReplicaSet, deleteReplicaSet.

import { type DeploymentCommand, planDeployment, type ReplicaSetSummary } from './deployment-logic.ts';
import { reducerMachine } from './reducer-machine.ts';

export * from './deployment-logic.ts';
export const DEPLOYMENT_SCHEMA = 1;

export interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
}

export interface DeploymentContext {
  schema: 1;
  replicas: number;
  hash: string;
  status: DeploymentStatus;
  commands: DeploymentCommand[];
}

export type DeploymentEvent = {
  type: 'SYNC';
  generation: number;
  replicas: number;
  hash: string;
  revisionHistoryLimit: number;
  replicaSets: ReplicaSetSummary[];
  at: number;
};

export const deploymentMachine = reducerMachine<DeploymentContext, DeploymentEvent, { replicas: number }>({
  id: 'deployment',
  states: ['Progressing', 'Available'],
  initial: ({ replicas }) => ({
    schema: 1,
    replicas,
    hash: '',
    status: { observedGeneration: 0, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: replicas },
    commands: [],
  }),
  reduce: (ctx, ev) => {
    const commands = planDeployment(ev.hash, ev.replicas, ev.replicaSets, ev.revisionHistoryLimit);
    const current = ev.replicaSets.find((s) => s.hash === ev.hash);
    const sum = (f: (s: ReplicaSetSummary) => number) => ev.replicaSets.reduce((n, s) => n + f(s), 0);
    const available = sum((s) => s.available);
    return {
      ...ctx,
      replicas: ev.replicas,
      hash: ev.hash,
      commands,
      status: {
        observedGeneration: ev.generation,
        replicas: sum((s) => s.current),
        updatedReplicas: current?.current ?? 0,
        readyReplicas: sum((s) => s.ready),
        availableReplicas: available,
        unavailableReplicas: Math.max(0, ev.replicas - available),
      },
    };
  },
  stateOf: (ctx) =>
    ctx.status.updatedReplicas === ctx.replicas && ctx.status.replicas === ctx.replicas &&
      ctx.status.availableReplicas === ctx.replicas
      ? 'Available'
      : 'Progressing',
});
