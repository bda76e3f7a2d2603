// The Docker runtime: real containers on the local Docker Engine, through dockerode.
//
// A pod is a sandbox (infra) container that holds the network namespace and publishes the pod's
// ports, plus app containers that join it (`NetworkMode: container:<sandbox>`), as Kubernetes'
// dockershim did with the pause container; a pod of one container and no init containers has
// no sandbox, its container holds its own network (types.ts). Every container carries the
// LABELS of types.ts, so a restarted node finds (adopts) its containers with a label filter.
// Docker restart policies are never used: Starling restarts containers itself (with Kubernetes'
// back-off).
//
// Decisions (see also docs/):
// - imagePullPolicy Always: when the pull fails but the image is present locally, the local
//   image is used (Starling nodes often have no registry). Every pull is bounded by
//   `pullTimeoutMs` (default 15 s) and aborted when it runs over.
// - A container that Docker creates but cannot start (e.g. executable not found) is removed
//   again and startContainer throws a RuntimeError naming the reason.
// - Times in ContainerInfo/RuntimeEvent are RFC 3339 with second precision (Kubernetes' form).

import type Docker from 'dockerode';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { ImagePullError, notFound, RuntimeError, StarlingError } from '../errors.ts';
import { isoTime } from '../clock.ts';
import { LABELS, SANDBOX_CONTAINER } from './types.ts';
import { stubUnusedDockerodeDeps } from './docker-stubs.ts';
import type {
  ContainerInfo,
  ContainerRuntime,
  ContainerStats,
  ContainerSpec,
  ExecResult,
  LogOptions,
  PodNetwork,
  PublishedPort,
  RuntimeContainerState,
  RuntimeEvent,
  SandboxSpec,
} from './types.ts';
import {
  concatBytes,
  containerName,
  DockerDemuxer,
  normaliseImage,
  podFromLabels,
  starlingLabels,
} from './common.ts';

export interface DockerRuntimeOptions {
  nodeName: string;
  /** default /var/run/docker.sock */
  socketPath?: string;
  /** image of the sandbox (infra) container; must have `sh`. Default busybox:latest */
  sandboxImage?: string;
  /** upper bound of one image pull attempt; default 15000 ms */
  pullTimeoutMs?: number;
}

/** Sleeps forever and exits 0 promptly on SIGTERM/SIGINT (PID 1 has no default handlers). */
export const SANDBOX_SCRIPT = 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done';

/**
 * dockerode, loaded when a Docker runtime is made (a sim node does without it), and without the
 * parts Starling never uses: docker-modem's SSH transport (ssh2) and BuildKit's gRPC session
 * (about 5 MB of an idle node's RSS) are left unloaded: docker-stubs.ts; used, they throw.
 */
function loadDockerode(): typeof Docker {
  const req = createRequire(import.meta.url);
  stubUnusedDockerodeDeps(req);
  return req('dockerode');
}

const PING_TIMEOUT_MS = 5000;
/** How long an image seen present is taken to be present without asking the engine again. */
const IMAGE_SEEN_MS = 10_000;
const INSPECT_CONCURRENCY = 8;

interface DockerEventMessage {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

interface DockerErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: unknown;
}

/** The clean message of a Docker API error (`json.message`), else the error's message. */
function dockerMessage(e: unknown): string {
  const err = e as DockerErrorLike;
  const json = err?.json as { message?: unknown } | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string') {
    return json.message.trim();
  }
  if (err && typeof err.message === 'string') return err.message.trim();
  return String(e);
}

const statusOf = (e: unknown) => (e as DockerErrorLike)?.statusCode;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'EPERM',
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'ETIMEDOUT',
]);

function validTime(t: string | undefined): string | undefined {
  if (!t || t.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : isoTime(ms);
}

function mapState(status: string | undefined): RuntimeContainerState {
  switch (status) {
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'created':
      return 'created';
    default:
      return 'exited'; // exited, dead, removing
  }
}

function parsePorts(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null> | undefined,
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    for (const b of bindings ?? []) {
      out.push({
        containerPort: Number(port),
        protocol: proto.toUpperCase(),
        hostIP: b.HostIp,
        hostPort: Number(b.HostPort),
      });
    }
  }
  return out.sort((a, b) => a.containerPort - b.containerPort || a.hostPort - b.hostPort);
}

/** The engine's words when a host port is in use by another container or process. */
const PORT_TAKEN = /port is already allocated|address already in use/i;

