// describe's container, volume and pod-template sections (kubectl's describeContainers,
// describeVolumes, DescribePodTemplate). Secret-sourced environment variables are shown as a
// reference to the secret, never as a value.

import type {
  Container,
  ContainerPort,
  ContainerState,
  ContainerStatus,
  KObject,
  PodSpec,
  PodTemplateSpec,
  ResourceRequirements,
  Volume,
} from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';
import { formatRFC1123Z } from './age.ts';
import {
  LEVEL_0,
  LEVEL_1,
  LEVEL_2,
  LEVEL_3,
  PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
} from './describe-writer.ts';
import { stateParts } from './pods.ts';
import { parseQuantity } from './quantity.ts';

const stringOrNone = (s: string): string => (s === '' ? '<none>' : s);
const printBool = (b: boolean | undefined): string => (b ? 'True' : 'False');

type HostPort = { containerPort: number; hostIP?: string; hostPort: number; protocol?: string };

function portsString(ports: ContainerPort[]): string {
  return ports.map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
}

/**
 * Host ports as `port/PROTO`. Starling publishes container ports on the node's address and records
 * where in pod status.hostPorts; that is the host port shown when the spec sets none.
 */
function hostPortsString(ports: ContainerPort[], published: HostPort[] | undefined): string {
  return ports.map((p) => {
    const proto = p.protocol ?? 'TCP';
    const pub = published?.find((h) =>
      h.containerPort === p.containerPort && (h.protocol ?? 'TCP') === proto
    );
    return `${p.hostPort ?? pub?.hostPort ?? 0}/${proto}`;
  }).join(', ');
}

function describeResources(
  resources: ResourceRequirements | undefined,
  w: PrefixWriter,
  level: number,
): void {
  if (!resources) return;
  for (const [title, list] of [['Limits', resources.limits], ['Requests', resources.requests]] as const) {
    const names = Object.keys(list ?? {}).filter((k) => list![k] !== undefined).sort(compareText);
    if (names.length > 0) w.write(level, `${title}:\n`);
    for (const name of names) w.write(level + 1, `${name}:\t${list![name]}\n`);
  }
}

function describeStatus(stateName: string, state: ContainerState | Record<string, never> | undefined, w: PrefixWriter): void {
  const { running, waiting, terminated } = stateParts(state);
  if (running) {
    w.write(LEVEL_2, `${stateName}:\tRunning\n`);
    w.write(LEVEL_3, `Started:\t${formatRFC1123Z(running.startedAt)}\n`);
  } else if (waiting) {
    w.write(LEVEL_2, `${stateName}:\tWaiting\n`);
    if (waiting.reason) w.write(LEVEL_3, `Reason:\t${waiting.reason}\n`);
  } else if (terminated) {
    w.write(LEVEL_2, `${stateName}:\tTerminated\n`);
    if (terminated.reason) w.write(LEVEL_3, `Reason:\t${terminated.reason}\n`);
    if (terminated.message) w.write(LEVEL_3, `Message:\t${terminated.message}\n`);
    w.write(LEVEL_3, `Exit Code:\t${terminated.exitCode}\n`);
    if ((terminated.signal ?? 0) > 0) w.write(LEVEL_3, `Signal:\t${terminated.signal}\n`);
    w.write(LEVEL_3, `Started:\t${formatRFC1123Z(terminated.startedAt)}\n`);
    w.write(LEVEL_3, `Finished:\t${formatRFC1123Z(terminated.finishedAt)}\n`);
  } else {
    w.write(LEVEL_2, `${stateName}:\tWaiting\n`);
  }
}

