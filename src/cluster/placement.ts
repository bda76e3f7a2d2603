// Which node hosts an object's actor. A bound Pod's actor runs on its node while that node is a
// member (alive or suspect); a Pod bound to a node that is gone has no host (its Node actor
// evicts it). Every other actor goes to the member with the highest rendezvous score for the
// object's key, so when membership changes only the actors of the joining or leaving member move.

import { hash32 } from '../../actors/hash.ts';
import { type KObject, keyOf, objectKey, type PodSpec } from '../objects/types.ts';

/** The member with the highest score for the key (ties by name); undefined with no members. */
export function rendezvous(key: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = hash32(`${key}\u0000${m}`);
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/** The n members with the highest rendezvous scores for the key, best first (ties by name). */
export function rendezvousTop(key: string, members: readonly string[], n: number): string[] {
  const top: { m: string; score: number }[] = [];
  for (const m of members) {
    const score = hash32(`${key}\u0000${m}`);
    let i = top.length;
    while (i > 0 && (score > top[i - 1].score || (score === top[i - 1].score && m < top[i - 1].m))) i--;
    if (i < n) {
      top.splice(i, 0, { m, score });
      if (top.length > n) top.pop();
    }
  }
  return top.map((t) => t.m);
}

/**
 * The members that keep a Pod's actor record (the others do not: it is not on every node): its
 * node, and the `copies` − 1 members ranked first for the pod's key among the others; while the
 * pod is unbound (or its node is gone), the `copies` ranked first.
 */
export function podRecordHolders(key: string, nodeName: string | undefined, members: readonly string[], copies: number): string[] {
  if (!nodeName || !members.includes(nodeName)) return rendezvousTop(key, members, copies);
  return [nodeName, ...rendezvousTop(key, members.filter((m) => m !== nodeName), copies - 1)];
}

/**
 * A pod its controller's node is placing: created by a controller, not bound yet, not found
 * unschedulable, not being deleted. Its creation goes to unboundPodHolders at once and to the
 * other members only if it is still unbound after `replication.unboundPodPushMs`: the node that
 * binds it pushes it, bound, to every member anyway (cluster/replicator.ts).
 */
export function awaitsBinding(o: KObject | null): boolean {
  if (!o || o.kind !== 'Pod' || (o.spec as PodSpec).nodeName || o.metadata.deletionTimestamp) return false;
  if (!o.metadata.ownerReferences?.some((r) => r.controller)) return false;
  const scheduled = (o.status as { conditions?: { type: string; message?: string }[] } | undefined)?.conditions
    ?.find((c) => c.type === 'PodScheduled');
  return !scheduled?.message;
}

/**
 * What decides where an object's actor runs: a bound pod's node (most objects), else the key
 * whose rendezvous ranking picks the member. An unbound pod with a controller ranks by its
 * controller's key: the pods of one ReplicaSet are then placed by one node, whose scheduler sees
 * its own binds in flight and spreads them.
 */
export function placementOf(o: KObject): { nodeName: string } | { key: string } {
  if (o.kind !== 'Pod') return { key: keyOf(o) };
  const nodeName = (o.spec as PodSpec).nodeName;
  if (nodeName) return { nodeName };
  const ref = o.metadata.ownerReferences?.find((r) => r.controller);
  return { key: ref ? objectKey(ref.kind, o.metadata.namespace, ref.name) : keyOf(o) };
}

/**
 * Where a pod its controller's node is placing (awaitsBinding) is kept until it is bound: the
 * `copies` members ranked first for its controller's key — the controller's host, and the members
 * that host the controller (and so place the pod) if that one goes.
 */
export function unboundPodHolders(o: KObject, members: readonly string[], copies: number): string[] {
  const p = placementOf(o);
  return 'key' in p ? rendezvousTop(p.key, members, copies) : [p.nodeName];
}
