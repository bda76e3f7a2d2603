// A Starling node: the store, the container runtime, the actors it hosts, its membership in the
// cluster and the replication of the store to the other members.
//
// Which actors run here follows placement (src/cluster/placement.ts): on every object change and
// every membership change the node starts the actors it should host (restored from their
// replicated snapshots) and stops the ones that moved away. start() also adopts running
// containers; stop() is the graceful stop (containers keep running, a restarted node adopts them).

import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { NodeContext } from '../../actors/node.ts';
import type { PodContext } from '../../actors/pod.ts';
import { type Clock, isoTime, systemClock } from '../clock.ts';
import { placementOf, podRecordHolders, rendezvous } from '../cluster/placement.ts';
import { GatheredReads } from '../cluster/gathered-reads.ts';
import { Replicator } from '../cluster/replicator.ts';
import { SharedTransport } from '../cluster/shared-transport.ts';
import { SoloMembership, SoloTransport } from '../cluster/solo.ts';
import type { Member, MembershipLike, NodeMeta, Transport } from '../cluster/types.ts';
import { type NodeConfig, STARLING_VERSION } from '../config.ts';
import type { KEvent, KObject, ObjectKey, PodSpec } from '../objects/types.ts';
import { keyOf, objectKey, parseKey } from '../objects/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import { LevelKV } from '../store/level.ts';
import { type KV, MemoryKV } from '../store/kv.ts';
import { Store } from '../store/store.ts';
import { ActorHost } from './actor-host.ts';
import { deploymentBinding, namespaceBinding, nodeBinding, replicaSetBinding } from './controllers.ts';
import { makeEvent } from './events.ts';
import { ObjectService } from './objects.ts';
import { PodRunner } from './pod-runner.ts';
import { autoscalerBinding } from './autoscaler-binding.ts';
import { Metrics } from './metrics.ts';
import { type MemberCapacity, Scheduler } from './scheduler.ts';
import { Admission } from './admission.ts';
import { NodeServices } from '../proxy/node-services.ts';
import { serviceBinding } from './service-binding.ts';

/** Kinds whose objects have an actor. */
export const ACTOR_KINDS = new Set(['Pod', 'ReplicaSet', 'Deployment', 'Namespace', 'Node', 'HorizontalPodAutoscaler', 'Service']);

/** Controllers the periodic sweep SYNCs (see scheduleGc). */
const RESYNCED_KINDS = new Set(['ReplicaSet', 'Deployment', 'Service']);

export interface ClusterParts {
  transport: Transport;
  /** membership over the node's shared transport */
  membership(transport: Transport): MembershipLike;
  /** members to join through (empty: alone) */
  seeds?: { name: string; addr: string }[];
}

export interface NodeOptions {
  name: string;
  dataDir: string;
  /** address containers publish ports on and the API listens on */
  host: string;
  port: number;
  runtime: ContainerRuntime;
  config: NodeConfig;
  /** allocatable CPU in millicores and memory in bytes */
  cpuMillis?: number;
  memoryBytes?: number;
  labels?: Record<string, string>;
  clock?: Clock;
  random?: () => number;
  /** keep the store in memory (tests) */
  inMemory?: boolean;
  /** membership and transport, made once the store is open; absent: a node alone */
  cluster?: (meta: NodeMeta, store: Store) => Promise<ClusterParts>;
  log?: (msg: string) => void;
}

export class StarlingNode {
  readonly store: Store;
  readonly host: ActorHost;
  readonly objects: ObjectService;
  readonly pods: PodRunner;
  /** the Service proxy and the service variables of this node's containers */
  readonly services: NodeServices;
  readonly clock: Clock;
  readonly meta: NodeMeta;
  transport!: SharedTransport;
  membership!: MembershipLike;
  replicator!: Replicator;
  /** reads of events and Pods' actor records, which are on a few nodes each */
  reads!: GatheredReads;
  scheduler!: Scheduler;
  /** LimitRanges and ResourceQuotas: what may be created (admission.ts) */
  admission!: Admission;
  metrics!: Metrics;
  private seeds: { name: string; addr: string }[] = [];
  private unsubscribes: (() => void)[] = [];
  private log: (msg: string) => void;
  private random: () => number;
  private started = false;

