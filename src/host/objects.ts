// The object side of a node: apply (create / configure / unchanged), delete with Kubernetes'
// semantics (pods terminate first, namespaces empty first, owners take what they own with them),
// objects created by controllers, and the routing of SYNC events to the actors that care.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { isoTime } from '../clock.ts';
import { StarlingError, ValidationError } from '../errors.ts';
import type { KObject, ObjectKey } from '../objects/types.ts';
import { keyOf, objectKey, parseKey } from '../objects/types.ts';
import type { Change, Store } from '../store/store.ts';
import type { ActorHost } from './actor-host.ts';
import { canonical, syncDeployment, syncReplicaSet } from './controllers.ts';
import { allocateNodePorts } from '../proxy/node-ports.ts';
import { servicesToSync, syncService } from './service-binding.ts';

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

const CLUSTER_SCOPED = new Set(['Namespace', 'Node']);

export class ObjectService {
  private pokes = new Set<ObjectKey>();
  private pokeScheduled = false;

  /** Set by the node: where an object's actor runs (undefined: nowhere, e.g. its node is gone). */
  hostOf: (obj: KObject) => string | undefined = () => undefined;

  constructor(
    private store: Store,
    private host: ActorHost,
    private clock: Clock,
    private onError: (e: unknown) => void,
  ) {
    store.watch((type, obj) => this.changed(type, obj));
  }

  now() {
    return this.clock.now();
  }
  get(key: ObjectKey) {
    return this.store.get(key);
  }
  list(kind: string, namespace?: string) {
    return this.store.list(kind, namespace);
  }
  inNamespace(ns: string): KObject[] {
    return this.store.kinds().filter((k) => !CLUSTER_SCOPED.has(k)).flatMap((k) => this.store.list(k, ns));
  }

  /**
   * Applies validated, defaulted objects as one atomic change: all of them or none.
   * Returns what happened to each.
   */
  async apply(objects: KObject[]): Promise<{ obj: KObject; outcome: ApplyOutcome }[]> {
    objects = allocateNodePorts(objects, this.store);
    const results: { obj: KObject; outcome: ApplyOutcome }[] = [];
    const put: KObject[] = [];
    const newNamespaces = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
    objects.forEach((o, document) => {
      const ns = o.metadata.namespace;
      if (ns !== undefined && !newNamespaces.has(ns)) {
        const nsObj = this.store.get(objectKey('Namespace', '', ns));
        if (!nsObj) throw new StarlingError('NotFound', `namespaces "${ns}" not found`, { document });
        if (nsObj.metadata.deletionTimestamp) {
          throw new StarlingError('Conflict', `unable to create new content in namespace ${ns} because it is being terminated`, { document });
        }
      }
    });
    for (const o of objects) {
      const key = keyOf(o);
      const existing = this.store.get(key);
      if (!existing) {
        const created = this.stamp(o);
        put.push(created);
        results.push({ obj: created, outcome: 'created' });
        continue;
      }
      if (existing.metadata.deletionTimestamp) {
        throw new StarlingError('Conflict', `${o.kind.toLowerCase()} "${o.metadata.name}" is being deleted; try again when it is gone`);
      }
      // A pod's binding (spec.nodeName, set by the node) is not the user's to undo by omission.
      const spec = o.kind === 'Pod' && existing.spec?.nodeName && !o.spec?.nodeName
        ? { ...o.spec, nodeName: existing.spec.nodeName }
        : o.spec;
      const sameSpec = canonical(existing.spec ?? null) === canonical(spec ?? null);
      const sameMeta = canonical(existing.metadata.labels ?? {}) === canonical(o.metadata.labels ?? {}) &&
        canonical(existing.metadata.annotations ?? {}) === canonical(o.metadata.annotations ?? {});
      if (sameSpec && sameMeta) {
        results.push({ obj: existing, outcome: 'unchanged' });
        continue;
      }
      if (!sameSpec && o.kind === 'Pod') {
        throw new ValidationError([{
          field: 'spec',
          message: 'Forbidden: pod updates may not change fields other than metadata.labels and metadata.annotations (Starling replaces pods through their ReplicaSet or Deployment)',
        }], `Pod "${o.metadata.name}" is invalid: spec: Forbidden: pod updates may not change fields other than metadata.labels and metadata.annotations`);
      }
      const updated: KObject = {
        ...existing,
        metadata: {
          ...existing.metadata,
          labels: o.metadata.labels,
          annotations: o.metadata.annotations,
          generation: (existing.metadata.generation ?? 1) + (sameSpec ? 0 : 1),
        },
        spec,
      };
      put.push(updated);
      results.push({ obj: updated, outcome: 'configured' });
    }
    await this.store.commit({ put });
    return results;
  }

