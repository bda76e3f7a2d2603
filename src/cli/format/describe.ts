// `describe` in kubectl's layout (k8s.io/kubectl/pkg/describe): Pods, Deployments, ReplicaSets,
// Namespaces and Nodes have their own describers; any other kind gets the generic one.

import { canonical, compareText } from '../../../actors/canonical.ts';
import type { Container, KEvent, KObject, PodSpec, PodStatus, PodTemplateSpec } from '../../objects/types.ts';
import { formatAge, formatRFC1123Z, parseTime } from './age.ts';
import {
  describeContainers,
  describePodTemplate,
  describeVolumes,
  printTolerationsMultiline,
} from './describe-containers.ts';
import {
  controllerOf,
  describeEvents,
  eventInvolves,
  LEVEL_0,
  LEVEL_1,
  PrefixWriter,
  printAnnotationsMultiline,
  printLabelsMultiline,
} from './describe-writer.ts';
import { podIP } from './pods.ts';
import { describeConfigMap, describeSecret } from './config.ts';
import { formatQuantity, isBinaryQuantity, parseQuantity } from './quantity.ts';
import { describeLimitRange, describeQuota } from './quota.ts';
import { formatLabelSelector, selectorMatches, selectorString } from './selector.ts';
import { nodeRoles } from './workloads.ts';

/** Objects a describer needs beyond the described object itself. */
export interface DescribeRelated {
  /** ReplicaSet: its pods (Pods Status). Node: pods bound to it (Non-terminated Pods). */
  pods?: KObject[];
  /** Deployment: its ReplicaSets (OldReplicaSets / NewReplicaSet). */
  replicaSets?: KObject[];
  /** Namespace: its ResourceQuotas (shown when given). */
  resourceQuotas?: KObject[];
  /** Namespace: its LimitRanges (shown when given). */
  limitRanges?: KObject[];
}

/**
 * `kubectl describe` for one object. `events` may hold any events: those about `obj` are shown
 * (Namespaces show none, as in kubectl). Times print in UTC; the result ends with a newline.
 */
export function describe(obj: KObject, events: KEvent[], now: number, related: DescribeRelated = {}): string {
  const own = events.filter((e) => eventInvolves(e, obj) || (obj.kind === 'Node' && nodeEvent(e, obj)));
  switch (obj.kind) {
    case 'Pod':
      return describePod(obj, own, now);
    case 'Deployment':
      return describeDeployment(obj, own, now, related);
    case 'ReplicaSet':
      return describeReplicaSet(obj, own, now, related);
    case 'Namespace':
      return describeNamespace(obj, related);
    case 'Node':
      return describeNode(obj, own, now, related);
    case 'ResourceQuota':
      return describeQuota(obj); // kubectl shows no events for quotas and LimitRanges
    case 'LimitRange':
      return describeLimitRange(obj);
    case 'ConfigMap':
      return describeConfigMap(obj, own, now);
    case 'Secret':
      return describeSecret(obj); // kubectl shows no events for Secrets
    default:
      return describeGeneric(obj, own, now);
  }
}

/** Node events are often recorded with the node name as uid; match on kind and name. */
function nodeEvent(e: KEvent, node: KObject): boolean {
  return e.involvedObject?.kind === 'Node' && e.involvedObject.name === node.metadata.name;
}

/** Whether `owner` is the controller of `obj` (by uid, or by kind and name when uids are absent). */
function controlledBy(obj: KObject, owner: KObject): boolean {
  if ((obj.metadata.namespace ?? '') !== (owner.metadata.namespace ?? '')) return false;
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
  if (!ref) return false;
  if (ref.uid && owner.metadata.uid) return ref.uid === owner.metadata.uid;
  return ref.kind === owner.kind && ref.name === owner.metadata.name;
}

// ---- Pod ----

type ResourceMap = Record<string, number>;

