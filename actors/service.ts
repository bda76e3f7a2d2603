// The Service actor: keeps the Service's Endpoints object equal to its ready pods.
// States: NoEndpoints (no ready endpoint), Serving (at least one), Unmanaged (no selector: the
// Service's endpoints are not kept by Starling).
// Effects (`execute`): writeEndpoints {subsets} when the Endpoints object is absent or differs.
// The host sends SYNC with the Service's ports and selector, the pods of its namespace that the
// selector matches, the current Endpoints subsets (null: none) and, for a LoadBalancer, the
// addresses of the ready nodes (its status.loadBalancer.ingress).

import { reducerMachine } from './reducer-machine.ts';
import {
  type EndpointSubset,
  endpointsChanged,
  endpointSubsets,
  type PodEndpointInfo,
  type ServiceSummary,
} from './service-logic.ts';

export * from './service-logic.ts';
export const SERVICE_SCHEMA = 1;

export type ServiceCommand = { type: 'writeEndpoints'; subsets: EndpointSubset[] };

export interface ServiceContext {
  schema: 1;
  /** the Service has a selector */
  managed: boolean;
  /** ready and not-ready addresses in the Endpoints */
  ready: number;
  notReady: number;
  /** LoadBalancer only: the node addresses it is reached at */
  ingress: string[];
  commands: ServiceCommand[];
}

export type ServiceEvent = {
  type: 'SYNC';
  service: ServiceSummary;
  pods: PodEndpointInfo[];
  current: EndpointSubset[] | null;
  ingress: string[];
  at: number;
};

const count = (subsets: EndpointSubset[], field: 'addresses' | 'notReadyAddresses') =>
  new Set(subsets.flatMap((s) => (s[field] ?? []).map((a) => a.targetRef.uid))).size;

export const serviceMachine = reducerMachine<ServiceContext, ServiceEvent, Record<string, never>>({
  id: 'service',
  states: ['NoEndpoints', 'Serving', 'Unmanaged'],
  initial: () => ({ schema: 1, managed: true, ready: 0, notReady: 0, ingress: [], commands: [] }),
  reduce: (ctx, ev) => {
    if (ev.type !== 'SYNC') return { ...ctx, commands: [] };
    const managed = ev.service.selector !== undefined;
    const subsets = endpointSubsets(ev.service, ev.pods);
    const commands: ServiceCommand[] = managed && endpointsChanged(subsets, ev.current) ? [{ type: 'writeEndpoints', subsets }] : [];
    return {
      ...ctx,
      managed,
      ready: count(subsets, 'addresses'),
      notReady: count(subsets, 'notReadyAddresses'),
      ingress: [...ev.ingress],
      commands,
    };
  },
  stateOf: (ctx) => (!ctx.managed ? 'Unmanaged' : ctx.ready > 0 ? 'Serving' : 'NoEndpoints'),
});