type Probe = {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  exec?: { command?: string[] };
  httpGet?: { scheme?: string; host?: string; port?: number | string; path?: string };
  tcpSocket?: { host?: string; port?: number | string };
  grpc?: { port: number; service?: string };
};

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** DescribeProbe, with the API server's defaults (timeout 1s, period 10s, #success 1, #failure 3). */
export function describeProbe(probe: Probe): string {
  const attrs = `delay=${probe.initialDelaySeconds ?? 0}s timeout=${probe.timeoutSeconds ?? 1}s ` +
    `period=${probe.periodSeconds ?? 10}s #success=${probe.successThreshold ?? 1} ` +
    `#failure=${probe.failureThreshold ?? 3}`;
  if (probe.exec) return `exec [${(probe.exec.command ?? []).join(' ')}] ${attrs}`;
  if (probe.httpGet) {
    const g = probe.httpGet;
    const port = g.port === undefined ? '' : String(g.port);
    const host = port ? joinHostPort(g.host ?? '', port) : g.host ?? '';
    return `http-get ${(g.scheme ?? 'HTTP').toLowerCase()}://${host}${g.path ?? ''} ${attrs}`;
  }
  if (probe.tcpSocket) {
    return `tcp-socket ${probe.tcpSocket.host ?? ''}:${probe.tcpSocket.port ?? ''} ${attrs}`;
  }
  if (probe.grpc) return `grpc <pod>:${probe.grpc.port} ${probe.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

type EnvSource = {
  fieldRef?: { apiVersion?: string; fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string };
  secretKeyRef?: { name: string; key: string; optional?: boolean };
  configMapKeyRef?: { name: string; key: string; optional?: boolean };
};

/** The value of a downward-API field path for `pod` ('' when unknown or with no pod). */
function resolveFieldPath(pod: KObject | undefined, path: string): string {
  if (!pod) return '';
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) {
    const map = (pod.metadata as unknown as Record<string, Record<string, string> | undefined>)[m[1]];
    return map?.[m[2]] ?? '';
  }
  let v: unknown = pod;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return '';
    v = (v as Record<string, unknown>)[part];
  }
  if (path === 'status.podIPs' && Array.isArray(v)) return v.map((x) => x?.ip ?? '').join(',');
  return v === undefined || v === null || typeof v === 'object' ? '' : String(v);
}

function resourceFieldValue(container: Container, resource: string): string {
  const [kind, name] = resource.split('.');
  const list = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const v = list?.[name];
  if (v === undefined || parseQuantity(v) === 0) {
    return kind === 'limits' && (name === 'cpu' || name === 'memory') ? 'node allocatable' : '0';
  }
  return v;
}

function describeEnvVars(container: Container, pod: KObject | undefined, w: PrefixWriter): void {
  const env = container.env ?? [];
  w.write(LEVEL_2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of env) {
    const from = e.valueFrom as EnvSource | undefined;
    if (!from) {
      (e.value ?? '').split('\n').forEach((s, i) => {
        w.write(LEVEL_3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`);
      });
      continue;
    }
    if (from.fieldRef) {
      const value = resolveFieldPath(pod, from.fieldRef.fieldPath);
      w.write(LEVEL_3, `${e.name}:\t${value} (${from.fieldRef.apiVersion ?? 'v1'}:${from.fieldRef.fieldPath})\n`);
    } else if (from.resourceFieldRef) {
      const value = resourceFieldValue(container, from.resourceFieldRef.resource);
      w.write(LEVEL_3, `${e.name}:\t${value} (${from.resourceFieldRef.resource})\n`);
    } else if (from.secretKeyRef) {
      const r = from.secretKeyRef;
      w.write(LEVEL_3, `${e.name}:\t<set to the key '${r.key}' in secret '${r.name}'>\tOptional: ${!!r.optional}\n`);
    } else if (from.configMapKeyRef) {
      const r = from.configMapKeyRef;
      w.write(LEVEL_3, `${e.name}:\t<set to the key '${r.key}' of config map '${r.name}'>\tOptional: ${!!r.optional}\n`);
    }
  }
}

type EnvFrom = {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
};