/** qos.GetPodQOS (requests default to limits, as the API server defaults them). */
export function podQOSClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests: ResourceMap = {};
  const limits: ResourceMap = {};
  let guaranteed = true;
  const supported = (n: string) => n === 'cpu' || n === 'memory';
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const lim = c.resources?.limits ?? {};
    const req = { ...lim, ...(c.resources?.requests ?? {}) };
    for (const [n, q] of Object.entries(req)) {
      const v = parseQuantity(q);
      if (supported(n) && v) requests[n] = (requests[n] ?? 0) + v;
    }
    const found = new Set<string>();
    for (const [n, q] of Object.entries(lim)) {
      const v = parseQuantity(q);
      if (supported(n) && v) {
        found.add(n);
        limits[n] = (limits[n] ?? 0) + v;
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [n, v] of Object.entries(requests)) if (limits[n] !== v) guaranteed = false;
  }
  if (guaranteed && Object.keys(requests).length === Object.keys(limits).length) return 'Guaranteed';
  return 'Burstable';
}

type PodSpecX = PodSpec & {
  priority?: number;
  priorityClassName?: string;
  runtimeClassName?: string;
  serviceAccountName?: string;
  readinessGates?: { conditionType: string }[];
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }[];
};

function describePod(pod: KObject, events: KEvent[], now: number): string {
  const w = new PrefixWriter();
  const spec = (pod.spec ?? { containers: [] }) as PodSpecX;
  const status = (pod.status ?? {}) as Partial<PodStatus> & { nominatedNodeName?: string; qosClass?: string };
  const meta = pod.metadata as typeof pod.metadata & { deletionGracePeriodSeconds?: number };

  w.write(LEVEL_0, `Name:\t${meta.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${meta.namespace ?? ''}\n`);
  if (spec.priority !== undefined) w.write(LEVEL_0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(LEVEL_0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(LEVEL_0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(LEVEL_0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(LEVEL_0, spec.nodeName ? `Node:\t${spec.nodeName}/${status.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (status.startTime) w.write(LEVEL_0, `Start Time:\t${formatRFC1123Z(status.startTime)}\n`);
  printLabelsMultiline(w, 'Labels', meta.labels);
  printAnnotationsMultiline(w, 'Annotations', meta.annotations);
  if (meta.deletionTimestamp && status.phase !== 'Failed' && status.phase !== 'Succeeded') {
    w.write(LEVEL_0, `Status:\tTerminating (lasts ${formatAge(meta.deletionTimestamp, now)})\n`);
    const grace = meta.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    w.write(LEVEL_0, `Termination Grace Period:\t${grace}s\n`);
  } else {
    w.write(LEVEL_0, `Status:\t${status.phase ?? ''}\n`);
  }
  if (status.reason) w.write(LEVEL_0, `Reason:\t${status.reason}\n`);
  if (status.message) w.write(LEVEL_0, `Message:\t${status.message}\n`);
  const ip = podIP(pod);
  w.write(LEVEL_0, `IP:\t${status.podIP ?? ip}\n`);
  const ips = ((status as { podIPs?: { ip: string }[] }).podIPs ?? (ip ? [{ ip }] : [])).map((p) => p.ip);
  if (ips.length === 0) {
    w.write(LEVEL_0, 'IPs:\t<none>\n');
  } else {
    w.write(LEVEL_0, 'IPs:\n');
    for (const a of ips) w.write(LEVEL_1, `IP:\t${a}\n`);
  }
  const controller = controllerOf(pod);
  if (controller) w.write(LEVEL_0, `Controlled By:\t${controller}\n`);
  if (status.nominatedNodeName) w.write(LEVEL_0, `NominatedNodeName:\t${status.nominatedNodeName}\n`);

  if (spec.initContainers?.length) {
    describeContainers(w, 'Init Containers', spec.initContainers, status.initContainerStatuses ?? [], pod);
  }
  describeContainers(w, 'Containers', spec.containers ?? [], status.containerStatuses ?? [], pod);
  if (spec.readinessGates?.length) {
    w.write(LEVEL_0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) {
      const c = (status.conditions ?? []).find((c) => c.type === g.conditionType);
      w.write(LEVEL_1, `${g.conditionType} \t${c?.status ?? '<none>'} \n`);
    }
  }
  if (status.conditions?.length) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\n');
    for (const c of status.conditions) w.write(LEVEL_1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes);
  w.write(LEVEL_0, `QoS Class:\t${status.qosClass ?? podQOSClass(spec)}\n`);
  printLabelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  printTolerationsMultiline(w, 'Tolerations', spec.tolerations);
  describeEvents(w, events, now);
  return w.toString();
}

// ---- Deployment ----

const intOrString = (v: number | string | undefined, dflt: string): string => (v === undefined ? dflt : String(v));

/** EqualIgnoreHash: pod templates equal apart from the pod-template-hash label. */
function templatesEqual(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined) => {
    const labels = { ...(t?.metadata?.labels ?? {}) };
    delete labels['pod-template-hash'];
    return canonical({ ...t, metadata: { ...(t?.metadata ?? {}), labels } });
  };
  return strip(a) === strip(b);
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The Deployment's new ReplicaSet and its old ones that still have replicas (deploymentutil). */
export function deploymentReplicaSets(d: KObject, replicaSets: KObject[]): { newRS?: KObject; oldRSs: KObject[] } {
  const owned = replicaSets.filter((rs) => controlledBy(rs, d)).sort((a, b) =>
    (parseTime(a.metadata.creationTimestamp) ?? 0) - (parseTime(b.metadata.creationTimestamp) ?? 0) ||
    compareText(a.metadata.name, b.metadata.name)
  );
  const revision = d.metadata.annotations?.[REVISION];
  const newRS = owned.find((rs) => templatesEqual(rs.spec?.template, d.spec?.template)) ??
    (revision ? owned.find((rs) => rs.metadata.annotations?.[REVISION] === revision) : undefined);
  const oldRSs = owned.filter((rs) => rs !== newRS && (rs.spec?.replicas ?? 1) !== 0);
  return { newRS, oldRSs };
}

function replicaSetsByLabels(list: KObject[]): string {
  const s = list.map((rs) =>
    `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 1} replicas created)`
  ).join(', ');
  return s || '<none>';
}

function writeConditions(w: PrefixWriter, conditions: { type: string; status: string; reason?: string }[] | undefined): void {
  if (!conditions?.length) return;
  w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tReason\n');
  w.write(LEVEL_1, '----\t------\t------\n');
  for (const c of conditions) w.write(LEVEL_1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
}

function describeDeployment(d: KObject, events: KEvent[], now: number, related: DescribeRelated): string {
  const w = new PrefixWriter();
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  w.write(LEVEL_0, `Name:\t${d.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${d.metadata.namespace ?? ''}\n`);
  w.write(LEVEL_0, `CreationTimestamp:\t${formatRFC1123Z(d.metadata.creationTimestamp)}\n`);
  printLabelsMultiline(w, 'Labels', d.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', d.metadata.annotations);
  w.write(LEVEL_0, `Selector:\t${selectorString(spec.selector) ?? '<invalid>'}\n`);
  w.write(LEVEL_0,
    `Replicas:\t${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ` +
      `${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable\n`);
  const strategyType = spec.strategy?.type ?? 'RollingUpdate';
  w.write(LEVEL_0, `StrategyType:\t${strategyType}\n`);
  w.write(LEVEL_0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  if (strategyType === 'RollingUpdate') {
    const ru = spec.strategy?.rollingUpdate ?? {};
    w.write(LEVEL_0,
      `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable, '25%')} max unavailable, ` +
        `${intOrString(ru.maxSurge, '25%')} max surge\n`);
  }
  describePodTemplate(w, spec.template);
  writeConditions(w, st.conditions);
  if (related.replicaSets) {
    const { newRS, oldRSs } = deploymentReplicaSets(d, related.replicaSets);
    if (oldRSs.length > 0 || newRS) {
      w.write(LEVEL_0, `OldReplicaSets:\t${replicaSetsByLabels(oldRSs)}\n`);
      w.write(LEVEL_0, `NewReplicaSet:\t${replicaSetsByLabels(newRS ? [newRS] : [])}\n`);
    }
  }
  describeEvents(w, events, now);
  return w.toString();
}

// ---- ReplicaSet ----

/** Running / Waiting (Pending) / Succeeded / Failed counts of the pods a ReplicaSet controls. */
export function podPhaseCounts(rs: KObject, pods: KObject[]): { running: number; waiting: number; succeeded: number; failed: number } {
  const counts = { running: 0, waiting: 0, succeeded: 0, failed: 0 };
  for (const p of pods) {
    const mine = (p.metadata.ownerReferences ?? []).length > 0
      ? controlledBy(p, rs)
      : (p.metadata.namespace ?? '') === (rs.metadata.namespace ?? '') &&
        selectorMatches(rs.spec?.selector, p.metadata.labels);
    if (!mine) continue;
    switch (p.status?.phase) {
      case 'Running': counts.running++; break;
      case 'Pending': counts.waiting++; break;
      case 'Succeeded': counts.succeeded++; break;
      case 'Failed': counts.failed++; break;
    }
  }
  return counts;
}

function describeReplicaSet(rs: KObject, events: KEvent[], now: number, related: DescribeRelated): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${rs.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${rs.metadata.namespace ?? ''}\n`);
  w.write(LEVEL_0, `Selector:\t${formatLabelSelector(rs.spec?.selector)}\n`);
  printLabelsMultiline(w, 'Labels', rs.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', rs.metadata.annotations);
  const controller = controllerOf(rs);
  if (controller) w.write(LEVEL_0, `Controlled By:\t${controller}\n`);
  w.write(LEVEL_0, `Replicas:\t${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired\n`);
  const c = podPhaseCounts(rs, related.pods ?? []);
  w.write(LEVEL_0, `Pods Status:\t${c.running} Running / ${c.waiting} Waiting / ${c.succeeded} Succeeded / ${c.failed} Failed\n`);
  describePodTemplate(w, rs.spec?.template);
  writeConditions(w, rs.status?.conditions);
  describeEvents(w, events, now);
  return w.toString();
}

// ---- Namespace ----

function describeNamespace(ns: KObject, related: DescribeRelated): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${ns.metadata.name}\n`);
  printLabelsMultiline(w, 'Labels', ns.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', ns.metadata.annotations);
  const phase = ns.status?.phase ?? (ns.metadata.deletionTimestamp ? 'Terminating' : 'Active');
  w.write(LEVEL_0, `Status:\t${phase}\n`);
  const conditions = (ns.status?.conditions ?? []) as {
    type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string;
  }[];
  if (conditions.length > 0) {
    w.write(LEVEL_0, 'Conditions:\n');
    w.write(LEVEL_1, 'Type\tStatus\tLastTransitionTime\tReason\tMessage\n');
    w.write(LEVEL_1, '----\t------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(LEVEL_1, `${c.type}\t${c.status}\t${formatRFC1123Z(c.lastTransitionTime)}\t${c.reason ?? ''}\t${c.message ?? ''}\n`);
    }
  }
  if (related.resourceQuotas) {
    w.write(LEVEL_0, '\n');
    describeResourceQuotas(w, related.resourceQuotas);
  }
  if (related.limitRanges) {
    w.write(LEVEL_0, '\n');
    describeLimitRanges(w, related.limitRanges);
  }
  return w.toString();
}

function describeResourceQuotas(w: PrefixWriter, quotas: KObject[]): void {
  if (quotas.length === 0) {
    w.write(LEVEL_0, 'No resource quota.\n');
    return;
  }
  w.write(LEVEL_0, 'Resource Quotas\n');
  for (const q of [...quotas].sort((a, b) => compareText(a.metadata.name, b.metadata.name))) {
    w.write(LEVEL_1, `Name:\t${q.metadata.name}\n`);
    const scopes = [...((q.spec?.scopes ?? []) as string[])].sort(compareText);
    if (scopes.length > 0) w.write(LEVEL_1, `Scopes:\t${scopes.join(', ')}\n`);
    w.write(LEVEL_1, 'Resource\tUsed\tHard\n');
    w.write(LEVEL_1, '--------\t---\t---\n');
    const hard = (q.status?.hard ?? q.spec?.hard ?? {}) as Record<string, string>;
    const used = (q.status?.used ?? {}) as Record<string, string>;
    for (const r of Object.keys(hard).sort(compareText)) {
      w.write(LEVEL_1, `${r}\t${used[r] ?? '0'}\t${hard[r]}\n`);
    }
  }
}

function describeLimitRanges(w: PrefixWriter, ranges: KObject[]): void {
  if (ranges.length === 0) {
    w.write(LEVEL_0, 'No LimitRange resource.\n');
    return;
  }
  w.write(LEVEL_0, 'Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n');
  w.write(LEVEL_0, ' ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n');
  type Item = Record<string, Record<string, string> | string | undefined>;
  for (const lr of ranges) {
    for (const item of (lr.spec?.limits ?? []) as Item[]) {
      const maps = ['min', 'max', 'defaultRequest', 'default', 'maxLimitRequestRatio']
        .map((k) => (item[k] ?? {}) as Record<string, string>);
      const names = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort(compareText);
      for (const n of names) {
        const cells = maps.map((m) => m[n] ?? '-');
        w.write(LEVEL_0, ` ${item.type ?? ''}\t${n}\t${cells.join('\t')}\n`);
      }
    }
  }
}

// ---- Node ----

function describeNode(node: KObject, events: KEvent[], now: number, related: DescribeRelated): string {
  const w = new PrefixWriter();
  const spec = node.spec ?? {};
  const st = node.status ?? {};
  w.write(LEVEL_0, `Name:\t${node.metadata.name}\n`);
  w.write(LEVEL_0, `Roles:\t${nodeRoles(node).join(',') || '<none>'}\n`);
  printLabelsMultiline(w, 'Labels', node.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', node.metadata.annotations);
  w.write(LEVEL_0, `CreationTimestamp:\t${formatRFC1123Z(node.metadata.creationTimestamp)}\n`);
  const taints = (spec.taints ?? []) as { key: string; value?: string; effect: string }[];
  w.write(LEVEL_0, 'Taints:\t');
  if (taints.length === 0) w.writeLine('<none>');
  taints.forEach((t, i) => {
    if (i !== 0) w.write(LEVEL_0, '\t');
    w.write(LEVEL_0, `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}\n`);
  });
  w.write(LEVEL_0, `Unschedulable:\t${!!spec.unschedulable}\n`);

  const conditions = (st.conditions ?? []) as {
    type: string; status: string; lastHeartbeatTime?: string; lastTransitionTime?: string; reason?: string; message?: string;
  }[];
  if (conditions.length > 0) {
    w.write(LEVEL_0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(LEVEL_1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of conditions) {
      w.write(LEVEL_1,
        `${c.type} \t${c.status} \t${formatRFC1123Z(c.lastHeartbeatTime)} \t${formatRFC1123Z(c.lastTransitionTime)} \t` +
          `${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }
  w.write(LEVEL_0, 'Addresses:\n');
  for (const a of (st.addresses ?? []) as { type: string; address: string }[]) {
    w.write(LEVEL_1, `${a.type}:\t${a.address}\n`);
  }
  const printResources = (title: string, list: Record<string, string> | undefined) => {
    const names = Object.keys(list ?? {}).sort(compareText);
    if (names.length === 0) return;
    w.write(LEVEL_0, `${title}:\n`);
    for (const n of names) w.write(LEVEL_0, `  ${n}:\t${list![n]}\n`);
  };
  printResources('Capacity', st.capacity);
  printResources('Allocatable', st.allocatable);

  const info = st.nodeInfo ?? {};
  w.write(LEVEL_0, 'System Info:\n');
  for (
    const [label, key] of [
      ['Machine ID', 'machineID'],
      ['System UUID', 'systemUUID'],
      ['Boot ID', 'bootID'],
      ['Kernel Version', 'kernelVersion'],
      ['OS Image', 'osImage'],
      ['Operating System', 'operatingSystem'],
      ['Architecture', 'architecture'],
      ['Container Runtime Version', 'containerRuntimeVersion'],
      ['Kubelet Version', 'kubeletVersion'],
    ]
  ) {
    w.write(LEVEL_0, `  ${label}:\t${info[key] ?? ''}\n`);
  }
  if (spec.podCIDR) w.write(LEVEL_0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.providerID) w.write(LEVEL_0, `ProviderID:\t${spec.providerID}\n`);
  if (related.pods) {
    const pods = related.pods.filter((p) =>
      p.spec?.nodeName === node.metadata.name && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'
    );
    describeNodeResource(w, pods, node, now);
  }
  describeEvents(w, events, now);
  return w.toString();
}

/** A pod's total requests and limits (PodRequestsAndLimits: max of init containers and the sum). */
function podRequestsAndLimits(pod: KObject): { req: ResourceMap; lim: ResourceMap; binary: Record<string, boolean> } {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  const binary: Record<string, boolean> = {};
  const sum = (cs: Container[], pick: 'requests' | 'limits'): ResourceMap => {
    const out: ResourceMap = {};
    for (const c of cs) {
      const list = pick === 'requests'
        ? { ...(c.resources?.limits ?? {}), ...(c.resources?.requests ?? {}) }
        : c.resources?.limits ?? {};
      for (const [n, q] of Object.entries(list)) {
        const v = parseQuantity(q);
        if (v === undefined) continue;
        out[n] = (out[n] ?? 0) + v;
        if (isBinaryQuantity(q)) binary[n] = true;
      }
    }
    return out;
  };
  const maxInit = (base: ResourceMap, pick: 'requests' | 'limits'): ResourceMap => {
    const out = { ...base };
    for (const c of spec.initContainers ?? []) {
      for (const [n, v] of Object.entries(sum([c], pick))) out[n] = Math.max(out[n] ?? 0, v);
    }
    return out;
  };
  return {
    req: maxInit(sum(spec.containers ?? [], 'requests'), 'requests'),
    lim: maxInit(sum(spec.containers ?? [], 'limits'), 'limits'),
    binary,
  };
}

function describeNodeResource(w: PrefixWriter, pods: KObject[], node: KObject, now: number): void {
  const st = node.status ?? {};
  const alloc = (Object.keys(st.allocatable ?? {}).length > 0 ? st.allocatable : st.capacity ?? {}) as Record<string, string>;
  const allocCpu = parseQuantity(alloc.cpu) ?? 0;
  const allocMem = parseQuantity(alloc.memory) ?? 0;
  const pct = (v: number, total: number) => (total > 0 ? Math.trunc((v / total) * 100) : 0);
  const q = (v: number | undefined, binary: boolean) => formatQuantity(v ?? 0, binary);

  w.write(LEVEL_0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(LEVEL_1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(LEVEL_1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  const total = { req: {} as ResourceMap, lim: {} as ResourceMap, binary: {} as Record<string, boolean> };
  for (const p of pods) {
    const { req, lim, binary } = podRequestsAndLimits(p);
    for (const [n, v] of Object.entries(req)) total.req[n] = (total.req[n] ?? 0) + v;
    for (const [n, v] of Object.entries(lim)) total.lim[n] = (total.lim[n] ?? 0) + v;
    Object.assign(total.binary, binary);
    w.write(LEVEL_1,
      `${p.metadata.namespace ?? ''}\t${p.metadata.name}\t\t` +
        `${q(req.cpu, false)} (${pct(req.cpu ?? 0, allocCpu)}%)\t${q(lim.cpu, false)} (${pct(lim.cpu ?? 0, allocCpu)}%)\t` +
        `${q(req.memory, !!binary.memory)} (${pct(req.memory ?? 0, allocMem)}%)\t` +
        `${q(lim.memory, !!binary.memory)} (${pct(lim.memory ?? 0, allocMem)}%)\t` +
        `${formatAge(p.metadata.creationTimestamp, now)}\n`);
  }
  w.write(LEVEL_0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(LEVEL_1, 'Resource\tRequests\tLimits\n');
  w.write(LEVEL_1, '--------\t--------\t------\n');
  w.write(LEVEL_1,
    `cpu\t${q(total.req.cpu, false)} (${pct(total.req.cpu ?? 0, allocCpu)}%)\t` +
      `${q(total.lim.cpu, false)} (${pct(total.lim.cpu ?? 0, allocCpu)}%)\n`);
  w.write(LEVEL_1,
    `memory\t${q(total.req.memory, !!total.binary.memory)} (${pct(total.req.memory ?? 0, allocMem)}%)\t` +
      `${q(total.lim.memory, !!total.binary.memory)} (${pct(total.lim.memory ?? 0, allocMem)}%)\n`);
}

// ---- Generic ----

/** smartLabelFor: `apiVersion` → `API Version`, `creationTimestamp` → `Creation Timestamp`. */
export function smartLabel(field: string): string {
  if (/[^\p{L}-]/u.test(field)) return field;
  // fatih/camelcase.Split
  const cls = (ch: string) =>
    /\p{Ll}/u.test(ch) ? 1 : /\p{Lu}/u.test(ch) ? 2 : /\p{Nd}/u.test(ch) ? 3 : 4;
  const runs: string[][] = [];
  let last = 0;
  for (const ch of field) {
    const c = cls(ch);
    if (c === last) runs[runs.length - 1].push(ch);
    else runs.push([ch]);
    last = c;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (cls(runs[i][0]) === 2 && cls(runs[i + 1][0]) === 1) {
      runs[i + 1].unshift(runs[i].pop()!);
    }
  }
  const parts = runs.filter((r) => r.length > 0).map((r) => r.join(''));
  const merged: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    const next = parts[i + 1];
    const allUpper = [...part].every((ch) => !/\p{L}/u.test(ch) || /\p{Lu}/u.test(ch));
    if (next !== undefined && [...part].length >= 2 && allUpper && /^\p{Lu}/u.test(next)) {
      merged.push(part + next);
      i++;
      continue;
    }
    merged.push(part);
  }
  const acronyms = ['API', 'URL', 'UID', 'GUID'];
  return merged.filter((p) => p !== '_').map((p) => {
    if (acronyms.includes(p.toUpperCase())) return p.toUpperCase();
    if (p.toLowerCase() === p) return p.charAt(0).toUpperCase() + p.slice(1);
    return p;
  }).join(' ');
}

/** Go's %v for a decoded JSON value. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort(compareText).map((k) => `${k}:${goValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

function printUnstructured(w: PrefixWriter, level: number, content: Record<string, unknown>, prefix: string, skip: string[]): void {
  for (const field of Object.keys(content).sort(compareText)) {
    const value = content[field];
    const path = `${prefix}.${field}`;
    if (skip.includes(path) || value === undefined) continue;
    if (Array.isArray(value)) {
      w.write(level, `${smartLabel(field)}:\n`);
      for (const child of value) {
        if (child && typeof child === 'object' && !Array.isArray(child)) {
          printUnstructured(w, level + 1, child as Record<string, unknown>, path, skip);
        } else {
          w.write(level + 1, `${goValue(child)}\n`);
        }
      }
    } else if (value && typeof value === 'object') {
      w.write(level, `${smartLabel(field)}:\n`);
      printUnstructured(w, level + 1, value as Record<string, unknown>, path, skip);
    } else {
      w.write(level, `${smartLabel(field)}:\t${goValue(value)}\n`);
    }
  }
}

/** kubectl's generic describer: metadata, then every other field as indented `Key: value` lines. */
function describeGeneric(obj: KObject, events: KEvent[], now: number): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${obj.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${obj.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', obj.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', obj.metadata.annotations);
  printUnstructured(w, LEVEL_0, obj as unknown as Record<string, unknown>, '', [
    '.metadata.managedFields',
    '.metadata.name',
    '.metadata.namespace',
    '.metadata.labels',
    '.metadata.annotations',
  ]);
  describeEvents(w, events, now);
  return w.toString();
}
