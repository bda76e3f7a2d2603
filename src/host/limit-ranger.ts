// Kubernetes' LimitRanger admission plugin, as a pure function of a new pod and its namespace's
// LimitRanges: first the defaults (a container that sets no cpu or memory request or limit gets
// the LimitRange's `defaultRequest` / `default`, noted in the `kubernetes.io/limit-ranger`
// annotation), then the checks (min, max and maxLimitRequestRatio per Container, or summed over the
// pod for type Pod), with Kubernetes' messages. Starling limits cpu and memory only.

import { canonicalQuantity, parseQuantity } from '../manifest/index.ts';
import type { Container, KObject, PodSpec } from '../objects/types.ts';

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';
const LIMITED = ['cpu', 'memory'];

type Quantities = Record<string, string>;
interface LimitItem {
  type?: string;
  min?: Quantities;
  max?: Quantities;
  default?: Quantities;
  defaultRequest?: Quantities;
  maxLimitRequestRatio?: Quantities;
}

const byName = (a: KObject, b: KObject) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
const itemsOf = (ranges: KObject[], type: string): LimitItem[] =>
  [...ranges].sort(byName).flatMap((lr) => ((lr.spec?.limits ?? []) as LimitItem[]).filter((i) => i.type === type));

const milli = (v: string | number) => parseQuantity(v).milli;
const sorted = (m: Quantities | undefined) => Object.keys(m ?? {}).filter((k) => LIMITED.includes(k)).sort();

/** Whether any LimitRange would change or check a pod (so admission can skip the work). */
export const limitsPods = (ranges: KObject[]) => itemsOf(ranges, 'Container').length + itemsOf(ranges, 'Pod').length > 0;

/**
 * The LimitRanges' defaults applied to a copy of the pod (containers and init containers), with
 * the annotation saying what was set; the pod itself when nothing was.
 */
