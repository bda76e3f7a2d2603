// Validation of one manifest document for the kinds users may apply (Pod, Namespace, ReplicaSet,
// Deployment), following Kubernetes' rules and wording (shared/k8s-examples/VALIDATION.md).
// Every problem of the document is collected; nothing stops at the first error.
//
// `status` in a manifest is ignored without a warning: `kubectl get -o yaml | kubectl apply -f -`
// round trips carry it, and Kubernetes ignores it on create/update of the main resource too.

import type { FieldError } from '../errors.ts';
import { StarlingError } from '../errors.ts';
import { kindFor, type KindInfo, requireAppliable } from './kinds.ts';
import { badValue, fieldErrorText, required, typeError } from './messages.ts';
import { checkShape, OBJECT_SCHEMAS } from './schema.ts';
import { validateObjectMeta } from './validate-meta.ts';
import { type Findings, validatePodSpec } from './validate-pod.ts';
import { validateDeploymentSpec, validateReplicaSetSpec } from './validate-workloads.ts';
import { validateHpaSpec } from './validate-hpa.ts';
import { validateServiceSpec } from './validate-service.ts';
import { validateResourceQuotaSpec } from './validate-quota.ts';
import { validateLimitRangeSpec } from './validate-limitrange.ts';
import { redactSecretValues, validateConfigMap, validateSecret } from './validate-config.ts';

export interface ValidationResult {
  errors: FieldError[];
  warnings: string[];
}

export interface DocumentCheck extends ValidationResult {
  /** The kind, when apiVersion/kind name one users may apply. */
  info?: KindInfo;
  /** Set when the document fails only because of its kind or apiVersion. */
  kindError?: StarlingError;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Validates one document and reports its kind; see `validateObject`. */
export function checkDocument(obj: unknown, documentIndex?: number): DocumentCheck {
  const tag = (errs: FieldError[]) =>
    documentIndex === undefined ? errs : errs.map((e) => ({ ...e, document: documentIndex }));
  if (!isObject(obj)) {
    return {
      errors: tag([{
        field: '',
        message: `Invalid value: ${
          badValue(obj)
        }: a manifest document must be a mapping with apiVersion, kind and metadata`,
      }]),
      warnings: [],
    };
  }
  const head: FieldError[] = [];
  const { apiVersion, kind } = obj;
  if (kind === undefined || kind === null || kind === '') {
    head.push(required('kind', "Object 'Kind' is missing"));
  } else if (typeof kind !== 'string') head.push(typeError('kind', kind, 'string'));
  if (apiVersion === undefined || apiVersion === null || apiVersion === '') {
    head.push(required('apiVersion', "Object 'apiVersion' is missing"));
  } else if (typeof apiVersion !== 'string') {
    head.push(typeError('apiVersion', apiVersion, 'string'));
  }
  if (head.length) return { errors: tag(head), warnings: [] };

  let info: KindInfo;
  try {
    info = requireAppliable(kindFor(apiVersion as string, (kind as string).trim()));
  } catch (e) {
    if (!(e instanceof StarlingError)) throw e;
    const field = e.message.includes('unsupported apiVersion') ? 'apiVersion' : 'kind';
    return { errors: tag([{ field, message: e.message }]), warnings: [], kindError: e };
  }

  const errors: FieldError[] = [];
  const warnings: string[] = [];
  checkShape(obj, OBJECT_SCHEMAS[info.kind], '', errors, warnings);
  errors.push(...validateObjectMeta(obj.metadata, info));
  let spec: Findings = { errors: [], warnings: [] };
  switch (info.kind) {
    case 'Pod':
      spec = validatePodSpec(obj.spec, 'spec');
      break;
    case 'ReplicaSet':
      spec = validateReplicaSetSpec(obj.spec, 'spec');
      break;
    case 'Deployment':
      spec = validateDeploymentSpec(obj.spec, 'spec');
      break;
    case 'HorizontalPodAutoscaler':
      spec = validateHpaSpec(obj.spec, 'spec');
      break;
    case 'Service':
      spec = validateServiceSpec(obj.spec, 'spec');
      break;
    case 'ResourceQuota':
      spec = validateResourceQuotaSpec(obj.spec, 'spec');
      break;
    case 'LimitRange':
      spec = validateLimitRangeSpec(obj.spec, 'spec');
      break;
    case 'ConfigMap':
      spec = validateConfigMap(obj);
      break;
    case 'Secret':
      spec = validateSecret(obj);
      redactSecretValues(errors); // values of the wrong type are never echoed
      break;
  }
  errors.push(...spec.errors);
  warnings.push(...spec.warnings);
  const errorText = new Set(errors.map((e) => e.field));
  return {
    info,
    // A field that is an error is not also "ignored" (e.g. activeDeadlineSeconds in templates).
    warnings: dedupe(warnings, (w) => w).filter((w) => !errorText.has(w.slice(0, w.indexOf(': ')))),
    errors: tag(dedupe(errors, fieldErrorText)),
  };
}

/**
 * Validates a decoded manifest document (a plain object) of a kind users may apply. Returns all
 * field errors (each tagged with `documentIndex` when given) and warnings for fields Starling does
 * not support. Does not apply defaults; an empty `errors` means the object may be defaulted and
 * stored.
 */
export function validateObject(obj: unknown, documentIndex?: number): ValidationResult {
  const { errors, warnings } = checkDocument(obj, documentIndex);
  return { errors, warnings };
}
