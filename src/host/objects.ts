// The object side of a node: apply (create / configure / unchanged), delete with Kubernetes'
// semantics (pods terminate first, namespaces empty first, owners take what they own with them),
// objects created by controllers, and the routing of SYNC events to the actors that care.

import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { isoTime, Turns } from '../clock.ts';
import { asStarlingError, StarlingError, ValidationError } from '../errors.ts';
import type { KObject, ObjectKey } from '../objects/types.ts';
import { keyOf, objectKey, parseKey } from '../objects/types.ts';
import type { Change, Store } from '../store/store.ts';
import type { ActorHost } from './actor-host.ts';
import { canonical } from '../../actors/canonical.ts';
import { syncDeployment, syncReplicaSet } from './controllers.ts';
import { allocateNodePorts } from '../proxy/node-ports.ts';
import { servicesToSync, syncService } from './service-binding.ts';
import { SyncQueue } from './sync-queue.ts';
import type { Admission, Admitted } from './admission.ts';
import { LIMIT_RANGER_ANNOTATION } from './limit-ranger.ts';
import { configContent, refuseConfigUpdate, replaceConfigContent } from './config-objects.ts';
import { CONFIG_KINDS } from '../manifest/validate-config.ts';

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

const CLUSTER_SCOPED = new Set(['Namespace', 'Node']);
/** A controller whose object a counting quota refused tries again after this long, ms. */
const OWNED_RETRY_MS = 5_000;

export class ObjectService {
  private syncs = new SyncQueue({
    sync: (key) => this.sync(key),
    now: () => performance.now(),
    later: (fn, ms) => (ms > 0 ? setTimeout(fn, ms) : setImmediate(fn)),
    turnDue: () => {
      const turn = new Turns();
      return () => turn.due;
    },
  });

