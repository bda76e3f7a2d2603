// What a container gets from ConfigMaps and Secrets, as the kubelet computes it — pure functions
// over a lookup of the pod's namespace, so they are tested without a node:
//
// - containerEnv (kubelet makeEnvironmentVariables): `envFrom` first (in order, later sources
//   win), then `env` (which wins over envFrom); Service variables only where neither set the
//   name. A missing ConfigMap/Secret or key that is not `optional` is a CreateContainerConfigError
//   with the kubelet's message (`configmap "x" not found`, `couldn't find key k in ConfigMap
//   default/x`); envFrom keys that are not environment variable names are skipped and reported.
// - volumePayload (the configMap/secret volume plugins' MakePayload): the files of a `configMap`
//   or `secret` volume. A missing object or key that is not optional is a FailedMount with the
//   kubelet's message (`MountVolume.SetUp failed for volume "v" : configmap "x" not found`).
//
// Values are never put in messages: only object names and keys are.

import { StarlingError } from '../errors.ts';
import { decodeBase64 } from '../manifest/base64.ts';
import type { Container, KObject, Volume } from '../objects/types.ts';

export type ConfigKind = 'ConfigMap' | 'Secret';
/** A ConfigMap or Secret of the pod's namespace by name (undefined when it does not exist). */
export type ConfigLookup = (kind: ConfigKind, name: string) => KObject | undefined;

export interface EnvVar {
  name: string;
  value: string;
}

export class ConfigSourceError extends StarlingError {
  constructor(code: 'CreateContainerConfigError' | 'FailedMount', message: string) {
    super(code, message);
    this.name = 'ConfigSourceError';
  }
}

/** kubelet's default file mode of configMap and secret volumes (0644). */
export const DEFAULT_FILE_MODE = 0o644;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The names the API server's NotFound errors use: `configmap "x" not found`. */
const notFound = (kind: ConfigKind, name: string) => `${kind.toLowerCase()} "${name}" not found`;

/** A key's bytes: ConfigMap data (text) or binaryData, Secret data (base64); undefined when absent. */
export function keyBytes(obj: KObject, key: string, withBinary = true): Uint8Array | undefined {
  const own = (m: unknown) =>
    m && typeof m === 'object' && Object.prototype.hasOwnProperty.call(m, key) ? (m as Record<string, unknown>)[key] : undefined;
  if (obj.kind === 'Secret') {
    const v = own(obj.data);
    return typeof v === 'string' ? decodeBase64(v) : undefined;
  }
  const text = own(obj.data);
  if (typeof text === 'string') return utf8.encode(text);
  const bin = withBinary ? own(obj.binaryData) : undefined;
  return typeof bin === 'string' ? decodeBase64(bin) : undefined;
}

/** Every key of a ConfigMap (data, then binaryData) or Secret with its bytes. */
function allKeys(obj: KObject, withBinary = true): [string, Uint8Array][] {
  const keys = Object.keys((obj.data ?? {}) as object);
  if (obj.kind === 'ConfigMap' && withBinary) keys.push(...Object.keys((obj.binaryData ?? {}) as object));
  return keys.map((k) => [k, keyBytes(obj, k, withBinary)!]);
}

/**
 * The names kubelet's envFrom accepted before relaxed validation (Kubernetes'
 * `[-._a-zA-Z][-._a-zA-Z0-9]*`, C identifiers plus `-` and `.`): keys such as `1badkey` are
 * skipped with an event, as the Kubernetes documentation describes (see docs/config.md).
 */
const ENV_FROM_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export interface ContainerEnv {
  env: EnvVar[];
  /** InvalidEnvironmentVariableNames event messages (skipped envFrom keys) */
  skipped: string[];
}

interface KeyRef {
  name?: string;
  key?: string;
  optional?: boolean;
}
interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/**
 * The container's environment: Service variables, then envFrom, then env, each name once (the
 * later source wins). Throws a ConfigSourceError (CreateContainerConfigError) for a missing
 * ConfigMap/Secret or key that is not optional.
 */
