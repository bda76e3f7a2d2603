// Deployment logic as pure functions: the pod-template hash and the plan from
// (desired template and replicas, observed ReplicaSets) to ReplicaSet changes.
// This strategy: the new ReplicaSet is scaled to the full count and older ones to zero
// (rolling updates with maxSurge/maxUnavailable come with the workloads issue).

import { fnv1a } from './hash.ts';

export interface ReplicaSetSummary {
  name: string;
  hash: string;
  revision: number;
  /** spec.replicas */
  replicas: number;
  /** status */
  current: number;
  ready: number;
  available: number;
}

export type DeploymentCommand =
  | { type: 'createReplicaSet'; hash: string; replicas: number; revision: number }
  | { type: 'scaleReplicaSet'; name: string; replicas: number }
  | { type: 'deleteReplicaSet'; name: string };


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

export function planDeployment(
  hash: string,
  replicas: number,
  sets: ReplicaSetSummary[],
  revisionHistoryLimit: number,
): DeploymentCommand[] {
  const commands: DeploymentCommand[] = [];
  const current = sets.find((s) => s.hash === hash);
  const maxRevision = sets.reduce((m, s) => Math.max(m, s.revision), 0);
  if (!current) {
    commands.push({ type: 'createReplicaSet', hash, replicas, revision: maxRevision + 1 });
  } else if (current.replicas !== replicas) {
    commands.push({ type: 'scaleReplicaSet', name: current.name, replicas });
  }
  const old = sets.filter((s) => s.hash !== hash);
  for (const s of old) if (s.replicas !== 0) commands.push({ type: 'scaleReplicaSet', name: s.name, replicas: 0 });
  const idleOld = old.filter((s) => s.replicas === 0 && s.current === 0).sort((a, b) => b.revision - a.revision);
  for (const s of idleOld.slice(revisionHistoryLimit)) commands.push({ type: 'deleteReplicaSet', name: s.name });
  return commands;
}
