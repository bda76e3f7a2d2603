// ConfigMap and Secret validation, defaults and update rules (Kubernetes pkg/apis/core/validation
// ValidateConfigMap, ValidateSecret, ValidateConfigMapUpdate, ValidateSecretUpdate; the Secret
// strategy that merges `stringData` into `data`), with Kubernetes' paths and wording.
//
// - Keys follow IsConfigMapKey: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.`, `..` or
//   starting with `..`; and, Starling's own rule, not `__proto__`.
// - All values together (ConfigMap data and decoded binaryData; Secret decoded data) are at most
//   1 MiB (MaxSecretSize).
// - Secret `data` and ConfigMap `binaryData` are base64 (Go's StdEncoding, as the API server
//   decodes `[]byte`); a bad value is reported by key and byte, never echoed: Secret values are
//   never shown in a message.
// - `stringData` is checked as the `data` it becomes (Kubernetes converts first, then validates),
//   so its problems are reported under `data[key]`.
// - Secret `type` defaults to `Opaque`; the well-known types require their keys.
// - `immutable: true` freezes data, binaryData (and the flag itself); a Secret's type never changes.

import { canonical } from '../../actors/canonical.ts';
import type { FieldError } from '../errors.ts';
import type { KObject } from '../objects/types.ts';
import { base64Error, decodeBase64, decodedLength, encodeBase64 } from './base64.ts';
import { forbidden, invalid, required, tooLong } from './messages.ts';
import { byteLength, maxLenError, regexError } from './names.ts';
import type { Findings } from './validate-pod.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): [string, string][] =>
  isObject(v) ? Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string') : [];

/** Kubernetes' MaxSecretSize: the most data one ConfigMap or Secret may hold (1 MiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** What Kubernetes prints instead of a Secret's value. */
export const REDACTED = '<secret contents redacted>';
/** The kinds whose content is top-level data rather than a spec. */
export const CONFIG_KINDS: ReadonlySet<string> = new Set(['ConfigMap', 'Secret']);