  /** Set by the node: where an object's actor runs (undefined: nowhere, e.g. its node is gone). */
  hostOf: (obj: KObject) => string | undefined = () => undefined;
  /** Set by the node once its transport is up: LimitRanges and ResourceQuotas (admission.ts). */
  admission?: Admission;
  /** Set by the node: records a Kubernetes Event about an object. */
  event: (obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component: string) => void = () => {};
  /** owners whose refused creations wait for a retry (see createOwned) */
  private retrying = new Set<ObjectKey>();
  /** generation of each ResourceQuota and LimitRange last seen (a status write is no change) */
  private policyGenerations = new Map<ObjectKey, number>();

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
  /** Objects whose ownerReferences name this uid (the store's index: no scan). */
  ownedBy(uid: string, kind?: string) {
    return this.store.ownedBy(uid, kind);
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
    objects = objects.map((o) => this.keepAdmitted(o));
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
      // ConfigMaps and Secrets hold their content at the top level (data, type, ...), not in spec
      const config = CONFIG_KINDS.has(o.kind);
      if (config) refuseConfigUpdate(existing, o);
      const sameSpec = config
        ? canonical(configContent(existing)) === canonical(configContent(o))
        : canonical(existing.spec ?? null) === canonical(spec ?? null);
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
      if (config) replaceConfigContent(updated, o);
      put.push(updated);
      results.push({ obj: updated, outcome: 'configured' });
    }
    if (this.admission) await this.admit(put, results);
    await this.store.commit({ put });
    return results;
  }

  /** A pod applied again as it was: what admission added (LimitRange defaults, their note) stays. */
  private keepAdmitted(o: KObject): KObject {
    if (o.kind !== 'Pod' || !this.admission) return o;
    const existing = this.store.get(keyOf(o));
    if (!existing) return o;
    let out = o;
    const note = existing.metadata.annotations?.[LIMIT_RANGER_ANNOTATION];
    if (note !== undefined && o.metadata.annotations?.[LIMIT_RANGER_ANNOTATION] === undefined) {
      out = { ...out, metadata: { ...out.metadata, annotations: { ...out.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: note } } };
    }
    const nodeName = existing.spec?.nodeName;
    const same = (spec: unknown) => canonical({ ...(spec as object), ...(nodeName ? { nodeName } : {}) }) === canonical(existing.spec ?? null);
    if (same(o.spec)) return out;
    const limited = this.admission.limit(o);
    return limited.ok && same(limited.pod.spec) ? { ...out, spec: limited.pod.spec } : out;
  }

  /**
   * Admission of an apply (all or nothing): counting quotas of what it creates or grows, then
   * each new pod through LimitRange and quota. Admitted pods replace their manifests in `put`
   * and `results`; on any refusal the shares already granted are given back and it throws.
   */
  private async admit(put: KObject[], results: { obj: KObject; outcome: ApplyOutcome }[]) {
    const admission = this.admission!;
    admission.checkCounts(put.map((obj) => ({ obj, existing: this.store.get(keyOf(obj)) })));
    const fresh = put.filter((o) => o.kind === 'Pod' && !this.store.get(keyOf(o)));
    if (fresh.length === 0) return;
    const admitted = await admission.admitPods(fresh);
    const refused = admitted.find((a): a is Extract<Admitted, { ok: false }> => !a.ok);
    if (refused) {
      for (const a of admitted) if (a.ok) admission.release(a.pod.metadata.namespace ?? 'default', [keyOf(a.pod)]);
      throw refused.error;
    }
    admitted.forEach((a, i) => {
      if (!a.ok) return;
      put[put.indexOf(fresh[i])] = a.pod;
      const r = results.find((x) => x.obj === fresh[i]);
      if (r) r.obj = a.pod;
    });
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
        if (o.kind !== 'Pod' && this.refusedByQuota(owner, o)) continue;
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

  /**
   * Pods made by a ReplicaSet. Where the namespace has a LimitRange or a ResourceQuota they are
   * admitted first (admission.ts) and stored when the answer comes; elsewhere at once, as before.
   * `settled` is called in the same tick as the store commit (so the owner's next SYNC sees the
   * pods), with the first refusal if any.
   */
  createPods(owner: KObject, pods: KObject[], settled: (refused?: StarlingError) => void) {
    const ns = owner.metadata.namespace ?? 'default';
    const admission = this.admission;
    if (!admission?.needed(ns)) {
      this.createOwned(owner, pods);
      settled();
      return;
    }
    const fresh = pods.filter((p) => !this.store.get(keyOf(p))).map((p) => this.stamp(p));
    const known = pods.filter((p) => this.store.get(keyOf(p)));
    if (known.length) this.createOwned(owner, known);
    admission.admitPods(fresh).then((results) => {
      const ok = results.flatMap((r) => (r.ok ? [r.pod] : []));
      const current = this.store.get(keyOf(owner));
      if (!current || current.metadata.uid !== owner.metadata.uid || current.metadata.deletionTimestamp) {
        admission.release(ns, ok.map((p) => keyOf(p)));
        settled();
        return;
      }
      if (ok.length) this.store.commit({ put: ok }).catch(this.onError);
      settled(results.find((r): r is Extract<Admitted, { ok: false }> => !r.ok)?.error);
    }, (e) => settled(asStarlingError(e)));
  }

  /** Sends an event to an actor hosted here (ignored otherwise). */
  send(key: ObjectKey, event: { type: string; [k: string]: unknown }) {
    this.host.send(key, event);
  }

  /**
   * A counting quota refuses an object a controller makes (a Deployment's ReplicaSet): the
   * owner gets Kubernetes' event and is synced again later.
   */
  private refusedByQuota(owner: KObject, o: KObject): boolean {
    try {
      this.admission?.checkCounts([{ obj: o }]);
      return false;
    } catch (e) {
      const what = o.kind === 'ReplicaSet' ? 'replica set' : o.kind.toLowerCase();
      const component = `${owner.kind.toLowerCase()}-controller`;
      this.event(owner, 'Warning', `${o.kind}CreateError`, `Failed to create new ${what} ${JSON.stringify(o.metadata.name)}: ${(e as Error).message}`, component);
      const key = keyOf(owner);
      if (!this.retrying.has(key)) {
        this.retrying.add(key);
        this.clock.setTimeout(() => {
          this.retrying.delete(key);
          this.poke(key);
        }, OWNED_RETRY_MS);
      }
      return true;
    }
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
    if (!uid) return;
    const ns = o.metadata.namespace;
    for (const dep of this.store.ownedBy(uid)) {
      if (ns === undefined || (dep.metadata.namespace ?? '') === ns) this.delete(keyOf(dep));
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
    if (obj.metadata.namespace && this.admission) this.policyChanged(type, obj, obj.metadata.namespace);
  }

  /**
   * In a namespace with a quota or a LimitRange: its Namespace actor's host keeps the quotas'
   * status (a poke), and when room may have appeared (something went, a pod finished, a quota or
   * LimitRange changed) the ReplicaSets hosted here that wait after a refusal try again.
   */
  private policyChanged(type: string, obj: KObject, ns: string) {
    const policy = obj.kind === 'ResourceQuota' || obj.kind === 'LimitRange';
    const quotas = this.store.list('ResourceQuota', ns).length > 0;
    if (!policy && !quotas && this.store.list('LimitRange', ns).length === 0) return;
    if (policy || quotas) this.poke(objectKey('Namespace', '', ns));
    let policyChanged = false;
    if (policy) {
      const key = keyOf(obj);
      const generation = obj.metadata.generation ?? 1;
      policyChanged = type === 'DELETED' || this.policyGenerations.get(key) !== generation;
      if (type === 'DELETED') this.policyGenerations.delete(key);
      else this.policyGenerations.set(key, generation);
    }
    const finished = obj.kind === 'Pod' && (obj.status?.phase === 'Succeeded' || obj.status?.phase === 'Failed');
    if (!policyChanged && !finished && type !== 'DELETED') return;
    for (const key of this.host.keys()) {
      const k = parseKey(key);
      if (k.kind !== 'ReplicaSet' || k.namespace !== ns) continue;
      if (this.host.context<{ retryAt?: number }>(key)?.retryAt !== undefined) this.host.send(key, { type: 'RETRY', at: this.now() });
    }
  }

  ensureActor(obj: KObject, key = keyOf(obj)) {
    const started = this.host.ensure(obj, key);
    if (started && (obj.kind === 'ReplicaSet' || obj.kind === 'Deployment' || obj.kind === 'Service')) this.poke(key);
    return started;
  }

  /** Schedules a SYNC for an actor (sync-queue.ts: several pokes make one SYNC). */
  poke(key: ObjectKey) {
    this.syncs.poke(key);
  }

  /** Sends an actor its SYNC; returns how long putting the SYNC together took, ms. */
  private sync(key: ObjectKey): number {
    const o = this.store.get(key);
    if (!o || !this.host.has(key)) return 0;
    const kind = parseKey(key).kind;
    const t0 = performance.now();
    try {
      const ev = kind === 'ReplicaSet' ? syncReplicaSet(this, o)
        : kind === 'Deployment' ? syncDeployment(this, o)
        : kind === 'Service' ? syncService(this, o)
        : undefined;
      const took = performance.now() - t0;
      if (ev) this.host.send(key, ev);
      else if (kind === 'Namespace') {
        // only a namespace being deleted needs to know what remains in it
        if (o.metadata.deletionTimestamp) this.host.send(key, { type: 'SYNC', remaining: this.inNamespace(o.metadata.name).length, at: this.now() });
        this.admission?.namespaceSynced(o);
      }
      return took;
    } catch (e) {
      this.onError(e);
      return 0;
    }
  }
}
