// Bindings of the ReplicaSet, Deployment and Namespace actors: what their commands do to the
// store, and the SYNC events that tell them what they own.

import {
  DEPLOYMENT_SCHEMA,
  type DeploymentCommand,
  type DeploymentContext,
  deploymentMachine,
  type ReplicaSetSummary,
  SAFE_ALPHABET,
  templateHash,
} from '../../actors/deployment.ts';
import { canonical } from '../../actors/canonical.ts';
import { NAMESPACE_SCHEMA, type NamespaceContext, namespaceMachine } from '../../actors/namespace.ts';
import { NODE_SCHEMA, type NodeContext, nodeMachine } from '../../actors/node.ts';
import { isoTime } from '../clock.ts';
import type { NodeMeta } from '../cluster/types.ts';
import { type PodSummary, REPLICASET_SCHEMA, type ReplicaSetCommand, type ReplicaSetContext, replicaSetMachine } from '../../actors/replicaset.ts';
import type { DeploymentSpec, KObject, ObjectKey, PodStatus, ReplicaSetSpec } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { KindBinding } from './actor-host.ts';
import type { ObjectService } from './objects.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const TEMPLATE_HASH_LABEL = 'pod-template-hash';

export function randomSuffix(n = 5) {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)];
  return s;
}

const controllerOf = (o: KObject) => o.metadata.ownerReferences?.find((r) => r.controller);

/** Objects of `kind` in the owner's namespace whose controller is the owner. */
export function owned(objects: ObjectService, owner: KObject, kind: string): KObject[] {
  const uid = owner.metadata.uid;
  if (!uid) return [];
  const ns = owner.metadata.namespace;
  return objects.ownedBy(uid, kind).filter((o) => controllerOf(o)?.uid === uid && (ns === undefined || (o.metadata.namespace ?? '') === ns));
}

const ownerRef = (o: KObject) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true,
});

function podSummary(p: KObject): PodSummary {
  const st = p.status as PodStatus | undefined;
  const ready = st?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const readySince = Date.parse(ready?.lastTransitionTime ?? '');
  return {
    name: p.metadata.name,
    phase: st?.phase ?? 'Pending',
    ready: !!ready,
    deleting: !!p.metadata.deletionTimestamp,
    created: Date.parse(p.metadata.creationTimestamp ?? '') || 0,
    scheduled: !!(p.spec as { nodeName?: string }).nodeName,
    ...(Number.isFinite(readySince) ? { readySince } : {}),
  };
}

/**
 * Pods a ReplicaSet creates per SYNC, as Kubernetes' ReplicaSet controller caps creations per
 * sync (its burstReplicas, 500): the rest follow at the next SYNC, which their own creation
 * triggers. A ReplicaSet of thousands then comes up in steps of one turn of the event loop each
 * instead of one long turn that holds up the node's probes and acks (and those of the nodes
 * that merge the pods).
 */
export const BURST_REPLICAS = 100;

export function replicaSetBinding(objects: ObjectService): KindBinding {
  // pods asked for and not yet stored (admission takes a round trip): not asked for twice, as
  // Kubernetes' controller keeps "expectations"
  const inFlight = new Map<ObjectKey, number>();
  return {
    kind: 'ReplicaSet',
    machine: replicaSetMachine,
    schema: REPLICASET_SCHEMA,
    input: (obj) => ({ replicas: (obj.spec as ReplicaSetSpec).replicas ?? 1 }),
    statusOf: (ctx: ReplicaSetContext) => ctx.status,
    execute: (key, ctx: ReplicaSetContext) => {
      const rs = objects.get(key);
      if (!rs || rs.metadata.deletionTimestamp) return;
      for (const cmd of ctx.commands as ReplicaSetCommand[]) {
        if (cmd.type === 'createPods') {
          const count = Math.min(BURST_REPLICAS, cmd.count - (inFlight.get(key) ?? 0));
          if (count <= 0) continue;
          const spec = rs.spec as ReplicaSetSpec;
          const pods = Array.from({ length: count }, () => ({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: `${rs.metadata.name}-${randomSuffix()}`,
              namespace: rs.metadata.namespace,
              labels: { ...(spec.template.metadata?.labels ?? {}) },
              annotations: { ...(spec.template.metadata?.annotations ?? {}) },
              ownerReferences: [ownerRef(rs)],
            },
            spec: structuredClone(spec.template.spec),
          }));
          inFlight.set(key, (inFlight.get(key) ?? 0) + count);
          objects.createPods(rs, pods, (refused) => {
            const left = (inFlight.get(key) ?? count) - count;
            if (left > 0) inFlight.set(key, left);
            else inFlight.delete(key);
            if (!refused) return;
            // as Kubernetes' ReplicaSet controller: an event, then a retry with back-off
            objects.event(rs, 'Warning', 'FailedCreate', `Error creating: ${refused.message}`, 'replicaset-controller');
            objects.send(key, { type: 'CREATE_FAILED', at: objects.now() });
          });
        } else if (cmd.type === 'deletePods') {
          for (const name of cmd.names) objects.delete(objectKey('Pod', rs.metadata.namespace, name));
        } else {
          objects.poke(key);
        }
      }
    },
  };
}

