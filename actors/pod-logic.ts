// The pod's desired-versus-observed logic as a pure reducer: (context, event) → context with
// the commands the host must carry out. No I/O and no clock: every event carries its time.

import { type Backoff, pullDelay, restartDelay } from './backoff.ts';
import { dueProbes, probeFlags, type ProbeKind, probeResult, type ProbeState, type ProbeTimings, startProbes } from './probes.ts';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';
export type Phase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface ContainerDef {
  name: string;
  image: string;
  pullPolicy: PullPolicy;
  init: boolean;
  /** probe timings (app containers only) */
  probes?: ProbeTimings;
}

export interface Termination {
  exitCode: number;
  reason: string;
  startedAt?: number;
  finishedAt: number;
  message?: string;
}

export type Activity = 'waiting' | 'pulling' | 'starting' | 'running' | 'exited';

export interface ContainerRun extends ContainerDef {
  activity: Activity;
  /** waiting reason shown in status (ContainerCreating, PodInitializing, CrashLoopBackOff, ErrImagePull, ...) */
  reason?: string;
  message?: string;
  restartCount: number;
  /** started at least once */
  started: boolean;
  imageReady: boolean;
  id?: string;
  startedAt?: number;
  /** the latest termination (state.terminated, or lastState while restarting) */
  exit?: Termination;
  backoffStep: number;
  pullStep: number;
  /** a back-off deadline: restart or pull retry not before this time (ms) */
  retryAt?: number;
  /** when ErrImagePull turns into ImagePullBackOff (ms) */
  reasonSwitchAt?: number;
  /** probes of the running container */
  probeStates?: Partial<Record<ProbeKind, ProbeState>>;
}

export interface PublishedPort {
  containerPort: number;
  protocol: string;
  hostIP: string;
  hostPort: number;
}

export type Command =
  | { type: 'schedule' }
  | { type: 'createSandbox' }
  | { type: 'pullImage'; container: string; image: string; policy: PullPolicy }
  | { type: 'startContainer'; container: string; attempt: number; replaces?: string }
  | { type: 'killPod' }
  | { type: 'probe'; container: string; kind: ProbeKind; id: string }
  | { type: 'killContainer'; container: string; id: string }
  | { type: 'recreateSandbox' }
  | { type: 'event'; eventType: 'Normal' | 'Warning'; reason: string; message: string };

export interface PodContext {
  schema: 1;
  restartPolicy: RestartPolicy;
  crashLoop: Backoff;
  imagePull: Backoff;
  node?: string;
  sandbox: 'none' | 'creating' | 'ready';
  sandboxId?: string;
  ports: PublishedPort[];
  containers: ContainerRun[];
  startTime?: number;
  phase: Phase;
  terminating: boolean;
  /** why no node could take the pod (Kubernetes' FailedScheduling message), while unbound */
  unschedulable?: string;
  /** when to try placing an unschedulable pod again (ms) */
  placeRetryAt?: number;
  /** a configMap/secret volume could not be set up (FailedMount): try again at this time (ms) */
  mountRetryAt?: number;
  /** the earliest back-off deadline; the host wakes the actor with TICK then */
  wakeAt?: number;
  /** what the last event asks the host to do */
  commands: Command[];
}

export interface ObservedContainer {
  name: string;
  id: string;
  running: boolean;
  exitCode?: number;
  startedAt?: number;
  finishedAt?: number;
}

/** How long an unschedulable pod waits before it is placed again (also retried on cluster changes). */
export const PLACE_RETRY_MS = 5_000;
/**
 * How long a container waits before it is created again after a CreateContainerConfigError, and
 * a pod before its volumes are set up again after a FailedMount (also retried at once when a
 * ConfigMap or Secret of its namespace changes: CONFIG_CHANGED).
 */
export const CONFIG_RETRY_MS = 5_000;
const CONFIG_ERROR = 'CreateContainerConfigError';

