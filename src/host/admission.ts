// Admission of new objects, as Kubernetes' admission chain does it on create, in a cluster with
// no API server:
//
// 1. LimitRanger (src/host/limit-ranger.ts), on the node that creates the pod — apply's node or
//    the ReplicaSet actor's node — from the LimitRanges in its store: defaults, then min / max /
//    ratio checks. Refused: `Forbidden`, `pods "x" is forbidden: minimum cpu usage per Container ...`.
// 2. ResourceQuota for pods, decided by the Namespace actor (actors/namespace.ts) on the one node
//    that hosts it: the creator sends `admit` over the peer transport (as the scheduler sends
//    `bind`), the host counts the pods in its store plus the pods it admitted that its store does
//    not show yet, and decides each pod in turn, synchronously. Racing creators on several nodes
//    therefore can never exceed a quota. Refused: `QuotaExceeded`, `pods "x" is forbidden:
//    exceeded quota: q1, requested: pods=1, used: pods=3, limited: pods=3`.
// 3. Counting quotas of other kinds (count/deployments.apps, services, ...) are checked by the
//    node that receives the apply, against its own store (a small race window: docs/quotas.md).
//
// A namespace with neither a ResourceQuota nor a LimitRange skips all of it, without a message.
// The Namespace's host also keeps every ResourceQuota's status (`hard`, `used`) current.

import type { NamespaceCommand, NamespaceContext } from '../../actors/namespace.ts';
import { addUsage, type AdmissionRequest, checkQuotas, usageDelta } from '../../actors/quota.ts';
import type { Clock } from '../clock.ts';
import type { PeerMessage, Transport } from '../cluster/types.ts';
import { StarlingError, ValidationError } from '../errors.ts';
import { applyDefaults, fieldErrorText, kindInfo } from '../manifest/index.ts';
import { validatePodSpec } from '../manifest/validate-pod.ts';
import type { KObject } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { Store } from '../store/store.ts';
import type { ActorHost } from './actor-host.ts';
import { canonical } from '../../actors/canonical.ts';
import { aggregate, applyLimitDefaults, limitsPods, limitViolations } from './limit-ranger.ts';
import { podRequest, quotaLimits, quotaStatus, resourceOf, totalUsage, usageOf } from './quota-usage.ts';

/** An admitted pod holds its share this long at most if its creator never stores it, ms. */
export const ADMISSION_TTL_MS = 20_000;
/** Pauses before asking again when the namespace's host cannot decide (it is moving), ms. */
const RETRY_DELAYS_MS = [100, 300, 900];

export interface AdmissionDeps {
  self: string;
  store: Store;
  host: ActorHost;
  transport: Transport;
  /** the member that hosts an object's actor (placement); undefined when none can */
  hostOf(obj: KObject): string | undefined;
  clock: Clock;
  /** how long to wait for the namespace's host to answer, ms */
  timeoutMs: number;
  log(msg: string): void;
}

export type Admitted = { ok: true; pod: KObject } | { ok: false; error: StarlingError };

interface Decision {
  key: string;
  allowed: boolean;
  message?: string;
  reason?: string;
}

/** Objects whose counting quotas the apply node checks (pods go to the Namespace actor). */
const countedAtApply = (o: KObject) => !!kindInfo(o.kind)?.namespaced && o.kind !== 'Pod';

export class Admission {
  private seq = 0;

  constructor(private d: AdmissionDeps) {
    d.transport.onMessage((_from, msg, reply) => {
      if (msg.t === 'admit' && reply) reply(this.decide(String(msg.ns), msg.requests as AdmissionRequest[], String(msg.id)));
      else if (msg.t === 'admit-release') this.release(String(msg.ns), msg.keys as string[]);
    });
  }

  /** Whether new pods of the namespace need admission at all (it has a quota or a LimitRange). */
  needed(ns: string): boolean {
    return this.d.store.list('ResourceQuota', ns).length > 0 || limitsPods(this.d.store.list('LimitRange', ns));
  }

  // ---- the creator's side ----------------------------------------------------------------------

