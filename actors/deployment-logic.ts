// Deployment logic as pure functions: the pod-template hash, Kubernetes' maxSurge/maxUnavailable
// arithmetic, and the plan from (desired template, replicas and strategy; observed ReplicaSets)
// to ReplicaSet changes. It is Kubernetes' deployment controller (pkg/controller/deployment:
// rolling.go, recreate.go, sync.go) redone as one function that returns commands instead of
// calling the API. Words: the *new* ReplicaSet is the one whose pod-template-hash is the
// template's; every other ReplicaSet the Deployment owns is *old*; an *active* ReplicaSet has
// spec.replicas > 0.

import { compareText } from './canonical.ts';
import { fnv1a } from './hash.ts';

export interface ReplicaSetSummary {
  name: string;
  hash: string;
  revision: number;
  /** spec.replicas */
  replicas: number;
  /** status.replicas: active pods (not terminating, not finished) */
  current: number;
  ready: number;
  /** status.availableReplicas: ready for at least minReadySeconds */
  available: number;
  /** pods counted in the store that are neither terminating nor finished: fresher than
   * `current`, which a ReplicaSet reports from before it created its latest pods */
  active?: number;
  /** pods not finished, terminating ones included (Recreate waits until they are gone) */
  pods?: number;
  /** spec.minReadySeconds */
  minReadySeconds?: number;
  /** status.observedGeneration has caught up with metadata.generation (default true) */
  observed?: boolean;
}

export type IntOrPercent = number | string;

/** spec.strategy, as in apps/v1. */
export interface DeploymentStrategy {
  type?: 'RollingUpdate' | 'Recreate';
  rollingUpdate?: { maxSurge?: IntOrPercent; maxUnavailable?: IntOrPercent };
}

export type DeploymentCommand =
  | { type: 'createReplicaSet'; hash: string; replicas: number; revision: number }
  | { type: 'scaleReplicaSet'; name: string; replicas: number }
  | { type: 'deleteReplicaSet'; name: string }
  /** the new ReplicaSet's revision annotation (a rollback makes an old one new) or minReadySeconds */
  | { type: 'updateReplicaSet'; name: string; revision?: number; minReadySeconds?: number }
  /** send a fresh SYNC: something the actor waits for is announced by no event */
  | { type: 'resync' };

/** Kubernetes' "safe" alphabet (no vowels, no confusable digits) used in generated names. */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod-template-hash like Kubernetes': a short, stable, DNS-safe digest of the template. */
export function templateHash(canonicalTemplateJson: string): string {
  let h = fnv1a(canonicalTemplateJson);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += SAFE_ALPHABET[h % SAFE_ALPHABET.length];
    h = Math.floor(h / SAFE_ALPHABET.length) || fnv1a(out + canonicalTemplateJson);
  }
  return out;
}

// ---- surge and unavailability ------------------------------------------------------------------

/**
 * intstr.GetScaledValueFromIntOrPercent: a number as is; a percentage of `total`, rounded up
 * (maxSurge) or down (maxUnavailable). Anything unreadable counts as 0.
 */
export function scaledValue(v: IntOrPercent | undefined, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.max(0, Math.trunc(v)) : 0;
  const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
  if (!m) return 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * deploymentutil.ResolveFenceposts with MaxSurge/MaxUnavailable's clamps: maxSurge rounds up,
 * maxUnavailable down (default 25% each); if both come to 0 maxUnavailable is 1 (surge may be
 * impossible, e.g. under a quota); maxUnavailable is at most `replicas`. Recreate has neither.
 */
export function fenceposts(strategy: DeploymentStrategy | undefined, replicas: number): { maxSurge: number; maxUnavailable: number } {
  if (strategy?.type === 'Recreate') return { maxSurge: 0, maxUnavailable: 0 };
  const ru = strategy?.rollingUpdate ?? {};
  const maxSurge = scaledValue(ru.maxSurge ?? '25%', replicas, true);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? '25%', replicas, false);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable: replicas === 0 ? 0 : Math.min(maxUnavailable, replicas) };
}

// ---- the plan -------------------------------------------------------------------------------

export interface RolloutInput {
  /** the Deployment's name: the new ReplicaSet is NAME-HASH */
  name?: string;
  /** the pod template's hash */
  hash: string;
  /** spec.replicas */
  replicas: number;
  strategy?: DeploymentStrategy;
  /** spec.revisionHistoryLimit (default 10) */
  revisionHistoryLimit?: number;
  /** spec.minReadySeconds, kept on the new ReplicaSet */
  minReadySeconds?: number;
  paused?: boolean;
  /** the replicas of the previous plan: a change is a scaling event, spread over the active sets */
  previousReplicas?: number;
  sets: ReplicaSetSummary[];
}