export const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_RE = new RegExp(`^${CONFIG_KEY_FMT}$`);
const CONFIG_KEY_ERROR = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/** IsConfigMapKey: the names of ConfigMap and Secret keys (and of the files they become). */
export function configKeyErrors(key: string): string[] {
  const errs: string[] = [];
  if (byteLength(key) > 253) errs.push(maxLenError(253));
  if (!CONFIG_KEY_RE.test(key)) {
    errs.push(regexError(CONFIG_KEY_ERROR, CONFIG_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  // Starling's own rule: msgpack (the store and the peer protocol) renames this key to keep it
  // from reaching an object's prototype, so it would not come back as written
  else if (key === '__proto__') errs.push("must not be '__proto__' (a key Starling cannot store)");
  return errs;
}

/** The Secret types whose keys Kubernetes checks, and the key names it requires. */
export const SECRET_TYPES = {
  opaque: 'Opaque',
  serviceAccountToken: 'kubernetes.io/service-account-token',
  dockercfg: 'kubernetes.io/dockercfg',
  dockerConfigJson: 'kubernetes.io/dockerconfigjson',
  basicAuth: 'kubernetes.io/basic-auth',
  sshAuth: 'kubernetes.io/ssh-auth',
  tls: 'kubernetes.io/tls',
} as const;

export function validateConfigMap(obj: unknown): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const o = isObject(obj) ? obj : {};
  const e = (err: FieldError) => out.errors.push(err);
  const binary = isObject(o.binaryData) ? o.binaryData : {};
  let total = 0;
  for (const [key, value] of strings(o.data)) {
    for (const m of configKeyErrors(key)) e(invalid(`data[${key}]`, key, m));
    if (Object.prototype.hasOwnProperty.call(binary, key)) {
      e(invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    }
    total += byteLength(value);
  }
  for (const [key, value] of strings(o.binaryData)) {
    for (const m of configKeyErrors(key)) e(invalid(`binaryData[${key}]`, key, m));
    const bad = base64Error(value);
    if (bad) e(invalid(`binaryData[${key}]`, value, bad));
    else total += decodedLength(value);
  }
  if (total > MAX_CONFIG_BYTES) e(tooLong('', MAX_CONFIG_BYTES));
  return out;
}

export function validateSecret(obj: unknown): Findings {
  const out: Findings = { errors: [], warnings: [] };
  const o = isObject(obj) ? obj : {};
  const e = (err: FieldError) => out.errors.push(err);
  // the data the Secret will hold: data, then stringData over it
  const sizes = new Map<string, number>();
  for (const [key, value] of strings(o.data)) {
    for (const m of configKeyErrors(key)) e(invalid(`data[${key}]`, key, m));
    const bad = base64Error(value);
    if (bad) e(invalid(`data[${key}]`, REDACTED, bad));
    else sizes.set(key, decodedLength(value));
  }
  for (const [key, value] of strings(o.stringData)) {
    if (!sizes.has(key)) for (const m of configKeyErrors(key)) e(invalid(`data[${key}]`, key, m));
    sizes.set(key, byteLength(value));
  }
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  if (total > MAX_CONFIG_BYTES) e(tooLong('data', MAX_CONFIG_BYTES));

  const type = typeof o.type === 'string' && o.type !== '' ? o.type : SECRET_TYPES.opaque;
  const has = (key: string) => sizes.has(key);
  const need = (...keys: string[]) => {
    for (const k of keys) if (!has(k)) e(required(`data[${k}]`));
  };
  switch (type) {
    case SECRET_TYPES.serviceAccountToken: {
      const meta = isObject(o.metadata) ? o.metadata : {};
      const ann = isObject(meta.annotations) ? meta.annotations : {};
      if (!ann['kubernetes.io/service-account.name']) {
        e(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
    }
    case SECRET_TYPES.dockercfg:
      jsonKey(o, '.dockercfg', e);
      break;
    case SECRET_TYPES.dockerConfigJson:
      jsonKey(o, '.dockerconfigjson', e);
      break;
    case SECRET_TYPES.basicAuth:
      if (!has('username') && !has('password')) need('username', 'password');
      break;
    case SECRET_TYPES.sshAuth:
      if (!sizes.get('ssh-privatekey')) e(required('data[ssh-privatekey]')); // present but empty too
      break;
    case SECRET_TYPES.tls:
      need('tls.crt', 'tls.key');
      break;
  }
  return out;
}

/**
 * Secret values of the wrong JSON type (`password: 1234`) are reported by the shape check with
 * the value; this replaces it with Kubernetes' redaction, in place.
 */
export function redactSecretValues(errors: FieldError[]): void {
  for (const e of errors) {
    if (!/^(data|stringData)\[/.test(e.field) || !e.message.startsWith('Invalid value: ')) continue;
    const rest = e.message.indexOf(': expected ');
    if (rest > 0) e.message = `Invalid value: ${JSON.stringify(REDACTED)}${e.message.slice(rest)}`;
  }
}

/** A key that must hold a JSON object (docker config Secrets); the content is never echoed. */
function jsonKey(o: Obj, key: string, e: (err: FieldError) => void): void {
  const text = secretValue(o, key);
  if (text === undefined) {
    e(required(`data[${key}]`));
    return;
  }
  let ok = false;
  try {
    const v = JSON.parse(text);
    ok = isObject(v);
  } catch {
    ok = false;
  }
  if (!ok) e(invalid(`data[${key}]`, REDACTED, 'must be a JSON object'));
}

/** A Secret key's value as text (stringData wins over data), or undefined when absent or bad. */
function secretValue(o: Obj, key: string): string | undefined {
  const sd = isObject(o.stringData) ? o.stringData[key] : undefined;
  if (typeof sd === 'string') return sd;
  const d = isObject(o.data) ? o.data[key] : undefined;
  if (typeof d !== 'string' || base64Error(d)) return undefined;
  return new TextDecoder().decode(decodeBase64(d));
}

/** Canonical base64 (no line breaks), as the API server writes `[]byte` back. */
const canonicalBase64 = (v: string) => encodeBase64(decodeBase64(v));

/**
 * Kubernetes' defaults for a validated ConfigMap or Secret, in place: a Secret's type defaults
 * to Opaque and its `stringData` is merged into `data` (base64-encoded, overwriting the same keys)
 * and removed; base64 values are re-encoded canonically.
 */
export function defaultConfigObject(o: Obj): void {
  if (o.kind === 'ConfigMap') {
    if (isObject(o.binaryData)) {
      for (const [k, v] of strings(o.binaryData)) o.binaryData[k] = canonicalBase64(v);
    }
    return;
  }
  if (o.kind !== 'Secret') return;
  if (typeof o.type !== 'string' || o.type === '') o.type = SECRET_TYPES.opaque;
  const data: Obj = {};
  for (const [k, v] of strings(o.data)) data[k] = canonicalBase64(v);
  for (const [k, v] of strings(o.stringData)) data[k] = encodeBase64(v);
  delete o.stringData;
  if (Object.keys(data).length > 0 || isObject(o.data)) o.data = data;
}

/** The fields that make a ConfigMap's or Secret's content (what apply compares and replaces). */
export const CONFIG_FIELDS = ['data', 'binaryData', 'type', 'immutable'] as const;

/** A ConfigMap's or Secret's content: the fields of CONFIG_FIELDS it has. */
export function configContent(o: KObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) if (o[f] !== undefined && o[f] !== null) out[f] = o[f];
  return out;
}

/** ValidateConfigMapUpdate / ValidateSecretUpdate: what may not change. */
export function configUpdateErrors(old: KObject, next: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const same = (a: unknown, b: unknown) => canonical(a ?? {}) === canonical(b ?? {});
  if (next.kind === 'Secret') {
    const oldType = old.type ?? SECRET_TYPES.opaque;
    const newType = next.type ?? SECRET_TYPES.opaque;
    if (oldType !== newType) errs.push(invalid('type', newType, 'field is immutable'));
  }
  if (old.immutable === true) {
    const msg = 'field is immutable when `immutable` is set';
    if (next.immutable !== true) errs.push(forbidden('immutable', msg));
    if (!same(old.data, next.data)) errs.push(forbidden('data', msg));
    if (next.kind === 'ConfigMap' && !same(old.binaryData, next.binaryData)) {
      errs.push(forbidden('binaryData', msg));
    }
  }
  return errs;
}