  /**
   * LimitRange defaults and checks for a new pod, from this node's store. A pod is first defaulted
   * as the API server defaults it (requests from limits), as the admission plugins see it.
   */
  limit(pod: KObject): Admitted {
    const ns = pod.metadata.namespace ?? 'default';
    const ranges = this.d.store.list('LimitRange', ns);
    if (!limitsPods(ranges) && this.d.store.list('ResourceQuota', ns).length === 0) return { ok: true, pod };
    let out = applyDefaults(pod);
    if (!limitsPods(ranges)) return { ok: true, pod: out };
    out = applyLimitDefaults(out, ranges);
    // a default limit below the container's own request makes the pod invalid, as in Kubernetes
    const invalid = validatePodSpec(out.spec, 'spec').errors.filter((e) => e.field.includes('.resources'));
    if (invalid.length) {
      const lines = invalid.map(fieldErrorText);
      return { ok: false, error: new ValidationError(invalid, `Pod "${pod.metadata.name}" is invalid: ${lines.join(', ')}`) };
    }
    const violations = limitViolations(out, ranges);
    if (violations.length) {
      return { ok: false, error: new StarlingError('Forbidden', `pods "${pod.metadata.name}" is forbidden: ${aggregate(violations)}`, { violations }) };
    }
    return { ok: true, pod: out };
  }

