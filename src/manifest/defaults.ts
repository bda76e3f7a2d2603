// Kubernetes' defaults (core/v1 SetDefaults_Pod/PodSpec/Container, apps/v1 SetDefaults_Deployment
// and SetDefaults_ReplicaSet), applied to a validated object. Returns a new object; the input is
// not changed.
//
// Defaults for fields Starling does not implement (dnsPolicy, schedulerName, ...) are not added.
// Quantities given as YAML numbers (`cpu: 0.5`) become strings in Kubernetes' canonical form
// (`500m`), as `kubectl get -o yaml` would show them.

import type { KObject, PodSpec } from '../objects/types.ts';
import { kindInfo } from './kinds.ts';
import { canonicalQuantity } from './quantity.ts';
import { defaultServiceSpec } from './validate-service.ts';
import { defaultResourceQuotaSpec } from './validate-quota.ts';
import { defaultLimitRangeItem } from './validate-limitrange.ts';
import { defaultConfigObject } from './validate-config.ts';

// Defaulting writes deep into objects already validated by validate.ts; `any` keeps that terse.
// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null || v === '';

/** Kubernetes' image-tag rule: `Always` for `:latest` or no tag and no digest, else `IfNotPresent`. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const hasDigest = at >= 0;
  const name = hasDigest ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : hasDigest ? '' : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
/** A name from metadata.generateName: the prefix plus five random characters, as Kubernetes. */
export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) {
    suffix += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
  }
  return `${prefix.slice(0, 253 - 5)}${suffix}`;
}

function normaliseQuantities(list: unknown): void {
  if (!isObject(list)) return;
  for (const [k, v] of Object.entries(list)) {
    if (typeof v === 'number') list[k] = canonicalQuantity(v);
  }
}

function defaultContainer(c: Obj): void {
  if (absent(c.imagePullPolicy) && typeof c.image === 'string') {
    c.imagePullPolicy = defaultPullPolicy(c.image);
  }
  for (const p of Array.isArray(c.ports) ? c.ports : []) {
    if (isObject(p) && absent(p.protocol)) p.protocol = 'TCP';
  }
  if (isObject(c.resources)) {
    normaliseQuantities(c.resources.limits);
    normaliseQuantities(c.resources.requests);
  }
}

/** PodSpec defaults; `isPod` also defaults requests from limits (SetDefaults_Pod). */
function defaultPodSpec(spec: Obj, isPod: boolean): void {
  if (absent(spec.restartPolicy)) spec.restartPolicy = 'Always';
  if (absent(spec.terminationGracePeriodSeconds)) spec.terminationGracePeriodSeconds = 30;
  for (const list of [spec.initContainers, spec.containers]) {
    for (const c of Array.isArray(list) ? list : []) {
      if (!isObject(c)) continue;
      defaultContainer(c);
      if (isPod && isObject(c.resources) && isObject(c.resources.limits)) {
        const requests = isObject(c.resources.requests) ? c.resources.requests : {};
        for (const [k, v] of Object.entries(c.resources.limits)) {
          if (absent(requests[k])) requests[k] = v;
        }
        c.resources.requests = requests;
      }
    }
  }
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (isObject(v) && isObject(v.emptyDir) && typeof v.emptyDir.sizeLimit === 'number') {
      v.emptyDir.sizeLimit = canonicalQuantity(v.emptyDir.sizeLimit);
    }
    // SetDefaults_ConfigMapVolumeSource / SetDefaults_SecretVolumeSource: files are 0644
    for (const src of ['configMap', 'secret']) {
      if (isObject(v) && isObject(v[src]) && absent(v[src].defaultMode)) v[src].defaultMode = 0o644;
    }
  }
}

function defaultTemplate(spec: Obj): void {
  if (isObject(spec.template)) {
    if (!isObject(spec.template.spec)) spec.template.spec = { containers: [] };
    defaultPodSpec(spec.template.spec, false);
  }
}

/** Returns a copy of `obj` with Kubernetes' defaults applied. */
export function applyDefaults<T extends KObject>(obj: T): T {
  const out = structuredClone(obj) as T & Obj;
  const info = kindInfo(out.kind);
  if (!isObject(out.metadata)) out.metadata = {} as KObject['metadata'];
  const meta = out.metadata as Obj;
  if (absent(meta.name) && typeof meta.generateName === 'string' && meta.generateName !== '') {
    meta.name = generateName(meta.generateName);
  }
  if (info) {
    if (info.namespaced) {
      if (absent(meta.namespace)) meta.namespace = 'default';
    } else {
      delete meta.namespace;
    }
  }
  const spec = out.spec as Obj | undefined;
  switch (out.kind) {
    case 'Pod':
      if (!isObject(spec)) out.spec = { containers: [] } satisfies PodSpec;
      defaultPodSpec(out.spec as Obj, true);
      break;
    case 'ReplicaSet':
      if (isObject(spec)) {
        if (absent(spec.replicas)) spec.replicas = 1;
        defaultTemplate(spec);
      }
      break;
    case 'Deployment':
      if (isObject(spec)) {
        if (absent(spec.replicas)) spec.replicas = 1;
        if (!isObject(spec.strategy)) spec.strategy = {};
        if (absent(spec.strategy.type)) spec.strategy.type = 'RollingUpdate';
        if (spec.strategy.type === 'RollingUpdate') {
          if (!isObject(spec.strategy.rollingUpdate)) spec.strategy.rollingUpdate = {};
          const ru = spec.strategy.rollingUpdate;
          if (absent(ru.maxUnavailable)) ru.maxUnavailable = '25%';
          if (absent(ru.maxSurge)) ru.maxSurge = '25%';
        }
        if (absent(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
        if (absent(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
        defaultTemplate(spec);
      }
      break;
    case 'Service':
      if (!isObject(spec)) out.spec = {};
      defaultServiceSpec(out.spec as Obj);
      break;
    case 'ResourceQuota':
      if (!isObject(spec)) out.spec = {};
      defaultResourceQuotaSpec(out.spec as Obj);
      break;
    case 'LimitRange':
      for (const item of isObject(spec) && Array.isArray(spec.limits) ? spec.limits : []) defaultLimitRangeItem(item);
      break;
    case 'ConfigMap':
    case 'Secret':
      defaultConfigObject(out);
      break;
  }
  return out;
}