export function syncReplicaSet(objects: ObjectService, rs: KObject) {
  return {
    type: 'SYNC',
    replicas: (rs.spec as ReplicaSetSpec).replicas ?? 1,
    generation: rs.metadata.generation ?? 1,
    pods: owned(objects, rs, 'Pod').map(podSummary),
    minReadySeconds: (rs.spec as ReplicaSetSpec).minReadySeconds ?? 0,
    at: objects.now(),
  };
}

/** The pod template as hashed: keys sorted, so equal templates hash equal. */
export const hashOf = (d: KObject) => templateHash(canonical((d.spec as DeploymentSpec).template));

export function deploymentBinding(objects: ObjectService): KindBinding {
  return {
    kind: 'Deployment',
    machine: deploymentMachine,
    schema: DEPLOYMENT_SCHEMA,
    input: (obj) => ({ replicas: (obj.spec as DeploymentSpec).replicas ?? 1, name: obj.metadata.name }),
    statusOf: (ctx: DeploymentContext) => deploymentStatus(ctx),
    execute: (key, ctx: DeploymentContext) => {
      const d = objects.get(key);
      if (!d || d.metadata.deletionTimestamp) return;
      const rsKey = (name: string) => objectKey('ReplicaSet', d.metadata.namespace, name);
      for (const cmd of ctx.commands as DeploymentCommand[]) {
        if (cmd.type === 'createReplicaSet') {
          const spec = d.spec as DeploymentSpec;
          const labels = { ...(spec.template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: cmd.hash };
          objects.createOwned(d, [{
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            metadata: {
              name: `${d.metadata.name}-${cmd.hash}`,
              namespace: d.metadata.namespace,
              labels,
              annotations: { [REVISION_ANNOTATION]: String(cmd.revision) },
              ownerReferences: [ownerRef(d)],
            },
            spec: {
              replicas: cmd.replicas,
              minReadySeconds: spec.minReadySeconds ?? 0,
              selector: {
                ...spec.selector,
                matchLabels: { ...(spec.selector.matchLabels ?? {}), [TEMPLATE_HASH_LABEL]: cmd.hash },
              },
              template: { metadata: { ...(spec.template.metadata ?? {}), labels }, spec: structuredClone(spec.template.spec) },
            },
          }]);
        } else if (cmd.type === 'scaleReplicaSet') {
          objects.scale(rsKey(cmd.name), cmd.replicas);
        } else if (cmd.type === 'deleteReplicaSet') {
          objects.delete(rsKey(cmd.name));
        } else if (cmd.type === 'updateReplicaSet') {
          const rs = objects.get(rsKey(cmd.name));
          if (!rs || rs.metadata.deletionTimestamp) continue;
          const annotations = { ...(rs.metadata.annotations ?? {}) };
          if (cmd.revision !== undefined) annotations[REVISION_ANNOTATION] = String(cmd.revision);
          const spec = cmd.minReadySeconds === undefined ? rs.spec : { ...rs.spec, minReadySeconds: cmd.minReadySeconds };
          // apply keeps identity and bumps the generation only when the spec changed; the next
          // SYNC sees the result and plans again if it did not land
          objects.apply([{ ...rs, metadata: { ...rs.metadata, annotations }, spec }]).catch(() => {});
        } else {
          objects.poke(key);
        }
      }
    },
  };
}

/** The Deployment's status, from its actor: counts as they are, condition times as RFC 3339. */
export function deploymentStatus(ctx: DeploymentContext) {
  return {
    ...ctx.status,
    conditions: ctx.conditions.map((c) => ({ ...c, lastUpdateTime: isoTime(c.lastUpdateTime), lastTransitionTime: isoTime(c.lastTransitionTime) })),
  };
}

const FINISHED = new Set(['Succeeded', 'Failed']);

export function syncDeployment(objects: ObjectService, d: KObject) {
  const spec = d.spec as DeploymentSpec;
  const sets = owned(objects, d, 'ReplicaSet').filter((rs) => !rs.metadata.deletionTimestamp);
  // the ReplicaSets' pods as the store has them (one pass): active ones bound the surge (fresher
  // than a ReplicaSet's status), and Recreate waits for every one, terminating ones included
  const counts = new Map<string, { active: number; pods: number }>();
  for (const p of sets.flatMap((rs) => owned(objects, rs, 'Pod'))) {
    const uid = controllerOf(p)!.uid;
    if (FINISHED.has((p.status as PodStatus | undefined)?.phase ?? '')) continue;
    const c = counts.get(uid) ?? { active: 0, pods: 0 };
    c.pods++;
    if (!p.metadata.deletionTimestamp) c.active++;
    counts.set(uid, c);
  }
  return {
    type: 'SYNC',
    name: d.metadata.name,
    generation: d.metadata.generation ?? 1,
    replicas: spec.replicas ?? 1,
    hash: hashOf(d),
    strategy: spec.strategy,
    minReadySeconds: spec.minReadySeconds ?? 0,
    paused: !!spec.paused,
    progressDeadlineSeconds: spec.progressDeadlineSeconds ?? 600,
    revisionHistoryLimit: spec.revisionHistoryLimit ?? 10,
    replicaSets: sets.map((rs): ReplicaSetSummary => ({
      name: rs.metadata.name,
      hash: rs.metadata.labels?.[TEMPLATE_HASH_LABEL] ?? '',
      revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) || 0,
      replicas: (rs.spec as ReplicaSetSpec).replicas ?? 1,
      current: rs.status?.replicas ?? 0,
      ready: rs.status?.readyReplicas ?? 0,
      available: rs.status?.availableReplicas ?? 0,
      active: counts.get(rs.metadata.uid ?? '')?.active ?? 0,
      pods: counts.get(rs.metadata.uid ?? '')?.pods ?? 0,
      minReadySeconds: (rs.spec as ReplicaSetSpec).minReadySeconds ?? 0,
      observed: (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 1),
    })),
    at: objects.now(),
  };
}