  /**
   * Objects made by a controller (pods of a ReplicaSet, ReplicaSets of a Deployment). One that
   * already exists under the same name but belongs to an earlier incarnation of the same owner
   * (same kind and name, another uid — e.g. two nodes created the owner at once and the other
   * version lost) is adopted: its controller reference is moved to this owner.
   */
  createOwned(owner: KObject, objects: KObject[]) {
    const put: KObject[] = [];
    for (const o of objects) {
      const existing = this.store.get(keyOf(o));
      if (!existing) {
        put.push(this.stamp(o));
        continue;
      }
      const ref = existing.metadata.ownerReferences?.find((r) => r.controller);
      if (ref && ref.uid !== owner.metadata.uid && ref.kind === owner.kind && ref.name === owner.metadata.name) {
        put.push({
          ...existing,
          metadata: { ...existing.metadata, ownerReferences: o.metadata.ownerReferences, labels: o.metadata.labels, annotations: { ...existing.metadata.annotations, ...o.metadata.annotations } },
          spec: o.spec,
        });
      }
    }
    if (put.length) this.store.commit({ put }).catch(this.onError);
  }

  scale(key: ObjectKey, replicas: number) {
    const o = this.store.get(key);
    if (!o || (o.spec?.replicas ?? 1) === replicas) return;
    this.store.commit({
      put: [{ ...o, metadata: { ...o.metadata, generation: (o.metadata.generation ?? 1) + 1 }, spec: { ...o.spec, replicas } }],
    }).catch(this.onError);
  }

  /**
   * Deletes an object. Pods and Namespaces terminate first (their actor finishes the job);
   * everything else goes at once. Dependents (ownerReferences) are deleted in the background,
   * like Kubernetes' default propagation.
   */
  delete(key: ObjectKey): KObject | undefined {
    const o = this.store.get(key);
    if (!o) return undefined;
    if (o.metadata.deletionTimestamp) return o;
    // A pod whose node is gone has no one to stop its containers: it goes at once.
    if ((o.kind === 'Pod' || o.kind === 'Namespace') && this.hostOf(o) !== undefined) {
      // the actor's host (here or on another node) sees the deletionTimestamp and terminates it
      const marked = { ...o, metadata: { ...o.metadata, deletionTimestamp: isoTime(this.now()) } };
      this.store.commit({ put: [marked] }).catch(this.onError);
      return marked;
    }
    this.finalize(key);
    return o;
  }

  /** Removes an object and its actor record for good, then its dependents. */
  finalize(key: ObjectKey) {
    const o = this.store.get(key);
    if (!o) return;
    const change: Change = { del: [key], ...this.host.stop(key, true) };
    this.store.commit(change).catch(this.onError);
    const uid = o.metadata.uid;
    for (const kind of this.store.kinds()) {
      for (const dep of this.store.list(kind, o.metadata.namespace)) {
        if (dep.metadata.ownerReferences?.some((r) => r.uid === uid)) this.delete(keyOf(dep));
      }
    }
  }

  private stamp(o: KObject): KObject {
    return {
      ...o,
      metadata: {
        ...o.metadata,
        uid: randomUUID(),
        creationTimestamp: isoTime(this.now()),
        generation: 1,
      },
      // as the API server does, a new pod starts Pending
      status: o.status ?? (o.kind === 'Pod' ? { phase: 'Pending' } : undefined),
    };
  }

  // ---- who needs to hear about a change -------------------------------------------------------

  private changed(type: string, obj: KObject) {
    const key = keyOf(obj);
    const owner = obj.metadata.ownerReferences?.find((r) => r.controller);
    if (owner) this.poke(objectKey(owner.kind, obj.metadata.namespace, owner.name));
    if (type !== 'DELETED' && (obj.kind === 'ReplicaSet' || obj.kind === 'Deployment')) this.poke(key);
    for (const k of servicesToSync(this, type, obj)) this.poke(k);
    if (type === 'DELETED' && obj.metadata.namespace) {
      const nsKey = objectKey('Namespace', '', obj.metadata.namespace);
      if (this.store.get(nsKey)?.metadata.deletionTimestamp) this.poke(nsKey);
    }
  }

  ensureActor(obj: KObject, key = keyOf(obj)) {
    const started = this.host.ensure(obj, key);
    if (started && (obj.kind === 'ReplicaSet' || obj.kind === 'Deployment' || obj.kind === 'Service')) this.poke(key);
    return started;
  }

  /** Schedules a SYNC for an actor; several pokes in one tick make one SYNC. */
  poke(key: ObjectKey) {
    this.pokes.add(key);
    if (this.pokeScheduled) return;
    this.pokeScheduled = true;
    queueMicrotask(() => {
      this.pokeScheduled = false;
      const keys = [...this.pokes];
      this.pokes.clear();
      for (const k of keys) this.sync(k);
    });
  }

  private sync(key: ObjectKey) {
    const o = this.store.get(key);
    if (!o || !this.host.has(key)) return;
    const kind = parseKey(key).kind;
    try {
      if (kind === 'ReplicaSet') this.host.send(key, syncReplicaSet(this, o));
      else if (kind === 'Deployment') this.host.send(key, syncDeployment(this, o));
      else if (kind === 'Service') this.host.send(key, syncService(this, o));
      else if (kind === 'Namespace') this.host.send(key, { type: 'SYNC', remaining: this.inNamespace(o.metadata.name).length, at: this.now() });
    } catch (e) {
      this.onError(e);
    }
  }
}