function describeEnvFrom(envFrom: EnvFrom[], w: PrefixWriter): void {
  w.write(LEVEL_2, `Environment Variables from:${envFrom.length === 0 ? '\t<none>' : ''}\n`);
  for (const e of envFrom) {
    const ref = e.configMapRef ?? e.secretRef;
    const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
    const optional = !!ref?.optional;
    const what = e.prefix ? `${from} with prefix '${e.prefix}'` : from;
    w.write(LEVEL_3, `${ref?.name ?? ''}\t${what}\tOptional: ${optional}\n`);
  }
}

function describeMounts(container: Container, w: PrefixWriter): void {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => compareText(a.mountPath, b.mountPath));
  w.write(LEVEL_2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
  for (const m of mounts) {
    const flags = [m.readOnly ? 'ro' : 'rw'];
    if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
    w.write(LEVEL_3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
  }
}

/**
 * describeContainers: one block per container. `statuses` is given for a pod (State, Ready, Restart
 * Count shown) and omitted for a pod template; `space` is the template's extra indent.
 */
export function describeContainers(
  w: PrefixWriter,
  label: string,
  containers: Container[],
  statuses: ContainerStatus[] | undefined,
  pod: KObject | undefined,
  space = '',
): void {
  const byName = new Map((statuses ?? []).map((s) => [s.name, s]));
  w.write(LEVEL_0, `${space}${label}:${containers.length === 0 ? ' <none>' : ''}\n`);
  const published = (pod?.status as { hostPorts?: HostPort[] } | undefined)?.hostPorts;
  for (const c of containers) {
    const status = byName.get(c.name);
    w.write(LEVEL_1, `${space ? ' ' : ''}${c.name}:\n`);
    if (status) w.write(LEVEL_2, `Container ID:\t${status.containerID ?? ''}\n`);
    w.write(LEVEL_2, `Image:\t${c.image}\n`);
    if (status) w.write(LEVEL_2, `Image ID:\t${(status as { imageID?: string }).imageID ?? ''}\n`);
    const ports = portsString(c.ports ?? []);
    w.write(LEVEL_2, ports.includes(',') ? `Ports:\t${ports}\n` : `Port:\t${stringOrNone(ports)}\n`);
    const hostPorts = hostPortsString(c.ports ?? [], published);
    w.write(LEVEL_2, hostPorts.includes(',') ? `Host Ports:\t${hostPorts}\n` : `Host Port:\t${stringOrNone(hostPorts)}\n`);
    if (c.command?.length) {
      w.write(LEVEL_2, 'Command:\n');
      for (const cmd of c.command) for (const s of cmd.split('\n')) w.write(LEVEL_3, `${s}\n`);
    }
    if (c.args?.length) {
      w.write(LEVEL_2, 'Args:\n');
      for (const arg of c.args) for (const s of arg.split('\n')) w.write(LEVEL_3, `${s}\n`);
    }
    if (status) {
      describeStatus('State', status.state, w);
      if (stateParts(status.lastState).terminated) describeStatus('Last State', status.lastState, w);
      w.write(LEVEL_2, `Ready:\t${printBool(status.ready)}\n`);
      w.write(LEVEL_2, `Restart Count:\t${status.restartCount ?? 0}\n`);
    }
    describeResources(c.resources, w, LEVEL_2);
    if (c.livenessProbe) w.write(LEVEL_2, `Liveness:\t${describeProbe(c.livenessProbe as Probe)}\n`);
    if (c.readinessProbe) w.write(LEVEL_2, `Readiness:\t${describeProbe(c.readinessProbe as Probe)}\n`);
    if (c.startupProbe) w.write(LEVEL_2, `Startup:\t${describeProbe(c.startupProbe as Probe)}\n`);
    const envFrom = (c.envFrom ?? []) as EnvFrom[];
    if (envFrom.length > 0) describeEnvFrom(envFrom, w);
    describeEnvVars(c, pod, w);
    describeMounts(c, w);
  }
}

/** describeVolumes: each volume's name and source, or `Volumes:\t<none>`. */
export function describeVolumes(w: PrefixWriter, volumes: Volume[] | undefined, space = ''): void {
  if (!volumes || volumes.length === 0) {
    w.write(LEVEL_0, `${space}Volumes:\t<none>\n`);
    return;
  }
  w.write(LEVEL_0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(LEVEL_1, `${space ? ' ' : ''}${v.name}:\n`);
    const src = v as Volume & {
      configMap?: { name: string; optional?: boolean };
      secret?: { secretName: string; optional?: boolean };
      persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
    };
    if (src.hostPath) {
      w.write(LEVEL_2, 'Type:\tHostPath (bare host directory volume)\n' +
        `    Path:\t${src.hostPath.path}\n` +
        `    HostPathType:\t${src.hostPath.type ?? '<none>'}\n`);
    } else if (src.emptyDir) {
      const size = src.emptyDir.sizeLimit && parseQuantity(src.emptyDir.sizeLimit) !== 0
        ? src.emptyDir.sizeLimit
        : '<unset>';
      w.write(LEVEL_2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n" +
        `    Medium:\t${src.emptyDir.medium ?? ''}\n` +
        `    SizeLimit:\t${size}\n`);
    } else if (src.secret) {
      w.write(LEVEL_2, 'Type:\tSecret (a volume populated by a Secret)\n' +
        `    SecretName:\t${src.secret.secretName}\n` +
        `    Optional:\t${!!src.secret.optional}\n`);
    } else if (src.configMap) {
      w.write(LEVEL_2, 'Type:\tConfigMap (a volume populated by a ConfigMap)\n' +
        `    Name:\t${src.configMap.name}\n` +
        `    Optional:\t${!!src.configMap.optional}\n`);
    } else if (src.persistentVolumeClaim) {
      w.write(LEVEL_2, 'Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n' +
        `    ClaimName:\t${src.persistentVolumeClaim.claimName}\n` +
        `    ReadOnly:\t${!!src.persistentVolumeClaim.readOnly}\n`);
    } else {
      w.write(LEVEL_1, '<unknown>\n');
    }
  }
}

type Toleration = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };

/** printPodTolerationsMultiline: `key=value:Effect op=Exists for 300s` per toleration, or `<none>`. */
export function printTolerationsMultiline(w: PrefixWriter, title: string, tolerations: Toleration[] | undefined): void {
  w.write(LEVEL_0, `${title}:\t`);
  const list = [...(tolerations ?? [])].sort((a, b) => compareText(a.key ?? '', b.key ?? ''));
  if (list.length === 0) {
    w.writeLine('<none>');
    return;
  }
  list.forEach((t, i) => {
    if (i !== 0) w.write(LEVEL_0, '\t');
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined) s += ` for ${t.tolerationSeconds}s`;
    w.write(LEVEL_0, `${s}\n`);
  });
}

/** DescribePodTemplate: the `Pod Template:` section of Deployments and ReplicaSets. */
export function describePodTemplate(w: PrefixWriter, template: PodTemplateSpec | undefined): void {
  w.write(LEVEL_0, 'Pod Template:\n');
  if (!template) {
    w.write(LEVEL_1, '<unset>');
    return;
  }
  const spec = (template.spec ?? { containers: [] }) as PodSpec & {
    serviceAccountName?: string;
    priorityClassName?: string;
    tolerations?: Toleration[];
  };
  printLabelsMultiline(w, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) {
    printAnnotationsMultiline(w, '  Annotations', template.metadata?.annotations);
  }
  if (spec.serviceAccountName) w.write(LEVEL_1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) {
    describeContainers(w, 'Init Containers', spec.initContainers, undefined, undefined, '  ');
  }
  describeContainers(w, 'Containers', spec.containers ?? [], undefined, undefined, '  ');
  describeVolumes(w, spec.volumes, '  ');
  if (spec.priorityClassName) w.write(LEVEL_1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  printLabelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, '  Tolerations', spec.tolerations);
}
