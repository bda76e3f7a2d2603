// Validation of v1 ResourceQuota specs (Kubernetes' ValidateResourceQuota: resource names and
// quantities of spec.hard), in Kubernetes' wording, and the resource names Starling enforces.
//
// A name Kubernetes does not know is refused (`must be a standard resource for quota`); a name
// Kubernetes knows but Starling cannot count (storage, hugepages, replicationcontrollers,
// `count/` of a kind Starling does not serve) is accepted with a warning naming it, since nothing
// of that kind can be created here anyway. Quota scopes change what a quota counts: they are
// refused rather than ignored.

import type { FieldError } from '../errors.ts';
import { isLabelKey } from './labels.ts';
import { forbidden, invalid, required } from './messages.ts';
import { canonicalQuantity, parseQuantity } from './quantity.ts';
import type { Findings } from './validate-pod.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kubernetes' standardQuotaResources (core helpers.go), hugepages aside. */
const STANDARD_QUOTA_RESOURCES = [
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.storage',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
];

/** Kubernetes' standardResources: what validateResourceName accepts without a `/`. */
const STANDARD_RESOURCES = [...STANDARD_QUOTA_RESOURCES];

/** Resources whose amount must be whole (Kubernetes' integerResources). */
const INTEGER_RESOURCES = [
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
];

/** Resources a Starling quota counts and enforces. */
export const ENFORCED_QUOTA_RESOURCES: readonly string[] = [
  'pods',
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
  'services',
  'services.nodeports',
  'services.loadbalancers',
  'configmaps',
  'secrets',
  'resourcequotas',
  'count/pods',
  'count/services',
  'count/configmaps',
  'count/secrets',
  'count/resourcequotas',
  'count/limitranges',
  'count/deployments.apps',
  'count/replicasets.apps',
  'count/horizontalpodautoscalers.autoscaling',
];

const isHugePages = (name: string) => name.startsWith('hugepages-') || name.startsWith('requests.hugepages-');
const isStandardQuota = (name: string) => STANDARD_QUOTA_RESOURCES.includes(name) || isHugePages(name);

/** Extended resources (fully qualified, outside kubernetes.io) are counted in whole units too. */
function isIntegerResource(name: string): boolean {
  if (INTEGER_RESOURCES.includes(name)) return true;
  return name.includes('/') && !name.includes('kubernetes.io/') && !name.startsWith('requests.');
}

/**
 * One quota amount: a quantity, not negative, whole for count resources. The bad value of a
 * negative amount is its canonical text; of a fractional count, the quantity as given.
 */
function quantityProblems(name: string, value: unknown, path: string): FieldError[] {
  if (typeof value !== 'string' && typeof value !== 'number') return []; // shape error already
  let milli: bigint;
  try {
    milli = parseQuantity(value).milli;
  } catch (e) {
    return [invalid(path, value, e instanceof Error ? e.message : String(e))];
  }
  if (milli < 0n) return [invalid(path, canonicalQuantity(value), 'must be greater than or equal to 0')];
  if (isIntegerResource(name) && milli % 1000n !== 0n) return [invalid(path, canonicalQuantity(value), 'must be an integer')];
  return [];
}

/** Kubernetes' ValidateResourceQuotaResourceName, and Starling's word on what it enforces. */
function resourceNameProblems(name: string, path: string, out: Findings): boolean {
  if (name.includes('/')) {
    const errs = isLabelKey(name);
    for (const m of errs) out.errors.push(invalid(path, name, m));
    if (errs.length) return false;
  } else if (!isStandardQuota(name)) {
    if (!STANDARD_RESOURCES.includes(name)) out.errors.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    out.errors.push(invalid(path, name, 'must be a standard resource for quota'));
    return false;
  }
  if (!ENFORCED_QUOTA_RESOURCES.includes(name)) {
    out.warnings.push(`${path}: Starling does not count this resource (nothing of it can be created here); ignored`);
  }
  return true;
}

export function validateResourceQuotaSpec(spec: unknown, path: string): Findings {
  const out: Findings = { errors: [], warnings: [] };
  if (spec === undefined || spec === null) return out;
  if (!isObject(spec)) return { errors: [required(path)], warnings: [] };
  if (spec.scopes !== undefined && spec.scopes !== null && !(Array.isArray(spec.scopes) && spec.scopes.length === 0)) {
    out.errors.push(forbidden(`${path}.scopes`, 'quota scopes are not supported by Starling: a quota counts every pod of its namespace'));
  }
  if (spec.scopeSelector !== undefined && spec.scopeSelector !== null) {
    out.errors.push(forbidden(`${path}.scopeSelector`, 'quota scopes are not supported by Starling: a quota counts every pod of its namespace'));
  }
  if (!isObject(spec.hard)) return out;
  for (const [name, value] of Object.entries(spec.hard)) {
    const p = `${path}.hard[${name}]`;
    resourceNameProblems(name, p, out);
    out.errors.push(...quantityProblems(name, value, p));
  }
  return out;
}

/** spec.hard with quantities given as YAML numbers in canonical text (`1` → `"1"`). */
export function defaultResourceQuotaSpec(spec: Obj): void {
  if (!isObject(spec.hard)) return;
  for (const [k, v] of Object.entries(spec.hard)) {
    if (typeof v === 'number') spec.hard[k] = canonicalQuantity(v);
  }
}