export interface RolloutPlan {
  commands: DeploymentCommand[];
  /** the new ReplicaSet's name ('' while it does not exist: paused, or Recreate waiting) */
  newReplicaSet: string;
  /** this plan creates the new ReplicaSet */
  created: boolean;
  /** the new ReplicaSet's revision after the plan (0 while it does not exist) */
  revision: number;
  /** Recreate: old pods are still there; no event says when the last one is gone */
  waitingForOldPods: boolean;
}

const sum = (sets: ReplicaSetSummary[], f: (s: ReplicaSetSummary) => number) => sets.reduce((n, s) => n + f(s), 0);
/** Available pods counted no higher than spec.replicas: a ReplicaSet scaled down but not yet
 * reconciled still reports the pods it is about to delete. */
const availableOf = (s: ReplicaSetSummary) => Math.min(s.available, s.replicas);
/** Pods a ReplicaSet has or will have: spec.replicas, or more while it scales down. */
const podsOf = (s: ReplicaSetSummary) => Math.max(s.replicas, s.current, s.active ?? 0);
const oldestFirst = (a: ReplicaSetSummary, b: ReplicaSetSummary) => a.revision - b.revision || compareText(a.name, b.name);

/** Whether the new ReplicaSet has every replica, all available, and no old pod is left. */
export function rolloutComplete(replicas: number, newRS: ReplicaSetSummary | undefined, sets: ReplicaSetSummary[]): boolean {
  return !!newRS && newRS.current === replicas && sum(sets, (s) => s.current) === replicas && sum(sets, availableOf) === replicas;
}

/**
 * The next step of a Deployment, as Kubernetes' controller takes it: paused → only scaling and
 * history cleanup; a change of replicas → proportional scaling; else the strategy's rollout
 * (RollingUpdate: scale the new ReplicaSet up within maxSurge and old ones down within
 * maxUnavailable, in one plan; Recreate: old ones to 0, wait for their pods to go, then the new
 * one to full size), then history cleanup once complete.
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { hash, replicas, strategy } = input;
  const sets = input.sets.map((s) => ({ ...s }));
  const original = new Map(input.sets.map((s) => [s.name, s.replicas]));
  const head: DeploymentCommand[] = [];
  const tail: DeploymentCommand[] = [];
  let newRS = sets.find((s) => s.hash === hash);
  const olds = sets.filter((s) => s !== newRS);
  const maxOldRevision = olds.reduce((m, s) => Math.max(m, s.revision), 0);
  let created = false;
  let waitingForOldPods = false;

  // the new ReplicaSet carries the highest revision (a rollback renumbers the one it reuses)
  if (newRS) {
    const update: DeploymentCommand & { type: 'updateReplicaSet' } = { type: 'updateReplicaSet', name: newRS.name };
    if (newRS.revision <= maxOldRevision) newRS.revision = update.revision = maxOldRevision + 1;
    const minReady = input.minReadySeconds ?? 0;
    if (newRS.minReadySeconds !== undefined && newRS.minReadySeconds !== minReady) update.minReadySeconds = minReady;
    if (update.revision !== undefined || update.minReadySeconds !== undefined) head.push(update);
  }
  const create = (count: number) => {
    newRS = { name: `${input.name ?? ''}-${hash}`, hash, revision: maxOldRevision + 1, replicas: count, current: 0, ready: 0, available: 0 };
    sets.push(newRS);
    created = true;
    head.push({ type: 'createReplicaSet', hash, replicas: count, revision: newRS.revision });
  };

  const scalingEvent = input.previousReplicas !== undefined && input.previousReplicas !== replicas;
  if (input.paused) {
    scale(input, sets, newRS);
  } else if (scalingEvent && scale(input, sets, newRS)) {
    // the rollout continues with the next SYNC, which the scaled ReplicaSets send
  } else if (strategy?.type === 'Recreate') {
    const activeOld = olds.filter((s) => s.replicas > 0);
    for (const s of activeOld) s.replicas = 0;
    if (activeOld.length === 0) {
      if (olds.some((s) => s.current > 0 || (s.pods ?? 0) > 0)) waitingForOldPods = true;
      else if (!newRS) create(replicas);
      else newRS.replicas = replicas;
    }
  } else {
    const { maxSurge, maxUnavailable } = fenceposts(strategy, replicas);
    // scale up (reconcileNewReplicaSet, NewRSNewReplicas)
    const room = (current: number) => Math.max(0, Math.min(replicas + maxSurge - sum(sets, podsOf), replicas - current));
    if (!newRS) create(room(0));
    else if (newRS.replicas > replicas) newRS.replicas = replicas;
    else newRS.replicas += room(newRS.replicas);
    scaleDownOld(replicas, maxUnavailable, newRS!, olds);
  }

  if (input.paused || rolloutComplete(replicas, newRS, sets)) tail.push(...cleanup(olds, input.revisionHistoryLimit ?? 10));

  // one scale command per changed ReplicaSet, the new one first
  const scales: DeploymentCommand[] = [];
  for (const s of [...(newRS && !created ? [newRS] : []), ...olds.sort(oldestFirst)]) {
    if (original.get(s.name) !== s.replicas) scales.push({ type: 'scaleReplicaSet', name: s.name, replicas: s.replicas });
  }
  const n = newRS as ReplicaSetSummary | undefined;
  return {
    commands: [...head, ...scales, ...tail],
    newReplicaSet: n?.name ?? '',
    created,
    revision: n?.revision ?? 0,
    waitingForOldPods,
  };
}

/**
 * reconcileOldReplicaSets: first old pods that are not available (they cost no availability),
 * then available ones, oldest ReplicaSet first, while at least replicas - maxUnavailable stay
 * available, counting the new ReplicaSet's missing pods as unavailable.
 */
