// Node port allocation for NodePort and LoadBalancer Services, as the API server's allocator does
// it on create and update: an explicit `nodePort` already held by another Service is refused with
// Kubernetes' wording (`provided port is already allocated`); a port without one keeps the port it
// had (matched by port name, as Kubernetes patches allocated values on update) or gets a new one:
// a start point hashed from the Service's key and port, then the next free port in 30000–32767.
// Every node holds every Service, so any node allocates against the whole cluster's Services.
// (Two applies on two nodes within the replication delay can still pick the same port; the proxy
// then gives it to the older Service and reports PortInUse on the other.)

import { fnv1a } from '../../actors/hash.ts';
import { allocateNodePort, NODE_PORT_MAX, NODE_PORT_MIN } from '../../actors/service-logic.ts';
import type { FieldError } from '../errors.ts';
import { ValidationError } from '../errors.ts';
import type { ServiceSpec } from '../host/service-binding.ts';
import { fieldErrorText } from '../manifest/messages.ts';
import type { KObject, ObjectKey } from '../objects/types.ts';
import { keyOf } from '../objects/types.ts';

export const needsNodePorts = (o: KObject | undefined) => {
  const type = (o?.spec as ServiceSpec | undefined)?.type;
  return type === 'NodePort' || type === 'LoadBalancer';
};

const nodePortsOf = (o: KObject): number[] =>
  ((o.spec as ServiceSpec | undefined)?.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0);

export interface NodePortStore {
  get(key: ObjectKey): KObject | undefined;
  list(kind: string): KObject[];
}

/**
 * Returns `objects` with every NodePort/LoadBalancer Service's node ports filled in (other
 * objects unchanged, same order). Throws a ValidationError naming each port already allocated.
 */
export function allocateNodePorts(objects: KObject[], store: NodePortStore): KObject[] {
  if (!objects.some((o) => o.kind === 'Service' && needsNodePorts(o))) return objects;
  const batchKeys = new Set(objects.filter((o) => o.kind === 'Service').map(keyOf));
  // ports held by stored Services this apply does not replace
  const held = new Map<number, string>();
  for (const s of store.list('Service')) {
    if (batchKeys.has(keyOf(s)) || !needsNodePorts(s)) continue;
    for (const n of nodePortsOf(s)) held.set(n, keyOf(s));
  }
  const errors: FieldError[] = [];
  const lines: string[] = [];
  const multi = objects.length > 1;
  const out = objects.map((o, document) => {
    if (o.kind !== 'Service' || !needsNodePorts(o)) return o;
    const key = keyOf(o);
    const spec = structuredClone(o.spec as ServiceSpec);
    const ports = spec.ports ?? [];
    const fail = (e: FieldError) => {
      errors.push({ ...e, document });
      lines.push(`${multi ? `document ${document + 1}: ` : ''}Service ${JSON.stringify(o.metadata.name)} is invalid: ${fieldErrorText(e)}`);
    };
    // keep what the stored Service had, by port name, unless this spec uses that port elsewhere
    const old = store.get(key);
    if (old && needsNodePorts(old)) {
      const used = new Set(ports.map((p) => p.nodePort ?? 0).filter((n) => n > 0));
      const byName = new Map(((old.spec as ServiceSpec).ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
      for (const p of ports) {
        const had = byName.get(p.name ?? '') ?? 0;
        if (!p.nodePort && had > 0 && !used.has(had)) {
          p.nodePort = had;
          used.add(had);
        }
      }
    }
    ports.forEach((p, i) => {
      if (!p.nodePort) return;
      const owner = held.get(p.nodePort);
      if (owner !== undefined && owner !== key) {
        fail({ field: `spec.ports[${i}].nodePort`, message: `Invalid value: ${p.nodePort}: provided port is already allocated` });
      } else held.set(p.nodePort, key);
    });
    ports.forEach((p, i) => {
      if (p.nodePort) return;
      const taken = new Set([...held.keys()].filter((n) => n >= NODE_PORT_MIN && n <= NODE_PORT_MAX));
      const port = allocateNodePort(`${key}/${p.name ?? ''}/${p.port}`, taken, fnv1a);
      if (port === undefined) {
        fail({ field: `spec.ports[${i}].nodePort`, message: `Internal error: failed to allocate a nodePort: range is full` });
        return;
      }
      p.nodePort = port;
      held.set(port, key);
    });
    return { ...o, spec };
  });
  if (errors.length) throw new ValidationError(errors, lines.join('\n'));
  return out;
}
