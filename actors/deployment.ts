// The Deployment actor: owns ReplicaSets, one per pod template (named NAME-HASH), and rolls from
// old to new as Kubernetes does (the plan is planRollout in deployment-logic.ts).
// States: Progressing (a rollout under way), Available (complete: every replica updated and
// available), Paused (spec.paused), DeadlineExceeded (no progress for progressDeadlineSeconds).
// Effects (`execute`): createReplicaSet, scaleReplicaSet, deleteReplicaSet, updateReplicaSet,
// resync. Events: SYNC (the Deployment's spec and its ReplicaSets, from the host) and TICK (the
// host re-arms `wakeAt`: the progress deadline, or a re-check while Recreate waits for old pods).
// Conditions keep their times as numbers (ms); the host writes them as RFC 3339.

import {
  type DeploymentCommand,
  type DeploymentStrategy,
  fenceposts,
  planRollout,
  type ReplicaSetSummary,
  type RolloutPlan,
} from './deployment-logic.ts';
import { reducerMachine } from './reducer-machine.ts';

export * from './deployment-logic.ts';
export const DEPLOYMENT_SCHEMA = 2;

/** Kubernetes' default spec.progressDeadlineSeconds; at or above NO_DEADLINE there is none. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const NO_DEADLINE = 2147483647;
/** How often Recreate looks again for old pods that are still terminating. */
export const RECHECK_MS = 1000;

export interface DeploymentStatus {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
  unavailableReplicas: number;
}

export interface DeploymentCondition {
  type: 'Available' | 'Progressing';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** ms */
  lastUpdateTime: number;
  /** ms */
  lastTransitionTime: number;
}

export interface DeploymentContext {
  schema: 2;
  name: string;
  replicas: number;
  hash: string;
  /** the new ReplicaSet's name and revision ('' and 0 while it does not exist) */
  newReplicaSet: string;
  revision: number;
  paused: boolean;
  progressDeadlineSeconds: number;
  status: DeploymentStatus;
  conditions: DeploymentCondition[];
  /** when Recreate looks again for old pods */
  recheckAt?: number;
  /** the next TICK: the earlier of the progress deadline and recheckAt */
  wakeAt?: number;
  commands: DeploymentCommand[];
}

export type DeploymentEvent =
  | {
    type: 'SYNC';
    generation: number;
    replicas: number;
    hash: string;
    revisionHistoryLimit: number;
    replicaSets: ReplicaSetSummary[];
    at: number;
    name?: string;
    strategy?: DeploymentStrategy;
    minReadySeconds?: number;
    paused?: boolean;
    progressDeadlineSeconds?: number;
  }
  | { type: 'TICK'; at: number };

type SyncEvent = DeploymentEvent & { type: 'SYNC' };

// Kubernetes' condition reasons (deploymentutil)
export const REASON = {
  created: 'NewReplicaSetCreated',
  found: 'FoundNewReplicaSet',
  updated: 'ReplicaSetUpdated',
  available: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minAvailable: 'MinimumReplicasAvailable',
  minUnavailable: 'MinimumReplicasUnavailable',
} as const;

const progressing = (ctx: { conditions: DeploymentCondition[] }) => ctx.conditions.find((c) => c.type === 'Progressing');

/**
 * SetDeploymentCondition: the same status and reason change nothing; the same status keeps its
 * lastTransitionTime. `refresh` updates lastUpdateTime even for the same reason (progress).
 */
function setCondition(
  conditions: DeploymentCondition[],
  c: Omit<DeploymentCondition, 'lastUpdateTime' | 'lastTransitionTime'>,
  at: number,
  refresh = false,
): DeploymentCondition[] {
  const prev = conditions.find((x) => x.type === c.type);
  if (prev && prev.status === c.status && prev.reason === c.reason && !refresh) return conditions;
  const next = { ...c, lastUpdateTime: at, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : at };
  const rest = conditions.filter((x) => x.type !== c.type);
  return c.type === 'Available' ? [next, ...rest] : [...rest, next];
}

const hasDeadline = (seconds: number) => seconds > 0 && seconds < NO_DEADLINE;