  constructor(readonly opts: NodeOptions) {
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? ((m) => console.error(`[${opts.name}] ${m}`));
    const kv: KV = opts.inMemory ? new MemoryKV() : new LevelKV(join(opts.dataDir, 'db'));
    this.store = new Store(kv, {
      eventsPerObject: opts.config.eventsPerObject,
      node: opts.name,
      now: () => this.clock.now(),
      tombstoneTtlMs: opts.config.replication.tombstoneTtlMs,
    });
    const onError = (key: ObjectKey, e: unknown) => this.log(`actor ${key}: ${(e as Error)?.stack ?? e}`);
    this.host = new ActorHost(this.store, this.clock, opts.name, opts.config.transitionsPerActor, onError);
    this.objects = new ObjectService(this.store, this.host, this.clock, (e) => this.log(`store: ${(e as Error)?.stack ?? e}`));
    this.objects.hostOf = (o) => this.hostOf(o);
    this.objects.event = (obj, type, reason, message, component) => this.event(obj, type, reason, message, component);
    this.meta = {
      addr: `${opts.host}:${opts.port}`,
      cpuMillis: opts.cpuMillis ?? cpus().length * 1000,
      memoryBytes: opts.memoryBytes ?? totalmem(),
      runtime: opts.runtime.kind,
      version: STARLING_VERSION,
      labels: { 'kubernetes.io/hostname': opts.name, ...(opts.labels ?? {}) },
      unschedulable: false,
      joinedAt: isoTime(this.clock.now()),
    };
    this.pods = new PodRunner({
      runtime: opts.runtime,
      host: this.host,
      config: opts.config,
      nodeName: opts.name,
      hostIP: opts.host,
      dataDir: opts.dataDir,
      now: () => this.clock.now(),
      getObject: (k) => this.store.get(k),
      event: (obj, type, reason, message, component) => this.event(obj, type, reason, message, component ?? 'kubelet'),
      podGone: (k) => this.objects.finalize(k),
      schedule: (k) => this.scheduler.schedule(k),
      serviceEnv: (pod) => this.services.envFor(pod),
      selectedByService: (pod) => this.services.selects(pod),
      log: this.log,
    });
    this.services = new NodeServices({
      store: this.store,
      host: opts.host,
      runtime: opts.runtime,
      clock: this.clock,
      warn: (svc, reason, message) => this.event(svc, 'Warning', reason, message, 'service-proxy'),
      log: this.log,
    });
    this.host.bind(serviceBinding(this.objects, this.store, (e) => this.log(`endpoints: ${(e as Error)?.stack ?? e}`)));
    this.host.bind(this.pods.binding());
    this.host.bind(replicaSetBinding(this.objects));
    this.host.bind(deploymentBinding(this.objects));
    this.host.bind(namespaceBinding(this.objects));
    this.host.bind(autoscalerBinding({
      objects: this.objects,
      metrics: () => this.metrics,
      syncMs: opts.config.hpaSyncMs,
      now: () => this.clock.now(),
      send: (key, ev) => this.host.send(key, ev),
      event: (obj, type, reason, message) => this.event(obj, type, reason, message, 'horizontal-pod-autoscaler'),
      log: this.log,
    }));
    this.host.bind(nodeBinding(this.objects, opts.config.leftEvictionMs, () => this.clock.now(), (node, obj, reason, message) => this.event(obj, 'Normal', reason, message, 'node-controller')));
  }

  get name() {
    return this.opts.name;
  }

