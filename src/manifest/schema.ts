// The shapes of the objects Starling accepts, with Kubernetes' own field names. Every structure
// lists ALL the fields Kubernetes has, so that:
// - a field Kubernetes does not have at all is an error, like kubectl's strict decoding
//   (`unknown field "spec.foo"`);
// - a field Kubernetes has but Starling does not implement is a warning naming it
//   (`spec.template.spec.securityContext: not supported by Starling; ignored`), unless it is empty
//   or holds Kubernetes' default value (as in `kubectl get -o yaml` output);
// - a value of the wrong JSON type is an error (Kubernetes: `json: cannot unmarshal ...`).
// Field lists follow Kubernetes 1.35 (core/v1, apps/v1, meta/v1).

import type { FieldError } from '../errors.ts';
import { typeError } from './messages.ts';

export type Schema =
  | { type: 'string' | 'boolean' | 'int32' | 'int64' | 'quantity' | 'intOrString' | 'any' }
  | { type: 'object'; fields: Record<string, Schema> }
  | { type: 'array'; items: Schema }
  | { type: 'map'; values: Schema }
  /** Kubernetes has it, Starling ignores it (warning unless empty or equal to `defaults`). */
  | { type: 'unsupported'; defaults?: readonly unknown[] }
  /**
   * Set by the server (uid, creationTimestamp, ...): ignored without a word, like status, so that
   * the output of `get -o yaml` applies cleanly. decodeManifests removes these fields.
   */
  | { type: 'system' }
  /** Ignored without a word (status: `kubectl apply` of objects with status is normal). */
  | { type: 'ignored' };

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const int32: Schema = { type: 'int32' };
const int64: Schema = { type: 'int64' };
const any: Schema = { type: 'any' };
const unsupported = (...defaults: unknown[]): Schema => ({ type: 'unsupported', defaults });
const system: Schema = { type: 'system' };
const obj = (fields: Record<string, Schema>): Schema => ({ type: 'object', fields });
const arr = (items: Schema): Schema => ({ type: 'array', items });
const map = (values: Schema): Schema => ({ type: 'map', values });

export const OWNER_REFERENCE = obj({
  apiVersion: str,
  kind: str,
  name: str,
  uid: str,
  controller: bool,
  blockOwnerDeletion: bool,
});

export const OBJECT_META = obj({
  name: str,
  generateName: str,
  namespace: str,
  labels: map(str),
  annotations: map(str),
  ownerReferences: arr(OWNER_REFERENCE),
  // Passed through: the API may use it for optimistic concurrency.
  resourceVersion: str,
  finalizers: unsupported(),
  uid: system,
  selfLink: system,
  generation: system,
  creationTimestamp: system,
  deletionTimestamp: system,
  deletionGracePeriodSeconds: system,
  managedFields: system,
});

export const LABEL_SELECTOR = obj({
  matchLabels: map(str),
  matchExpressions: arr(obj({ key: str, operator: str, values: arr(str) })),
});

const PROBE_PORT: Schema = { type: 'intOrString' };
export const PROBE = obj({
  exec: obj({ command: arr(str) }),
  httpGet: obj({
    path: str,
    port: PROBE_PORT,
    host: str,
    scheme: str,
    httpHeaders: arr(obj({ name: str, value: str })),
  }),
  tcpSocket: obj({ port: PROBE_PORT, host: str }),
  grpc: unsupported(),
  initialDelaySeconds: int32,
  timeoutSeconds: int32,
  periodSeconds: int32,
  successThreshold: int32,
  failureThreshold: int32,
  terminationGracePeriodSeconds: int64,
});

const KEY_SELECTOR = obj({ name: str, key: str, optional: bool });
export const ENV_VAR_SOURCE = obj({
  configMapKeyRef: KEY_SELECTOR,
  secretKeyRef: KEY_SELECTOR,
  fieldRef: unsupported(),
  resourceFieldRef: unsupported(),
  fileKeyRef: unsupported(),
});

export const CONTAINER = obj({
  name: str,
  image: str,
  command: arr(str),
  args: arr(str),
  workingDir: str,
  ports: arr(obj({ name: str, hostPort: int32, containerPort: int32, protocol: str, hostIP: str })),
  env: arr(obj({ name: str, value: str, valueFrom: ENV_VAR_SOURCE })),
  resources: obj({
    limits: map({ type: 'quantity' }),
    requests: map({ type: 'quantity' }),
    claims: unsupported(),
  }),
  volumeMounts: arr(
    obj({
      name: str,
      mountPath: str,
      readOnly: bool,
      subPath: str,
      recursiveReadOnly: unsupported('Disabled'),
      mountPropagation: unsupported('None'),
      subPathExpr: unsupported(),
    }),
  ),
  imagePullPolicy: str,
  livenessProbe: PROBE,
  readinessProbe: PROBE,
  startupProbe: PROBE,
  envFrom: arr(obj({
    prefix: str,
    configMapRef: obj({ name: str, optional: bool }),
    secretRef: obj({ name: str, optional: bool }),
  })),
  resizePolicy: unsupported(),
  restartPolicy: unsupported(),
  restartPolicyRules: unsupported(),
  volumeDevices: unsupported(),
  lifecycle: unsupported(),
  terminationMessagePath: unsupported('/dev/termination-log'),
  terminationMessagePolicy: unsupported('File'),
  securityContext: unsupported(),
  stdin: unsupported(false),
  stdinOnce: unsupported(false),
  tty: unsupported(false),
});

