// Carries out Pod actor commands on the container runtime, and turns runtime events back into
// actor events. Commands of one pod run one after another (a per-pod queue), so a sandbox is
// removed before it is re-created and a container is replaced only after its predecessor is gone.

import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command, ContainerDef, PodContext, PodEvent, PodInput } from '../../actors/pod.ts';
import { POD_SCHEMA, podMachine, resumeIsNoop } from '../../actors/pod.ts';
import { probeTiming, type ProbeTimings } from '../../actors/probes.ts';
import { runProbe } from './probe-runner.ts';
import type { NodeConfig } from '../config.ts';
import { asStarlingError } from '../errors.ts';
import { toBytes, toMilli } from '../manifest/index.ts';
import type { Container, KObject, ObjectKey, PodSpec, Volume } from '../objects/types.ts';
import { keyOf, objectKey, parseKey } from '../objects/types.ts';
import { type ConfigLookup, containerEnv, volumePayload, volumeSource, volumesUsing } from './config-sources.ts';
import { volumeWritten, writeVolume } from './config-volumes.ts';
import type { ContainerRuntime, ContainerSpec, PortMapping, RuntimeEvent } from '../runtime/types.ts';
import { SANDBOX_CONTAINER } from '../runtime/types.ts';
import type { ActorHost, KindBinding } from './actor-host.ts';
import { podStatus } from './pod-status.ts';

export interface PodRunnerDeps {
  runtime: ContainerRuntime;
  host: ActorHost;
  config: NodeConfig;
  nodeName: string;
  hostIP: string;
  dataDir: string;
  now(): number;
  getObject(key: ObjectKey): KObject | undefined;
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component?: string): void;
  /** the pod's containers are gone: remove the object and its actor */
  podGone(key: ObjectKey): void;
  /** place an unbound pod (the scheduler) */
  schedule(key: ObjectKey): void;
  /** Kubernetes' service variables for the pod's containers (the Services of its namespace now) */
  serviceEnv?(pod: KObject): { name: string; value: string }[];
  /** whether a Service of the pod's namespace selects it (its termination drains first) */
  selectedByService?(pod: KObject): boolean;
  log(msg: string): void;
}

/**
 * Whether a pod needs a sandbox (infra) container: to share one network namespace between its
 * containers. A pod of one container and no init containers does without; its container holds
 * the pod's network and publishes its ports (docs/decisions.md, "Pods without a sandbox").
 */
const needsSandbox = (spec: PodSpec) => spec.containers.length > 1 || (spec.initContainers?.length ?? 0) > 0;

/** Every container port of the pod, as the runtime publishes them. */
function podPorts(spec: PodSpec): PortMapping[] {
  return [...(spec.initContainers ?? []), ...spec.containers].flatMap((c) =>
    (c.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'TCP', hostPort: p.hostPort }))
  );
}

export class PodRunner {
  private queues = new Map<ObjectKey, Promise<void>>();
  /** runtime uid → pod key */
  private byUid = new Map<string, ObjectKey>();
  /** die events that arrived before the actor learnt the container's id */
  private earlyDies = new Map<string, RuntimeEvent>();
  /** pods this node set up (volumes, and a sandbox when the pod needs one) */
  private sandboxed = new Set<string>();
  /** per pod container, the dead container kept after a restart (removed at the next one) */
  private lastDead = new Map<string, string>();

  constructor(private d: PodRunnerDeps) {}

  binding(): KindBinding {
    return {
      kind: 'Pod',
      machine: podMachine,
      schema: POD_SCHEMA,
      input: (obj) => podInput(obj, this.d.config),
      statusOf: (ctx: PodContext, obj) => podStatus(ctx, this.d.hostIP, this.d.now(), obj.status),
      execute: (key, ctx: PodContext) => {
        const obj = this.d.getObject(key);
        if (!obj) return;
        this.byUid.set(obj.metadata.uid!, key);
        for (const cmd of ctx.commands) this.run(key, obj, cmd);
      },
    };
  }

  /** Called once when the actor is created or restored. */
  track(obj: KObject) {
    this.byUid.set(obj.metadata.uid!, keyOf(obj));
  }

