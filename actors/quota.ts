// ResourceQuota admission as pure functions, after Kubernetes' quota admission controller
// (plugin/pkg/admission/resourcequota, pkg/quota/v1/evaluator/core): what a pod or object uses,
// whether a quota that limits compute resources finds them specified on every container, and
// whether adding the usage to what is used stays within every quota's hard limits.
//
// Every amount is a number of thousandths (milli-units): cpu `500m` → 500, memory `1Ki` →
// 1024000, `pods: 3` → 3000. The host parses quantities (src/manifest/quantity.ts) into this form,
// so this file needs no parser and stays free of src/ (a plain number survives JSON snapshots,
// a bigint would not). Numbers stay exact up to 2^53 thousandths (about 9 PB of memory).

/** Amounts per resource name, in thousandths. */
export type ResourceList = Record<string, number>;

/** A ResourceQuota as admission sees it. */
export interface QuotaLimits {
  name: string;
  hard: ResourceList;
  /** resources whose hard limit is written with a binary suffix (`1Gi`): amounts print that way */
  binary?: string[];
}

/** The cpu and memory a container asks for (thousandths; absent: not specified). */
export interface ContainerResources {
  name: string;
  requests: ResourceList;
  limits: ResourceList;
}

export interface PodResources {
  containers: ContainerResources[];
  initContainers?: ContainerResources[];
  /** Succeeded or Failed: only `count/pods` still counts */
  terminal?: boolean;
}

/** One object asking to be admitted: its usage and, for a pod, what each container specifies. */
export interface AdmissionRequest {
  /** store key (`Pod/ns/name`) */
  key: string;
  uid?: string;
  /** how Kubernetes names the resource in messages: `pods`, `services`, `deployments.apps` */
  resource: string;
  name: string;
  usage: ResourceList;
  /** pods: per container, the compute resources it specifies (podComputeUsage names) */
  containers?: { name: string; specified: string[] }[];
}

export type Verdict = { allowed: true } | { allowed: false; message: string };

/** The compute resources a quota can only count when every container specifies them. */
export const COMPUTE_RESOURCES = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;

const MILLI = 1000;

export function addUsage(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The resources that grow from `before` to `after` (what an update asks for; nothing shrinks). */
export function usageDelta(after: ResourceList, before: ResourceList = {}): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0 || !(k in before)) out[k] = Math.max(0, d);
  }
  return out;
}

function sumInto(target: ResourceList, add: ResourceList) {
  for (const [k, v] of Object.entries(add)) target[k] = (target[k] ?? 0) + v;
}
function maxInto(target: ResourceList, other: ResourceList) {
  for (const [k, v] of Object.entries(other)) target[k] = Math.max(target[k] ?? 0, v);
}

/** podComputeUsageHelper: the quota names that requests and limits give. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const r of ['cpu', 'memory']) {
    if (r in requests) {
      out[r] = requests[r];
      out[`requests.${r}`] = requests[r];
    }
    if (r in limits) out[`limits.${r}`] = limits[r];
  }
  return out;
}

/**
 * What a pod uses (Kubernetes' PodUsageFunc): `count/pods` always; while it is not finished also
 * `pods`, and the sum of its containers' requests and limits (the larger of that and any one init
 * container) as cpu / requests.cpu / limits.cpu and the same for memory.
 */
export function podUsage(pod: PodResources): ResourceList {
  const out: ResourceList = { 'count/pods': MILLI };
  if (pod.terminal) return out;
  const requests: ResourceList = {};
  const limits: ResourceList = {};
  for (const c of pod.containers) {
    sumInto(requests, c.requests);
    sumInto(limits, c.limits);
  }
  for (const c of pod.initContainers ?? []) {
    maxInto(requests, c.requests);
    maxInto(limits, c.limits);
  }
  return { ...out, pods: MILLI, ...computeUsage(requests, limits) };
}