/** Volume sources Starling implements. */
export const SUPPORTED_VOLUME_SOURCES = ['emptyDir', 'hostPath', 'configMap', 'secret'] as const;
/** Every volume source Kubernetes has (core/v1 VolumeSource). */
export const KUBERNETES_VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
] as const;

const volumeFields: Record<string, Schema> = { name: str };
for (const source of KUBERNETES_VOLUME_SOURCES) volumeFields[source] = any; // see validate-pod
volumeFields.emptyDir = obj({ medium: str, sizeLimit: { type: 'quantity' } });
volumeFields.hostPath = obj({ path: str, type: str });
const KEY_TO_PATH = arr(obj({ key: str, path: str, mode: int32 }));
volumeFields.configMap = obj({ name: str, items: KEY_TO_PATH, defaultMode: int32, optional: bool });
volumeFields.secret = obj({ secretName: str, items: KEY_TO_PATH, defaultMode: int32, optional: bool });
export const VOLUME = obj(volumeFields);

export const POD_SPEC = obj({
  containers: arr(CONTAINER),
  initContainers: arr(CONTAINER),
  volumes: arr(VOLUME),
  restartPolicy: str,
  terminationGracePeriodSeconds: int64,
  nodeSelector: map(str),
  nodeName: str,
  ephemeralContainers: unsupported(),
  activeDeadlineSeconds: unsupported(),
  dnsPolicy: unsupported('ClusterFirst'),
  serviceAccountName: unsupported(),
  serviceAccount: unsupported(),
  automountServiceAccountToken: unsupported(),
  hostNetwork: unsupported(false),
  hostPID: unsupported(false),
  hostIPC: unsupported(false),
  shareProcessNamespace: unsupported(false),
  securityContext: unsupported(),
  imagePullSecrets: unsupported(),
  hostname: unsupported(),
  subdomain: unsupported(),
  affinity: unsupported(),
  schedulerName: unsupported('default-scheduler'),
  tolerations: unsupported(),
  hostAliases: unsupported(),
  priorityClassName: unsupported(),
  priority: unsupported(0),
  dnsConfig: unsupported(),
  readinessGates: unsupported(),
  runtimeClassName: unsupported(),
  enableServiceLinks: bool,
  preemptionPolicy: unsupported('PreemptLowerPriority'),
  overhead: unsupported(),
  topologySpreadConstraints: unsupported(),
  setHostnameAsFQDN: unsupported(false),
  os: unsupported(),
  hostUsers: unsupported(true),
  schedulingGates: unsupported(),
  resourceClaims: unsupported(),
  resources: unsupported(),
  hostnameOverride: unsupported(),
  workloadRef: unsupported(),
});

export const POD_TEMPLATE_SPEC = obj({ metadata: OBJECT_META, spec: POD_SPEC });

const top = (spec: Schema): Schema =>
  obj({ apiVersion: str, kind: str, metadata: OBJECT_META, spec, status: { type: 'ignored' } });

export const REPLICA_SET_SPEC = obj({
  replicas: int32,
  minReadySeconds: int32,
  selector: LABEL_SELECTOR,
  template: POD_TEMPLATE_SPEC,
});

export const DEPLOYMENT_SPEC = obj({
  replicas: int32,
  selector: LABEL_SELECTOR,
  template: POD_TEMPLATE_SPEC,
  strategy: obj({
    type: str,
    rollingUpdate: obj({
      maxUnavailable: { type: 'intOrString' },
      maxSurge: { type: 'intOrString' },
    }),
  }),
  minReadySeconds: int32,
  revisionHistoryLimit: int32,
  paused: bool,
  progressDeadlineSeconds: int32,
});

/** Top-level shapes of the kinds users may apply. */
const HPA_RULES = obj({
  stabilizationWindowSeconds: int32,
  selectPolicy: str,
  policies: arr(obj({ type: str, value: int32, periodSeconds: int32 })),
});
const METRIC_TARGET = obj({ type: str, averageUtilization: int32, averageValue: { type: 'quantity' }, value: { type: 'quantity' } });
export const HPA_SPEC = obj({
  scaleTargetRef: obj({ apiVersion: str, kind: str, name: str }),
  minReplicas: int32,
  maxReplicas: int32,
  metrics: arr(obj({
    type: str,
    resource: obj({ name: str, target: METRIC_TARGET }),
    containerResource: { type: 'any' },
    pods: { type: 'any' },
    object: { type: 'any' },
    external: { type: 'any' },
  })),
  behavior: obj({ scaleUp: HPA_RULES, scaleDown: HPA_RULES }),
});

