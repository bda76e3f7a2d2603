// Scheduling across the cluster. The Pod actor of an unbound pod (hosted by the pod's rendezvous
// owner) asks for placement with a `schedule` command: this module filters and scores the
// members (actors/scheduling.ts) and asks the best node to bind the pod. The bind is decided by
// the node itself — the only authority over its own resources — which checks cordon, selector
// and room against the pods already bound to it, and writes spec.nodeName. Binds on one node are
// decided one at a time (the store's cache is updated synchronously), so racing pods can never
// overcommit it; a refused pod tries the next node.

import { fitsOn, type NodeCandidate, place, type PodNeeds } from '../../actors/scheduling.ts';
import { toBytes, toMilli } from '../manifest/index.ts';
import type { KObject, ObjectKey, PodSpec } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { Rec, Store } from '../store/store.ts';
import type { Transport } from '../cluster/types.ts';

export interface MemberCapacity {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
  labels: Record<string, string>;
}

export interface SchedulerDeps {
  self: string;
  store: Store;
  transport: Transport;
  /** members that may take pods (alive), with what they offer */
  members(): MemberCapacity[];
  bindTimeoutMs: number;
  /** tell the pod's actor */
  send(key: ObjectKey, event: { type: string; [k: string]: unknown }): void;
  /** write the pod actor's snapshot now, if it waits for the end of the turn (ActorHost.flush) */
  writeActor(key: ObjectKey): void;
  now(): number;
  log(msg: string): void;
}

/** Parsed requests, by unit and text: a node's pods mostly ask for the same few quantities. */
const parsed = new Map<string, number>();
const quantity = (f: typeof toMilli | typeof toBytes, v: string | undefined) => {
  if (v === undefined) return 0;
  const key = `${f === toMilli ? 'm' : 'b'}${v}`;
  let n = parsed.get(key);
  if (n === undefined) {
    try {
      n = f(v);
    } catch {
      n = 0;
    }
    if (parsed.size >= 4096) parsed.clear();
    parsed.set(key, n);
  }
  return n;
};

/** What a pod asks of a node: the sum of its containers' requests (limits when no request). */
export function podNeeds(pod: KObject): PodNeeds {
  const spec = pod.spec as PodSpec;
  let cpu = 0;
  let memory = 0;
  for (const c of spec.containers) {
    const r = c.resources?.requests ?? {};
    const l = c.resources?.limits ?? {};
    cpu += quantity(toMilli, r.cpu ?? l.cpu);
    memory += quantity(toBytes, r.memory ?? l.memory);
  }
  // init containers run one at a time before the others: the pod needs the larger of the two
  for (const c of spec.initContainers ?? []) {
    const r = c.resources?.requests ?? {};
    const l = c.resources?.limits ?? {};
    cpu = Math.max(cpu, quantity(toMilli, r.cpu ?? l.cpu));
    memory = Math.max(memory, quantity(toBytes, r.memory ?? l.memory));
  }
  return { cpu, memory, nodeSelector: spec.nodeSelector ?? {}, tieBreak: pod.metadata.name };
}

const holdsResources = (p: KObject) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
const controllerUid = (p: KObject) => p.metadata.ownerReferences?.find((r) => r.controller)?.uid;

/** What one bound pod takes from its node, as the usage index counts it. */
interface Usage {
  node: string;
  cpu: number;
  memory: number;
  owner?: string;
}

/** Per node: what its bound pods request, and how many of them each owner has there. */
interface NodeUsage {
  cpu: number;
  memory: number;
  byOwner: Map<string, number>;
}