export function applyLimitDefaults(pod: KObject, ranges: KObject[]): KObject {
  const requests: Quantities = {};
  const limits: Quantities = {};
  for (const item of itemsOf(ranges, 'Container')) {
    for (const k of sorted(item.defaultRequest)) requests[k] ??= item.defaultRequest![k];
    for (const k of sorted(item.default)) limits[k] ??= item.default![k];
  }
  if (Object.keys(requests).length + Object.keys(limits).length === 0) return pod;
  const out = structuredClone(pod);
  const spec = out.spec as PodSpec;
  const notes: string[] = [];
  const merge = (c: Container, prefix: string) => {
    const res = (c.resources ??= {});
    const setRequests: string[] = [];
    const setLimits: string[] = [];
    for (const [k, v] of Object.entries(limits)) {
      if (res.limits?.[k] !== undefined) continue;
      (res.limits ??= {})[k] = v;
      setLimits.push(k);
    }
    for (const [k, v] of Object.entries(requests)) {
      if (res.requests?.[k] !== undefined) continue;
      (res.requests ??= {})[k] = v;
      setRequests.push(k);
    }
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${c.name}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${c.name}`);
  };
  for (const c of spec.containers ?? []) merge(c, 'container');
  for (const c of spec.initContainers ?? []) merge(c, 'init container');
  if (notes.length === 0) return pod;
  out.metadata.annotations = { ...(out.metadata.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
  return out;
}

interface Observed {
  request?: { milli: bigint; text: string };
  limit?: { milli: bigint; text: string };
}

function minConstraint(type: string, name: string, enforced: string, o: Observed): string | undefined {
  const e = milli(enforced);
  const shown = canonicalQuantity(enforced);
  if (!o.request) return `minimum ${name} usage per ${type} is ${shown}.  No request is specified`;
  if (o.request.milli < e) return `minimum ${name} usage per ${type} is ${shown}, but request is ${o.request.text}`;
  if (o.limit && o.limit.milli < e) return `minimum ${name} usage per ${type} is ${shown}, but limit is ${o.limit.text}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: string, o: Observed): string | undefined {
  const e = milli(enforced);
  const shown = canonicalQuantity(enforced);
  if (!o.limit) return `maximum ${name} usage per ${type} is ${shown}.  No limit is specified`;
  if (o.limit.milli > e) return `maximum ${name} usage per ${type} is ${shown}, but limit is ${o.limit.text}`;
  if (o.request && o.request.milli > e) return `maximum ${name} usage per ${type} is ${shown}, but request is ${o.request.text}`;
  return undefined;
}

function ratioConstraint(type: string, name: string, enforced: string, o: Observed): string | undefined {
  const shown = canonicalQuantity(enforced);
  if (!o.request || o.request.milli === 0n) {
    return `${name} max limit to request ratio per ${type} is ${shown}, but no request is specified or request is 0`;
  }
  if (!o.limit || o.limit.milli === 0n) {
    return `${name} max limit to request ratio per ${type} is ${shown}, but no limit is specified or limit is 0`;
  }
  const observed = Number(o.limit.milli) / Number(o.request.milli);
  if (observed * 1000 > Number(milli(enforced))) {
    return `${name} max limit to request ratio per ${type} is ${shown}, but provided ratio is ${observed.toFixed(6)}`;
  }
  return undefined;
}

function check(type: string, item: LimitItem, observe: (name: string) => Observed, errors: string[]) {
  for (const k of sorted(item.min)) {
    const e = minConstraint(type, k, item.min![k], observe(k));
    if (e) errors.push(e);
  }
  for (const k of sorted(item.max)) {
    const e = maxConstraint(type, k, item.max![k], observe(k));
    if (e) errors.push(e);
  }
  for (const k of sorted(item.maxLimitRequestRatio)) {
    const e = ratioConstraint(type, k, item.maxLimitRequestRatio![k], observe(k));
    if (e) errors.push(e);
  }
}

const amount = (v: string | undefined) => (v === undefined ? undefined : { milli: milli(v), text: canonicalQuantity(v) });

/** Pod totals: containers summed, each init container a floor (Kubernetes' podRequests / podLimits). */
function podTotal(spec: PodSpec, which: 'requests' | 'limits', name: string) {
  let total: bigint | undefined;
  let binary = false;
  for (const c of spec.containers ?? []) {
    const v = c.resources?.[which]?.[name];
    if (v === undefined) continue;
    if (total === undefined) binary = parseQuantity(v).format === 'BinarySI';
    total = (total ?? 0n) + milli(v);
  }
  for (const c of spec.initContainers ?? []) {
    const v = c.resources?.[which]?.[name];
    if (v === undefined) continue;
    if (total === undefined || milli(v) > total) total = milli(v);
  }
  if (total === undefined) return undefined;
  const text = binary && total % 1000n === 0n ? binaryText(total / 1000n) : canonicalQuantity(`${total}m`);
  return { milli: total, text };
}

function binaryText(whole: bigint): string {
  const units = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  let v = whole;
  let i = 0;
  while (i < units.length - 1 && v !== 0n && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v}${units[i]}`;
}

/** Kubernetes' PodValidateLimitFunc: every violation of every LimitRange, in its words. */
export function limitViolations(pod: KObject, ranges: KObject[]): string[] {
  const spec = pod.spec as PodSpec;
  const errors: string[] = [];
  for (const item of itemsOf(ranges, 'Container')) {
    for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      check('Container', item, (k) => ({ request: amount(c.resources?.requests?.[k]), limit: amount(c.resources?.limits?.[k]) }), errors);
    }
  }
  for (const item of itemsOf(ranges, 'Pod')) {
    check('Pod', item, (k) => ({ request: podTotal(spec, 'requests', k), limit: podTotal(spec, 'limits', k) }), errors);
  }
  return [...new Set(errors)];
}

/** `msg`, or `[msg1, msg2]` for several, as Kubernetes' error aggregate prints them. */
export const aggregate = (errors: string[]) => (errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