export const SERVICE_SPEC = obj({
  ports: arr(obj({
    name: str,
    protocol: str,
    appProtocol: unsupported(),
    port: int32,
    targetPort: { type: 'intOrString' },
    nodePort: int32,
  })),
  selector: map(str),
  clusterIP: str,
  clusterIPs: unsupported(),
  type: str,
  sessionAffinity: str,
  sessionAffinityConfig: obj({ clientIP: obj({ timeoutSeconds: int32 }) }),
  publishNotReadyAddresses: bool,
  externalIPs: unsupported(),
  loadBalancerIP: unsupported(),
  loadBalancerSourceRanges: unsupported(),
  loadBalancerClass: unsupported(),
  allocateLoadBalancerNodePorts: unsupported(true),
  externalName: unsupported(),
  externalTrafficPolicy: unsupported('Cluster'),
  internalTrafficPolicy: unsupported('Cluster'),
  healthCheckNodePort: unsupported(),
  ipFamilies: unsupported(),
  ipFamilyPolicy: unsupported('SingleStack'),
  trafficDistribution: unsupported(),
});

/** ConfigMap and Secret: top-level data, no spec or status. */
const DATA = map(str);
export const CONFIG_MAP = obj({ apiVersion: str, kind: str, metadata: OBJECT_META, data: DATA, binaryData: DATA, immutable: bool });
export const SECRET = obj({ apiVersion: str, kind: str, metadata: OBJECT_META, data: DATA, stringData: DATA, type: str, immutable: bool });

const QUANTITIES = map({ type: 'quantity' });
/** v1 ResourceQuota (scopes are refused by validate-quota.ts, not ignored). */
export const RESOURCE_QUOTA_SPEC = obj({ hard: QUANTITIES, scopes: arr(str), scopeSelector: any });
/** v1 LimitRange. */
export const LIMIT_RANGE_SPEC = obj({
  limits: arr(obj({
    type: str,
    max: QUANTITIES,
    min: QUANTITIES,
    default: QUANTITIES,
    defaultRequest: QUANTITIES,
    maxLimitRequestRatio: QUANTITIES,
  })),
});

export const OBJECT_SCHEMAS: Record<string, Schema> = {
  ResourceQuota: top(RESOURCE_QUOTA_SPEC),
  LimitRange: top(LIMIT_RANGE_SPEC),
  ConfigMap: CONFIG_MAP,
  Secret: SECRET,
  HorizontalPodAutoscaler: top(HPA_SPEC),
  Pod: top(POD_SPEC),
  Namespace: top(obj({ finalizers: unsupported() })),
  ReplicaSet: top(REPLICA_SET_SPEC),
  Deployment: top(DEPLOYMENT_SPEC),
  Service: top(SERVICE_SPEC),
};

// ---------------------------------------------------------------------------------------------

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks `value` against `schema`: JSON types, unknown fields (errors) and fields Starling does not
 * support (warnings). A null value counts as absent, as in Kubernetes' JSON decoding.
 */
export function checkShape(
  value: unknown,
  schema: Schema,
  path: string,
  errors: FieldError[],
  warnings: string[],
): void {
  if (value === null || value === undefined) return;
  switch (schema.type) {
    case 'any':
    case 'ignored':
    case 'system':
      return;
    case 'unsupported':
      if (isEmptyValue(value) || (schema.defaults ?? []).includes(value)) return;
      warnings.push(`${path}: not supported by Starling; ignored`);
      return;
    case 'string':
      if (typeof value !== 'string') errors.push(typeError(path, value, 'string'));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(typeError(path, value, 'boolean'));
      return;
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        errors.push(typeError(path, value, 'int32'));
      } else if (value < INT32_MIN || value > INT32_MAX) {
        errors.push({ field: path, message: `Invalid value: ${value}: out of range for int32` });
      }
      return;
    case 'int64':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        errors.push(typeError(path, value, 'int64'));
      }
      return;
    case 'intOrString':
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
        errors.push(typeError(path, value, 'integer or string'));
      }
      return;
    case 'quantity':
      // Format and sign are checked by the semantic validators (Kubernetes' quantity messages).
      if (typeof value !== 'string' && typeof value !== 'number') {
        errors.push(typeError(path, value, 'quantity (string or number)'));
      }
      return;
    case 'array':
      if (!Array.isArray(value)) {
        errors.push(typeError(path, value, 'array'));
        return;
      }
      value.forEach((item, i) => checkShape(item, schema.items, `${path}[${i}]`, errors, warnings));
      return;
    case 'map':
      if (!isPlainObject(value)) {
        errors.push(typeError(path, value, 'map'));
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        checkShape(v, schema.values, `${path}[${k}]`, errors, warnings);
      }
      return;
    case 'object': {
      if (!isPlainObject(value)) {
        errors.push(typeError(path, value, 'object'));
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        const child = path ? `${path}.${k}` : k;
        const fieldSchema = Object.prototype.hasOwnProperty.call(schema.fields, k)
          ? schema.fields[k]
          : undefined;
        if (!fieldSchema) {
          errors.push({ field: child, message: `unknown field ${JSON.stringify(child)}` });
          continue;
        }
        checkShape(v, fieldSchema, child, errors, warnings);
      }
      return;
    }
  }
}
