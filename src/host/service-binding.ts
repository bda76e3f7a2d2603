// The Service actor's binding: what its SYNC carries (the Service, the pods its selector matches,
// the current Endpoints, the ready nodes' addresses for a LoadBalancer), how its writeEndpoints
// command becomes the `v1 Endpoints` object of the same name, and which Services must hear about
// a change (ObjectService pokes them).

import { randomUUID } from 'node:crypto';
import {
  type EndpointSubset,
  type PodEndpointInfo,
  selects,
  SERVICE_SCHEMA,
  type ServiceCommand,
  type ServiceContext,
  type ServiceEvent,
  serviceMachine,
  type ServiceSummary,
} from '../../actors/service.ts';
import { isoTime } from '../clock.ts';
import type { KObject, ObjectKey, PodSpec, PodStatus } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { Store } from '../store/store.ts';
import type { KindBinding } from './actor-host.ts';
import type { ObjectService } from './objects.ts';

/** The parts of a Service spec Starling acts on (after defaults). */
export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  clusterIP?: string;
  selector?: Record<string, string>;
  ports?: { name?: string; port: number; targetPort?: number | string; nodePort?: number; protocol?: string }[];
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
  publishNotReadyAddresses?: boolean;
}

export const isHeadless = (svc: KObject) => (svc.spec as ServiceSpec | undefined)?.clusterIP === 'None';

export function serviceSummary(svc: KObject): ServiceSummary {
  const spec = (svc.spec ?? {}) as ServiceSpec;
  return {
    selector: spec.selector && Object.keys(spec.selector).length ? { ...spec.selector } : undefined,
    ports: (spec.ports ?? []).map((p) => ({
      name: p.name ?? '',
      port: p.port,
      targetPort: p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '' ? p.port : p.targetPort,
      protocol: p.protocol ?? 'TCP',
    })),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

export function podEndpointInfo(p: KObject): PodEndpointInfo {
  const spec = p.spec as PodSpec;
  const st = p.status as PodStatus | undefined;
  return {
    name: p.metadata.name,
    namespace: p.metadata.namespace ?? 'default',
    uid: p.metadata.uid ?? '',
    nodeName: spec.nodeName,
    labels: { ...(p.metadata.labels ?? {}) },
    phase: st?.phase ?? 'Pending',
    ready: st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: !!p.metadata.deletionTimestamp,
    containerPorts: spec.containers.flatMap((c) => (c.ports ?? []).map((x) => ({ name: x.name, containerPort: x.containerPort, protocol: x.protocol ?? 'TCP' }))),
    hostPorts: (st?.hostPorts ?? []).map((h) => ({ ...h })),
  };
}

/** Addresses of the nodes whose Ready condition is True: where a LoadBalancer Service is reached. */
function readyNodeAddresses(objects: ObjectService): string[] {
  const out = new Set<string>();
  for (const n of objects.list('Node')) {
    const st = n.status as { conditions?: { type: string; status: string }[]; addresses?: { type: string; address: string }[] } | undefined;
    if (!st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
    const ip = st.addresses?.find((a) => a.type === 'InternalIP')?.address;
    if (ip) out.add(ip);
  }
  return [...out].sort();
}

export function syncService(objects: ObjectService, svc: KObject): ServiceEvent {
  const service = serviceSummary(svc);
  const ns = svc.metadata.namespace ?? 'default';
  const pods = service.selector
    ? objects.list('Pod', ns).filter((p) => selects(service.selector, p.metadata.labels)).map(podEndpointInfo)
    : [];
  const ep = objects.get(objectKey('Endpoints', ns, svc.metadata.name));
  const type = (svc.spec as ServiceSpec | undefined)?.type;
  return {
    type: 'SYNC',
    service,
    pods,
    current: ep ? ((ep.subsets as EndpointSubset[] | undefined) ?? []) : null,
    ingress: type === 'LoadBalancer' ? readyNodeAddresses(objects) : [],
    at: objects.now(),
  };
}

/** Services to SYNC after an object changed: a Service itself, those of a pod's namespace, LoadBalancers when a Node changes. */
export function servicesToSync(objects: ObjectService, type: string, obj: KObject): ObjectKey[] {
  if (obj.kind === 'Service') return type === 'DELETED' ? [] : [keyOf(obj)];
  // every Service of the namespace: the pod's labels may have changed so that one stops matching
  if (obj.kind === 'Pod') return objects.list('Service', obj.metadata.namespace ?? 'default').map(keyOf);
  if (obj.kind === 'Node') return objects.list('Service').filter((s) => (s.spec as ServiceSpec | undefined)?.type === 'LoadBalancer').map(keyOf);
  return [];
}

/** The Service's status: LoadBalancers list the ready nodes' addresses (as k3s' ServiceLB does). */
function serviceStatus(ctx: ServiceContext, svc: KObject) {
  const lb = (svc.spec as ServiceSpec | undefined)?.type === 'LoadBalancer';
  return { loadBalancer: lb && ctx.ingress.length ? { ingress: ctx.ingress.map((ip) => ({ ip })) } : {} };
}

export function serviceBinding(objects: ObjectService, store: Store, onError: (e: unknown) => void): KindBinding {
  return {
    kind: 'Service',
    machine: serviceMachine,
    schema: SERVICE_SCHEMA,
    input: () => ({}),
    statusOf: (ctx: ServiceContext, obj) => serviceStatus(ctx, obj),
    execute: (key, ctx: ServiceContext) => {
      const svc = objects.get(key);
      if (!svc || svc.metadata.deletionTimestamp) return;
      const ns = svc.metadata.namespace ?? 'default';
      // nothing new in a namespace being emptied (it would never become empty)
      if (objects.get(objectKey('Namespace', '', ns))?.metadata.deletionTimestamp) return;
      for (const cmd of ctx.commands as ServiceCommand[]) {
        const existing = objects.get(objectKey('Endpoints', ns, svc.metadata.name));
        const endpoints: KObject = {
          apiVersion: 'v1',
          kind: 'Endpoints',
          metadata: {
            name: svc.metadata.name,
            namespace: ns,
            uid: existing?.metadata.uid ?? randomUUID(),
            creationTimestamp: existing?.metadata.creationTimestamp ?? isoTime(objects.now()),
            ...(svc.metadata.labels ? { labels: { ...svc.metadata.labels } } : {}),
            // the Endpoints go with their Service (ObjectService.finalize deletes dependents)
            ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          subsets: cmd.subsets,
        };
        store.commit({ put: [endpoints] }).catch(onError);
      }
    },
  };
}
