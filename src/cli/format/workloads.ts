// `get` rows for Deployments, ReplicaSets, Namespaces, Nodes, Events (and Services), following
// kubectl's printers, and getTable(), which picks the layout by kind.

import type { Container, KEvent, KObject, LabelSelector } from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';
import { formatAge, parseTime } from './age.ts';
import { ENDPOINTS_HEADERS, endpointsRow } from './endpoints.ts';
import { CONFIGMAP_HEADERS, configMapRow, SECRET_HEADERS, secretRow } from './config.ts';
import { formatQuantity, parseQuantity } from './quantity.ts';
import { POD_HEADERS, POD_WIDE_HEADERS, podRow } from './pods.ts';
import { LIMITRANGE_HEADERS, limitRangeRow, QUOTA_HEADERS, quotaRow } from './quota.ts';
import { formatLabels, formatLabelSelector, selectorString } from './selector.ts';
import { renderTable, withNamespaceColumn } from './table.ts';

export { formatLabels, formatLabelSelector, selectorString } from './selector.ts';

export interface TableOptions {
  wide?: boolean;
  /** `-A`: a NAMESPACE column first (namespaced kinds only, as kubectl does). */
  allNamespaces?: boolean;
  /** Milliseconds since the epoch: ages are measured to this instant. */
  now: number;
  noHeaders?: boolean;
}

/** layoutContainerCells: container names and images, comma-separated. */
export function containerCells(containers: Container[] | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image).join(',')];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
/** spec.replicas, which the API server defaults to 1. */
const desiredReplicas = (o: KObject): number =>
  typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1;

// ---- Deployments ----

export const DEPLOYMENT_HEADERS = ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'];
export const DEPLOYMENT_WIDE_HEADERS = [...DEPLOYMENT_HEADERS, 'CONTAINERS', 'IMAGES', 'SELECTOR'];

export function deploymentRow(d: KObject, now: number, wide = false): string[] {
  const st = d.status ?? {};
  const row = [
    d.metadata.name,
    `${num(st.readyReplicas)}/${desiredReplicas(d)}`,
    String(num(st.updatedReplicas)),
    String(num(st.availableReplicas)),
    formatAge(d.metadata.creationTimestamp, now),
  ];
  if (wide) {
    const [names, images] = containerCells(d.spec?.template?.spec?.containers);
    row.push(names, images, selectorString(d.spec?.selector as LabelSelector) ?? '<invalid>');
  }
  return row;
}

// ---- ReplicaSets ----

export const REPLICASET_HEADERS = ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'];
export const REPLICASET_WIDE_HEADERS = [...REPLICASET_HEADERS, 'CONTAINERS', 'IMAGES', 'SELECTOR'];

export function replicaSetRow(rs: KObject, now: number, wide = false): string[] {
  const st = rs.status ?? {};
  const row = [
    rs.metadata.name,
    String(desiredReplicas(rs)),
    String(num(st.replicas)),
    String(num(st.readyReplicas)),
    formatAge(rs.metadata.creationTimestamp, now),
  ];
  if (wide) {
    const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
    row.push(names, images, formatLabelSelector(rs.spec?.selector as LabelSelector));
  }
  return row;
}

// ---- Namespaces ----

export const NAMESPACE_HEADERS = ['NAME', 'STATUS', 'AGE'];

export function namespaceRow(ns: KObject, now: number): string[] {
  // The API server sets status.phase (Active, or Terminating once deletion starts).
  const phase = ns.status?.phase ?? (ns.metadata.deletionTimestamp ? 'Terminating' : 'Active');
  return [ns.metadata.name, String(phase), formatAge(ns.metadata.creationTimestamp, now)];
}

// ---- Nodes ----

/** kubectl's columns, with INTERNAL-IP shown by default (the address a Starling node is reached at). */
export const NODE_HEADERS = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP'];
/** kubectl's wide columns plus Starling's allocatable CPU and MEMORY. */
export const NODE_WIDE_HEADERS = [
  ...NODE_HEADERS,
  'EXTERNAL-IP',
  'OS-IMAGE',
  'KERNEL-VERSION',
  'CONTAINER-RUNTIME',
  'CPU',
  'MEMORY',
];

