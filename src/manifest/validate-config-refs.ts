// How a pod spec names ConfigMaps and Secrets, checked as Kubernetes does (pkg/apis/core/validation:
// validateEnvVarValueFrom, validateConfigMapKeySelector, ValidateEnvFrom,
// validateConfigMapVolumeSource, validateSecretVolumeSource, validateKeyToPath), with its paths
// and wording. Whether the named objects and keys exist is not checked here: as in Kubernetes, a
// pod may name a ConfigMap that does not exist yet and waits for it on its node.

import type { FieldError } from '../errors.ts';
import { invalid, required } from './messages.ts';
import { isDNS1123Subdomain, isEnvVarName } from './names.ts';
import { configKeyErrors } from './validate-config.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown) => v !== undefined && v !== null;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/** `env[i].valueFrom`: exactly one source, not with a value; key selectors name an object and a key. */
export function validateEnvVarSource(env: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const from = env.valueFrom;
  if (!isObject(from)) return errs;
  const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => present(from[k]));
  for (const k of ['configMapKeyRef', 'secretKeyRef']) {
    if (isObject(from[k])) errs.push(...keySelectorErrors(from[k] as Obj, `${path}.${k}`));
  }
  if (sources.length === 0) {
    errs.push(invalid(path, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
  } else if (typeof env.value === 'string' && env.value !== '') {
    errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  } else if (sources.length > 1) {
    errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  }
  return errs;
}

function keySelectorErrors(sel: Obj, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof sel.name === 'string' ? sel.name : '';
  for (const m of isDNS1123Subdomain(name)) errs.push(invalid(`${path}.name`, name, m));
  if (typeof sel.key !== 'string' || sel.key === '') errs.push(required(`${path}.key`));
  else for (const m of configKeyErrors(sel.key)) errs.push(invalid(`${path}.key`, sel.key, m));
  return errs;
}

/** `envFrom`: a valid prefix and exactly one of configMapRef / secretRef, naming an object. */
export function validateEnvFrom(list: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!Array.isArray(list)) return errs;
  list.forEach((ev, i) => {
    if (!isObject(ev)) return;
    const p = `${path}[${i}]`;
    if (typeof ev.prefix === 'string' && ev.prefix !== '') {
      for (const m of isEnvVarName(ev.prefix)) errs.push(invalid(`${p}.prefix`, ev.prefix, m));
    }
    const refs = ['configMapRef', 'secretRef'].filter((k) => present(ev[k]));
    for (const k of refs) {
      const ref = ev[k];
      if (!isObject(ref)) continue;
      if (typeof ref.name !== 'string' || ref.name === '') errs.push(required(`${p}.${k}.name`));
      else for (const m of isDNS1123Subdomain(ref.name)) errs.push(invalid(`${p}.${k}.name`, ref.name, m));
    }
    if (refs.length === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (refs.length > 1) errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** A `configMap` (nameField `name`) or `secret` (nameField `secretName`) volume source. */
export function validateConfigVolume(src: Obj, path: string, nameField: 'name' | 'secretName'): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof src[nameField] !== 'string' || src[nameField] === '') errs.push(required(`${path}.${nameField}`));
  const mode = src.defaultMode;
  if (isInt(mode) && (mode > 0o777 || mode < 0)) errs.push(invalid(`${path}.defaultMode`, mode, FILE_MODE_ERROR));
  const items = Array.isArray(src.items) ? src.items : [];
  items.forEach((kp, i) => {
    if (!isObject(kp)) return;
    const p = `${path}.items[${i}]`;
    if (typeof kp.key !== 'string' || kp.key === '') errs.push(required(`${p}.key`));
    const target = typeof kp.path === 'string' ? kp.path : '';
    if (target === '') errs.push(required(`${p}.path`));
    errs.push(...localPathErrors(target, `${p}.path`));
    if (isInt(kp.mode) && (kp.mode > 0o777 || kp.mode < 0)) errs.push(invalid(`${p}.mode`, kp.mode, FILE_MODE_ERROR));
  });
  return errs;
}

/** ValidateLocalNonReservedPath: relative, no `..` element, not starting with `..`. */
export function localPathErrors(target: string, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(invalid(path, target, 'must be a relative path'));
  if (target.split('/').includes('..')) errs.push(invalid(path, target, "must not contain '..'"));
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}
