// The kind registry: what Starling serves, what it knows but does not serve yet, and how the names
// a kubectl user types (`po`, `deploy`, `deployments.apps`, ...) map to kinds.

import { StarlingError } from '../errors.ts';
import type { NameRule } from './names.ts';

export interface KindInfo {
  kind: string;
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** `group/version`, or just the version for the core group (`v1`). */
  apiVersion: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  /** Starling serves this kind (it may be read). */
  served: boolean;
  /** Users may create it from a manifest (`apply`); false for read-only kinds (Event, Node). */
  appliable: boolean;
  /** The rule metadata.name follows. */
  nameRule: NameRule;
}

const k = (
  kind: string,
  apiVersion: string,
  plural: string,
  shortNames: string[],
  opts: { namespaced?: boolean; served?: boolean; appliable?: boolean; nameRule?: NameRule } = {},
): KindInfo => {
  const slash = apiVersion.indexOf('/');
  const served = opts.served ?? true;
  return Object.freeze({
    kind,
    group: slash < 0 ? '' : apiVersion.slice(0, slash),
    version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
    apiVersion,
    plural,
    singular: kind.toLowerCase(),
    shortNames: Object.freeze(shortNames),
    namespaced: opts.namespaced ?? true,
    served,
    appliable: served && (opts.appliable ?? true),
    nameRule: opts.nameRule ?? 'subdomain',
  });
};

/** Every kind Starling knows, served or not. */
export const KINDS: readonly KindInfo[] = Object.freeze([
  k('Pod', 'v1', 'pods', ['po']),
  k('Namespace', 'v1', 'namespaces', ['ns'], { namespaced: false, nameRule: 'label' }),
  k('ReplicaSet', 'apps/v1', 'replicasets', ['rs']),
  k('Deployment', 'apps/v1', 'deployments', ['deploy']),
  k('Event', 'v1', 'events', ['ev'], { appliable: false }),
  k('Node', 'v1', 'nodes', ['no'], { namespaced: false, appliable: false }),
  k('Service', 'v1', 'services', ['svc'], { nameRule: 'dns1035' }),
  // kept by each Service's actor
  k('Endpoints', 'v1', 'endpoints', ['ep'], { appliable: false }),
  // plain replicated objects, no actor (src/manifest/validate-config.ts, docs/config.md)
  k('ConfigMap', 'v1', 'configmaps', ['cm']),
  k('Secret', 'v1', 'secrets', []),
  // policy objects, no actor: enforced when objects are created (src/host/admission.ts, docs/quotas.md)
  k('ResourceQuota', 'v1', 'resourcequotas', ['quota']),
  k('LimitRange', 'v1', 'limitranges', ['limits']),
  k('HorizontalPodAutoscaler', 'autoscaling/v2', 'horizontalpodautoscalers', ['hpa']),
]);

/** Kubernetes kinds Starling does not support at all (for clearer refusals). */
const OTHER_KUBERNETES_KINDS: Record<string, string> = {
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ControllerRevision: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  ReplicationController: 'v1',
  PersistentVolume: 'v1',
  PersistentVolumeClaim: 'v1',
  ServiceAccount: 'v1',
  PodTemplate: 'v1',
  Binding: 'v1',
  Ingress: 'networking.k8s.io/v1',
  IngressClass: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  StorageClass: 'storage.k8s.io/v1',
  CSIDriver: 'storage.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  PodDisruptionBudget: 'policy/v1',
  PriorityClass: 'scheduling.k8s.io/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  Lease: 'coordination.k8s.io/v1',
  RuntimeClass: 'node.k8s.io/v1',
};

/**
 * The kinds Starling serves: `Pod (v1), Namespace (v1), ReplicaSet (apps/v1), Deployment (apps/v1)`,
 * followed by `; read-only: Event (v1), Node (v1)` unless `appliableOnly`.
 */
export function servedKindsText(appliableOnly = false): string {
  const list = (es: KindInfo[]) => es.map((e) => `${e.kind} (${e.apiVersion})`).join(', ');
  const appliable = list(KINDS.filter((e) => e.appliable));
  const readOnly = KINDS.filter((e) => e.served && !e.appliable);
  return appliableOnly || readOnly.length === 0
    ? appliable
    : `${appliable}; read-only: ${list(readOnly)}`;
}

function unknownKind(message: string, details: Record<string, unknown>): StarlingError {
  return new StarlingError('UnknownKind', message, details);
}