export class Scheduler {
  private inFlight = new Set<ObjectKey>();
  /** binds asked of other nodes and not yet answered: counted as placed, as kube-scheduler
   * "assumes" a pod, so pods placed at the same moment see each other */
  private assumed = new Map<ObjectKey, { node: string; needs: PodNeeds; owner?: string }>();
  /** the usage index: each bound pod holding resources, and the sums per node, kept from the
   * store's changes so that a decision costs O(members), not O(pods × members) */
  private usageOf = new Map<ObjectKey, Usage>();
  private usage = new Map<string, NodeUsage>();
  /** the same sums over the assumed binds */
  private assumedUsage = new Map<string, NodeUsage>();
  /** what a decision takes from a member's Node object (labels, cordon): kept per member until a
   * Node object changes (the members' list is new whenever a member changes) */
  private fixed = new WeakMap<MemberCapacity, { labels: Record<string, string>; unschedulable: boolean }>();
  constructor(private d: SchedulerDeps) {
    d.transport.onMessage((_from, msg, reply) => {
      if (msg.t !== 'bind' || !reply) return;
      // the pod actor's record comes with the request: this node resumes the actor from it (a
      // Pod's record is not on every node, see cluster/replicator.ts)
      const sent = msg.actor as Rec | undefined;
      const rec = sent?.k === 'a' && sent.key === keyOf(msg.pod as KObject) ? sent : undefined;
      if (rec) d.store.merge([rec]).catch((e) => d.log(`bind: ${e}`));
      const answer = this.bind(msg.pod as KObject);
      if (rec && answer.t !== 'bound') d.store.forgetPodActor(rec.key, rec.v); // not ours after all
      reply(answer);
    });
    for (const p of d.store.list('Pod')) this.track(keyOf(p), p);
    d.store.watch((type, obj) => {
      if (obj.kind === 'Pod') this.track(keyOf(obj), type === 'DELETED' ? undefined : obj);
      else if (obj.kind === 'Node') this.fixed = new WeakMap();
    });
  }

  /** Keeps the usage index in step with one pod (undefined: it is gone). Idempotent. */
  private track(key: ObjectKey, pod: KObject | undefined) {
    const nodeName = pod && (pod.spec as PodSpec).nodeName;
    const old = this.usageOf.get(key);
    if (!pod || !nodeName || !holdsResources(pod)) {
      if (old) this.account(old, -1);
      this.usageOf.delete(key);
      return;
    }
    if (old && old.node === nodeName) return; // a pod's requests never change once it is bound
    if (old) this.account(old, -1);
    const needs = podNeeds(pod);
    const u: Usage = { node: nodeName, cpu: needs.cpu, memory: needs.memory, owner: controllerUid(pod) };
    this.usageOf.set(key, u);
    this.account(u, 1);
  }

  private account(u: Usage, sign: 1 | -1) {
    this.addUsage(this.usage, u, sign);
  }

  private addUsage(sums: Map<string, NodeUsage>, u: Usage, sign: 1 | -1) {
    let n = sums.get(u.node);
    if (!n) sums.set(u.node, n = { cpu: 0, memory: 0, byOwner: new Map() });
    n.cpu += sign * u.cpu;
    n.memory += sign * u.memory;
    if (u.owner) {
      const c = (n.byOwner.get(u.owner) ?? 0) + sign;
      if (c > 0) n.byOwner.set(u.owner, c);
      else n.byOwner.delete(u.owner);
    }
    if (n.cpu === 0 && n.memory === 0 && n.byOwner.size === 0) sums.delete(u.node);
  }

  /** Candidates as this node sees them: capacity from membership, usage from bound pods. */
  candidates(forPod?: KObject): NodeCandidate[] {
    const owner = forPod && controllerUid(forPod);
    return this.d.members().map((m) => this.candidate(m, owner));
  }

  private candidate(m: MemberCapacity, owner: string | undefined): NodeCandidate {
    const used = this.usage.get(m.name);
    const assumed = this.assumedUsage.get(m.name);
    let fixed = this.fixed.get(m);
    if (!fixed) {
      const node = this.d.store.get(objectKey('Node', '', m.name));
      fixed = { labels: { ...(node?.metadata.labels ?? {}), ...m.labels }, unschedulable: !!node?.spec?.unschedulable };
      this.fixed.set(m, fixed);
    }
    return {
      name: m.name,
      labels: fixed.labels,
      unschedulable: fixed.unschedulable,
      cpu: m.cpuMillis,
      memory: m.memoryBytes,
      requestedCpu: (used?.cpu ?? 0) + (assumed?.cpu ?? 0),
      requestedMemory: (used?.memory ?? 0) + (assumed?.memory ?? 0),
      sameOwner: owner ? (used?.byOwner.get(owner) ?? 0) + (assumed?.byOwner.get(owner) ?? 0) : 0,
    };
  }