export type PodEvent =
  | { type: 'PLACE'; at: number }
  | { type: 'UNSCHEDULABLE'; message: string; at: number }
  | { type: 'SCHEDULED'; node: string; at: number }
  /** id absent: the pod has no sandbox, its one container holds its network (docs/decisions.md) */
  | { type: 'SANDBOX_READY'; id?: string; ports: PublishedPort[]; at: number }
  | { type: 'SANDBOX_FAILED'; message: string; at: number }
  | { type: 'SANDBOX_DIED'; at: number }
  | { type: 'IMAGE_READY'; container: string; at: number }
  | { type: 'IMAGE_FAILED'; container: string; message: string; at: number }
  /** ports: what a container of a pod without a sandbox published (it holds the pod's network) */
  | { type: 'CONTAINER_STARTED'; container: string; id: string; ports?: PublishedPort[]; at: number }
  | { type: 'CONTAINER_FAILED'; container: string; message: string; at: number }
  /** the container's environment names a missing ConfigMap/Secret or key */
  | { type: 'CONTAINER_CONFIG_ERROR'; container: string; message: string; at: number }
  /** a configMap/secret volume names a missing ConfigMap/Secret or key (the sandbox was not made) */
  | { type: 'VOLUME_FAILED'; message: string; at: number }
  /** a ConfigMap or Secret of the pod's namespace changed: what waits for one tries again now */
  | { type: 'CONFIG_CHANGED'; at: number }
  | { type: 'CONTAINER_EXITED'; container: string; id: string; exitCode: number; oomKilled?: boolean; at: number }
  | { type: 'PROBE_RESULT'; container: string; id: string; kind: ProbeKind; ok: boolean; message?: string; at: number }
  | { type: 'TICK'; at: number }
  | { type: 'RESUMED'; at: number; sandboxAlive: boolean; observed: ObservedContainer[] }
  | { type: 'DELETE'; at: number }
  | { type: 'STOPPED'; at: number };

export interface PodInput {
  containers: ContainerDef[];
  restartPolicy: RestartPolicy;
  crashLoop: Backoff;
  imagePull: Backoff;
  node?: string;
}

export function initialContext(input: PodInput): PodContext {
  return {
    schema: 1,
    restartPolicy: input.restartPolicy,
    crashLoop: input.crashLoop,
    imagePull: input.imagePull,
    node: input.node,
    sandbox: 'none',
    ports: [],
    containers: input.containers.map((c) => ({
      ...c,
      activity: 'waiting',
      reason: 'ContainerCreating',
      restartCount: 0,
      started: false,
      imageReady: false,
      backoffStep: 0,
      pullStep: 0,
    })),
    phase: 'Pending',
    terminating: false,
    commands: [],
  };
}

const shouldRestart = (policy: RestartPolicy, exitCode: number) =>
  policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);