/** DeploymentTimedOut: no progress reported for progressDeadlineSeconds. */
function timedOut(ctx: Pick<DeploymentContext, 'conditions' | 'progressDeadlineSeconds'>, at: number): boolean {
  const c = progressing(ctx);
  if (!c || !hasDeadline(ctx.progressDeadlineSeconds) || c.reason === REASON.available) return false;
  if (c.reason === REASON.timedOut) return true;
  return c.lastUpdateTime + ctx.progressDeadlineSeconds * 1000 < at;
}

/** When the deadline passes, if a rollout is under way and not paused. */
function deadlineAt(ctx: Pick<DeploymentContext, 'conditions' | 'progressDeadlineSeconds' | 'paused'>): number | undefined {
  const c = progressing(ctx);
  if (ctx.paused || !c || !hasDeadline(ctx.progressDeadlineSeconds)) return undefined;
  if (c.status === 'False' || c.reason === REASON.available || c.reason === REASON.paused) return undefined;
  return c.lastUpdateTime + ctx.progressDeadlineSeconds * 1000 + 1;
}

const earliest = (...ts: (number | undefined)[]) => {
  const set = ts.filter((t): t is number => t !== undefined);
  return set.length ? Math.min(...set) : undefined;
};

const rsMessage = (ctx: Pick<DeploymentContext, 'name' | 'newReplicaSet'>, ok: string, noRS: string) =>
  ctx.newReplicaSet ? `ReplicaSet "${ctx.newReplicaSet}" ${ok}` : `Deployment "${ctx.name}" ${noRS}`;

function timeOut(ctx: DeploymentContext, at: number): DeploymentCondition[] {
  return setCondition(ctx.conditions, {
    type: 'Progressing',
    status: 'False',
    reason: REASON.timedOut,
    message: rsMessage(ctx, 'has timed out progressing.', 'has timed out progressing.'),
  }, at);
}

/** calculateStatus: counts from the ReplicaSets' status; unavailable against their spec. */
function statusOf(ev: SyncEvent, hash: string): DeploymentStatus {
  const sets = ev.replicaSets;
  const total = (f: (s: ReplicaSetSummary) => number) => sets.reduce((n, s) => n + f(s), 0);
  const available = total((s) => s.available);
  return {
    observedGeneration: ev.generation,
    replicas: total((s) => s.current),
    updatedReplicas: sets.find((s) => s.hash === hash)?.current ?? 0,
    readyReplicas: total((s) => s.ready),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total((s) => s.replicas) - available),
  };
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones. */
function madeProgress(old: DeploymentStatus, now: DeploymentStatus): boolean {
  return now.updatedReplicas > old.updatedReplicas ||
    now.replicas - now.updatedReplicas < old.replicas - old.updatedReplicas ||
    now.readyReplicas > old.readyReplicas ||
    now.availableReplicas > old.availableReplicas;
}

/** The conditions after a SYNC: Kubernetes' checkPausedConditions, getNewReplicaSet and syncRolloutStatus. */
function conditionsAfter(ctx: DeploymentContext, next: DeploymentContext, ev: SyncEvent, plan: RolloutPlan): DeploymentCondition[] {
  const at = ev.at;
  const s = next.status;
  const { maxUnavailable } = fenceposts(ev.strategy, ev.replicas);
  const minimum = s.availableReplicas >= ev.replicas - maxUnavailable;
  let conditions = setCondition(ctx.conditions, {
    type: 'Available',
    status: minimum ? 'True' : 'False',
    reason: minimum ? REASON.minAvailable : REASON.minUnavailable,
    message: minimum ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
  }, at);
  if (!hasDeadline(next.progressDeadlineSeconds)) return conditions.filter((c) => c.type !== 'Progressing');
  if (next.paused) {
    return setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: REASON.paused, message: 'Deployment is paused' }, at);
  }
  const before = progressing({ conditions });
  if (before?.reason === REASON.paused) {
    conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: REASON.resumed, message: 'Deployment is resumed' }, at);
  }
  if (plan.created) {
    conditions = setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      reason: REASON.created,
      message: `Created new replica set "${plan.newReplicaSet}"`,
    }, at, true);
  } else if (plan.newReplicaSet && (!before || (ctx.hash !== '' && ctx.hash !== next.hash))) {
    // a template that already has its ReplicaSet (a rollback), or an actor that starts afresh
    conditions = setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      reason: REASON.found,
      message: `Found new replica set "${plan.newReplicaSet}"`,
    }, at, true);
  }
  const current = progressing({ conditions });
  if (s.replicas === s.updatedReplicas && current?.reason === REASON.available) return conditions;
  const complete = s.updatedReplicas === ev.replicas && s.replicas === ev.replicas && s.availableReplicas === ev.replicas;
  if (complete) {
    return setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      reason: REASON.available,
      message: rsMessage(next, 'has successfully progressed.', 'has successfully progressed.'),
    }, at);
  }
  // a fresh actor has no earlier status to compare with
  if (ctx.status.observedGeneration > 0 && madeProgress(ctx.status, s)) {
    return setCondition(conditions, {
      type: 'Progressing',
      status: 'True',
      reason: REASON.updated,
      message: rsMessage(next, 'is progressing.', 'is progressing.'),
    }, at, true);
  }
  if (timedOut({ ...next, conditions }, at)) return timeOut({ ...next, conditions }, at);
  return conditions;
}