  /** Runtime events: a container died (docker kill, crash, OOM) or the sandbox went away. */
  onRuntimeEvent(e: RuntimeEvent) {
    if (e.type !== 'die') return;
    const key = this.byUid.get(e.pod.uid);
    if (!key) return;
    const at = Date.parse(e.at) || this.d.now();
    if (e.name === SANDBOX_CONTAINER) {
      const ctx = this.d.host.context<PodContext>(key);
      if (ctx?.sandboxId === e.id) this.d.host.send(key, { type: 'SANDBOX_DIED', at });
      return;
    }
    const ctx = this.d.host.context<PodContext>(key);
    const c = ctx?.containers.find((x) => x.name === e.name);
    if (c && c.activity === 'starting') {
      this.earlyDies.set(e.id, e);
      return;
    }
    this.d.host.send(key, { type: 'CONTAINER_EXITED', container: e.name, id: e.id, exitCode: e.exitCode ?? 137, oomKilled: e.oomKilled, at });
  }

  /** After a restart: tells each restored pod what its containers are doing now. */
  async resume(keys: ObjectKey[]) {
    const all = await this.d.runtime.listContainers();
    const byPod = new Map<string, typeof all>();
    for (const c of all) {
      const list = byPod.get(c.pod.uid);
      if (list) list.push(c);
      else byPod.set(c.pod.uid, [c]);
    }
    for (const key of keys) {
      const obj = this.d.getObject(key);
      const ctx = this.d.host.context<PodContext>(key);
      if (!obj || !ctx) continue;
      const uid = obj.metadata.uid!;
      this.byUid.set(uid, key);
      const containers = byPod.get(uid) ?? [];
      if (containers.length) this.sandboxed.add(uid);
      // one pass, no closures: a restart runs this for every pod of the node
      // a pod without a sandbox (its container holds its network) has none to lose
      const sandboxAlive = ctx.sandbox === 'ready' && !ctx.sandboxId;
      const resumed: PodEvent & { type: 'RESUMED' } = { type: 'RESUMED', at: this.d.now(), sandboxAlive, observed: [] };
      for (const c of containers) {
        const running = c.state === 'running';
        if (c.name === SANDBOX_CONTAINER && c.id === ctx.sandboxId) resumed.sandboxAlive = running;
        else if (running && c.id !== ctx.sandboxId && !ctx.containers.some((x) => x.id === c.id || (x.activity === 'starting' && x.name === c.name))) {
          // a running container the actor does not know about would be a second one: remove it
          await this.d.runtime.removeContainer(c.id);
        }
        if (c.name !== SANDBOX_CONTAINER) {
          resumed.observed.push({
            name: c.name,
            id: c.id,
            running,
            exitCode: c.exitCode,
            startedAt: c.startedAt ? Date.parse(c.startedAt) : undefined,
            finishedAt: c.finishedAt ? Date.parse(c.finishedAt) : undefined,
          });
        }
      }
      if (!resumeIsNoop(ctx, resumed)) this.d.host.send(key, resumed);
    }
    // containers of pods this node no longer has are removed
    for (const c of all) {
      if (!this.byUid.has(c.pod.uid)) {
        this.d.log(`removing orphan container ${c.id.slice(0, 12)} of pod ${c.pod.namespace}/${c.pod.name}`);
        await this.d.runtime.removeContainer(c.id);
      }
    }
  }

  /** Finishes the termination of a pod whose node stopped while it was being deleted. */
  terminate(key: ObjectKey) {
    const obj = this.d.getObject(key);
    if (obj) this.run(key, obj, { type: 'killPod' });
  }

  /** Whether a pod's commands are still being carried out (e.g. its containers being stopped). */
  isTerminating(key: ObjectKey) {
    return this.queues.has(key);
  }

  /** Whether this node started containers for the pod (and has not removed them). */
  runs(uid: string) {
    return this.sandboxed.has(uid);
  }

  /** Removes the containers of a pod that no longer exists (deleted while this node was away). */
  cleanup(uid: string) {
    this.byUid.delete(uid);
    this.sandboxed.delete(uid);
    this.removeAll(uid, 0)
      .then(() => rm(this.podDir(uid), { recursive: true, force: true }))
      .catch((e) => this.d.log(`cleanup of pod ${uid}: ${asStarlingError(e).message}`));
  }

