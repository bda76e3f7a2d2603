// From stored objects to the numbers of actors/quota.ts: what a pod or object uses (Kubernetes'
// evaluators: pods, services, and `count/<resource>.<group>` for every kind), what a namespace
// uses, a ResourceQuota's hard limits, and the status (`hard`, `used`) its Namespace's host keeps.

import {
  type AdmissionRequest,
  containerSpecifies,
  type ContainerResources,
  formatAmount,
  podUsage,
  type QuotaLimits,
  type ResourceList,
} from '../../actors/quota.ts';
import { kindInfo, parseQuantity } from '../manifest/index.ts';
import type { Container, KObject, PodSpec } from '../objects/types.ts';
import { keyOf } from '../objects/types.ts';

const MILLI = 1000;

/** A quantity in thousandths; undefined when it does not parse (validation refused it already). */
export function milliOf(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return Number(parseQuantity(v).milli);
  } catch {
    return undefined;
  }
}

function amounts(list: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = {};
  for (const r of ['cpu', 'memory']) {
    const m = milliOf(list?.[r]);
    if (m !== undefined) out[r] = m;
  }
  return out;
}

export function containerResources(c: Container): ContainerResources {
  return { name: c.name, requests: amounts(c.resources?.requests), limits: amounts(c.resources?.limits) };
}

const isTerminal = (pod: KObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';

/** How Kubernetes names a kind's resource in messages and count quotas: `pods`, `deployments.apps`. */
export function resourceOf(kind: string): string {
  const info = kindInfo(kind);
  if (!info) return `${kind.toLowerCase()}s`;
  return info.group ? `${info.plural}.${info.group}` : info.plural;
}

/** What one object uses: `count/<resource>` for every kind, and the evaluators' own names. */
export function usageOf(obj: KObject): ResourceList {
  if (obj.kind === 'Pod') {
    const spec = obj.spec as PodSpec;
    return podUsage({
      containers: (spec.containers ?? []).map(containerResources),
      initContainers: (spec.initContainers ?? []).map(containerResources),
      terminal: isTerminal(obj),
    });
  }
  const out: ResourceList = { [`count/${resourceOf(obj.kind)}`]: MILLI };
  if (obj.kind === 'Service') {
    const type = obj.spec?.type ?? 'ClusterIP';
    const ports = Array.isArray(obj.spec?.ports) ? obj.spec.ports.length : 0;
    out.services = MILLI;
    out['services.loadbalancers'] = type === 'LoadBalancer' ? MILLI : 0;
    out['services.nodeports'] = type === 'NodePort' || type === 'LoadBalancer' ? ports * MILLI : 0;
  } else if (obj.kind === 'ConfigMap') out.configmaps = MILLI;
  else if (obj.kind === 'Secret') out.secrets = MILLI;
  else if (obj.kind === 'ResourceQuota') out.resourcequotas = MILLI;
  return out;
}

/** The sum of what the objects use. */
export function totalUsage(objects: Iterable<KObject>): ResourceList {
  const out: ResourceList = {};
  for (const o of objects) {
    for (const [k, v] of Object.entries(usageOf(o))) out[k] = (out[k] ?? 0) + v;
  }
  return out;
}

/** A ResourceQuota's hard limits (spec.hard, as admission and the status use them). */
export function quotaLimits(q: KObject): QuotaLimits {
  const hard: ResourceList = {};
  const binary: string[] = [];
  for (const [name, v] of Object.entries((q.spec?.hard ?? {}) as Record<string, unknown>)) {
    const m = milliOf(v);
    if (m === undefined) continue;
    hard[name] = m;
    if (parseQuantity(v as string | number).format === 'BinarySI') binary.push(name);
  }
  return { name: q.metadata.name, hard, binary };
}

/** status of a ResourceQuota: `hard` as given, `used` for each of its resources. */
export function quotaStatus(q: KObject, used: ResourceList): { hard: Record<string, string>; used: Record<string, string> } {
  const limits = quotaLimits(q);
  const hard: Record<string, string> = {};
  const usedText: Record<string, string> = {};
  for (const [name, v] of Object.entries((q.spec?.hard ?? {}) as Record<string, unknown>)) {
    hard[name] = String(v);
    usedText[name] = formatAmount(used[name] ?? 0, limits.binary?.includes(name));
  }
  return { hard, used: usedText };
}

/** What the Namespace actor needs to admit a pod: its usage and what each container specifies. */
export function podRequest(pod: KObject): AdmissionRequest {
  const spec = pod.spec as PodSpec;
  return {
    key: keyOf(pod),
    uid: pod.metadata.uid,
    resource: 'pods',
    name: pod.metadata.name,
    usage: usageOf(pod),
    containers: [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c) => ({
      name: c.name,
      specified: containerSpecifies(containerResources(c)),
    })),
  };
}