/**
 * Maps what a kubectl user types to a kind: plural, singular, short name or Kind
 * (case-insensitive), optionally qualified with the group (`deployments.apps`) or version and
 * group (`deployments.v1.apps`). Returns the entry even when Starling does not serve it yet (see
 * `requireServed`); throws UnknownKind with kubectl's wording otherwise.
 */
export function resolveKindName(name: string): KindInfo {
  const raw = name.trim();
  const lower = raw.toLowerCase();
  const dot = lower.indexOf('.');
  const resource = dot < 0 ? lower : lower.slice(0, dot);
  const qualifier = dot < 0 ? undefined : lower.slice(dot + 1);
  for (const e of KINDS) {
    const names = [e.plural, e.singular, e.kind.toLowerCase(), ...e.shortNames];
    if (!names.includes(resource)) continue;
    if (qualifier === undefined) return e;
    if (qualifier === e.group || qualifier === `${e.version}.${e.group}`) return e;
    if (e.group === '' && (qualifier === e.version || qualifier === '')) return e;
  }
  throw unknownKind(`the server doesn't have a resource type ${JSON.stringify(raw)}`, {
    resource: raw,
  });
}

/** Throws UnknownKind when Starling does not serve the kind yet. */
export function requireServed(info: KindInfo): KindInfo {
  if (!info.served) {
    throw unknownKind(
      `Starling does not support kind ${
        JSON.stringify(info.kind)
      } (${info.apiVersion}) yet; Starling serves: ${servedKindsText()}`,
      { kind: info.kind, apiVersion: info.apiVersion },
    );
  }
  return info;
}

/** Throws UnknownKind unless users may apply the kind (served and not read-only). */
export function requireAppliable(info: KindInfo): KindInfo {
  requireServed(info);
  if (!info.appliable) {
    throw unknownKind(
      `kind ${
        JSON.stringify(info.kind)
      } (${info.apiVersion}) is read-only in Starling: it can be read with get but not created from a manifest; Starling accepts manifests of: ${
        servedKindsText(true)
      }`,
      { kind: info.kind, apiVersion: info.apiVersion },
    );
  }
  return info;
}

/**
 * Finds the kind of a manifest from its apiVersion and kind (exact, case-sensitive, as
 * Kubernetes). Returns served and known-but-unserved kinds alike (check with `requireAppliable`);
 * throws UnknownKind naming the kind for anything else, and naming the apiVersion(s) Starling
 * serves when the kind is known under another apiVersion.
 */
export function kindFor(apiVersion: string, kind: string): KindInfo {
  const exact = KINDS.find((e) => e.kind === kind && e.apiVersion === apiVersion);
  if (exact) return exact;
  const noMatch = `no matches for kind ${JSON.stringify(kind)} in version ${
    JSON.stringify(apiVersion)
  }`;
  const sameKind = KINDS.filter((e) => e.kind === kind);
  if (sameKind.length > 0) {
    const versions = sameKind.map((e) => JSON.stringify(e.apiVersion)).join(' or ');
    const tail = sameKind.some((e) => e.served)
      ? `Starling serves ${kind} only as apiVersion ${versions}`
      : `the only apiVersion Starling knows for ${kind} is ${versions}, and Starling does not support that kind yet either`;
    throw unknownKind(
      `${noMatch}: unsupported apiVersion ${JSON.stringify(apiVersion)} for kind ${
        JSON.stringify(kind)
      }; ${tail}`,
      { kind, apiVersion, supportedApiVersions: sameKind.map((e) => e.apiVersion) },
    );
  }
  const served = `Starling serves: ${servedKindsText()}`;
  if (kind in OTHER_KUBERNETES_KINDS) {
    throw unknownKind(
      `${noMatch}: Starling does not support the Kubernetes kind ${
        JSON.stringify(kind)
      }; ${served}`,
      { kind, apiVersion },
    );
  }
  const caseless = KINDS.find((e) => e.kind.toLowerCase() === kind.toLowerCase());
  const hint = caseless
    ? ` (did you mean ${JSON.stringify(caseless.kind)}? kinds are case-sensitive)`
    : '';
  throw unknownKind(`${noMatch}${hint}; ${served}`, { kind, apiVersion });
}

/** Looks a kind up by its Kind name alone (the first entry with that name). */
export function kindInfo(kind: string): KindInfo | undefined {
  return KINDS.find((e) => e.kind === kind);
}
