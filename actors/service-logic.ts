// Service endpoints as a pure function: (the Service's ports and selector, the pods) → the
// subsets of its Endpoints object, as Kubernetes' endpoints controller computes them, with one
// Starling difference: a pod is reached at its node's address and the host port its container
// port is published on (PodStatus.hostPorts), not at a pod IP.

import { canonical, compareText } from './canonical.ts';

export interface ServicePortSpec {
  /** '' when the Service has one unnamed port */
  name: string;
  port: number;
  /** a container port number or a container port name */
  targetPort: number | string;
  protocol: string;
}

/** What the Service actor needs of its Service. */
export interface ServiceSummary {
  /** undefined: a Service without a selector (its endpoints are not managed) */
  selector?: Record<string, string>;
  ports: ServicePortSpec[];
  publishNotReadyAddresses: boolean;
}

/** What the Service actor needs of a pod. */
export interface PodEndpointInfo {
  name: string;
  namespace: string;
  uid: string;
  nodeName?: string;
  labels: Record<string, string>;
  phase: string;
  /** the Ready condition is True */
  ready: boolean;
  /** marked for deletion (Terminating) */
  deleting: boolean;
  /** declared container ports (for targetPort by name) */
  containerPorts: { name?: string; containerPort: number; protocol: string }[];
  /** where each container port is published on the node */
  hostPorts: { containerPort: number; hostIP: string; hostPort: number; protocol: string }[];
}

export interface EndpointAddress {
  ip: string;
  nodeName?: string;
  targetRef: { kind: 'Pod'; namespace: string; name: string; uid: string };
}
export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** Equality-based selection, as a Service's `spec.selector` map selects. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => Object.prototype.hasOwnProperty.call(l, k) && l[k] === v);
}

/**
 * Kubernetes' ShouldPodBeInEndpoints: a pod that is finished or terminating is no endpoint.
 * Starling also needs the pod to be bound and its ports published.
 */
export function podIsCandidate(p: PodEndpointInfo): boolean {
  return !p.deleting && p.phase !== 'Succeeded' && p.phase !== 'Failed' && !!p.nodeName && p.hostPorts.length > 0;
}

/** The container port a Service port's targetPort names in this pod (Kubernetes' FindPort). */
export function resolveTargetPort(sp: ServicePortSpec, p: PodEndpointInfo): number | undefined {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  const named = p.containerPorts.find((c) => c.name === sp.targetPort && (c.protocol ?? 'TCP') === sp.protocol);
  return named?.containerPort;
}

/** The endpoint (node address and published port) of one Service port in one pod, if any. */
export function endpointOf(sp: ServicePortSpec, p: PodEndpointInfo): { ip: string; port: number } | undefined {
  const containerPort = resolveTargetPort(sp, p);
  if (containerPort === undefined) return undefined;
  const hp = p.hostPorts.find((h) => h.containerPort === containerPort && h.protocol.toUpperCase() === sp.protocol);
  return hp && { ip: hp.hostIP, port: hp.hostPort };
}

const byAddress = (a: EndpointAddress, b: EndpointAddress) =>
  a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.targetRef.name < b.targetRef.name ? -1 : a.targetRef.name > b.targetRef.name ? 1 : 0;

/**
 * The Endpoints subsets of a Service: every candidate pod matching the selector is an address,
 * ready pods (or all, with publishNotReadyAddresses) in `addresses`, the others in
 * `notReadyAddresses`. Addresses with the same ports are grouped in one subset, as Kubernetes'
 * RepackSubsets does; since a pod's ports are its own host ports, pods of one node usually end up
 * in subsets of their own. The result is sorted, so equal inputs give equal outputs.
 */
export function endpointSubsets(svc: ServiceSummary, pods: PodEndpointInfo[]): EndpointSubset[] {
  if (!svc.selector) return [];
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const p of pods) {
    if (!selects(svc.selector, p.labels) || !podIsCandidate(p)) continue;
    const ports: EndpointPort[] = [];
    let ip: string | undefined;
    for (const sp of svc.ports) {
      const ep = endpointOf(sp, p);
      if (!ep) continue;
      ip ??= ep.ip;
      ports.push({ ...(sp.name ? { name: sp.name } : {}), port: ep.port, protocol: sp.protocol });
    }
    // a Service with ports the pod does not publish: no endpoint (nothing could reach it)
    if (svc.ports.length > 0 && ports.length === 0) continue;
    ip ??= p.hostPorts[0].hostIP;
    ports.sort((a, b) => compareText(a.name ?? '', b.name ?? '') || a.port - b.port);
    const groupKey = JSON.stringify(ports);
    const g = groups.get(groupKey) ?? { ports, ready: [], notReady: [] };
    groups.set(groupKey, g);
    const address: EndpointAddress = {
      ip,
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      targetRef: { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid },
    };
    (p.ready || svc.publishNotReadyAddresses ? g.ready : g.notReady).push(address);
  }
  const subsets: EndpointSubset[] = [...groups.values()].map((g) => ({
    ...(g.ready.length ? { addresses: g.ready.sort(byAddress) } : {}),
    ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byAddress) } : {}),
    ...(g.ports.length ? { ports: g.ports } : {}),
  }));
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0];
  return subsets.sort((a, b) => byAddress(first(a), first(b)) || compareText(JSON.stringify(a.ports), JSON.stringify(b.ports)));
}

/** Ready endpoints (address:port pairs) of the subsets, for counting and display. */
export function readyEndpoints(subsets: EndpointSubset[]): string[] {
  return subsets.flatMap((s) => (s.addresses ?? []).flatMap((a) => (s.ports ?? [{ port: 0 }]).map((p) => (p.port ? `${a.ip}:${p.port}` : a.ip))));
}

/** Whether the Endpoints object must be (re)written: absent, or different from what it should be. */
export function endpointsChanged(desired: EndpointSubset[], current: EndpointSubset[] | null): boolean {
  return current === null || canonical(desired) !== canonical(current);
}

// ---- node ports ---------------------------------------------------------------------------------

export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;

/**
 * A free node port for `seed` (e.g. `default/web/http`): a start point derived from the seed,
 * then the next free port, wrapping around the range. Deterministic, so every node that allocates
 * for the same Service from the same state picks the same port. undefined when the range is full.
 */
export function allocateNodePort(seed: string, taken: ReadonlySet<number>, hash: (s: string) => number): number | undefined {
  const size = NODE_PORT_MAX - NODE_PORT_MIN + 1;
  const start = hash(seed) % size;
  for (let i = 0; i < size; i++) {
    const port = NODE_PORT_MIN + ((start + i) % size);
    if (!taken.has(port)) return port;
  }
  return undefined;
}
