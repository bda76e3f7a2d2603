// `get` rows and `describe` for ResourceQuotas and LimitRanges, as kubectl prints them
// (k8s.io/kubernetes/pkg/printers/internalversion printResourceQuota / printLimitRange,
// k8s.io/kubectl/pkg/describe describeQuota / describeLimitRange).

import type { KObject } from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';
import { formatAge } from './age.ts';
import { LEVEL_0, PrefixWriter } from './describe-writer.ts';

type Quantities = Record<string, string>;
const quantities = (m: unknown): Quantities => (m && typeof m === 'object' ? (m as Quantities) : {});

export const QUOTA_HEADERS = ['NAME', 'AGE', 'REQUEST', 'LIMIT'];

/**
 * REQUEST and LIMIT: `resource: used/hard` for each resource of status.hard, sorted, those named
 * `limits.*` under LIMIT and every other under REQUEST (as kubectl splits them).
 */
export function quotaRow(q: KObject, now: number): string[] {
  const hard = quantities(q.status?.hard);
  const used = quantities(q.status?.used);
  const request: string[] = [];
  const limit: string[] = [];
  for (const r of Object.keys(hard).sort(compareText)) {
    const pieces = r.split('.');
    const cell = `${r}: ${used[r] ?? '0'}/${hard[r]}`;
    if (pieces.length > 1 && pieces[0] === 'limits') limit.push(cell);
    else request.push(cell);
  }
  return [q.metadata.name, formatAge(q.metadata.creationTimestamp, now), request.join(', '), limit.join(', ')];
}

export const LIMITRANGE_HEADERS = ['NAME', 'CREATED AT'];

/** CREATED AT: the creation time in RFC 3339, UTC. */
export function limitRangeRow(lr: KObject): string[] {
  const t = Date.parse(lr.metadata.creationTimestamp ?? '');
  return [lr.metadata.name, Number.isFinite(t) ? new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z') : '<unknown>'];
}

/** kubectl's describeQuota: Name, Namespace, then Resource / Used / Hard per resource of status.hard. */
export function describeQuota(q: KObject): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${q.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${q.metadata.namespace ?? ''}\n`);
  w.write(LEVEL_0, 'Resource\tUsed\tHard\n');
  w.write(LEVEL_0, '--------\t----\t----\n');
  const hard = quantities(q.status?.hard);
  const used = quantities(q.status?.used);
  for (const r of Object.keys(hard).sort(compareText)) w.write(LEVEL_0, `${r}\t${used[r] ?? '0'}\t${hard[r]}\n`);
  return w.toString();
}

/** kubectl's describeLimitRange: one row per limit type and resource, `-` where a value is unset. */
export function describeLimitRange(lr: KObject): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${lr.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${lr.metadata.namespace ?? ''}\n`);
  w.write(LEVEL_0, 'Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n');
  w.write(LEVEL_0, '----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n');
  for (const item of (lr.spec?.limits ?? []) as Record<string, unknown>[]) {
    const maps = ['min', 'max', 'defaultRequest', 'default', 'maxLimitRequestRatio'].map((k) => quantities(item[k]));
    const names = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort(compareText);
    for (const n of names) w.write(LEVEL_0, `${item.type ?? ''}\t${n}\t${maps.map((m) => m[n] ?? '-').join('\t')}\n`);
  }
  return w.toString();
}