  /**
   * Admits new pods (uids already stamped): LimitRange here, then the quota by the Namespace
   * actor's host, one pod at a time. Returns, per pod in order, the pod as it is to be stored or
   * why it may not be. Throws only when the namespace's host cannot be reached.
   */
  async admitPods(pods: KObject[]): Promise<Admitted[]> {
    const results = pods.map((p) => this.limit(p));
    const byNamespace = new Map<string, number[]>();
    results.forEach((r, i) => {
      if (!r.ok) return;
      const ns = r.pod.metadata.namespace ?? 'default';
      if (this.d.store.list('ResourceQuota', ns).length === 0) return;
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), i]);
    });
    for (const [ns, indexes] of byNamespace) {
      const requests = indexes.map((i) => podRequest((results[i] as { pod: KObject }).pod));
      const decisions = await this.ask(ns, requests);
      indexes.forEach((i, n) => {
        const dec = decisions.find((x) => x.key === requests[n].key);
        if (dec?.allowed) return;
        const code = dec?.reason === 'terminating' ? 'Forbidden' : 'QuotaExceeded';
        results[i] = { ok: false, error: new StarlingError(code, dec?.message ?? `pods "${requests[n].name}" was not admitted`) };
      });
    }
    return results;
  }

  /** Gives back the shares of admitted pods that will not be stored after all (best effort). */
  release(ns: string, keys: string[]) {
    if (keys.length === 0) return;
    const nsKey = objectKey('Namespace', '', ns);
    if (this.d.host.has(nsKey)) {
      this.d.host.send(nsKey, { type: 'RELEASE', keys, at: this.d.clock.now() });
      return;
    }
    const nsObj = this.d.store.get(nsKey);
    const to = nsObj && this.d.hostOf(nsObj);
    if (to && to !== this.d.self) this.d.transport.send(to, { t: 'admit-release', ns, keys });
  }

  /** Asks the Namespace actor's host; the same id on every try, so a lost answer costs nothing. */
  private async ask(ns: string, requests: AdmissionRequest[]): Promise<Decision[]> {
    const id = `${this.d.self}/${++this.seq}`;
    let why = '';
    for (let attempt = 0; attempt <= RETRY_DELAYS_MS.length; attempt++) {
      if (attempt > 0) await new Promise<void>((r) => this.d.clock.setTimeout(r, RETRY_DELAYS_MS[attempt - 1]));
      const nsObj = this.d.store.get(objectKey('Namespace', '', ns));
      if (!nsObj) throw new StarlingError('NotFound', `namespaces "${ns}" not found`);
      const to = this.d.hostOf(nsObj);
      if (!to) {
        why = 'no member can host it';
        continue;
      }
      const answer: PeerMessage = to === this.d.self
        ? this.decide(ns, requests, id)
        : await this.d.transport.request(to, { t: 'admit', id, ns, requests }, this.d.timeoutMs)
          .catch((e) => ({ t: 'admit-retry', reason: (e as Error).message }));
      if (answer.t === 'admit-ok') return answer.decisions as Decision[];
      why = String(answer.reason);
    }
    throw new StarlingError('RuntimeUnavailable', `the quota of namespace ${ns} cannot be checked: ${why}`);
  }

  /**
   * Counting quotas of everything but pods (apply's node, its own store): each object in turn,
   * an update asking only for what it adds. Throws QuotaExceeded with Kubernetes' message.
   */
  checkCounts(changes: { obj: KObject; existing?: KObject }[]) {
    const byNamespace = new Map<string, { obj: KObject; existing?: KObject }[]>();
    for (const c of changes) {
      if (!countedAtApply(c.obj)) continue;
      const ns = c.obj.metadata.namespace ?? 'default';
      byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), c]);
    }
    for (const [ns, list] of byNamespace) {
      const quotas = this.d.store.list('ResourceQuota', ns).map(quotaLimits);
      if (quotas.length === 0) continue;
      let used = totalUsage(this.objectsIn(ns, (k) => k !== 'Pod'));
      for (const { obj, existing } of list) {
        const req: AdmissionRequest = {
          key: keyOf(obj),
          resource: resourceOf(obj.kind),
          name: obj.metadata.name,
          usage: usageDelta(usageOf(obj), existing && usageOf(existing)),
        };
        const verdict = checkQuotas(quotas, used, req);
        if (!verdict.allowed) throw new StarlingError('QuotaExceeded', verdict.message, { namespace: ns });
        used = addUsage(used, req.usage);
      }
    }
  }

  // ---- the Namespace actor's host ---------------------------------------------------------------

  /** The host's decision on an `admit` request: synchronous, through the Namespace actor. */
  decide(ns: string, requests: AdmissionRequest[], id: string): PeerMessage {
    const nsKey = objectKey('Namespace', '', ns);
    const nsObj = this.d.store.get(nsKey);
    if (!nsObj) return { t: 'admit-retry', reason: `${this.d.self} does not know namespace ${ns} yet` };
    const owner = this.d.hostOf(nsObj);
    if (owner !== this.d.self || !this.d.host.has(nsKey)) {
      return { t: 'admit-retry', reason: `${this.d.self} does not host namespace ${ns} (${owner ?? 'no member'} does)` };
    }
    const ctx = this.d.host.context<NamespaceContext>(nsKey);
    this.d.host.send(nsKey, {
      type: 'ADMIT',
      id,
      namespace: ns,
      requests,
      quotas: this.d.store.list('ResourceQuota', ns).map(quotaLimits),
      used: totalUsage(this.d.store.list('Pod', ns)),
      present: (ctx?.admitted ?? []).filter((a) => this.visible(a.key, a.uid)).map((a) => a.key),
      ttlMs: ADMISSION_TTL_MS,
      at: this.d.clock.now(),
    });
    const commands = (this.d.host.context<NamespaceContext>(nsKey)?.commands ?? []) as NamespaceCommand[];
    const decisions: Decision[] = [];
    for (const c of commands) {
      if (c.type === 'admitted' && c.id === id) decisions.push({ key: c.key, allowed: true });
      if (c.type === 'refused' && c.id === id) decisions.push({ key: c.key, allowed: false, message: c.message, reason: c.reason });
    }
    if (decisions.length !== requests.length) return { t: 'admit-retry', reason: `the Namespace actor of ${ns} did not decide` };
    return { t: 'admit-ok', decisions };
  }

  /**
   * At the Namespace's host, when something in the namespace changed: admitted pods now in the
   * store stop counting as pending (SEEN), and each ResourceQuota's status is brought up to date.
   */
  namespaceSynced(ns: KObject) {
    const nsKey = keyOf(ns);
    if (!this.d.host.has(nsKey)) return;
    const seen = (this.d.host.context<NamespaceContext>(nsKey)?.admitted ?? []).filter((a) => this.visible(a.key, a.uid)).map((a) => a.key);
    if (seen.length) this.d.host.send(nsKey, { type: 'SEEN', keys: seen, at: this.d.clock.now() });
    const quotas = this.d.store.list('ResourceQuota', ns.metadata.name);
    if (quotas.length === 0) return;
    const used = totalUsage(this.objectsIn(ns.metadata.name, () => true));
    const put: KObject[] = [];
    for (const q of quotas) {
      const status = quotaStatus(q, used);
      if (canonical(status) !== canonical(q.status ?? null)) put.push({ ...q, status });
    }
    if (put.length) this.d.store.commit({ put }).catch((e) => this.d.log(`quota status of ${ns.metadata.name}: ${e}`));
  }

  private visible(key: string, uid?: string) {
    const o = this.d.store.get(key);
    return !!o && (!uid || o.metadata.uid === uid);
  }

  private objectsIn(ns: string, kinds: (kind: string) => boolean): KObject[] {
    return this.d.store.kinds().filter((k) => kinds(k) && kindInfo(k)?.namespaced).flatMap((k) => this.d.store.list(k, ns));
  }
}
