// ReplicaSet reconciliation as a pure function: (desired replicas, observed pods) → plan.

import { compareText } from './canonical.ts';

export interface PodSummary {
  name: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  ready: boolean;
  /** marked for deletion (Terminating) */
  deleting: boolean;
  /** creation time, ms */
  created: number;
  /** scheduled to a node */
  scheduled: boolean;
  /** when the pod became ready (its Ready condition's lastTransitionTime, ms), for minReadySeconds */
  readySince?: number;
}

export interface ReplicaPlan {
  create: number;
  /** pod names to delete: extras, and finished pods that must be replaced */
  delete: string[];
}

/** Pods that count towards the replica count: not terminating and not finished. */
export const isActive = (p: PodSummary) => !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed';

/**
 * When a ready pod counts as available: once it has been ready for minReadySeconds
 * (Kubernetes' IsPodAvailable); at once with minReadySeconds 0 or no known ready time.
 */
export const availableFrom = (p: PodSummary, minReadySeconds: number) =>
  minReadySeconds > 0 && p.readySince !== undefined ? p.readySince + minReadySeconds * 1000 : 0;

export function reconcileReplicas(replicas: number, pods: PodSummary[]): ReplicaPlan {
  const active = pods.filter(isActive);
  const finished = pods.filter((p) => !p.deleting && !isActive(p));
  const plan: ReplicaPlan = { create: 0, delete: finished.map((p) => p.name) };
  if (active.length < replicas) plan.create = replicas - active.length;
  if (active.length > replicas) {
    // Kubernetes' order: unscheduled, then pending, then not ready, then the newest.
    const rank = (p: PodSummary) => (!p.scheduled ? 0 : p.phase === 'Pending' ? 1 : !p.ready ? 2 : 3);
    const victims = [...active].sort((a, b) => rank(a) - rank(b) || b.created - a.created || compareText(a.name, b.name));
    plan.delete.push(...victims.slice(0, active.length - replicas).map((p) => p.name));
  }
  return plan;
}