export function containerEnv(c: Container, namespace: string, lookup: ConfigLookup, serviceEnv: EnvVar[] = []): ContainerEnv {
  const fail = (message: string) => new ConfigSourceError('CreateContainerConfigError', message);
  const vars = new Map<string, string>();
  const skipped: string[] = [];
  const cache = new Map<string, KObject | undefined>();
  const get = (kind: ConfigKind, name: string) => {
    const k = `${kind}/${name}`;
    if (!cache.has(k)) cache.set(k, lookup(kind, name));
    return cache.get(k);
  };

  for (const from of (c.envFrom ?? []) as EnvFromSource[]) {
    const kind: ConfigKind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref?.name) continue;
    const obj = get(kind, ref.name);
    if (!obj) {
      if (ref.optional) continue;
      throw fail(notFound(kind, ref.name));
    }
    const invalid: string[] = [];
    for (const [key, bytes] of allKeys(obj, false)) {
      const name = `${from.prefix ?? ''}${key}`;
      if (!ENV_FROM_NAME.test(name)) {
        invalid.push(name);
        continue;
      }
      vars.set(name, fromUtf8.decode(bytes));
    }
    if (invalid.length) {
      skipped.push(
        `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kind === 'ConfigMap' ? 'configMap' : 'secret'} ${namespace}/${ref.name} were skipped since they are considered invalid environment variable names.`,
      );
    }
  }

  for (const e of c.env ?? []) {
    if (e.value !== undefined && e.value !== null && e.value !== '') {
      vars.set(e.name, String(e.value));
      continue;
    }
    const from = (e.valueFrom ?? undefined) as { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } | undefined;
    const ref = from?.configMapKeyRef ?? from?.secretKeyRef;
    if (!from || !ref) {
      // a plain (possibly empty) value; other sources (fieldRef, ...) are not supported and skipped
      if (!from) vars.set(e.name, String(e.value ?? ''));
      continue;
    }
    const kind: ConfigKind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const name = ref.name ?? '';
    const key = ref.key ?? '';
    const obj = get(kind, name);
    if (!obj) {
      if (ref.optional) continue;
      throw fail(notFound(kind, name));
    }
    // env takes ConfigMap `data` only (binaryData keys are not found), as the kubelet does
    const bytes = keyBytes(obj, key, false);
    if (!bytes) {
      if (ref.optional) continue;
      throw fail(`couldn't find key ${key} in ${kind} ${namespace}/${name}`);
    }
    vars.set(e.name, fromUtf8.decode(bytes));
  }

  const env: EnvVar[] = serviceEnv.filter((s) => !vars.has(s.name));
  for (const [name, value] of vars) env.push({ name, value });
  return { env, skipped };
}

export interface ProjectedFile {
  /** relative path inside the volume */
  path: string;
  data: Uint8Array;
  /** file mode (0644 by default) */
  mode: number;
}

interface VolumeSource {
  name?: string;
  secretName?: string;
  items?: { key: string; path: string; mode?: number }[];
  defaultMode?: number;
  optional?: boolean;
}

/** The ConfigMap or Secret a volume projects, or undefined for other volumes. */
export function volumeSource(v: Volume): { kind: ConfigKind; name: string; source: VolumeSource } | undefined {
  const cm = v.configMap as VolumeSource | undefined;
  if (cm) return { kind: 'ConfigMap', name: cm.name ?? '', source: cm };
  const secret = v.secret as VolumeSource | undefined;
  if (secret) return { kind: 'Secret', name: secret.secretName ?? '', source: secret };
  return undefined;
}

/**
 * The files of a `configMap` or `secret` volume: every key (or the listed `items`) with its mode.
 * An optional volume whose object is missing is empty. Throws a ConfigSourceError (FailedMount)
 * when the object or a listed key is missing and the volume is not optional.
 */
export function volumePayload(v: Volume, lookup: ConfigLookup): ProjectedFile[] {
  const src = volumeSource(v);
  if (!src) return [];
  const { kind, name, source } = src;
  const fail = (why: string) => new ConfigSourceError('FailedMount', `MountVolume.SetUp failed for volume "${v.name}" : ${why}`);
  const mode = source.defaultMode ?? DEFAULT_FILE_MODE;
  const obj = lookup(kind, name);
  if (!obj) {
    if (source.optional) return [];
    throw fail(notFound(kind, name));
  }
  const items = source.items ?? [];
  if (items.length === 0) return allKeys(obj).map(([path, data]) => ({ path, data, mode }));
  const files: ProjectedFile[] = [];
  for (const item of items) {
    const data = keyBytes(obj, item.key);
    if (!data) {
      if (source.optional) continue;
      throw fail(kind === 'ConfigMap' ? `configmap references non-existent config key: ${item.key}` : `secret references non-existent secret key: ${item.key}`);
    }
    files.push({ path: item.path, data, mode: item.mode ?? mode });
  }
  return files;
}

/** Whether a pod spec's volumes project this ConfigMap or Secret. */
export function volumesUsing(volumes: Volume[] | undefined, kind: string, name: string): Volume[] {
  return (volumes ?? []).filter((v) => {
    const src = volumeSource(v);
    return src !== undefined && src.kind === kind && src.name === name;
  });
}