/** Roles from `node-role.kubernetes.io/<role>` and `kubernetes.io/role=<role>` labels, sorted. */
export function nodeRoles(node: KObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) {
      roles.add(v);
    }
  }
  return [...roles].sort(compareText);
}

/** `Ready`, `NotReady` or `Unknown`, plus `,SchedulingDisabled` when cordoned. */
export function nodeStatus(node: KObject): string {
  const status: string[] = [];
  const ready = ((node.status?.conditions ?? []) as { type: string; status: string }[])
    .filter((c) => c.type === 'Ready')
    .pop();
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: KObject, type: string): string {
  const a = ((node.status?.addresses ?? []) as { type: string; address: string }[]).find((a) =>
    a.type === type
  );
  return a?.address ?? '<none>';
}

export function nodeRow(node: KObject, now: number, wide = false): string[] {
  const roles = nodeRoles(node).join(',') || '<none>';
  const info = node.status?.nodeInfo ?? {};
  const row = [
    node.metadata.name,
    nodeStatus(node),
    roles,
    formatAge(node.metadata.creationTimestamp, now),
    String(info.kubeletVersion ?? ''),
    nodeAddress(node, 'InternalIP'),
  ];
  if (wide) {
    const alloc = node.status?.allocatable ?? {};
    row.push(
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
      alloc.cpu !== undefined ? formatQuantity(parseQuantity(alloc.cpu) ?? 0) : '<none>',
      // memory rounded to whole MiB: a table is read by people
      alloc.memory !== undefined ? `${Math.round((parseQuantity(alloc.memory) ?? 0) / 2 ** 20)}Mi` : '<none>',
    );
  }
  return row;
}

// ---- Events ----

export const EVENT_HEADERS = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'];
export const EVENT_WIDE_HEADERS = [
  'LAST SEEN',
  'TYPE',
  'REASON',
  'OBJECT',
  'SUBOBJECT',
  'SOURCE',
  'MESSAGE',
  'FIRST SEEN',
  'COUNT',
  'NAME',
];

/** `pod/web-abc`: the involved object's lower-case kind and name. */
export function eventObject(e: KEvent): string {
  const io = e.involvedObject ?? { kind: '', name: '' };
  const kind = String(io.kind ?? '').toLowerCase();
  return io.name ? `${kind}/${io.name}` : kind;
}

/** formatEventSource: `component, host` (host only when set). */
export function eventSource(e: KEvent): string {
  const src = e.source ?? { component: '' };
  return src.host ? `${src.component}, ${src.host}` : src.component ?? '';
}

export function eventRow(e: KEvent, now: number, wide = false): string[] {
  const first = formatAge(e.firstTimestamp, now);
  const last = e.lastTimestamp ? formatAge(e.lastTimestamp, now) : first;
  const count = e.count ? e.count : 1; // singleton events may have no count
  const message = String(e.message ?? '').trim();
  const fieldPath = (e.involvedObject as { fieldPath?: string } | undefined)?.fieldPath ?? '';
  if (wide) {
    return [last, e.type, e.reason, eventObject(e), fieldPath, eventSource(e), message, first, String(count), e.metadata.name];
  }
  return [last, e.type, e.reason, eventObject(e), message];
}

// ---- Services ----

export const SERVICE_HEADERS = ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'];
export const SERVICE_WIDE_HEADERS = [...SERVICE_HEADERS, 'SELECTOR'];

