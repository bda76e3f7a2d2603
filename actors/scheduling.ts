// Pod placement as pure functions: filter the nodes a pod fits on, score them, and say why the
// others were left out in Kubernetes' words ("0/5 nodes are available: 5 Insufficient cpu.").
// Filters: the node is schedulable (not cordoned), matches the pod's nodeSelector, and has the
// CPU and memory the pod requests left. Scores: fewest pods of the same owner first (spread),
// then least allocated (the mean of the CPU and memory fractions after placing the pod, in
// whole percent), then a per-pod hash so simultaneous placements spread.

import { hash32 } from './hash.ts';
import { compareText } from './canonical.ts';

export interface NodeCandidate {
  name: string;
  labels: Record<string, string>;
  unschedulable: boolean;
  /** allocatable CPU (millicores) and memory (bytes) */
  cpu: number;
  memory: number;
  /** what the pods already bound to it request */
  requestedCpu: number;
  requestedMemory: number;
  /** pods of the same owner (ReplicaSet) already on it */
  sameOwner: number;
}

export interface PodNeeds {
  cpu: number;
  memory: number;
  nodeSelector: Record<string, string>;
  /** breaks ties between equally good nodes per pod (its name), so pods placed at the same
   * moment by different nodes do not all pick the same one */
  tieBreak?: string;
}

export interface Placement {
  /** nodes that fit, best first */
  ranked: string[];
  /** `0/5 nodes are available: ...` when none fits */
  message?: string;
}

type Reason = 'unschedulable' | 'selector' | 'cpu' | 'memory';
const WORDS: Record<Reason, string> = {
  unschedulable: 'node(s) were unschedulable',
  selector: "node(s) didn't match Pod's node affinity/selector",
  cpu: 'Insufficient cpu',
  memory: 'Insufficient memory',
};

export function place(pod: PodNeeds, nodes: NodeCandidate[]): Placement {
  const counts = new Map<Reason, number>();
  const fits: NodeCandidate[] = [];
  const selector = Object.entries(pod.nodeSelector);
  for (const n of nodes) {
    const refused = counted(counts, 'unschedulable', n.unschedulable) +
      counted(counts, 'selector', selector.length > 0 && selector.some(([k, v]) => n.labels[k] !== v)) +
      counted(counts, 'cpu', n.requestedCpu + pod.cpu > n.cpu) +
      counted(counts, 'memory', n.requestedMemory + pod.memory > n.memory);
    if (refused === 0) fits.push(n);
  }
  const load = (n: NodeCandidate) =>
    ((n.requestedCpu + pod.cpu) / Math.max(1, n.cpu) + (n.requestedMemory + pod.memory) / Math.max(1, n.memory)) / 2;
  const tie = (n: NodeCandidate) => hash32(`${n.name}\u0000${pod.tieBreak ?? ''}`);
  // load differences below 1 % count as equal, so the tie-break spreads similar nodes
  const bucket = (n: NodeCandidate) => Math.round(load(n) * 100);
  // each node's keys once, not once per comparison
  const keyed = fits.map((n) => ({ n, b: bucket(n), t: tie(n) }));
  keyed.sort((a, b) => a.n.sameOwner - b.n.sameOwner || a.b - b.b || a.t - b.t || compareText(a.n.name, b.n.name));
  if (keyed.length) return { ranked: keyed.map((k) => k.n.name) };
  return { ranked: [], message: unschedulableMessage(nodes.length, counts) };
}

/** Counts a reason a node was left out, when it applies: 1 if it did. */
function counted(counts: Map<Reason, number>, reason: Reason, applies: boolean): number {
  if (!applies) return 0;
  counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return 1;
}

/** Kubernetes' FailedScheduling wording: reasons sorted by text, each with its count. */
export function unschedulableMessage(total: number, counts: Map<Reason, number>): string {
  const parts = [...counts].map(([r, n]) => `${n} ${WORDS[r]}`).sort();
  return `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}

/** Whether one more pod fits on a node: the node's own check before it accepts a bind. */
export function fitsOn(pod: PodNeeds, node: NodeCandidate): string | undefined {
  return place(pod, [node]).message;
}
