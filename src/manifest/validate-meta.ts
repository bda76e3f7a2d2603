// metadata validation (apimachinery pkg/api/validation/objectmeta.go): name / generateName,
// namespace, labels, annotations, ownerReferences.

import type { FieldError } from '../errors.ts';
import type { KindInfo } from './kinds.ts';
import { isLabelKey, validateLabels } from './labels.ts';
import { forbidden, invalid, required, tooLong } from './messages.ts';
import { byteLength, generateNameErrors, isDNS1123Label, nameErrors } from './names.ts';

/** Kubernetes' TotalAnnotationSizeLimitB: 256 KiB over all keys and values. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Annotation keys are label keys checked in lower case; values are free text. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(annotations)) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isLabelKey(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
  }
  if (total > MAX_ANNOTATIONS_BYTES) errs.push(tooLong(path, MAX_ANNOTATIONS_BYTES));
  return errs;
}

/** Validates an object's metadata for its kind (name rule, namespace scope). */
export function validateObjectMeta(meta: unknown, info: KindInfo, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const m = isObject(meta) ? meta : {};
  const name = m.name;
  const generateName = m.generateName;
  if (typeof name === 'string' && name !== '') {
    for (const msg of nameErrors(info.nameRule, name)) {
      errs.push(invalid(`${path}.name`, name, msg));
    }
  } else if (typeof generateName === 'string' && generateName !== '') {
    for (const msg of generateNameErrors(info.nameRule, generateName)) {
      errs.push(invalid(`${path}.generateName`, generateName, msg));
    }
  } else if (name === undefined || name === null || name === '') {
    errs.push(required(`${path}.name`, 'name or generateName is required'));
  }

  const ns = m.namespace;
  if (typeof ns === 'string' && ns !== '') {
    if (!info.namespaced) errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
    else for (const msg of isDNS1123Label(ns)) errs.push(invalid(`${path}.namespace`, ns, msg));
  }

  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));

  if (Array.isArray(m.ownerReferences)) {
    m.ownerReferences.forEach((ref: unknown, i: number) => {
      if (!isObject(ref)) return;
      for (const f of ['apiVersion', 'kind', 'name', 'uid']) {
        if (typeof ref[f] !== 'string' || ref[f] === '') {
          errs.push(required(`${path}.ownerReferences[${i}].${f}`));
        }
      }
    });
  }
  return errs;
}

/** Pod template metadata: only labels and annotations are checked, as in Kubernetes. */
export function validateTemplateMeta(meta: unknown, path: string): FieldError[] {
  if (!isObject(meta)) return [];
  return [
    ...validateLabels(meta.labels, `${path}.labels`),
    ...validateAnnotations(meta.annotations, `${path}.annotations`),
  ];
}