/** Docker's ExposedPorts and PortBindings for a pod's ports (`prefer`: ask for preferHostPort). */
function publish(net: PodNetwork, prefer = false) {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of net.ports) {
    const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
    const port = p.hostPort || (prefer ? p.preferHostPort : 0);
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: net.hostIP, HostPort: port ? String(port) : '' });
  }
  return { exposed, bindings };
}

function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  p.catch(() => {}); // the loser of the race must not become an unhandled rejection
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker' as const;
  readonly nodeName: string;
  readonly socketPath: string;
  readonly sandboxImage: string;
  /** images seen present (normalised ref → when), see imagePresent */
  private imagesSeen = new Map<string, number>();
  readonly pullTimeoutMs: number;
  /** the dockerode client (for callers that need something the port does not offer) */
  readonly docker: Docker;

  private listeners = new Set<(e: RuntimeEvent) => void>();
  private started = false;
  private eventStream?: Readable;
  private reconnectTimer?: ReturnType<typeof setTimeout>;
  private reconnectDelayMs = 250;
  private lastEventTime?: number; // seconds, for `since` on reconnect
  private lostAt?: number; // seconds: when the stream was lost before any event arrived
  private recentEvents: string[] = []; // dedupe keys of events already delivered
  private eventQueue: Promise<void> = Promise.resolve();

  constructor(opts: DockerRuntimeOptions) {
    this.nodeName = opts.nodeName;
    this.socketPath = opts.socketPath ?? '/var/run/docker.sock';
    this.sandboxImage = normaliseImage(opts.sandboxImage ?? 'busybox:latest');
    this.pullTimeoutMs = opts.pullTimeoutMs ?? 15000;
    this.docker = new (loadDockerode())({ socketPath: this.socketPath });
  }

  // ---------------------------------------------------------------- errors

  private unavailable(e: unknown): RuntimeError {
    return new RuntimeError(
      `node "${this.nodeName}": cannot reach Docker at ${this.socketPath}: ${dockerMessage(e)}`,
      'RuntimeUnavailable',
    );
  }

  /** Maps anything dockerode throws to a StarlingError with a clear message. */
  private fail(e: unknown, what: string): StarlingError {
    if (e instanceof StarlingError) return e;
    const code = (e as DockerErrorLike)?.code;
    if (code && CONNECTION_CODES.has(code) && statusOf(e) === undefined) return this.unavailable(e);
    return new RuntimeError(`${what}: ${dockerMessage(e)}`);
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) return;
    try {
      await withTimeout(this.docker.ping(), PING_TIMEOUT_MS, 'ping');
    } catch (e) {
      throw this.unavailable(e);
    }
    this.started = true;
    try {
      await this.openEvents();
    } catch (e) {
      this.started = false;
      throw this.fail(e, `node "${this.nodeName}": cannot watch Docker events`);
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const s = this.eventStream;
    this.eventStream = undefined;
    s?.destroy();
    this.lastEventTime = undefined; // a later start() watches from then on
    this.lostAt = undefined;
    await this.eventQueue;
  }

  // ---------------------------------------------------------------- events

  onEvent(listener: (e: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private async openEvents(): Promise<void> {
    const opts: Docker.GetEventsOptions = {
      filters: {
        type: ['container'],
        event: ['start', 'die'],
        label: [`${LABELS.node}=${this.nodeName}`],
      },
    };
    // After a reconnect, replay from the last event seen (or from just before the stream was
    // lost); replayed events already delivered are dropped by their dedupe key.
    const since = this.lastEventTime ?? this.lostAt;
    if (since !== undefined) opts.since = since;
    const stream = (await withTimeout(
      this.docker.getEvents(opts),
      PING_TIMEOUT_MS,
      'opening the event stream',
    )) as Readable;
    if (!this.started) {
      stream.destroy();
      return;
    }
    this.eventStream = stream;
    let partial = '';
    const decoder = new TextDecoder();
    stream.on('data', (chunk: Uint8Array) => {
      this.reconnectDelayMs = 250;
      partial += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl).trim();
        partial = partial.slice(nl + 1);
        if (!line) continue;
        try {
          this.enqueueEvent(JSON.parse(line) as DockerEventMessage);
        } catch {
          // not JSON: ignore the line
        }
      }
    });
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      if (this.eventStream === stream) this.eventStream = undefined;
      if (this.lastEventTime === undefined) this.lostAt = Math.floor(Date.now() / 1000) - 1;
      this.scheduleReconnect();
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  }

  private scheduleReconnect() {
    if (!this.started || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(5000, this.reconnectDelayMs * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.started) return;
      this.openEvents().catch(() => this.scheduleReconnect());
    }, delay);
  }

  private enqueueEvent(ev: DockerEventMessage) {
    const action = ev.Action ?? ev.status;
    if ((ev.Type && ev.Type !== 'container') || (action !== 'start' && action !== 'die')) return;
    const id = ev.Actor?.ID ?? ev.id;
    if (!id) return;
    const key = `${id}/${action}/${ev.timeNano ?? ev.time}`;
    if (this.recentEvents.includes(key)) return; // replayed by `since` after a reconnect
    this.recentEvents.push(key);
    if (this.recentEvents.length > 512) this.recentEvents.splice(0, 256);
    if (ev.time !== undefined) this.lastEventTime = ev.time;
    // One queue keeps delivery in daemon order although a die needs an inspect first.
    this.eventQueue = this.eventQueue
      .then(() => this.deliver(ev, action, id))
      .catch(() => {});
  }

  private async deliver(ev: DockerEventMessage, action: 'start' | 'die', id: string) {
    const attrs = ev.Actor?.Attributes ?? {};
    if (attrs[LABELS.node] !== undefined && attrs[LABELS.node] !== this.nodeName) return;
    const atMs = ev.timeNano !== undefined ? Math.floor(ev.timeNano / 1e6) : (ev.time ?? 0) * 1000;
    const event: RuntimeEvent = {
      type: action,
      id,
      pod: podFromLabels(attrs),
      name: attrs[LABELS.container] ?? attrs.name ?? '',
      at: isoTime(atMs || Date.now()),
    };
    if (action === 'die') {
      const code = Number(attrs.exitCode);
      if (!Number.isNaN(code)) event.exitCode = code;
      try {
        const info = await this.docker.getContainer(id).inspect();
        event.oomKilled = info.State.OOMKilled;
        if (event.exitCode === undefined) event.exitCode = info.State.ExitCode;
      } catch {
        // removed already (docker rm -f): no OOM information
      }
    }
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (e) {
        console.error('starling: runtime event listener failed:', e);
      }
    }
  }

  // ---------------------------------------------------------------- images

  private async imagePresent(ref: string): Promise<boolean> {
    // seen present a moment ago: not asked again (a container start asks for its image each
    // time; one that is removed meanwhile makes the create fail, which forgets it here)
    const seen = this.imagesSeen.get(ref);
    if (seen !== undefined && Date.now() - seen < IMAGE_SEEN_MS) return true;
    try {
      await this.docker.getImage(ref).inspect();
      this.imagesSeen.set(ref, Date.now());
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw this.fail(e, `inspecting image "${ref}"`);
    }
  }

  /** One pull attempt, bounded by pullTimeoutMs (aborted when it runs over). */
  private async pull(ref: string): Promise<void> {
    const ac = new AbortController();
    let stream: Readable | undefined;
    const work = (async () => {
      stream = (await this.docker.pull(ref, { abortSignal: ac.signal })) as Readable;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream!, (err: unknown, output: unknown[]) => {
          if (err) return reject(err);
          const failed = (output ?? []).find(
            (o): o is { error: string } =>
              !!o && typeof (o as { error?: unknown }).error === 'string',
          );
          if (failed) reject(new Error(failed.error));
          else resolve();
        });
      });
    })();
    await withTimeout(work, this.pullTimeoutMs, 'pull', () => {
      ac.abort();
      stream?.destroy();
    });
  }

  async ensureImage(image: string, pullPolicy: 'Always' | 'IfNotPresent' | 'Never'): Promise<void> {
    const ref = normaliseImage(image);
    const present = await this.imagePresent(ref);
    if (pullPolicy === 'Never') {
      if (!present) {
        throw new ImagePullError(
          image,
          `Container image "${image}" is not present with pull policy of Never`,
        );
      }
      return;
    }
    if (present && pullPolicy === 'IfNotPresent') return;
    try {
      await this.pull(ref);
    } catch (e) {
      const code = (e as DockerErrorLike)?.code;
      if (code && CONNECTION_CODES.has(code) && statusOf(e) === undefined) {
        throw this.unavailable(e);
      }
      // Always with a local copy: keep going with the local image (documented decision).
      if (present) return;
      throw new ImagePullError(image, `failed to pull image "${image}": ${dockerMessage(e)}`);
    }
    if (!(await this.imagePresent(ref))) {
      throw new ImagePullError(image, `failed to pull image "${image}": not present after pull`);
    }
  }

  // ---------------------------------------------------------------- containers

  /** Creates a container, retrying once with a suffix when the name is taken. */
  private async create(
    name: string,
    opts: Docker.ContainerCreateOptions,
    image: string,
  ): Promise<Docker.Container> {
    for (let i = 0;; i++) {
      const n = i === 0 ? name : `${name}_${Math.random().toString(16).slice(2, 8)}`;
      try {
        return await this.docker.createContainer({ ...opts, name: n });
      } catch (e) {
        const status = statusOf(e);
        if (status === 409 && i === 0) continue; // name in use by an old container
        if (status === 404 && /image/i.test(dockerMessage(e))) {
          this.imagesSeen.delete(normaliseImage(image));
          throw new ImagePullError(
            image,
            `image "${image}" is not present on node "${this.nodeName}"`,
          );
        }
        throw this.fail(e, `cannot create container ${n}`);
      }
    }
  }

  /** Starts a created container; on failure removes it again and throws. */
  private async startCreated(c: Docker.Container, what: string): Promise<ContainerInfo> {
    try {
      await c.start();
    } catch (e) {
      await c.remove({ force: true, v: true }).catch(() => {});
      throw this.fail(e, `cannot start ${what}`);
    }
    const info = await this.inspect(c.id);
    if (!info) throw new RuntimeError(`${what} disappeared right after it started`);
    return info;
  }

  async createSandbox(spec: SandboxSpec): Promise<ContainerInfo> {
    const name = containerName(spec.pod, SANDBOX_CONTAINER, 0);
    const { exposed, bindings } = publish(spec);
    const opts: Docker.ContainerCreateOptions = {
      Image: this.sandboxImage,
      Entrypoint: ['sh', '-c'],
      Cmd: [SANDBOX_SCRIPT],
      Hostname: (spec.hostname ?? spec.pod.name).slice(0, 63),
      Labels: starlingLabels(this.nodeName, spec.pod, SANDBOX_CONTAINER, 0),
      ExposedPorts: exposed,
      StopSignal: 'SIGTERM',
      HostConfig: {
        PortBindings: bindings,
        RestartPolicy: { Name: 'no' },
        IpcMode: 'shareable',
      },
    };
    let c: Docker.Container;
    try {
      c = await this.create(name, opts, this.sandboxImage);
    } catch (e) {
      if (!(e instanceof ImagePullError)) throw e;
      await this.ensureImage(this.sandboxImage, 'IfNotPresent');
      c = await this.create(name, opts, this.sandboxImage);
    }
    return this.startCreated(c, `sandbox of pod ${spec.pod.namespace}/${spec.pod.name}`);
  }

  async startContainer(sandboxId: string | undefined, spec: ContainerSpec): Promise<ContainerInfo> {
    const what = `container "${spec.name}" of pod ${spec.pod.namespace}/${spec.pod.name}`;
    const image = normaliseImage(spec.image);
    const hasCommand = !!spec.command && spec.command.length > 0;
    const host: Docker.HostConfig = {
      RestartPolicy: { Name: 'no' },
      // Docker's init (tini) as PID 1 forwards SIGTERM to the process, so a shell or server
      // that installs no signal handler still stops at once instead of after the grace period.
      Init: true,
      Binds: spec.mounts.map((m) => `${m.hostPath}:${m.containerPath}${m.readOnly ? ':ro' : ''}`),
    };
    if (spec.cpuMillis && spec.cpuMillis > 0) host.NanoCpus = Math.round(spec.cpuMillis * 1e6);
    if (spec.memoryBytes && spec.memoryBytes > 0) {
      host.Memory = Math.round(spec.memoryBytes);
      host.MemorySwap = host.Memory; // no swap beyond the limit, as the kubelet does
    }
    const opts: Docker.ContainerCreateOptions = {
      Image: image,
      Env: spec.env.map((e) => `${e.name}=${e.value}`),
      Labels: starlingLabels(this.nodeName, spec.pod, spec.name, spec.attempt),
      Tty: false,
      OpenStdin: false,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      HostConfig: host,
    };
    // Kubernetes: command replaces ENTRYPOINT (and then the image CMD is not used), args
    // replaces CMD; with args only, the image ENTRYPOINT is kept.
    if (hasCommand) {
      opts.Entrypoint = spec.command;
      opts.Cmd = spec.args ?? [];
    } else if (spec.args && spec.args.length > 0) {
      opts.Cmd = spec.args;
    }
    if (spec.workingDir) opts.WorkingDir = spec.workingDir;
    const name = containerName(spec.pod, spec.name, spec.attempt);
    if (sandboxId === undefined) {
      const net = spec.network;
      if (!net) throw new RuntimeError(`cannot start ${what}: neither a sandbox nor a network of its own`);
      opts.Hostname = (net.hostname ?? spec.pod.name).slice(0, 63);
      const start = async (prefer: boolean) => {
        const { exposed, bindings } = publish(net, prefer);
        opts.ExposedPorts = exposed;
        host.PortBindings = bindings;
        return this.startCreated(await this.create(name, opts, spec.image), what);
      };
      try {
        return await start(true);
      } catch (e) {
        // the port it had before is taken meanwhile: any free one, as at its first start
        if (!net.ports.some((p) => !p.hostPort && p.preferHostPort) || !PORT_TAKEN.test((e as Error).message)) throw e;
        return start(false);
      }
    }
    // the sandbox is not inspected first (one API call less per container): the engine refuses
    // to create or start a container joined to a sandbox that is gone or not running
    host.NetworkMode = `container:${sandboxId}`;
    host.IpcMode = `container:${sandboxId}`;
    try {
      return await this.startCreated(await this.create(name, opts, spec.image), what);
    } catch (e) {
      throw (await this.sandboxProblem(sandboxId, what)) ?? e;
    }
  }

  /** Why a container joined to this sandbox could not be made: gone, or not running (else undefined). */
  private async sandboxProblem(sandboxId: string, what: string): Promise<RuntimeError | undefined> {
    let sandbox: ContainerInfo | undefined;
    try {
      sandbox = await this.inspect(sandboxId);
    } catch {
      return undefined; // the engine itself failed: its own error says more
    }
    if (!sandbox) return new RuntimeError(`cannot start ${what}: sandbox ${sandboxId} not found`);
    if (sandbox.state !== 'running') return new RuntimeError(`cannot start ${what}: sandbox ${sandboxId.slice(0, 12)} is not running`);
    return undefined;
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    if (!id) return;
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(graceSeconds)) });
    } catch (e) {
      const s = statusOf(e);
      if (s === 304 || s === 404) return; // already stopped, or gone
      throw this.fail(e, `cannot stop container ${id.slice(0, 12)}`);
    }
  }

  async removeContainer(id: string): Promise<void> {
    if (!id) return;
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (e) {
      const s = statusOf(e);
      if (s === 404) return;
      if (s === 409 && /already in progress/i.test(dockerMessage(e))) return;
      throw this.fail(e, `cannot remove container ${id.slice(0, 12)}`);
    }
  }

  async listContainers(): Promise<ContainerInfo[]> {
    let list: Docker.ContainerInfo[];
    try {
      list = await this.docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.node}=${this.nodeName}`] },
      });
    } catch (e) {
      throw this.fail(e, 'cannot list containers');
    }
    const out: (ContainerInfo | undefined)[] = new Array(list.length);
    let next = 0;
    const worker = async () => {
      while (next < list.length) {
        const i = next++;
        out[i] = await this.inspect(list[i]!.Id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, list.length) }, worker));
    return out.filter((c): c is ContainerInfo => c !== undefined);
  }

  async inspect(id: string): Promise<ContainerInfo | undefined> {
    if (!id) return undefined;
    let d: Docker.ContainerInspectInfo;
    try {
      d = await this.docker.getContainer(id).inspect();
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw this.fail(e, `cannot inspect container ${id.slice(0, 12)}`);
    }
    return this.toInfo(d);
  }

  private toInfo(d: Docker.ContainerInspectInfo): ContainerInfo {
    const labels = d.Config.Labels ?? {};
    const name = labels[LABELS.container] ?? d.Name.replace(/^\//, '');
    const state = mapState(d.State.Status);
    const info: ContainerInfo = {
      id: d.Id,
      pod: podFromLabels(labels),
      name,
      node: labels[LABELS.node] ?? '',
      image: d.Config.Image,
      attempt: Number(labels[LABELS.attempt] ?? 0) || 0,
      state,
    };
    if (state === 'exited') {
      info.exitCode = d.State.ExitCode;
      info.finishedAt = validTime(d.State.FinishedAt);
    }
    info.oomKilled = d.State.OOMKilled;
    const startedAt = validTime(d.State.StartedAt);
    if (startedAt) info.startedAt = startedAt;
    if (name === SANDBOX_CONTAINER || !d.HostConfig?.NetworkMode?.startsWith('container:')) {
      info.ports = parsePorts(
        d.NetworkSettings?.Ports as Record<string, { HostIp: string; HostPort: string }[] | null>,
      );
    }
    return info;
  }

  // ---------------------------------------------------------------- logs and exec

  logs(id: string, opts: LogOptions): AsyncIterable<Uint8Array> {
    return this.logStream(id, opts);
  }

  private async *logStream(id: string, opts: LogOptions): AsyncGenerator<Uint8Array> {
    const c = this.docker.getContainer(id);
    let tty = false;
    try {
      tty = !!(await c.inspect()).Config.Tty;
    } catch (e) {
      if (statusOf(e) === 404) throw notFound(`container "${id}"`);
      throw this.fail(e, `cannot read logs of ${id.slice(0, 12)}`);
    }
    const base = { stdout: true, stderr: true, tail: opts.tail } as Docker.ContainerLogsOptions;
    if (opts.tail === undefined) delete base.tail;
    const demux = new DockerDemuxer();
    if (!opts.follow) {
      let buf: Uint8Array;
      try {
        buf = await c.logs({ ...base, follow: false });
      } catch (e) {
        throw this.fail(e, `cannot read logs of ${id.slice(0, 12)}`);
      }
      if (tty) {
        if (buf.length) yield buf;
        return;
      }
      for (const f of demux.push(buf)) yield f.data;
      return;
    }
    let stream: Readable;
    try {
      stream = (await c.logs({ ...base, follow: true })) as unknown as Readable;
    } catch (e) {
      throw this.fail(e, `cannot follow logs of ${id.slice(0, 12)}`);
    }
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Uint8Array;
        if (tty) {
          yield bytes;
          continue;
        }
        for (const f of demux.push(bytes)) yield f.data;
      }
    } finally {
      stream.destroy();
    }
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    try {
      const st = (await this.docker.getContainer(id).stats({ stream: false })) as unknown as {
        read?: string;
        cpu_stats?: { cpu_usage?: { total_usage?: number } };
        memory_stats?: { usage?: number; stats?: { cache?: number; inactive_file?: number } };
      };
      const total = st.cpu_stats?.cpu_usage?.total_usage;
      // a container that is not running reports zero time ("0001-01-01T00:00:00Z")
      if (total === undefined || !st.read || st.read.startsWith('0001-')) return undefined;
      const mem = st.memory_stats ?? {};
      const cache = mem.stats?.inactive_file ?? mem.stats?.cache ?? 0;
      return { cpuNanos: total, memoryBytes: Math.max(0, (mem.usage ?? 0) - cache), at: Date.now() };
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw this.fail(e, `cannot read the stats of container ${id.slice(0, 12)}`);
    }
  }

  async exec(id: string, command: string[]): Promise<ExecResult> {
    const c = this.docker.getContainer(id);
    let ex: Docker.Exec;
    try {
      ex = await c.exec({ Cmd: command, AttachStdout: true, AttachStderr: true, Tty: false });
    } catch (e) {
      if (statusOf(e) === 404) throw notFound(`container "${id}"`);
      throw this.fail(e, `cannot exec in container ${id.slice(0, 12)}`);
    }
    const stdout: Uint8Array[] = [];
    const stderr: Uint8Array[] = [];
    try {
      const stream = await ex.start({ hijack: true, stdin: false });
      const demux = new DockerDemuxer();
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Uint8Array) => {
          for (const f of demux.push(chunk)) (f.stream === 2 ? stderr : stdout).push(f.data);
        });
        stream.on('end', () => resolve());
        stream.on('close', () => resolve());
        stream.on('error', reject);
      });
      stream.destroy();
    } catch (e) {
      throw this.fail(e, `exec in container ${id.slice(0, 12)} failed`);
    }
    // The exit code is recorded a moment after the output ends: wait for it (bounded).
    let exitCode: number | null = null;
    for (let i = 0; i < 100; i++) {
      const st = await ex.inspect();
      if (!st.Running && st.ExitCode !== null) {
        exitCode = st.ExitCode;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (exitCode === null) {
      throw new RuntimeError(`exec in container ${id.slice(0, 12)}: no exit code`);
    }
    return { exitCode, stdout: concatBytes(stdout), stderr: concatBytes(stderr) };
  }
}
