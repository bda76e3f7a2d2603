// ReplicaSet and Deployment spec validation (Kubernetes pkg/apis/apps/validation:
// ValidateReplicaSetSpec, ValidateDeploymentSpec, ValidatePodTemplateSpecForReplicaSet,
// ValidateDeploymentStrategy), with Kubernetes' paths and wording.

import type { LabelSelector } from '../objects/types.ts';
import { isEmptySelector, matchesSelector, validateLabelSelector } from './labels.ts';
import { forbidden, invalid, notSupported, required } from './messages.ts';
import { isPercent } from './names.ts';
import { validateTemplateMeta } from './validate-meta.ts';
import { type Findings, validatePodSpec } from './validate-pod.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const absent = (v: unknown) => v === undefined || v === null;
const NON_NEGATIVE = 'must be greater than or equal to 0';

function nonNegative(spec: Obj, field: string, path: string, out: Findings): void {
  const v = spec[field];
  if (isInt(v) && v < 0) out.errors.push(invalid(`${path}.${field}`, v, NON_NEGATIVE));
}

/** The parts ReplicaSet and Deployment specs share: replicas, selector, template. */
export function validateReplicaSetSpec(spec: unknown, path = 'spec'): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const s = isObject(spec) ? spec : {};
  nonNegative(s, 'replicas', path, out);
  nonNegative(s, 'minReadySeconds', path, out);

  let selector: LabelSelector | undefined;
  if (absent(s.selector)) {
    out.errors.push(required(`${path}.selector`));
  } else {
    const selErrors = validateLabelSelector(s.selector, `${path}.selector`, true);
    out.errors.push(...selErrors);
    if (selErrors.length === 0 && isObject(s.selector)) {
      selector = s.selector as LabelSelector;
      if (isEmptySelector(selector)) {
        out.errors.push(
          invalid(`${path}.selector`, s.selector, 'empty selector is invalid for deployment'),
        );
        selector = undefined;
      }
    }
  }

  const template = s.template;
  if (absent(template)) {
    out.errors.push(required(`${path}.template`));
    return out;
  }
  if (!isObject(template)) return out; // shape error already reported
  const meta = isObject(template.metadata) ? template.metadata : {};
  const labels = isObject(meta.labels) ? meta.labels : undefined;
  // A missing selector matches nothing, so it also fails this check (as in Kubernetes).
  if (
    (selector || absent(s.selector)) && !matchesSelector(labels as Record<string, string>, selector)
  ) {
    out.errors.push(
      invalid(
        `${path}.template.metadata.labels`,
        labels ?? null,
        '`selector` does not match template `labels`',
      ),
    );
  }
  out.errors.push(...validateTemplateMeta(template.metadata, `${path}.template.metadata`));
  const pod = validatePodSpec(template.spec, `${path}.template.spec`, { template: true });
  out.errors.push(...pod.errors);
  out.warnings.push(...pod.warnings);
  return out;
}

/** maxSurge / maxUnavailable: an integer ≥ 0 or a percentage string. Returns the value if valid. */
function intOrPercent(
  v: unknown,
  path: string,
  out: Findings,
): { n: number; percent: boolean } | undefined {
  if (isInt(v)) {
    if (v < 0) {
      out.errors.push(invalid(path, v, NON_NEGATIVE));
      return undefined;
    }
    return { n: v, percent: false };
  }
  if (typeof v === 'string') {
    const errs = isPercent(v);
    for (const m of errs) out.errors.push(invalid(path, v, m));
    return errs.length ? undefined : { n: Number(v.slice(0, -1)), percent: true };
  }
  return undefined;
}

export function validateDeploymentSpec(spec: unknown, path = 'spec'): Findings {
  const out = validateReplicaSetSpec(spec, path);
  const s = isObject(spec) ? spec : {};
  const strategy = isObject(s.strategy) ? s.strategy : {};
  const type = strategy.type;
  const rollingUpdate = strategy.rollingUpdate;
  if (typeof type === 'string' && type !== '' && type !== 'Recreate' && type !== 'RollingUpdate') {
    out.errors.push(notSupported(`${path}.strategy.type`, type, ['Recreate', 'RollingUpdate']));
  } else if (type === 'Recreate') {
    if (!absent(rollingUpdate)) {
      out.errors.push(
        forbidden(
          `${path}.strategy.rollingUpdate`,
          "may not be specified when strategy `type` is 'Recreate'",
        ),
      );
    }
  } else if (isObject(rollingUpdate)) {
    const ru = `${path}.strategy.rollingUpdate`;
    const surge = absent(rollingUpdate.maxSurge)
      ? { n: 25, percent: true }
      : intOrPercent(rollingUpdate.maxSurge, `${ru}.maxSurge`, out);
    const unavailable = absent(rollingUpdate.maxUnavailable)
      ? { n: 25, percent: true }
      : intOrPercent(rollingUpdate.maxUnavailable, `${ru}.maxUnavailable`, out);
    if (unavailable?.percent && unavailable.n > 100) {
      out.errors.push(
        invalid(
          `${ru}.maxUnavailable`,
          rollingUpdate.maxUnavailable,
          'must not be greater than 100%',
        ),
      );
    }
    if (surge && unavailable && surge.n === 0 && unavailable.n === 0) {
      out.errors.push(
        invalid(
          `${ru}.maxUnavailable`,
          rollingUpdate.maxUnavailable,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
  }
  nonNegative(s, 'revisionHistoryLimit', path, out);
  const pds = s.progressDeadlineSeconds;
  if (isInt(pds)) {
    if (pds < 0) out.errors.push(invalid(`${path}.progressDeadlineSeconds`, pds, NON_NEGATIVE));
    else if (isInt(s.minReadySeconds) && pds <= s.minReadySeconds) {
      out.errors.push(
        invalid(`${path}.progressDeadlineSeconds`, pds, 'must be greater than minReadySeconds'),
      );
    }
  }
  return out;
}
