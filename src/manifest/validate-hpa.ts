// Validation of autoscaling/v2 HorizontalPodAutoscaler specs, in Kubernetes' wording.
// Starling scales Deployments and ReplicaSets on CPU utilisation (percent of requests): other
// metric types are refused by name.

import type { FieldError } from '../errors.ts';
import { invalid, notSupported, required } from './messages.ts';
import type { Findings } from './validate-pod.ts';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function rules(r: unknown, path: string, out: FieldError[]) {
  if (r === undefined || r === null) return;
  if (!isObject(r)) return out.push(invalid(path, r, 'must be an object'));
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && (!isInt(w) || w < 0 || w > 3600)) out.push(invalid(`${path}.stabilizationWindowSeconds`, w, 'must be less than or equal to 3600 and greater than or equal to 0'));
  if (r.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(r.selectPolicy)) {
    out.push(notSupported(`${path}.selectPolicy`, r.selectPolicy, ['Disabled', 'Max', 'Min']));
  }
  (Array.isArray(r.policies) ? r.policies : []).forEach((p: any, i: number) => {
    const pp = `${path}.policies[${i}]`;
    if (!['Pods', 'Percent'].includes(p?.type)) out.push(notSupported(`${pp}.type`, p?.type, ['Percent', 'Pods']));
    if (!isInt(p?.value) || p.value <= 0) out.push(invalid(`${pp}.value`, p?.value, 'must be greater than zero'));
    if (!isInt(p?.periodSeconds) || p.periodSeconds <= 0 || p.periodSeconds > 1800) {
      out.push(invalid(`${pp}.periodSeconds`, p?.periodSeconds, 'must be greater than zero and less than or equal to 1800'));
    }
  });
}

export function validateHpaSpec(spec: unknown, path: string): Findings {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  if (!isObject(spec)) return { errors: [required(path)], warnings };
  const ref = spec.scaleTargetRef;
  if (!isObject(ref)) errors.push(required(`${path}.scaleTargetRef`));
  else {
    if (!ref.name) errors.push(required(`${path}.scaleTargetRef.name`));
    if (!ref.kind) errors.push(required(`${path}.scaleTargetRef.kind`));
    else if (!['Deployment', 'ReplicaSet'].includes(ref.kind)) {
      errors.push(notSupported(`${path}.scaleTargetRef.kind`, ref.kind, ['Deployment', 'ReplicaSet']));
    }
  }
  const min = spec.minReplicas ?? 1;
  if (!isInt(min) || min < 1) errors.push(invalid(`${path}.minReplicas`, spec.minReplicas, 'must be greater than or equal to 1'));
  if (spec.maxReplicas === undefined) errors.push(required(`${path}.maxReplicas`));
  else if (!isInt(spec.maxReplicas) || spec.maxReplicas < 1) errors.push(invalid(`${path}.maxReplicas`, spec.maxReplicas, 'must be greater than 0'));
  else if (isInt(min) && spec.maxReplicas < min) errors.push(invalid(`${path}.maxReplicas`, spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  metrics.forEach((m: any, i: number) => {
    const mp = `${path}.metrics[${i}]`;
    if (m?.type !== 'Resource') {
      errors.push(notSupported(`${mp}.type`, m?.type, ['Resource']));
      return;
    }
    if (m.resource?.name !== 'cpu') errors.push(notSupported(`${mp}.resource.name`, m.resource?.name, ['cpu']));
    const t = m.resource?.target;
    if (t?.type !== 'Utilization') errors.push(notSupported(`${mp}.resource.target.type`, t?.type, ['Utilization']));
    else if (!isInt(t.averageUtilization) || t.averageUtilization < 1) {
      errors.push(invalid(`${mp}.resource.target.averageUtilization`, t?.averageUtilization, 'must be greater than 0'));
    }
  });
  if (isObject(spec.behavior)) {
    rules(spec.behavior.scaleUp, `${path}.behavior.scaleUp`, errors);
    rules(spec.behavior.scaleDown, `${path}.behavior.scaleDown`, errors);
  }
  return { errors, warnings };
}