  private assume(key: ObjectKey, node: string, needs: PodNeeds, owner: string | undefined) {
    this.unassume(key);
    const a = { node, needs, owner };
    this.assumed.set(key, a);
    this.addUsage(this.assumedUsage, { node, cpu: needs.cpu, memory: needs.memory, owner }, 1);
  }

  private unassume(key: ObjectKey) {
    const a = this.assumed.get(key);
    if (!a) return;
    this.assumed.delete(key);
    this.addUsage(this.assumedUsage, { node: a.node, cpu: a.needs.cpu, memory: a.needs.memory, owner: a.owner }, -1);
  }

  /** The `schedule` command of a Pod actor: place it, or report why it cannot be placed. */
  async schedule(key: ObjectKey): Promise<void> {
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      // called from inside the pod actor's transition: the record a bind request carries, and
      // the pod's status, must be those that transition leads to, written before the request
      // leaves (a status written after another node bound the pod would undo the binding)
      await undefined;
      this.d.writeActor(key);
      const pod = this.d.store.get(key);
      if (!pod || (pod.spec as PodSpec).nodeName || pod.metadata.deletionTimestamp) return;
      const needs = podNeeds(pod);
      const { ranked, message } = place(needs, this.candidates(pod));
      const refusals: string[] = [];
      for (const node of ranked) {
        let answer: { t: string; reason?: unknown; rec?: unknown };
        if (node === this.d.self) answer = this.bind(pod);
        else {
          this.assume(key, node, needs, controllerUid(pod));
          const actor = this.d.store.records([['a', key]])[0];
          answer = await this.d.transport.request(node, { t: 'bind', pod, actor }, this.d.bindTimeoutMs)
            .catch((e) => ({ t: 'bind-refused', reason: (e as Error).message }));
        }
        if (answer.t === 'bound') {
          // the binding reaches us by replication too; merging the answer makes it immediate
          if (answer.rec) await this.d.store.merge([answer.rec as any]);
          return;
        }
        this.unassume(key);
        refusals.push(`${node}: ${answer.reason}`);
      }
      // every candidate refused (its own view was fresher than ours): say why from what we know now
      const why = message ?? place(needs, this.candidates(pod)).message ??
        `0/${this.d.members().length} nodes are available: ${refusals.length} node(s) refused the bind.`;
      if (refusals.length) this.d.log(`scheduling ${key}: ${refusals.join('; ')}`);
      this.d.send(key, { type: 'UNSCHEDULABLE', message: why, at: this.d.now() });
    } catch (e) {
      // the pod's actor asks again after its retry interval
      this.d.log(`scheduling ${key}: ${(e as Error).message}`);
      this.d.send(key, { type: 'UNSCHEDULABLE', message: `scheduling failed: ${(e as Error).message}`, at: this.d.now() });
    } finally {
      this.inFlight.delete(key);
      this.unassume(key);
    }
  }

  /** This node's decision on a bind: accept (and write spec.nodeName) or refuse. */
  bind(requested: KObject): { t: string; reason?: string; rec?: unknown } {
    const key = keyOf(requested);
    const pod = this.d.store.get(key) ?? requested;
    const bound = (pod.spec as PodSpec).nodeName;
    if (bound) return bound === this.d.self ? { t: 'bound' } : { t: 'bind-refused', reason: `already bound to ${bound}` };
    if (pod.metadata.deletionTimestamp) return { t: 'bind-refused', reason: 'the pod is being deleted' };
    const self = this.d.members().find((m) => m.name === this.d.self);
    const me = self && this.candidate(self, controllerUid(pod));
    if (!me) return { t: 'bind-refused', reason: 'this node is not taking pods' };
    const refusal = fitsOn(podNeeds(pod), me);
    if (refusal) return { t: 'bind-refused', reason: refusal.replace(/^0\/1 nodes are available: /, '').replace(/\.$/, '') };
    const updated = { ...pod, spec: { ...pod.spec, nodeName: this.d.self } };
    this.d.store.commit({ put: [updated] }).catch((e) => this.d.log(`bind ${key}: ${e}`));
    // counted at once, even when the store's notice of it is queued behind others: the next
    // bind decided here must see this one
    this.track(key, this.d.store.get(key) ?? updated);
    const v = this.d.store.versions(key)!;
    return { t: 'bound', rec: { k: 'o', key, obj: updated, sv: v.sv, tv: v.tv } };
  }
}

