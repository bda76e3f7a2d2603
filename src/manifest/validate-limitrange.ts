// Validation and defaulting of v1 LimitRange specs (Kubernetes' ValidateLimitRange and
// SetDefaults_LimitRangeItem), in Kubernetes' wording. Starling enforces limits of type Container
// and Pod on cpu and memory (src/host/limit-ranger.ts); other container resources and the
// PersistentVolumeClaim type are accepted with a warning naming them.

import type { FieldError } from '../errors.ts';
import { isLabelKey } from './labels.ts';
import { duplicate, forbidden, invalid, required } from './messages.ts';
import { canonicalQuantity, parseQuantity, quantityErrors } from './quantity.ts';
import type { Findings } from './validate-pod.ts';

// Defaulting writes into plain objects already shape-checked; `any` keeps that terse.
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'] as const;
const STANDARD_CONTAINER_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];
/** What Starling enforces. */
export const LIMITED_RESOURCES = ['cpu', 'memory'];
const KEYS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

/**
 * SetDefaults_LimitRangeItem, for type Container: a missing default limit is the max; a missing
 * default request is the default limit, else the min. Changes `item` in place.
 */
export function defaultLimitRangeItem(item: Obj): void {
  if (!isObject(item) || item.type !== 'Container') return;
  const fill = (to: string, from: string) => {
    if (!isObject(item[from])) return;
    if (!isObject(item[to])) item[to] = {};
    for (const [k, v] of Object.entries(item[from])) if (item[to][k] === undefined) item[to][k] = v;
  };
  fill('default', 'max');
  fill('defaultRequest', 'default');
  fill('defaultRequest', 'min');
  for (const key of ['default', 'defaultRequest']) if (isObject(item[key]) && Object.keys(item[key]).length === 0) delete item[key];
  for (const key of KEYS) {
    if (!isObject(item[key])) continue;
    for (const [k, v] of Object.entries(item[key])) if (typeof v === 'number') item[key][k] = canonicalQuantity(v);
  }
}

/** Kubernetes' validateContainerResourceName, plus Starling's warning for what it does not limit. */
function resourceName(name: string, path: string, out: Findings) {
  if (name.includes('/')) {
    for (const m of isLabelKey(name)) out.errors.push(invalid(path, name, m));
    out.warnings.push(`${path}: extended resources are not limited by Starling; ignored`);
    return;
  }
  const standard = STANDARD_CONTAINER_RESOURCES.includes(name) || name.startsWith('hugepages-');
  if (!standard) {
    out.errors.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
    out.errors.push(invalid(path, name, 'must be a standard resource for containers'));
  } else if (!LIMITED_RESOURCES.includes(name)) {
    out.warnings.push(`${path}: not limited by Starling; ignored`);
  }
}

/** The amounts of one map (min, max, ...), parsed; bad ones reported. */
function amounts(m: unknown, path: string, out: Findings): Map<string, { milli: bigint; text: string }> {
  const parsed = new Map<string, { milli: bigint; text: string }>();
  if (!isObject(m)) return parsed;
  for (const [k, v] of Object.entries(m)) {
    const p = `${path}[${k}]`;
    if (typeof v !== 'string' && typeof v !== 'number') continue; // shape error already
    const problems = quantityErrors(v);
    if (problems.length) {
      const shown = problems[0].startsWith('must be greater') ? canonicalQuantity(v) : v;
      for (const msg of problems) out.errors.push(invalid(p, shown, msg));
      continue;
    }
    parsed.set(k, { milli: parseQuantity(v).milli, text: canonicalQuantity(v) });
  }
  return parsed;
}

