// The ReplicaSet actor: keeps exactly spec.replicas active pods matching its selector.
// States: Scaling (active pods ≠ replicas), Waiting (count right, not all ready), Ready.
// Effects (`execute`): createPods {count}, deletePods {names}.
// The host sends SYNC with the desired count and the owned pods whenever either changes. With
// minReadySeconds, a ready pod becomes available later with no event to say so: the times it
// does are kept in context (`pendingAvailable`) and the next one is `wakeAt`, a TICK.
// A pod creation the namespace refuses (quota, LimitRange) is CREATE_FAILED: the actor holds off
// creating for a back-off (1 s doubling to 10 s, `retryAt`, also a TICK), then asks for a fresh
// SYNC (`resync`); RETRY (room may have appeared: a pod in the namespace went, a quota changed)
// ends the wait at once. The count of failures resets once every replica exists.

import { reducerMachine } from './reducer-machine.ts';
import { availableFrom, isActive, type PodSummary, reconcileReplicas } from './replicaset-logic.ts';

export * from './replicaset-logic.ts';
export const REPLICASET_SCHEMA = 1;

export type ReplicaSetCommand =
  | { type: 'createPods'; count: number }
  | { type: 'deletePods'; names: string[] }
  /** ask the host for a SYNC (the back-off after a refused creation is over) */
  | { type: 'resync' };

/** Back-off after refused pod creations: 1 s, doubling, at most 10 s. */
export const CREATE_RETRY = { initialMs: 1_000, maxMs: 10_000 };
export const createRetryDelay = (failures: number) =>
  Math.min(CREATE_RETRY.maxMs, CREATE_RETRY.initialMs * 2 ** Math.max(0, failures - 1));

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
  /** refused pod creations in a row */
  createFailures?: number;
  /** no pod creation before this time (ms): back-off after a refusal */
  retryAt?: number;
}

export type ReplicaSetEvent =
  | { type: 'SYNC'; replicas: number; generation: number; pods: PodSummary[]; at: number; minReadySeconds?: number }
  | { type: 'TICK'; at: number }
  | { type: 'CREATE_FAILED'; at: number }
  | { type: 'RETRY'; at: number };

const nextWake = (pending: number[] | undefined, retryAt: number | undefined) => {
  const times = [...(pending ?? []), ...(retryAt === undefined ? [] : [retryAt])];
  return times.length ? Math.min(...times) : undefined;
};

/** TICK: pods whose minReadySeconds have passed become available. */
function tick(ctx: ReplicaSetContext, at: number): ReplicaSetContext {
  const pending = ctx.pendingAvailable ?? [];
  const still = pending.filter((t) => t > at);
  const retryDue = ctx.retryAt !== undefined && ctx.retryAt <= at;
  const retryAt = retryDue ? undefined : ctx.retryAt;
  return {
    ...ctx,
    commands: retryDue ? [{ type: 'resync' }] : [],
    status: { ...ctx.status, availableReplicas: ctx.status.availableReplicas + pending.length - still.length },
    pendingAvailable: still.length ? still : undefined,
    retryAt,
    wakeAt: nextWake(still, retryAt),
  };
}

/** CREATE_FAILED: wait before creating again. RETRY: stop waiting. */
function createOutcome(ctx: ReplicaSetContext, ev: { type: 'CREATE_FAILED' | 'RETRY'; at: number }): ReplicaSetContext {
  if (ev.type === 'RETRY') {
    if (ctx.retryAt === undefined) return { ...ctx, commands: [] };
    return { ...ctx, commands: [{ type: 'resync' }], retryAt: undefined, wakeAt: nextWake(ctx.pendingAvailable, undefined) };
  }
  const createFailures = (ctx.createFailures ?? 0) + 1;
  const retryAt = ev.at + createRetryDelay(createFailures);
  return { ...ctx, commands: [], createFailures, retryAt, wakeAt: nextWake(ctx.pendingAvailable, retryAt) };
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
    if (ev.type === 'CREATE_FAILED' || ev.type === 'RETRY') return createOutcome(ctx, ev);
    const plan = reconcileReplicas(ev.replicas, ev.pods);
    const commands: ReplicaSetCommand[] = [];
    const backingOff = ctx.retryAt !== undefined && ctx.retryAt > ev.at;
    if (plan.create > 0 && !backingOff) commands.push({ type: 'createPods', count: plan.create });
    // every replica exists: the failures are over
    const settled = plan.create === 0;
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
      createFailures: settled ? undefined : ctx.createFailures,
      retryAt: settled || !backingOff ? undefined : ctx.retryAt,
      wakeAt: nextWake(pending, settled || !backingOff ? undefined : ctx.retryAt),
    };
  },
  stateOf: (ctx) =>
    ctx.status.replicas !== ctx.replicas
      ? 'Scaling'
      : ctx.status.readyReplicas === ctx.replicas
      ? 'Ready'
      : 'Waiting',
});