export function serviceRow(svc: KObject, now: number, wide = false): string[] {
  const spec = svc.spec ?? {};
  const type = String(spec.type ?? 'ClusterIP');
  const clusterIP = (spec.clusterIPs?.[0] ?? spec.clusterIP) || '<none>';
  let externalIP = '<none>';
  if (type === 'ClusterIP' || type === 'NodePort') {
    if (spec.externalIPs?.length) externalIP = spec.externalIPs.join(',');
  } else if (type === 'LoadBalancer') {
    const ips = ((svc.status?.loadBalancer?.ingress ?? []) as { ip?: string; hostname?: string }[])
      .map((i) => i.ip || i.hostname || '')
      .filter(Boolean);
    const all = [...new Set([...ips, ...(spec.externalIPs ?? [])])].sort(compareText).join(',');
    externalIP = all || '<pending>';
  } else if (type === 'ExternalName') {
    externalIP = spec.externalName ?? '<none>';
  }
  const ports = ((spec.ports ?? []) as { port: number; nodePort?: number; protocol?: string }[])
    .map((p) =>
      p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`
    )
    .join(',') || '<none>';
  const row = [svc.metadata.name, type, clusterIP, externalIP, ports, formatAge(svc.metadata.creationTimestamp, now)];
  if (wide) row.push(formatLabels(spec.selector));
  return row;
}

// ---- Generic ----

export const GENERIC_HEADERS = ['NAME', 'AGE'];

export function genericRow(o: KObject, now: number): string[] {
  return [o.metadata.name, formatAge(o.metadata.creationTimestamp, now)];
}

// ---- getTable ----

const KIND_ALIASES: Record<string, string> = {
  pod: 'Pod', pods: 'Pod', po: 'Pod',
  deployment: 'Deployment', deployments: 'Deployment', deploy: 'Deployment',
  replicaset: 'ReplicaSet', replicasets: 'ReplicaSet', rs: 'ReplicaSet',
  namespace: 'Namespace', namespaces: 'Namespace', ns: 'Namespace',
  node: 'Node', nodes: 'Node', no: 'Node',
  event: 'Event', events: 'Event', ev: 'Event',
  service: 'Service', services: 'Service', svc: 'Service',
  endpoints: 'Endpoints', ep: 'Endpoints',
  resourcequota: 'ResourceQuota', resourcequotas: 'ResourceQuota', quota: 'ResourceQuota',
  limitrange: 'LimitRange', limitranges: 'LimitRange', limits: 'LimitRange',
  configmap: 'ConfigMap', configmaps: 'ConfigMap', cm: 'ConfigMap',
  secret: 'Secret', secrets: 'Secret',
  hpa: 'HorizontalPodAutoscaler', horizontalpodautoscaler: 'HorizontalPodAutoscaler', horizontalpodautoscalers: 'HorizontalPodAutoscaler',
};

/** `pods`, `po`, `Pod`, `deployment.apps`, ... → the Kind (`Pod`); unknown names pass through. */
export function normalizeKind(kind: string): string {
  const base = kind.split('.')[0];
  return KIND_ALIASES[base.toLowerCase()] ?? kind;
}

/** Kinds that live outside namespaces (no NAMESPACE column with -A). */
export const CLUSTER_SCOPED_KINDS = new Set(['Node', 'Namespace']);

interface Layout {
  headers: string[];
  row: (o: KObject) => string[];
}

function layoutFor(kind: string, opts: TableOptions): Layout {
  const { now } = opts;
  const wide = !!opts.wide;
  switch (kind) {
    case 'Pod':
      return { headers: wide ? POD_WIDE_HEADERS : POD_HEADERS, row: (o) => podRow(o, now, wide) };
    case 'Deployment':
      return {
        headers: wide ? DEPLOYMENT_WIDE_HEADERS : DEPLOYMENT_HEADERS,
        row: (o) => deploymentRow(o, now, wide),
      };
    case 'ReplicaSet':
      return {
        headers: wide ? REPLICASET_WIDE_HEADERS : REPLICASET_HEADERS,
        row: (o) => replicaSetRow(o, now, wide),
      };
    case 'Namespace':
      return { headers: NAMESPACE_HEADERS, row: (o) => namespaceRow(o, now) };
    case 'Node':
      return { headers: wide ? NODE_WIDE_HEADERS : NODE_HEADERS, row: (o) => nodeRow(o, now, wide) };
    case 'Event':
      return {
        headers: wide ? EVENT_WIDE_HEADERS : EVENT_HEADERS,
        row: (o) => eventRow(o as unknown as KEvent, now, wide),
      };
    case 'Service':
      return {
        headers: wide ? SERVICE_WIDE_HEADERS : SERVICE_HEADERS,
        row: (o) => serviceRow(o, now, wide),
      };
    case 'Endpoints':
      return { headers: ENDPOINTS_HEADERS, row: (o) => endpointsRow(o, now) };
    case 'HorizontalPodAutoscaler':
      return { headers: HPA_HEADERS, row: (o) => hpaRow(o, now) };
    case 'ResourceQuota':
      return { headers: QUOTA_HEADERS, row: (o) => quotaRow(o, now) };
    case 'LimitRange':
      return { headers: LIMITRANGE_HEADERS, row: (o) => limitRangeRow(o) };
    case 'ConfigMap':
      return { headers: CONFIGMAP_HEADERS, row: (o) => configMapRow(o, now) };
    case 'Secret':
      return { headers: SECRET_HEADERS, row: (o) => secretRow(o, now) };
    default:
      return { headers: GENERIC_HEADERS, row: (o) => genericRow(o, now) };
  }
}

const eventTime = (o: KObject): number => {
  const e = o as unknown as KEvent;
  return parseTime(e.lastTimestamp) ?? parseTime(e.firstTimestamp) ?? 0;
};

/**
 * The whole `kubectl get <kind>` table. Objects are listed as the API server lists them, by
 * namespace and name; events by namespace and then by when they were last seen (oldest first).
 * An empty list renders as `''` (kubectl prints nothing on stdout; see noResourcesFound()).
 */
export function getTable(
  kind: string,
  objects: KObject[],
  opts: TableOptions,
): string {
  if (objects.length === 0) return '';
  const table = tableCells(kind, objects, opts);
  return renderTable(opts.noHeaders ? [] : table.headers, table.rows);
}

/** The cells of a `get` table, before alignment (for `-w`, which aligns row by row). */
export function tableCells(
  kind: string,
  objects: KObject[],
  opts: TableOptions,
): { headers: string[]; rows: string[][] } {
  const k = normalizeKind(kind);
  const layout = layoutFor(k, opts);
  const known = KIND_ALIASES[k.toLowerCase()] !== undefined;
  const namespaced = !CLUSTER_SCOPED_KINDS.has(k) &&
    (known || objects.some((o) => !!o.metadata.namespace));
  const withNamespace = !!opts.allNamespaces && namespaced;

  const sorted = [...objects].sort((a, b) => {
    if (withNamespace) {
      const ns = compareText(a.metadata.namespace ?? '', b.metadata.namespace ?? '');
      if (ns !== 0) return ns;
    }
    if (k === 'Event') {
      const t = eventTime(a) - eventTime(b);
      if (t !== 0) return t;
    }
    return compareText(a.metadata.name, b.metadata.name);
  });

  const table = { headers: layout.headers, rows: sorted.map(layout.row) };
  return withNamespace
    ? withNamespaceColumn(table.headers, table.rows, sorted.map((o) => o.metadata.namespace))
    : table;
}

export const HPA_HEADERS = ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE'];

/** kubectl's `get hpa` row: TARGETS like `cpu: 85%/50%` (`<unknown>` before the first measurement). */
export function hpaRow(hpa: KObject, now: number): string[] {
  const ref = hpa.spec?.scaleTargetRef ?? {};
  const target = (hpa.spec?.metrics ?? []).find((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const current = (hpa.status?.currentMetrics ?? []).find((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu');
  const want = target?.resource?.target?.averageUtilization;
  const have = current?.resource?.current?.averageUtilization;
  return [
    hpa.metadata.name,
    `${ref.kind ?? ''}/${ref.name ?? ''}`,
    `cpu: ${have === undefined ? '<unknown>' : `${have}%`}/${want === undefined ? '<unknown>' : `${want}%`}`,
    String(hpa.spec?.minReplicas ?? 1),
    String(hpa.spec?.maxReplicas ?? ''),
    String(hpa.status?.currentReplicas ?? 0),
    formatAge(hpa.metadata.creationTimestamp, now),
  ];
}