export function validateLimitRangeSpec(spec: unknown, path: string): Findings {
  const out: Findings = { errors: [], warnings: [] };
  if (!isObject(spec)) return { errors: [required(path)], warnings: [] };
  const limits = Array.isArray(spec.limits) ? spec.limits : [];
  if (spec.limits === undefined || spec.limits === null) out.errors.push(required(`${path}.limits`));
  const seen = new Set<string>();
  limits.forEach((raw: Obj, i: number) => {
    if (!isObject(raw)) return;
    const item = structuredClone(raw);
    defaultLimitRangeItem(item); // Kubernetes validates the defaulted item
    const p = `${path}.limits[${i}]`;
    const type = item.type;
    if (type === undefined || type === null || type === '') out.errors.push(required(`${p}.type`));
    else if (typeof type === 'string' && !type.includes('/') && !(LIMIT_TYPES as readonly string[]).includes(type)) {
      out.errors.push(invalid(`${p}.type`, type, 'must be a standard limit type or fully qualified'));
    } else if (typeof type === 'string' && type.includes('/')) {
      for (const m of isLabelKey(type)) out.errors.push(invalid(`${p}.type`, type, m));
      out.warnings.push(`${p}.type: limit type ${JSON.stringify(type)} is not enforced by Starling; ignored`);
    }
    if (typeof type === 'string') {
      if (seen.has(type)) out.errors.push(duplicate(`${p}.type`, type));
      seen.add(type);
    }
    if (type === 'PersistentVolumeClaim') {
      out.warnings.push(`${p}: Starling has no PersistentVolumeClaims; this limit is ignored`);
      const has = (k: string) => isObject(item[k]) && item[k].storage !== undefined;
      if (!has('min') && !has('max')) {
        out.errors.push(required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
      }
      return;
    }
    if (type === 'Pod') {
      for (const k of ['default', 'defaultRequest']) {
        if (isObject(item[k]) && Object.keys(item[k]).length > 0) out.errors.push(forbidden(`${p}.${k}`, "may not be specified when `type` is 'Pod'"));
      }
    }
    // names and amounts as written; the order of the amounts once defaulted, as Kubernetes does
    const q: Record<string, Map<string, { milli: bigint; text: string }>> = {};
    const quiet: Findings = { errors: [], warnings: [] };
    for (const key of KEYS) {
      if (type === 'Pod' && (key === 'default' || key === 'defaultRequest')) {
        q[key] = new Map();
        continue;
      }
      if (isObject(raw[key])) for (const name of Object.keys(raw[key])) resourceName(name, `${p}.${key}[${name}]`, out);
      amounts(raw[key], `${p}.${key}`, out);
      q[key] = amounts(item[key], `${p}.${key}`, quiet);
    }
    checkOrder(q, p, out.errors);
  });
  // one warning per path is enough
  out.warnings = [...new Set(out.warnings)];
  return out;
}

/** min ≤ defaultRequest ≤ default ≤ max, and the limit/request ratio, per resource. */
function checkOrder(q: Record<string, Map<string, { milli: bigint; text: string }>>, p: string, errors: FieldError[]) {
  const names = new Set(KEYS.flatMap((k) => [...q[k].keys()]));
  for (const k of names) {
    const min = q.min.get(k);
    const max = q.max.get(k);
    const def = q.default.get(k);
    const req = q.defaultRequest.get(k);
    const ratio = q.maxLimitRequestRatio.get(k);
    if (min && max && min.milli > max.milli) {
      errors.push(invalid(`${p}.min[${k}]`, min.text, `min value ${min.text} is greater than max value ${max.text}`));
    }
    if (req && min && min.milli > req.milli) {
      errors.push(invalid(`${p}.defaultRequest[${k}]`, req.text, `min value ${min.text} is greater than default request value ${req.text}`));
    }
    if (req && max && req.milli > max.milli) {
      errors.push(invalid(`${p}.defaultRequest[${k}]`, req.text, `default request value ${req.text} is greater than max value ${max.text}`));
    }
    if (req && def && req.milli > def.milli) {
      errors.push(invalid(`${p}.defaultRequest[${k}]`, req.text, `default request value ${req.text} is greater than default limit value ${def.text}`));
    }
    if (def && min && min.milli > def.milli) {
      errors.push(invalid(`${p}.default[${k}]`, min.text, `min value ${min.text} is greater than default value ${def.text}`));
    }
    if (def && max && def.milli > max.milli) {
      errors.push(invalid(`${p}.default[${k}]`, max.text, `default value ${def.text} is greater than max value ${max.text}`));
    }
    if (ratio && ratio.milli < 1000n) {
      errors.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, ratio.text, `ratio ${ratio.text} is less than 1`));
    }
    if (ratio && min && max && min.milli > 0n) {
      const limit = Number(max.milli) / Number(min.milli);
      if (Number(ratio.milli) / 1000 > limit) {
        errors.push(invalid(`${p}.maxLimitRequestRatio[${k}]`, ratio.text, `ratio ${ratio.text} is greater than max/min = ${limit.toFixed(6)}`));
      }
    }
    if (k.startsWith('hugepages-') && def && req && def.milli !== req.milli) {
      errors.push(invalid(`${p}.defaultRequest[${k}]`, req.text, `default value ${def.text} must equal to defaultRequest value ${req.text} in ${k}`));
    }
  }
}