function scaleDownOld(replicas: number, maxUnavailable: number, newRS: ReplicaSetSummary, olds: ReplicaSetSummary[]) {
  const active = olds.filter((s) => s.replicas > 0).sort(oldestFirst);
  if (active.length === 0) return;
  const all = [newRS, ...olds];
  const minAvailable = replicas - maxUnavailable;
  const newUnavailable = newRS.replicas - availableOf(newRS);
  const maxScaledDown = sum(all, (s) => s.replicas) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return;
  let cleaned = 0;
  for (const s of active) {
    if (cleaned >= maxScaledDown) break;
    const unhealthy = s.replicas - availableOf(s);
    if (unhealthy <= 0) continue;
    const n = Math.min(maxScaledDown - cleaned, unhealthy);
    s.replicas -= n;
    cleaned += n;
  }
  const available = sum(all, availableOf);
  if (available <= minAvailable) return;
  let budget = available - minAvailable;
  for (const s of active) {
    if (budget <= 0) break;
    const n = Math.min(s.replicas, budget);
    s.replicas -= n;
    budget -= n;
  }
}

/**
 * DeploymentController.scale: one active ReplicaSet (or none: the newest) takes the full
 * count; a saturated new ReplicaSet leaves old ones at 0; otherwise, for RollingUpdate, the
 * change up to replicas + maxSurge is spread in proportion to the active ReplicaSets' sizes,
 * the largest first (newer first when scaling up, older first when scaling down), leftovers to
 * the largest. Returns whether anything changed.
 */
function scale(input: RolloutInput, sets: ReplicaSetSummary[], newRS: ReplicaSetSummary | undefined): boolean {
  const before = sets.map((s) => s.replicas).join();
  const { replicas } = input;
  const active = sets.filter((s) => s.replicas > 0);
  const olds = sets.filter((s) => s !== newRS);
  const latest = newRS ?? [...olds].sort(oldestFirst).pop();
  if (active.length <= 1) {
    const only = active[0] ?? latest;
    if (only) only.replicas = replicas;
  } else if (newRS && newRS.replicas === replicas && newRS.available === replicas) {
    for (const s of olds) s.replicas = 0;
  } else if (input.strategy?.type !== 'Recreate') {
    const allowed = replicas > 0 ? replicas + fenceposts(input.strategy, replicas).maxSurge : 0;
    const total = sum(active, (s) => s.replicas);
    const toAdd = allowed - total;
    if (toAdd !== 0) {
      const order = [...active].sort((a, b) => b.replicas - a.replicas || (toAdd > 0 ? b.revision - a.revision : a.revision - b.revision));
      let added = 0;
      const size = new Map<ReplicaSetSummary, number>();
      for (const s of order) {
        let p = replicas === 0 ? -s.replicas : Math.round((s.replicas * allowed) / total) - s.replicas;
        p = toAdd > 0 ? Math.min(p, toAdd - added) : Math.max(p, toAdd - added);
        if (added === toAdd) p = 0;
        size.set(s, s.replicas + p);
        added += p;
      }
      size.set(order[0], Math.max(0, size.get(order[0])! + toAdd - added));
      for (const [s, n] of size) s.replicas = n;
    }
  }
  return sets.map((s) => s.replicas).join() !== before;
}

/**
 * cleanupDeployment: beyond revisionHistoryLimit old ReplicaSets, the oldest are deleted —
 * only those with no replicas, no pods and an observed spec.
 */
function cleanup(olds: ReplicaSetSummary[], limit: number): DeploymentCommand[] {
  const excess = olds.length - limit;
  if (excess <= 0) return [];
  return [...olds].sort(oldestFirst).slice(0, excess)
    .filter((s) => s.replicas === 0 && s.current === 0 && (s.pods ?? 0) === 0 && s.observed !== false)
    .map((s) => ({ type: 'deleteReplicaSet', name: s.name }));
}

/**
 * The whole plan at once with no surge or availability limits (maxSurge = maxUnavailable =
 * 100%): the new ReplicaSet at full size and old ones at 0 in one step.
 */
export function planDeployment(
  hash: string,
  replicas: number,
  sets: ReplicaSetSummary[],
  revisionHistoryLimit: number,
): DeploymentCommand[] {
  return planRollout({
    hash,
    replicas,
    sets,
    revisionHistoryLimit,
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '100%', maxUnavailable: '100%' } },
  }).commands;
}