export function namespaceBinding(objects: ObjectService): KindBinding {
  return {
    kind: 'Namespace',
    machine: namespaceMachine,
    schema: NAMESPACE_SCHEMA,
    input: () => ({}),
    statusOf: (ctx: NamespaceContext) => ({ phase: ctx.terminating ? 'Terminating' : 'Active' }),
    execute: (key, ctx: NamespaceContext) => {
      const ns = objects.get(key);
      if (!ns) return;
      for (const cmd of ctx.commands) {
        if (cmd.type === 'deleteContents') {
          for (const o of objects.inNamespace(ns.metadata.name)) objects.delete(keyOf(o));
        } else if (cmd.type === 'finalize') {
          objects.finalize(key);
        }
        // admitted / refused: decisions its host reads as the answer to an admission (admission.ts)
      }
    },
  };
}

const READY: Record<NodeContext['status'], { status: string; reason: string; message: string }> = {
  alive: { status: 'True', reason: 'StarlingReady', message: 'starling node is ready' },
  suspect: { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'the node stopped answering probes' },
  dead: { status: 'False', reason: 'NodeDead', message: 'the cluster declared the node dead' },
  left: { status: 'False', reason: 'NodeLeft', message: 'the node stopped gracefully' },
};

/** The Node object's status, from its actor: Ready follows membership, capacity what it gossips. */
function nodeStatus(ctx: NodeContext) {
  const ready = READY[ctx.status];
  const at = isoTime(ctx.since);
  const m = (ctx.meta ?? {}) as Partial<NodeMeta>;
  const [host] = (m.addr ?? '').split(/:(?=\d+$)/);
  const resources = { cpu: `${m.cpuMillis ?? 0}m`, memory: String(m.memoryBytes ?? 0), pods: '110' };
  return {
    conditions: [{ type: 'Ready', ...ready, lastHeartbeatTime: at, lastTransitionTime: at }],
    addresses: [{ type: 'InternalIP', address: host }],
    capacity: resources,
    allocatable: resources,
    nodeInfo: {
      kubeletVersion: m.version ?? '',
      containerRuntimeVersion: m.runtime ?? '',
      operatingSystem: 'linux',
      architecture: process.arch,
      osImage: 'Starling',
      kernelVersion: '',
    },
    daemonEndpoints: { starlingEndpoint: { address: m.addr ?? '' } },
  };
}

export function nodeBinding(
  objects: ObjectService,
  leftEvictionMs: number,
  now: () => number,
  event: (node: string, obj: KObject, reason: string, message: string) => void,
): KindBinding {
  return {
    kind: 'Node',
    machine: nodeMachine,
    schema: NODE_SCHEMA,
    input: () => ({ at: now(), leftEvictionMs }),
    // nothing to say before membership has described the node: an actor made on a member that
    // has not heard of the node yet would otherwise write it Ready, with no address or capacity
    statusOf: (ctx: NodeContext) => ctx.meta ? nodeStatus(ctx) : undefined,
    execute: (key, ctx: NodeContext) => {
      const node = objects.get(key);
      if (!node) return;
      for (const cmd of ctx.commands) {
        // like Kubernetes' pod garbage collection for a lost node: the pods go at once and
        // their owners replace them on live nodes
        const pods = objects.list('Pod').filter((p) => (p.spec as { nodeName?: string }).nodeName === node.metadata.name);
        for (const p of pods) objects.finalize(keyOf(p));
        event(node.metadata.name, node, 'NodeEvicted', `Evicted ${pods.length} pod(s): ${cmd.reason}`);
      }
    },
  };
}

export type { ObjectKey };