/** Applies one event; returns the next context (the input is not modified). */
export function reduce(prev: PodContext, ev: PodEvent): PodContext {
  const ctx: PodContext = structuredClone({ ...prev, commands: [] });
  const cmds = ctx.commands;
  const find = (name: string) => ctx.containers.find((c) => c.name === name);
  const note = (eventType: 'Normal' | 'Warning', reason: string, message: string) =>
    cmds.push({ type: 'event', eventType, reason, message });

  if (ctx.terminating && ev.type !== 'STOPPED') return ctx;

  switch (ev.type) {
    case 'PLACE':
      if (!ctx.node) {
        cmds.push({ type: 'schedule' });
        // asked again if no answer (SCHEDULED or UNSCHEDULABLE) comes: a lost answer never strands the pod
        ctx.placeRetryAt = ev.at + PLACE_RETRY_MS;
      }
      return finish(ctx, ev.at);
    case 'UNSCHEDULABLE':
      if (!ctx.node) {
        if (ctx.unschedulable !== ev.message) note('Warning', 'FailedScheduling', ev.message);
        ctx.unschedulable = ev.message;
        ctx.placeRetryAt = ev.at + PLACE_RETRY_MS;
      }
      return finish(ctx, ev.at);
    case 'SCHEDULED':
      if (!ctx.node) {
        ctx.node = ev.node;
        ctx.unschedulable = ctx.placeRetryAt = undefined;
        note('Normal', 'Scheduled', `Successfully assigned pod to ${ev.node}`);
      }
      break;
    case 'SANDBOX_READY':
      ctx.sandbox = 'ready';
      ctx.mountRetryAt = undefined;
      ctx.sandboxId = ev.id;
      ctx.ports = ev.ports;
      ctx.startTime ??= ev.at;
      break;
    case 'SANDBOX_FAILED':
      ctx.sandbox = 'none';
      note('Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${ev.message}`);
      // retry with the crash back-off of the first container
      ctx.containers[0].retryAt = ev.at + restartDelay(ctx.crashLoop, ++ctx.containers[0].backoffStep);
      break;
    case 'SANDBOX_DIED':
      sandboxLost(ctx, ev.at);
      break;
    case 'IMAGE_READY': {
      const c = find(ev.container);
      if (c && c.activity === 'pulling') {
        note('Normal', 'Pulled', `Container image "${c.image}" is present on the node`);
        c.imageReady = true;
        c.activity = 'waiting';
        c.pullStep = 0;
        c.reason = undefined;
      }
      break;
    }
    case 'IMAGE_FAILED': {
      const c = find(ev.container);
      if (c && c.activity === 'pulling') {
        c.activity = 'waiting';
        c.reason = 'ErrImagePull';
        c.message = ev.message;
        c.pullStep++;
        c.retryAt = ev.at + pullDelay(ctx.imagePull, c.pullStep);
        c.reasonSwitchAt = Math.min(c.retryAt, ev.at + 1000);
        note('Warning', 'Failed', ev.message);
        note('Warning', 'Failed', 'Error: ErrImagePull');
      }
      break;
    }
    case 'CONTAINER_STARTED': {
      const c = find(ev.container);
      if (!c) break;
      if (c.started) c.restartCount++;
      c.started = true;
      c.activity = 'running';
      c.id = ev.id;
      c.startedAt = ev.at;
      if (ev.ports) ctx.ports = ev.ports;
      c.reason = c.message = undefined;
      c.retryAt = undefined;
      c.probeStates = c.probes ? startProbes(c.probes, ev.at) : undefined;
      note('Normal', 'Created', `Created container ${c.name}`);
      note('Normal', 'Started', `Started container ${c.name}`);
      break;
    }
    case 'CONTAINER_FAILED': {
      const c = find(ev.container);
      if (!c || c.activity !== 'starting') break;
      note('Warning', 'Failed', `Error: ${ev.message}`);
      terminated(ctx, c, { exitCode: 128, reason: 'StartError', message: ev.message, finishedAt: ev.at }, true);
      break;
    }
    case 'CONTAINER_CONFIG_ERROR': {
      const c = find(ev.container);
      if (!c || c.activity !== 'starting') break;
      // a restart keeps its last termination (state waiting, lastState terminated)
      c.activity = c.exit ? 'exited' : 'waiting';
      c.reason = CONFIG_ERROR;
      c.message = ev.message;
      c.retryAt = ev.at + CONFIG_RETRY_MS;
      note('Warning', 'Failed', `Error: ${ev.message}`);
      break;
    }
    case 'VOLUME_FAILED':
      if (ctx.sandbox !== 'creating') break;
      ctx.sandbox = 'none';
      ctx.mountRetryAt = ev.at + CONFIG_RETRY_MS;
      note('Warning', 'FailedMount', ev.message);
      break;
    case 'CONFIG_CHANGED':
      for (const c of ctx.containers) {
        if (c.reason === CONFIG_ERROR && c.retryAt !== undefined && c.activity !== 'starting') c.retryAt = ev.at;
      }
      if (ctx.mountRetryAt !== undefined) ctx.mountRetryAt = ev.at;
      break;
    case 'CONTAINER_EXITED': {
      const c = find(ev.container);
      if (!c || c.id !== ev.id || c.activity !== 'running') break;
      const reason = ev.oomKilled ? 'OOMKilled' : ev.exitCode === 0 ? 'Completed' : 'Error';
      terminated(ctx, c, { exitCode: ev.exitCode, reason, startedAt: c.startedAt, finishedAt: ev.at });
      break;
    }
    case 'PROBE_RESULT': {
      const c = find(ev.container);
      if (!c || c.id !== ev.id || c.activity !== 'running' || !c.probeStates || !c.probes) break;
      const verdict = probeResult(c.probeStates, c.probes, ev.kind, ev.ok, ev.at);
      const what = `${ev.kind[0].toUpperCase()}${ev.kind.slice(1)} probe failed: ${ev.message ?? ''}`.trim();
      if (!ev.ok) note('Warning', 'Unhealthy', what);
      if (verdict === 'kill') {
        note('Normal', 'Killing', `Container ${c.name} failed ${ev.kind} probe, will be restarted`);
        cmds.push({ type: 'killContainer', container: c.name, id: c.id! });
      }
      break;
    }
    case 'TICK':
      if (!ctx.node && ctx.placeRetryAt !== undefined && ctx.placeRetryAt <= ev.at) {
        ctx.placeRetryAt = ev.at + PLACE_RETRY_MS;
        cmds.push({ type: 'schedule' });
        return finish(ctx, ev.at);
      }
      break;
    case 'RESUMED':
      resumed(ctx, ev);
      break;
    case 'DELETE':
      ctx.terminating = true;
      cmds.push({ type: 'killPod' });
      note('Normal', 'Killing', 'Stopping pod containers');
      return finish(ctx, ev.at);
    case 'STOPPED':
      return ctx;
  }
  return finish(plan(ctx, ev.at), ev.at);
}

function terminated(ctx: PodContext, c: ContainerRun, t: Termination, startFailed = false) {
  c.activity = 'exited';
  c.probeStates = undefined;
  c.exit = t;
  c.reason = startFailed ? 'RunContainerError' : undefined;
  c.message = startFailed ? t.message : undefined;
  if (!startFailed && c.startedAt !== undefined && t.finishedAt - c.startedAt >= ctx.crashLoop.resetAfterMs) {
    c.backoffStep = 0;
  }
  const restart = c.init ? t.exitCode !== 0 && ctx.restartPolicy !== 'Never' : shouldRestart(ctx.restartPolicy, t.exitCode);
  if (restart) {
    c.retryAt = t.finishedAt + restartDelay(ctx.crashLoop, c.backoffStep);
    c.backoffStep++;
    if (c.retryAt > t.finishedAt) {
      ctx.commands.push({
        type: 'event',
        eventType: 'Warning',
        reason: 'BackOff',
        message: `Back-off restarting failed container ${c.name}`,
      });
    }
  } else {
    c.retryAt = undefined;
  }
}

function sandboxLost(ctx: PodContext, at: number) {
  if (ctx.sandbox === 'none') return;
  ctx.sandbox = 'none';
  ctx.sandboxId = undefined;
  ctx.commands.push({ type: 'recreateSandbox' });
  ctx.commands.push({ type: 'event', eventType: 'Normal', reason: 'SandboxChanged', message: 'Pod sandbox changed, it will be killed and re-created.' });
  for (const c of ctx.containers) {
    if (c.activity === 'running') terminated(ctx, c, { exitCode: 137, reason: 'Error', startedAt: c.startedAt, finishedAt: at });
    else if (c.activity === 'pulling' || c.activity === 'starting') c.activity = 'waiting';
  }
}

/**
 * Whether RESUMED would change nothing: the node restarted and found the sandbox and every
 * container the actor knows as it left them (a container waiting out a back-off waits on its own
 * timer, `wakeAt`). The node skips sending it then — on a restart that is nearly every pod.
 */
export function resumeIsNoop(ctx: PodContext, ev: Extract<PodEvent, { type: 'RESUMED' }>): boolean {
  if (ctx.terminating || ctx.sandbox !== 'ready' || !ev.sandboxAlive) return false;
  return ctx.containers.every((c) => {
    if (c.activity === 'running') return ev.observed.some((o) => o.name === c.name && o.id === c.id && o.running);
    return c.activity === 'exited' || (c.activity === 'waiting' && c.retryAt !== undefined);
  });
}

function resumed(ctx: PodContext, ev: Extract<PodEvent, { type: 'RESUMED' }>) {
  if (ctx.sandbox === 'creating') ctx.sandbox = 'none';
  if (ctx.sandbox === 'ready' && !ev.sandboxAlive) {
    sandboxLost(ctx, ev.at);
    return;
  }
  for (const c of ctx.containers) {
    const seen = ev.observed.find((o) => o.name === c.name && o.id === c.id);
    if (c.activity === 'running' && !seen?.running) {
      terminated(ctx, c, {
        exitCode: seen?.exitCode ?? 137,
        reason: (seen?.exitCode ?? 137) === 0 ? 'Completed' : 'Error',
        startedAt: c.startedAt,
        finishedAt: seen?.finishedAt ?? ev.at,
      });
    } else if (c.activity === 'pulling' || c.activity === 'starting') {
      // the operation was cut off by the node's stop: adopt what it made, or do it again
      const made = ev.observed.filter((o) => o.name === c.name && o.running).pop();
      if (made && c.activity === 'starting') {
        if (c.started) c.restartCount++;
        Object.assign(c, { activity: 'running', started: true, id: made.id, startedAt: made.startedAt ?? ev.at, reason: undefined });
      } else {
        c.activity = 'waiting';
      }
    }
  }
}

/** Starts whatever may start now. */
function plan(ctx: PodContext, now: number): PodContext {
  if (!ctx.node || ctx.terminating) return ctx;
  if (ctx.sandbox === 'none') {
    if (ctx.mountRetryAt !== undefined && ctx.mountRetryAt > now) return ctx;
    const first = ctx.containers[0];
    if (first.retryAt === undefined || first.retryAt <= now || first.started) {
      ctx.sandbox = 'creating';
      ctx.commands.push({ type: 'createSandbox' });
    }
    return ctx;
  }
  if (ctx.sandbox !== 'ready') return ctx;

  for (const c of ctx.containers) {
    if (c.reasonSwitchAt !== undefined && c.reasonSwitchAt <= now) {
      if (c.reason === 'ErrImagePull') c.reason = 'ImagePullBackOff';
      c.reasonSwitchAt = undefined;
    }
  }
  const inits = ctx.containers.filter((c) => c.init);
  const pendingInit = inits.find((c) => !(c.activity === 'exited' && c.exit?.exitCode === 0));
  if (pendingInit) {
    for (const c of ctx.containers) if (!c.init && c.activity === 'waiting') c.reason = 'PodInitializing';
    maybeBegin(ctx, pendingInit, now);
    return ctx;
  }
  for (const c of ctx.containers) if (!c.init) maybeBegin(ctx, c, now);
  return ctx;
}

function maybeBegin(ctx: PodContext, c: ContainerRun, now: number) {
  if (c.activity === 'exited') {
    if (c.retryAt === undefined) return; // not restarting
    if (c.retryAt > now) {
      if (c.reason === CONFIG_ERROR) return; // waits for its ConfigMap/Secret, not a back-off
      c.reason = c.reason === 'RunContainerError' ? c.reason : 'CrashLoopBackOff';
      c.message = `back-off ${Math.round((c.retryAt - (c.exit?.finishedAt ?? now)) / 1000)}s restarting failed container=${c.name}`;
      return;
    }
  } else if (c.activity !== 'waiting') {
    return;
  } else if (c.retryAt !== undefined && c.retryAt > now) {
    return;
  }
  c.retryAt = undefined;
  if (!c.imageReady) {
    c.activity = 'pulling';
    if (c.reason !== 'ErrImagePull' && c.reason !== 'ImagePullBackOff') c.reason = 'ContainerCreating';
    ctx.commands.push({ type: 'pullImage', container: c.name, image: c.image, policy: c.pullPolicy });
    return;
  }
  const replaces = c.activity === 'exited' ? c.id : undefined;
  c.activity = 'starting';
  if (!c.started && c.reason !== CONFIG_ERROR) c.reason = 'ContainerCreating';
  ctx.commands.push({ type: 'startContainer', container: c.name, attempt: c.started ? c.restartCount + 1 : 0, replaces });
}

/** Derives phase, starts the probes that are due, and finds the next wake-up time. */
function finish(ctx: PodContext, now: number): PodContext {
  ctx.phase = derivePhase(ctx);
  for (const c of ctx.containers) {
    if (ctx.terminating || c.activity !== 'running' || !c.probeStates) continue;
    for (const kind of dueProbes(c.probeStates, now)) ctx.commands.push({ type: 'probe', container: c.name, kind, id: c.id! });
  }
  const probeDeadlines = ctx.containers.flatMap((c) => Object.values(c.probeStates ?? {}).map((p) => p?.nextAt));
  const deadlines = [ctx.placeRetryAt, ctx.mountRetryAt, ...probeDeadlines, ...ctx.containers.flatMap((c) => [c.retryAt, c.reasonSwitchAt])]
    .filter((t): t is number => t !== undefined && t > now);
  ctx.wakeAt = ctx.terminating || deadlines.length === 0 ? undefined : Math.min(...deadlines);
  return ctx;
}

export function derivePhase(ctx: PodContext): Phase {
  if (!ctx.node || ctx.sandbox !== 'ready') {
    return ctx.phase === 'Succeeded' || ctx.phase === 'Failed' ? ctx.phase : 'Pending';
  }
  const inits = ctx.containers.filter((c) => c.init);
  const apps = ctx.containers.filter((c) => !c.init);
  const failedInit = inits.find((c) => c.activity === 'exited' && c.exit!.exitCode !== 0 && c.retryAt === undefined);
  if (failedInit) return 'Failed';
  if (inits.some((c) => !(c.activity === 'exited' && c.exit?.exitCode === 0))) return 'Pending';
  if (apps.every((c) => c.activity === 'exited' && c.retryAt === undefined)) {
    return apps.every((c) => c.exit!.exitCode === 0) ? 'Succeeded' : 'Failed';
  }
  if (apps.some((c) => !c.started)) return 'Pending';
  return 'Running';
}

/** The leaf state a context belongs in (the machine's states mirror this). */
export function stateOf(ctx: PodContext): PodState {
  if (ctx.terminating) return 'Terminating';
  switch (ctx.phase) {
    case 'Pending':
      return ctx.node ? 'ContainerCreating' : 'Pending';
    case 'Running':
      return ctx.containers.every((c) => c.init || isReady(c)) ? 'Running.Ready' : 'Running.NotReady';
    default:
      return ctx.phase;
  }
}
export type PodState = 'Pending' | 'ContainerCreating' | 'Running.Ready' | 'Running.NotReady' | 'Succeeded' | 'Failed' | 'Terminating';
export const POD_STATES: PodState[] = ['Pending', 'ContainerCreating', 'Running.Ready', 'Running.NotReady', 'Succeeded', 'Failed', 'Terminating'];

/** A container is ready when it runs, its startup probe (if any) succeeded and its readiness probe (if any) passes. */
export function isReady(c: ContainerRun): boolean {
  return c.activity === 'running' && probeFlags(c.probes ?? {}, c.probeStates).ready;
}
/** A container has started when it runs and its startup probe (if any) succeeded. */
export function isStarted(c: ContainerRun): boolean {
  return c.activity === 'running' && probeFlags(c.probes ?? {}, c.probeStates).started;
}