function sync(ctx: DeploymentContext, ev: SyncEvent): DeploymentContext {
  const plan = planRollout({
    name: ev.name ?? ctx.name,
    hash: ev.hash,
    replicas: ev.replicas,
    strategy: ev.strategy,
    revisionHistoryLimit: ev.revisionHistoryLimit,
    minReadySeconds: ev.minReadySeconds,
    paused: ev.paused,
    previousReplicas: ctx.replicas,
    sets: ev.replicaSets,
  });
  const next: DeploymentContext = {
    ...ctx,
    name: ev.name ?? ctx.name,
    replicas: ev.replicas,
    hash: ev.hash,
    newReplicaSet: plan.newReplicaSet,
    revision: plan.revision,
    paused: !!ev.paused,
    progressDeadlineSeconds: ev.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS,
    status: statusOf(ev, ev.hash),
    recheckAt: plan.waitingForOldPods ? ev.at + RECHECK_MS : undefined,
    commands: plan.commands,
  };
  next.conditions = conditionsAfter(ctx, next, ev, plan);
  next.wakeAt = earliest(deadlineAt(next), next.recheckAt);
  return next;
}

function tick(ctx: DeploymentContext, at: number): DeploymentContext {
  const due = ctx.recheckAt !== undefined && ctx.recheckAt <= at;
  const next: DeploymentContext = { ...ctx, commands: due ? [{ type: 'resync' }] : [], recheckAt: due ? undefined : ctx.recheckAt };
  const s = ctx.status;
  const complete = s.replicas === s.updatedReplicas && progressing(ctx)?.reason === REASON.available;
  if (!ctx.paused && !complete && timedOut(ctx, at)) next.conditions = timeOut(ctx, at);
  next.wakeAt = earliest(deadlineAt(next), next.recheckAt);
  return next;
}

export const deploymentMachine = reducerMachine<DeploymentContext, DeploymentEvent, { replicas: number; name?: string }>({
  id: 'deployment',
  states: ['Progressing', 'Available', 'Paused', 'DeadlineExceeded'],
  initial: ({ replicas, name }) => ({
    schema: 2,
    name: name ?? '',
    replicas,
    hash: '',
    newReplicaSet: '',
    revision: 0,
    paused: false,
    progressDeadlineSeconds: DEFAULT_PROGRESS_DEADLINE_SECONDS,
    status: { observedGeneration: 0, replicas: 0, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: replicas },
    conditions: [],
    commands: [],
  }),
  reduce: (ctx, ev) => (ev.type === 'SYNC' ? sync(ctx, ev) : ev.type === 'TICK' ? tick(ctx, ev.at) : { ...ctx, commands: [] }),
  stateOf: (ctx) => {
    const s = ctx.status;
    if (ctx.paused) return 'Paused';
    if (s.updatedReplicas === ctx.replicas && s.replicas === ctx.replicas && s.availableReplicas === ctx.replicas) return 'Available';
    if (progressing(ctx)?.reason === REASON.timedOut) return 'DeadlineExceeded';
    return 'Progressing';
  },
});