/** The compute names one container specifies (for the "must specify" rule). */
export function containerSpecifies(c: ContainerResources): string[] {
  return Object.keys(computeUsage(c.requests, c.limits)).sort();
}

/**
 * Kubernetes' pod evaluator Constraints: a quota that limits cpu or memory (requests or limits)
 * needs every container to say how much. `must specify limits.cpu for: a,b; requests.cpu for: a`.
 */
export function missingCompute(hard: ResourceList, containers: { name: string; specified: string[] }[]): string | undefined {
  const required = COMPUTE_RESOURCES.filter((r) => r in hard);
  if (required.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of containers) {
    for (const r of required) {
      if (c.specified.includes(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(c.name);
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const DECIMAL = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * An amount as Kubernetes prints a quantity: `500m`, `2`, `3k`; with `binary`, whole multiples
 * of 1024 as `256Mi`, `1Gi` (other amounts fall back to the decimal form).
 */
export function formatAmount(milli: number, binary = false): string {
  const m = Math.round(milli);
  if (m === 0) return '0';
  if (m % MILLI !== 0) return `${m}m`;
  let v = m / MILLI;
  let i = 0;
  if (binary && Math.abs(v) >= 1024) {
    while (i < BINARY.length - 1 && v % 1024 === 0) {
      v /= 1024;
      i++;
    }
    return `${v}${BINARY[i]}`;
  }
  while (i < DECIMAL.length - 1 && v % 1000 === 0) {
    v /= 1000;
    i++;
  }
  return `${v}${DECIMAL[i]}`;
}

/** `pods=1,requests.cpu=500m`: names sorted, as Kubernetes' prettyPrint. */
function pretty(list: ResourceList, names: string[], binary: string[]): string {
  return [...names].sort().map((n) => `${n}=${formatAmount(list[n] ?? 0, binary.includes(n))}`).join(',');
}

/**
 * Whether an object fits every quota, given what the namespace uses now. Constraints first (for
 * every quota, in name order), then the amounts: only the resources the object asks for and a
 * quota limits are checked, so an object never fails on a resource it does not use.
 * The message follows Kubernetes: `pods "web-1" is forbidden: exceeded quota: q1, requested:
 * pods=1, used: pods=3, limited: pods=3`, or `... is forbidden: failed quota: q1: must specify ...`.
 */
export function checkQuotas(quotas: QuotaLimits[], used: ResourceList, req: AdmissionRequest): Verdict {
  const sorted = [...quotas].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const forbidden = (why: string): Verdict => ({ allowed: false, message: `${req.resource} "${req.name}" is forbidden: ${why}` });
  if (req.containers) {
    for (const q of sorted) {
      const missing = missingCompute(q.hard, req.containers);
      if (missing) return forbidden(`failed quota: ${q.name}: ${missing}`);
    }
  }
  for (const q of sorted) {
    const asked = Object.keys(req.usage).filter((r) => r in q.hard);
    const exceeded = asked.filter((r) => (used[r] ?? 0) + req.usage[r] > q.hard[r]);
    if (exceeded.length === 0) continue;
    const binary = q.binary ?? [];
    return forbidden(
      `exceeded quota: ${q.name}, requested: ${pretty(req.usage, exceeded, binary)}, used: ${pretty(used, exceeded, binary)}, limited: ${
        pretty(q.hard, exceeded, binary)
      }`,
    );
  }
  return { allowed: true };
}

/**
 * Admits several objects one at a time: each one counts what the ones before it were granted,
 * so two in a row can never both take the last slot. Returns a verdict per request, in order.
 */
export function admitInOrder(quotas: QuotaLimits[], used: ResourceList, requests: AdmissionRequest[]): { verdicts: Verdict[]; used: ResourceList } {
  let now = used;
  const verdicts = requests.map((r) => {
    const v = checkQuotas(quotas, now, r);
    if (v.allowed) now = addUsage(now, r.usage);
    return v;
  });
  return { verdicts, used: now };
}