  private run(key: ObjectKey, obj: KObject, cmd: Command) {
    if (cmd.type === 'schedule') {
      this.d.schedule(key);
      return;
    }
    if (cmd.type === 'probe') {
      // probes run beside the pod's command queue: they are short and bounded by their timeout
      const ctx = this.d.host.context<PodContext>(key);
      if (!ctx) return;
      runProbe(this.d.runtime, obj, ctx, cmd.container, cmd.id, cmd.kind).then((r) =>
        this.d.host.send(key, { type: 'PROBE_RESULT', container: cmd.container, id: cmd.id, kind: cmd.kind, ok: r.ok, message: r.message, at: this.d.now() })
      );
      return;
    }
    if (cmd.type === 'event') {
      if (cmd.reason === 'Scheduled') {
        // the scheduler's own wording, which names the pod (the machine does not know its name)
        const ns = obj.metadata.namespace ?? 'default';
        this.d.event(obj, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${obj.metadata.name} to ${this.d.nodeName}`, 'default-scheduler');
      } else {
        this.d.event(obj, cmd.eventType, cmd.reason, cmd.message);
      }
      return;
    }
    this.enqueue(key, () => this.perform(key, obj, cmd), cmd.type);
  }

  /** Runs `work` after the pod's queued work (one thing at a time per pod). */
  private enqueue(key: ObjectKey, work: () => Promise<void>, what: string) {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(work).catch((e) => {
      this.d.log(`pod ${key}: ${what} failed: ${asStarlingError(e).message}`);
    });
    this.queues.set(key, next);
    next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private async perform(key: ObjectKey, obj: KObject, cmd: Command) {
    const { runtime, host } = this.d;
    const spec = obj.spec as PodSpec;
    const pod = { uid: obj.metadata.uid!, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default' };
    switch (cmd.type) {
      case 'createSandbox': {
        this.sandboxed.add(pod.uid);
        try {
          await this.makeVolumes(obj);
          if (!needsSandbox(spec)) {
            // its container holds the pod's network and publishes its ports when it starts
            host.send(key, { type: 'SANDBOX_READY', ports: [], at: this.d.now() });
            return;
          }
          const info = await runtime.createSandbox({ pod, hostIP: this.d.hostIP, ports: podPorts(spec), hostname: pod.name });
          host.send(key, { type: 'SANDBOX_READY', id: info.id, ports: info.ports ?? [], at: this.d.now() });
        } catch (e) {
          const err = asStarlingError(e);
          if (err.code === 'FailedMount') host.send(key, { type: 'VOLUME_FAILED', message: err.message, at: this.d.now() });
          else host.send(key, { type: 'SANDBOX_FAILED', message: err.message, at: this.d.now() });
        }
        return;
      }
      case 'pullImage':
        try {
          await runtime.ensureImage(cmd.image, cmd.policy);
          host.send(key, { type: 'IMAGE_READY', container: cmd.container, at: this.d.now() });
        } catch (e) {
          host.send(key, { type: 'IMAGE_FAILED', container: cmd.container, message: asStarlingError(e).message, at: this.d.now() });
        }
        return;
      case 'startContainer': {
        const ctx = host.context<PodContext>(key);
        const c = [...(spec.initContainers ?? []), ...spec.containers].find((x) => x.name === cmd.container);
        if (ctx?.sandbox !== 'ready' || !c) return;
        if (cmd.replaces) {
          // keep the container being replaced (its logs stay readable, as kubelet keeps the
          // last dead container) and remove the one before it
          const slot = `${key}/${c.name}`;
          const older = this.lastDead.get(slot);
          if (older && older !== cmd.replaces) await runtime.removeContainer(older);
          this.lastDead.set(slot, cmd.replaces);
        }
        try {
          const cspec = this.containerSpec(obj, c, cmd.attempt);
          const sandboxId = ctx.sandboxId || undefined;
          const own = sandboxId === undefined;
          if (own) {
            // no sandbox: the container holds the pod's network, and keeps the host ports it had
            const ports = podPorts(spec).map((p) => ({
              ...p,
              preferHostPort: ctx.ports.find((x) => x.containerPort === p.containerPort && x.protocol === p.protocol)?.hostPort,
            }));
            cspec.network = { hostIP: this.d.hostIP, ports, hostname: pod.name };
          }
          const info = await runtime.startContainer(sandboxId, cspec);
          host.send(key, {
            type: 'CONTAINER_STARTED',
            container: c.name,
            id: info.id,
            ports: own ? info.ports ?? [] : undefined,
            at: Date.parse(info.startedAt ?? '') || this.d.now(),
          });
          const early = this.earlyDies.get(info.id);
          if (early) {
            this.earlyDies.delete(info.id);
            this.onRuntimeEvent(early);
          }
        } catch (e) {
          const err = asStarlingError(e);
          const type = err.code === 'CreateContainerConfigError' ? 'CONTAINER_CONFIG_ERROR' : 'CONTAINER_FAILED';
          host.send(key, { type, container: c.name, message: err.message, at: this.d.now() });
        }
        return;
      }
      case 'killContainer': {
        // the die event that follows restarts it per restartPolicy
        const grace = spec.terminationGracePeriodSeconds ?? this.d.config.defaultGraceSeconds;
        await runtime.stopContainer(cmd.id, grace);
        return;
      }
      case 'recreateSandbox':
        await this.removeAll(pod.uid, 0);
        return;
      case 'killPod': {
        const grace = spec.terminationGracePeriodSeconds ?? this.d.config.defaultGraceSeconds;
        // a Service's endpoint: out of every node's proxy before SIGTERM (taken from the grace period)
        const drainMs = grace > 0 && this.d.selectedByService?.(obj) ? Math.min(this.d.config.endpointDrainMs, grace * 1000) : 0;
        if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
        await this.removeAll(pod.uid, Math.max(0, grace - Math.ceil(drainMs / 1000)));
        await rm(this.podDir(pod.uid), { recursive: true, force: true });
        for (const slot of [...this.lastDead.keys()]) if (slot.startsWith(`${key}/`)) this.lastDead.delete(slot);
        host.send(key, { type: 'STOPPED', at: this.d.now() });
        this.byUid.delete(pod.uid);
        this.sandboxed.delete(pod.uid);
        this.d.podGone(key);
        return;
      }
    }
  }

  /** Stops app containers (with grace), then the sandbox, and removes them all. */
  private async removeAll(uid: string, graceSeconds: number) {
    const { runtime } = this.d;
    const containers = (await runtime.listContainers()).filter((c) => c.pod.uid === uid);
    const apps = containers.filter((c) => c.name !== SANDBOX_CONTAINER);
    await Promise.all(apps.map((c) => c.state === 'running' ? runtime.stopContainer(c.id, graceSeconds) : undefined));
    await Promise.all(apps.map((c) => runtime.removeContainer(c.id)));
    await Promise.all(containers.filter((c) => c.name === SANDBOX_CONTAINER).map((c) => runtime.removeContainer(c.id)));
  }

  private podDir(uid: string) {
    return join(this.d.dataDir, 'pods', uid);
  }

  private volumeDir(obj: KObject, v: Volume) {
    return join(this.podDir(obj.metadata.uid!), 'volumes', v.name);
  }

  /** emptyDir directories, and the files of configMap and secret volumes (FailedMount when missing). */
  private async makeVolumes(obj: KObject) {
    const lookup = this.configLookup(obj);
    for (const v of (obj.spec as PodSpec).volumes ?? []) {
      if (v.emptyDir) await mkdir(this.volumeDir(obj, v), { recursive: true, mode: 0o777 });
      else if (volumeSource(v)) await writeVolume(this.volumeDir(obj, v), volumePayload(v, lookup), this.d.now());
    }
  }

  /** The ConfigMaps and Secrets of the pod's namespace, as this node's store has them. */
  private configLookup(obj: KObject): ConfigLookup {
    const ns = obj.metadata.namespace ?? 'default';
    return (kind, name) => {
      const o = this.d.getObject(objectKey(kind, ns, name));
      return o && !o.metadata.deletionTimestamp ? o : undefined;
    };
  }

  /**
   * A ConfigMap or Secret was created or changed: pods of its namespace that wait for one try
   * again now, and the configMap/secret volumes that project it get the new content (as the
   * kubelet refreshes them, eventually). A refresh that fails keeps the old files, with a
   * FailedMount event.
   */
  configChanged(changed: KObject) {
    const ns = changed.metadata.namespace ?? 'default';
    for (const [uid, key] of this.byUid) {
      if (parseKey(key).namespace !== ns) continue;
      const obj = this.d.getObject(key);
      const ctx = this.d.host.context<PodContext>(key);
      if (!obj || !ctx || ctx.terminating) continue;
      const waiting = ctx.mountRetryAt !== undefined || ctx.containers.some((c) => c.reason === 'CreateContainerConfigError');
      if (waiting) this.d.host.send(key, { type: 'CONFIG_CHANGED', at: this.d.now() });
      const volumes = volumesUsing((obj.spec as PodSpec).volumes, changed.kind, changed.metadata.name);
      if (volumes.length === 0 || !this.sandboxed.has(uid)) continue;
      this.enqueue(key, async () => {
        const current = this.d.getObject(key);
        if (!current || current.metadata.uid !== uid || !this.sandboxed.has(uid)) return;
        for (const v of volumes) {
          const dir = this.volumeDir(current, v);
          if (!(await volumeWritten(dir))) continue; // not set up yet: the sandbox's setup writes it
          try {
            await writeVolume(dir, volumePayload(v, this.configLookup(current)), this.d.now());
          } catch (e) {
            const err = asStarlingError(e);
            if (err.code !== 'FailedMount') throw e;
            this.d.event(current, 'Warning', 'FailedMount', err.message);
          }
        }
      }, 'refresh volumes');
    }
  }

  private containerSpec(obj: KObject, c: Container, attempt: number): ContainerSpec {
    const spec = obj.spec as PodSpec;
    const mounts = (c.volumeMounts ?? []).map((m) => {
      const v = (spec.volumes ?? []).find((x) => x.name === m.name)!;
      const hostPath = v.hostPath ? v.hostPath.path : this.volumeDir(obj, v);
      // configMap and secret volumes are always read-only, as the kubelet mounts them
      const readOnly = !!m.readOnly || volumeSource(v) !== undefined;
      return { hostPath: m.subPath ? join(hostPath, m.subPath) : hostPath, containerPath: m.mountPath, readOnly };
    });
    const limits = c.resources?.limits ?? {};
    return {
      pod: { uid: obj.metadata.uid!, name: obj.metadata.name, namespace: obj.metadata.namespace ?? 'default' },
      name: c.name,
      image: c.image,
      command: c.command,
      args: c.args,
      env: this.env(obj, c),
      workingDir: c.workingDir,
      mounts,
      cpuMillis: limits.cpu !== undefined ? Number(toMilli(limits.cpu)) : undefined,
      memoryBytes: limits.memory !== undefined ? Number(toBytes(limits.memory)) : undefined,
      attempt,
    };
  }

  /**
   * The service variables, then the container's envFrom and env (from ConfigMaps and Secrets),
   * which override them (as the kubelet does). Throws CreateContainerConfigError when a ConfigMap,
   * Secret or key it needs is missing; skipped envFrom keys are reported as an event.
   */
  private env(obj: KObject, c: Container): { name: string; value: string }[] {
    const ns = obj.metadata.namespace ?? 'default';
    const { env, skipped } = containerEnv(c, ns, this.configLookup(obj), this.d.serviceEnv?.(obj) ?? []);
    for (const message of skipped) this.d.event(obj, 'Warning', 'InvalidEnvironmentVariableNames', message);
    return env;
  }
}

export function podInput(obj: KObject, config: NodeConfig): PodInput {
  const spec = obj.spec as PodSpec;
  const def = (c: Container, init: boolean): ContainerDef => {
    const probes: ProbeTimings = {};
    if (!init) {
      if (c.startupProbe) probes.startup = probeTiming(c.startupProbe as object);
      if (c.livenessProbe) probes.liveness = probeTiming(c.livenessProbe as object);
      if (c.readinessProbe) probes.readiness = probeTiming(c.readinessProbe as object);
    }
    return {
      name: c.name,
      image: c.image,
      pullPolicy: c.imagePullPolicy ?? 'IfNotPresent',
      init,
      ...(Object.keys(probes).length ? { probes } : {}),
    };
  };
  return {
    containers: [...(spec.initContainers ?? []).map((c) => def(c, true)), ...spec.containers.map((c) => def(c, false))],
    restartPolicy: spec.restartPolicy ?? 'Always',
    crashLoop: config.crashLoop,
    imagePull: config.imagePull,
  };
}