  /** Records a Kubernetes Event about an object. */
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component = 'starling') {
    const ev: KEvent = makeEvent(obj, type, reason, message, component, this.opts.name, this.clock.now());
    this.store.commit({ events: [ev] }).catch((e) => this.log(`event: ${e}`));
  }

  /** Members that may host actors and take pods: alive or suspect. */
  memberNames(): string[] {
    return this.members().names;
  }

  /** The members other than this node, as memberNames(). */
  peerNames(): string[] {
    return this.members().peers;
  }

  /**
   * Asked on every object change (placement) and every push, so kept — with the host each
   * rendezvous key ranks first — until a member comes into or leaves the set.
   */
  private members(): MemberView {
    if (this.memberCache) return this.memberCache;
    const names = this.membership
      ? this.membership.members().filter((m) => m.state === 'alive' || m.state === 'suspect').map((m) => m.name)
      : [this.name];
    return this.memberCache = { names, set: new Set(names), peers: names.filter((n) => n !== this.name), hosts: new Map() };
  }
  private memberCache?: MemberView;

  /** The alive members with what they offer (the scheduler's candidates), kept until any member changes. */
  private aliveMembers(): MemberCapacity[] {
    return this.aliveCache ??= this.membership.members().filter((m) => m.state === 'alive').map((m) => ({
      name: m.name,
      cpuMillis: m.meta.cpuMillis,
      memoryBytes: m.meta.memoryBytes,
      labels: m.meta.labels ?? {},
    }));
  }
  private aliveCache?: MemberCapacity[];

  /**
   * The member that hosts an object's actor (placement.placementOf): a bound pod's node while it
   * is a member, else none (its Node actor evicts it); anything else the member its key ranks
   * first among memberNames(), kept until they change (MemberView).
   */
  hostOf(o: KObject): string | undefined {
    const p = placementOf(o);
    const view = this.members();
    if (!('key' in p)) return view.set.has(p.nodeName) ? p.nodeName : undefined;
    if (view.hosts.has(p.key)) return view.hosts.get(p.key);
    const host = rendezvous(p.key, view.names);
    view.hosts.set(p.key, host);
    return host;
  }

  async start() {
    await mkdir(this.opts.dataDir, { recursive: true });
    await this.store.open({ eventsInBackground: true }); // read once started; describe and get events wait for them
    const parts: ClusterParts = (await this.opts.cluster?.(this.meta, this.store)) ?? {
      transport: new SoloTransport(this.name),
      membership: () => new SoloMembership(this.name, this.meta, () => this.clock.now()),
    };
    this.transport = new SharedTransport(parts.transport);
    this.membership = parts.membership(this.transport);
    this.seeds = parts.seeds ?? [];
    this.reads = new GatheredReads({ store: this.store, transport: this.transport, peers: () => this.peerNames() });
    this.replicator = new Replicator({
      store: this.store,
      transport: this.transport,
      peers: () => this.peerNames(),
      clock: this.clock,
      random: this.random,
      config: this.opts.config.replication,
      log: this.log,
    });
    this.scheduler = new Scheduler({
      self: this.name,
      store: this.store,
      transport: this.transport,
      members: () => this.aliveMembers(),
      bindTimeoutMs: this.opts.config.bindTimeoutMs,
      send: (key, ev) => {
        if (ev.type === 'UNSCHEDULABLE') this.waitingForRoom.add(key);
        this.host.send(key, ev);
      },
      writeActor: (key) => this.host.flush(key),
      now: () => this.clock.now(),
      log: this.log,
    });
    this.admission = new Admission({
      self: this.name,
      store: this.store,
      host: this.host,
      transport: this.transport,
      hostOf: (o) => this.hostOf(o),
      clock: this.clock,
      timeoutMs: this.opts.config.bindTimeoutMs,
      log: this.log,
    });
    this.objects.admission = this.admission;
    this.metrics = new Metrics({
      self: this.name,
      runtime: this.opts.runtime,
      host: this.host,
      transport: this.transport,
      clock: this.clock,
      intervalMs: this.opts.config.metricsIntervalMs,
      capacity: () => ({ cpuMillis: this.meta.cpuMillis, memoryBytes: this.meta.memoryBytes }),
      members: () => this.aliveMembers().map((m) => m.name),
    });
    await this.opts.runtime.start();
    await this.services.start();
    this.unsubscribes.push(this.opts.runtime.onEvent((e) => this.pods.onRuntimeEvent(e)));
    this.replicator.start();
    this.unsubscribes.push(this.membership.onChange((m, prev) => this.memberChanged(m, prev)));
    await this.membership.start(this.seeds).catch((e) => {
      // restarting from the data dir while the members it knew are down: start alone; they find
      // this node (it is among their known members) when they come back
      if (!this.store.getMeta('peers')) throw e;
      this.log(`no known member answered (${(e as Error).message}); starting alone until one does`);
    });
    // catch up with the cluster before deciding what to host
    for (const peer of this.peerNames().slice(0, 2)) {
      await this.replicator.syncWith(peer).catch((e) => this.log(`catch-up with ${peer}: ${(e as Error).message}`));
    }
    await this.ensureBuiltins();
    this.unsubscribes.push(this.store.watch((type, obj) => this.changed(type, obj)));
    this.started = true;
    // Restore the actors this node hosts, then tell pods what their containers did meanwhile.
    const podKeys = this.rebalance().filter((k) => parseKey(k).kind === 'Pod');
    await this.pods.resume(podKeys.filter((k) => this.store.get(k) && (this.store.get(k)!.spec as PodSpec).nodeName === this.name));
    for (const key of this.host.keys()) this.objects.poke(key);
    this.store.loadEvents();
    this.scheduleGc();
    this.metrics.start();
  }

  private gcTimer?: ReturnType<Clock['setTimeout']>;

  /**
   * Garbage collection, as Kubernetes' collector does it: an object whose controller is gone
   * (deleted, or replaced by a same-named owner with another uid — e.g. two nodes that both
   * created it while they disagreed about membership) is deleted. Each node sweeps only the
   * objects whose actors it hosts, so no two nodes delete the same object.
   * The same sweep is the controllers' resync (as Kubernetes' informers resync): every
   * ReplicaSet, Deployment and Service actor hosted here gets a SYNC, so a change whose SYNC was
   * missed is acted on within one sweep instead of never. And tombstones older than
   * replication.tombstoneTtlMs are purged (Store.purgeTombstones).
   */
  private scheduleGc() {
    this.gcTimer = this.clock.setTimeout(() => {
      if (!this.started) return;
      for (const key of this.host.keys()) {
        const o = this.store.get(key);
        const ref = o?.metadata.ownerReferences?.find((r) => r.controller);
        if (!o || !ref || o.metadata.deletionTimestamp) continue;
        const ownerKey = objectKey(ref.kind, o.metadata.namespace, ref.name);
        const owner = this.store.get(ownerKey);
        const gone = owner ? owner.metadata.uid !== ref.uid : this.store.versions(ownerKey)?.deleted === true;
        if (gone) {
          this.log(`garbage collection: ${key} (its ${ref.kind} ${ref.name} is gone)`);
          this.objects.delete(key);
        }
      }
      for (const key of this.host.keys()) if (RESYNCED_KINDS.has(parseKey(key).kind)) this.objects.poke(key);
      this.store.purgeTombstones().catch((e) => this.log(`purging tombstones: ${e}`));
      this.scheduleGc();
    }, this.opts.config.gcIntervalMs);
  }

  async stop() {
    this.started = false;
    if (this.gcTimer) this.clock.clearTimeout(this.gcTimer);
    this.metrics?.stop();
    await this.services.stop();
    await this.membership.leave().catch(() => {});
    for (const u of this.unsubscribes) u();
    this.host.flush();
    this.replicator.flush();
    this.replicator.stop();
    await this.membership.stop();
    this.host.stopAll();
    await this.opts.runtime.stop();
    await this.transport.close();
    await this.store.close();
  }

  // ---- placement -------------------------------------------------------------------------

  /** Starts or stops actors after a membership change; returns the keys hosted here. */
  private rebalance(): ObjectKey[] {
    const hosted: ObjectKey[] = [];
    for (const kind of ['Namespace', 'Node', 'Deployment', 'ReplicaSet', 'Pod', 'HorizontalPodAutoscaler', 'Service']) {
      for (const obj of this.store.list(kind)) {
        const key = keyOf(obj);
        if (!this.place(obj, key)) continue;
        hosted.push(key);
        // restored or moved here, it may have been found unschedulable elsewhere or before
        if (kind === 'Pod' && !(obj.spec as PodSpec).nodeName) this.waitingForRoom.add(key);
      }
    }
    return hosted;
  }

  /** Hosts the object's actor here if placement says so, stops it otherwise. */
  private place(obj: KObject, key: ObjectKey): boolean {
    if (this.hostOf(obj) === this.name) {
      this.inform(obj, key, this.objects.ensureActor(obj, key));
      return true;
    }
    if (this.host.has(key)) this.host.stop(key, false);
    if (obj.kind === 'Pod' && this.store.actor(key)) this.dropStalePodRecord(obj, key);
    // bound to another node after all (two nodes bound it while their views of membership
    // differed, and the other binding won): the containers this node started for it must go
    if (obj.kind === 'Pod' && (obj.spec as PodSpec).nodeName !== this.name && this.pods.runs(obj.metadata.uid!)) {
      this.log(`pod ${key} is bound to ${(obj.spec as PodSpec).nodeName}: removing its containers here`);
      this.pods.cleanup(obj.metadata.uid!);
    }
    return false;
  }

  /**
   * A pod whose actor runs elsewhere: the copy of its actor record this node holds (it placed the
   * pod, or held it before the pod was bound or membership changed) is stale unless this node is
   * one of its holders, to which the record is pushed (cluster/replicator.ts).
   */
  private dropStalePodRecord(obj: KObject, key: ObjectKey) {
    const holders = podRecordHolders(key, (obj.spec as PodSpec).nodeName, this.memberNames(), this.opts.config.replication.partialCopies);
    if (!holders.includes(this.name)) this.store.forgetPodActor(key);
  }

  /** Tells a hosted actor what it must know about its object: idempotent, run on every change. */
  private inform(obj: KObject, key: ObjectKey, started: boolean) {
    const now = this.clock.now();
    if (obj.kind === 'Pod') {
      const nodeName = (obj.spec as PodSpec).nodeName;
      if (nodeName === this.name && !this.host.context<PodContext>(key)?.node) {
        this.pods.track(obj);
        this.host.send(key, { type: 'SCHEDULED', node: this.name, at: now });
      } else if (!nodeName && started) {
        this.host.send(key, { type: 'PLACE', at: now });
      }
    } else if (obj.kind === 'Node' && started) {
      const m = this.membership.members().find((x) => x.name === obj.metadata.name);
      if (m) this.host.send(key, { type: 'MEMBER', state: m.state, meta: { ...m.meta }, at: now });
    }
    if (obj.metadata.deletionTimestamp && this.host.state(key) !== 'Terminating') this.deleting(obj, key);
    // restored mid-termination (the node stopped while stopping its containers): finish the job
    else if (started && obj.kind === 'Pod' && this.host.state(key) === 'Terminating') this.pods.terminate(key);
  }

  private deleting(obj: KObject, key: ObjectKey) {
    const remaining = obj.kind === 'Namespace' ? this.objects.inNamespace(obj.metadata.name).length : 0;
    this.host.send(key, { type: 'DELETE', remaining, at: this.clock.now() });
  }

  private changed(type: string, obj: KObject) {
    if (!this.started) return;
    const key = keyOf(obj);
    if (type === 'DELETED') {
      if (this.host.has(key)) this.host.stop(key, false);
      // a pod of this node deleted elsewhere (e.g. evicted while this node was cut off)
      if (obj.kind === 'Pod' && (obj.spec as PodSpec).nodeName === this.name) this.pods.cleanup(obj.metadata.uid!);
      if (obj.kind === 'Pod') this.replaceUnschedulable();
      return;
    }
    // no actor: pods of this node that use it get its new content (docs/config.md)
    if (obj.kind === 'ConfigMap' || obj.kind === 'Secret') this.pods.configChanged(obj);
    if (!ACTOR_KINDS.has(obj.kind)) return;
    this.place(obj, key);
  }

  private memberChanged(m: Member, prev: string | undefined) {
    // placement counts alive and suspect members alike: only coming into or leaving that set
    // moves actors (a rebalance visits every object)
    const counts = (s: string | undefined) => s === 'alive' || s === 'suspect';
    const moved = counts(m.state) !== counts(prev);
    if (moved) this.memberCache = undefined;
    this.aliveCache = undefined;
    if (m.state !== prev) this.log(`member ${m.name}: ${prev ?? 'new'} → ${m.state}`);
    if (m.name !== this.name && moved) {
      // the members to rejoin through after a restart, without a token
      const peers = this.membership.members().filter((x) => x.name !== this.name && x.state !== 'left' && x.state !== 'dead')
        .map((x) => ({ name: x.name, addr: x.meta.addr }));
      if (peers.length) this.store.setMeta('peers', peers).catch(() => {});
    }
    if (!this.started) return;
    this.transport.setAddress(m.name, m.meta.addr);
    if (moved) this.rebalance();
    const nodeKey = objectKey('Node', '', m.name);
    this.host.send(nodeKey, { type: 'MEMBER', state: m.state, meta: { ...m.meta }, at: this.clock.now() });
    if (m.state === 'alive' && prev !== 'alive' && prev !== 'suspect' && m.name !== this.name) {
      this.replicator.syncWith(m.name).catch(() => {});
    }
    // a member that may take pods again (the scheduler takes alive ones only)
    if (m.state === 'alive') this.replaceUnschedulable();
  }

  /**
   * Room may have appeared: unbound pods hosted here that were found unschedulable try to be
   * placed again. Visits the pods that may be waiting (not every actor: a member refuting a
   * suspicion, or a pod deleted anywhere, calls this).
   */
  private replaceUnschedulable() {
    for (const key of this.waitingForRoom) {
      const ctx = this.host.context<PodContext>(key);
      if (!ctx || ctx.node) this.waitingForRoom.delete(key);
      else if (ctx.unschedulable) this.host.send(key, { type: 'PLACE', at: this.clock.now() });
    }
  }
  /** Pods hosted here that the scheduler found no room for, or may have (restored, moved here). */
  private waitingForRoom = new Set<ObjectKey>();

  /** The default namespace and this node's Node object (its status comes from its Node actor). */
  private async ensureBuiltins() {
    const fresh: KObject[] = [];
    if (!this.store.get(objectKey('Namespace', '', 'default')) && !this.store.versions(objectKey('Namespace', '', 'default'))) {
      fresh.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }, spec: {} });
    }
    if (!this.store.get(objectKey('Node', '', this.name))) {
      fresh.push({ apiVersion: 'v1', kind: 'Node', metadata: { name: this.name, labels: { ...this.meta.labels } }, spec: {} });
    }
    if (fresh.length) await this.objects.apply(fresh);
  }
}

/** The members that may host actors (alive or suspect), with what is derived from them. */
interface MemberView {
  names: string[];
  set: Set<string>;
  /** the members other than this node */
  peers: string[];
  /** the member each rendezvous key ranks first */
  hosts: Map<string, string | undefined>;
}

export type { NodeContext };
