// A Starling node: the store, the container runtime, the actors it hosts and the API it serves.
// start() restores every actor from its snapshot and adopts running containers; stop() is the
// graceful stop (containers keep running, a restarted node adopts them).

import { mkdir } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { type Clock, isoTime, systemClock } from '../clock.ts';
import { type NodeConfig, STARLING_VERSION } from '../config.ts';
import type { KEvent, KObject, ObjectKey, PodSpec } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import { LevelKV } from '../store/level.ts';
import { type KV, MemoryKV } from '../store/kv.ts';
import { Store } from '../store/store.ts';
import { ActorHost } from './actor-host.ts';
import { deploymentBinding, namespaceBinding, nodeBinding, replicaSetBinding } from './controllers.ts';
import { makeEvent } from './events.ts';
import { ObjectService } from './objects.ts';
import { PodRunner } from './pod-runner.ts';

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
  clock?: Clock;
  /** keep the store in memory (tests) */
  inMemory?: boolean;
  log?: (msg: string) => void;
}

export class StarlingNode {
  readonly store: Store;
  readonly host: ActorHost;
  readonly objects: ObjectService;
  readonly pods: PodRunner;
  readonly clock: Clock;
  private unsubscribeRuntime?: () => void;
  private log: (msg: string) => void;

  constructor(readonly opts: NodeOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? ((m) => console.error(`[${opts.name}] ${m}`));
    const kv: KV = opts.inMemory ? new MemoryKV() : new LevelKV(join(opts.dataDir, 'db'));
    this.store = new Store(kv, { eventsPerObject: opts.config.eventsPerObject });
    const onError = (key: ObjectKey, e: unknown) => this.log(`actor ${key}: ${(e as Error)?.stack ?? e}`);
    this.host = new ActorHost(this.store, this.clock, opts.name, opts.config.transitionsPerActor, onError);
    this.objects = new ObjectService(this.store, this.host, this.clock, (e) => this.log(`store: ${(e as Error)?.stack ?? e}`));
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
      log: this.log,
    });
    this.host.bind(this.pods.binding());
    this.host.bind(replicaSetBinding(this.objects));
    this.host.bind(deploymentBinding(this.objects));
    this.host.bind(namespaceBinding(this.objects));
    this.host.bind(nodeBinding(() => this.clock.now()));
    this.store.watch((type, obj) => {
      if (type === 'ADDED' && obj.kind === 'Pod') this.schedule(obj);
    });
  }

  get name() {
    return this.opts.name;
  }

  /** Records a Kubernetes Event about an object. */
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component = 'starling') {
    const ev: KEvent = makeEvent(obj, type, reason, message, component, this.opts.name, this.clock.now());
    this.store.commit({ events: [ev] }).catch((e) => this.log(`event: ${e}`));
  }

  async start() {
    await mkdir(this.opts.dataDir, { recursive: true });
    await this.store.open();
    await this.opts.runtime.start();
    this.unsubscribeRuntime = this.opts.runtime.onEvent((e) => this.pods.onRuntimeEvent(e));
    await this.ensureBuiltins();
    // Restore every actor from its snapshot, then tell pods what their containers did meanwhile.
    const podKeys: ObjectKey[] = [];
    const terminating: ObjectKey[] = [];
    for (const kind of ['Namespace', 'Node', 'Deployment', 'ReplicaSet', 'Pod']) {
      for (const obj of this.store.list(kind)) {
        const key = keyOf(obj);
        if (kind === 'Node' && obj.metadata.name !== this.name) continue;
        if (kind === 'Pod' && (obj.spec as PodSpec).nodeName !== this.name) continue;
        this.objects.ensureActor(obj, key);
        if (kind === 'Pod') podKeys.push(key);
        if (obj.metadata.deletionTimestamp) terminating.push(key);
      }
    }
    await this.pods.resume(podKeys);
    for (const key of terminating) this.pods.terminate(key);
    for (const key of this.host.keys()) this.objects.poke(key);
    // pods applied but not yet bound when the node stopped
    for (const p of this.store.list('Pod')) if (!(p.spec as PodSpec).nodeName) this.schedule(p);
    this.host.send(objectKey('Node', '', this.name), { type: 'ALIVE', at: this.clock.now() });
  }

  async stop() {
    this.host.send(objectKey('Node', '', this.name), { type: 'LEAVE', at: this.clock.now() });
    this.unsubscribeRuntime?.();
    this.host.stopAll();
    await this.opts.runtime.stop();
    await this.store.close();
  }

  /** Single-node placement: a pod with no node is bound here (the cluster issue adds real scheduling). */
  private schedule(added: KObject) {
    const key = keyOf(added);
    const pod = this.store.get(key); // the latest version: the actor may have written status since
    if (!pod || pod.metadata.deletionTimestamp) return;
    const spec = pod.spec as PodSpec;
    if (!spec.nodeName) {
      const bound = { ...pod, spec: { ...spec, nodeName: this.name } };
      this.store.commit({ put: [bound] }).catch((e) => this.log(`bind: ${e}`));
      this.host.send(key, { type: 'SCHEDULED', node: this.name, at: this.clock.now() });
    } else if (spec.nodeName === this.name) {
      this.host.send(key, { type: 'SCHEDULED', node: this.name, at: this.clock.now() });
    }
  }

  private async ensureBuiltins() {
    const put: KObject[] = [];
    const now = isoTime(this.clock.now());
    if (!this.store.get(objectKey('Namespace', '', 'default'))) {
      put.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } }, spec: {} });
    }
    const nodeKey = objectKey('Node', '', this.name);
    const existing = this.store.get(nodeKey);
    const cpu = this.opts.cpuMillis ?? cpus().length * 1000;
    const memory = this.opts.memoryBytes ?? totalmem();
    const node: KObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: existing?.metadata ?? { name: this.name, labels: { 'kubernetes.io/hostname': this.name } },
      spec: existing?.spec ?? {},
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'StarlingReady', message: 'starling node is ready', lastHeartbeatTime: now, lastTransitionTime: now }],
        addresses: [{ type: 'InternalIP', address: this.opts.host }, { type: 'Hostname', address: this.name }],
        capacity: { cpu: `${cpu}m`, memory: String(memory), pods: '110' },
        allocatable: { cpu: `${cpu}m`, memory: String(memory), pods: '110' },
        nodeInfo: {
          kubeletVersion: STARLING_VERSION,
          containerRuntimeVersion: this.opts.runtime.kind,
          operatingSystem: 'linux',
          architecture: process.arch,
          osImage: 'Starling',
          kernelVersion: '',
        },
        daemonEndpoints: { starlingEndpoint: { Port: this.opts.port } },
      },
    };
    put.push(node);
    // The same stamping as user objects: uid, creationTimestamp, generation.
    const fresh = put.filter((o) => !this.store.get(keyOf(o)));
    if (fresh.length) await this.objects.apply(fresh);
    if (existing) await this.store.commit({ put: [{ ...node, metadata: existing.metadata }] });
  }
}
