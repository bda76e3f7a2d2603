// What the proxy serves, as plain data: the Services (not headless) with, per port, the ready
// endpoints from their replicated Endpoints objects; and which listener (address:port) routes to
// which Service port. Pure functions, so the rules are tested without sockets.

import type { EndpointSubset } from '../../actors/service-logic.ts';
import type { ServiceSpec } from '../host/service-binding.ts';
import type { KObject } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';

export interface ProxyEndpoint {
  host: string;
  port: number;
}

export interface ProxyPort {
  /** the Service port's name ('' for a single unnamed port) */
  name: string;
  port: number;
  nodePort?: number;
  /** ready endpoints, on every node */
  endpoints: ProxyEndpoint[];
}

export interface ProxyService {
  /** `Service/NAMESPACE/NAME` */
  key: string;
  /** creation time (ISO): when two Services want one port, the older one keeps it */
  created: string;
  ports: ProxyPort[];
  /** ClientIP session affinity timeout, ms; absent: no affinity */
  affinityMs?: number;
}

/** Where a listener sends its connections: one port of one Service. */
export interface Route {
  service: string;
  port: string;
}
export const routeKey = (r: Route) => `${r.service}|${r.port}`;

export interface ListenAddress {
  host: string;
  /**
   * An extra address (the container gateway): failing to listen there is logged, not reported
   * as an event (several nodes on one machine share it, and the first one to bind it serves it).
   */
  secondary?: boolean;
}

export interface ListenerSpec {
  host: string;
  port: number;
  route: Route;
  secondary: boolean;
}

export interface Conflict {
  service: string;
  host: string;
  port: number;
  /** the Service that holds the port */
  holder: string;
}

const DEFAULT_AFFINITY_SECONDS = 10800;

/** The ready endpoints of one Service port, from the subsets of its Endpoints object. */
export function portEndpoints(subsets: EndpointSubset[] | undefined, portName: string): ProxyEndpoint[] {
  const out: ProxyEndpoint[] = [];
  const seen = new Set<string>();
  for (const s of subsets ?? []) {
    const p = (s.ports ?? []).find((x) => (x.name ?? '') === portName && (x.protocol ?? 'TCP') === 'TCP');
    if (!p) continue;
    for (const a of s.addresses ?? []) {
      const id = `${a.ip}:${p.port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ host: a.ip, port: p.port });
    }
  }
  return out;
}

/** The proxy's table from the stored Services and Endpoints (headless Services are left out). */
export function proxyTable(services: KObject[], endpointsOf: (namespace: string, name: string) => KObject | undefined): ProxyService[] {
  const out: ProxyService[] = [];
  for (const svc of services) {
    const spec = (svc.spec ?? {}) as ServiceSpec;
    if (spec.clusterIP === 'None' || svc.metadata.deletionTimestamp) continue;
    const ns = svc.metadata.namespace ?? 'default';
    const ep = endpointsOf(ns, svc.metadata.name);
    // Endpoints left over from an earlier Service of the same name are not this one's
    const owned = ep && !ep.metadata.ownerReferences?.some((r) => r.kind === 'Service' && r.uid !== svc.metadata.uid);
    const subsets = owned ? (ep.subsets as EndpointSubset[] | undefined) : undefined;
    out.push({
      key: keyOf(svc),
      created: svc.metadata.creationTimestamp ?? '',
      ports: (spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => ({
        name: p.name ?? '',
        port: p.port,
        ...(p.nodePort && (spec.type === 'NodePort' || spec.type === 'LoadBalancer') ? { nodePort: p.nodePort } : {}),
        endpoints: portEndpoints(subsets, p.name ?? ''),
      })),
      ...(spec.sessionAffinity === 'ClientIP'
        ? { affinityMs: (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) * 1000 }
        : {}),
    });
  }
  return out;
}

export const endpointsKey = (namespace: string, name: string) => objectKey('Endpoints', namespace, name);

/**
 * The listeners the proxy should have: every Service port on every address at `port` and, for
 * NodePort and LoadBalancer Services, at `nodePort`. When two Services want one address:port,
 * the older Service (then the smaller key) keeps it and the other gets a conflict.
 */
export function planListeners(services: ProxyService[], addresses: ListenAddress[]): { listeners: Map<string, ListenerSpec>; conflicts: Conflict[] } {
  const listeners = new Map<string, ListenerSpec>();
  const conflicts: Conflict[] = [];
  const ordered = [...services].sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const svc of ordered) {
    for (const p of svc.ports) {
      for (const port of p.nodePort ? [p.port, p.nodePort] : [p.port]) {
        for (const a of addresses) {
          const id = listenerKey(a.host, port);
          const held = listeners.get(id);
          if (held) {
            if (held.route.service !== svc.key && !a.secondary) conflicts.push({ service: svc.key, host: a.host, port, holder: held.route.service });
            continue;
          }
          listeners.set(id, { host: a.host, port, route: { service: svc.key, port: p.name }, secondary: !!a.secondary });
        }
      }
    }
  }
  return { listeners, conflicts };
}

export const listenerKey = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
