// Kubernetes-shaped object types: the subset of fields Starling stores and acts on.
// Shapes follow the Kubernetes API (core/v1, apps/v1); field names are Kubernetes' own.

export type Labels = Record<string, string>;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Labels;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
  generateName?: string;
}

/** Any stored object. `spec` and `status` are kind-specific. */
export interface KObject<Spec = any, Status = any> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  [extra: string]: unknown;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
export interface ContainerPort {
  name?: string;
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}
export interface ResourceList {
  cpu?: string;
  memory?: string;
  [name: string]: string | undefined;
}
export interface ResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
}
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  ports?: ContainerPort[];
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  [extra: string]: unknown;
}
export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path: string; type?: string };
  [other: string]: unknown;
}
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: RestartPolicy;
  nodeName?: string;
  nodeSelector?: Labels;
  terminationGracePeriodSeconds?: number;
  [extra: string]: unknown;
}
export interface PodTemplateSpec {
  metadata?: Partial<ObjectMeta>;
  spec: PodSpec;
}

export type ContainerState =
  | { running: { startedAt: string } }
  | { waiting: { reason: string; message?: string } }
  | {
    terminated: {
      exitCode: number;
      reason: string;
      startedAt?: string;
      finishedAt?: string;
      message?: string;
    };
  };

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState | Record<string, never>;
  containerID?: string;
}
export interface PodCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
export interface PodStatus {
  phase: PodPhase;
  conditions?: PodCondition[];
  hostIP?: string;
  podIP?: string;
  startTime?: string;
  reason?: string;
  message?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  /** Starling: where each container port is published on the node (host address and port). */
  hostPorts?: { containerPort: number; hostIP: string; hostPort: number; protocol: string }[];
}

export interface ReplicaSetSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
  minReadySeconds?: number;
}
export interface DeploymentSpec extends ReplicaSetSpec {
  strategy?: {
    type?: 'RollingUpdate' | 'Recreate';
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
  paused?: boolean;
}

/** A Kubernetes-style Event (core/v1). */
export interface KEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: ObjectMeta;
  involvedObject: { kind: string; namespace?: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** The key an object and its actor are addressed by: `Kind/namespace/name` (namespace empty for cluster-scoped kinds). */
export type ObjectKey = string;
export const objectKey = (kind: string, namespace: string | undefined, name: string): ObjectKey =>
  `${kind}/${namespace ?? ''}/${name}`;
export const keyOf = (o: { kind: string; metadata: { namespace?: string; name: string } }): ObjectKey =>
  objectKey(o.kind, o.metadata.namespace, o.metadata.name);
export function parseKey(key: ObjectKey): { kind: string; namespace: string; name: string } {
  const [kind, namespace, ...rest] = key.split('/');
  return { kind, namespace, name: rest.join('/') };
}
