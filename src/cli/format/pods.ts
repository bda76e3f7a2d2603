// The `get pods` row, following kubectl's printPod (pkg/printers/internalversion/printers.go).

import type {
  Container,
  ContainerState,
  ContainerStatus,
  KObject,
  PodSpec,
  PodStatus,
} from '../../objects/types.ts';
import { formatAge, humanDuration, parseTime } from './age.ts';

export const POD_HEADERS = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'];
export const POD_WIDE_HEADERS = [...POD_HEADERS, 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'];

type Running = { startedAt?: string };
type Waiting = { reason?: string; message?: string };
type Terminated = {
  exitCode: number;
  reason?: string;
  signal?: number;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
};

/** The running/waiting/terminated member of a container state, whichever is set. */
export function stateParts(state: ContainerState | Record<string, never> | undefined): {
  running?: Running;
  waiting?: Waiting;
  terminated?: Terminated;
} {
  const s = (state ?? {}) as { running?: Running; waiting?: Waiting; terminated?: Terminated };
  return { running: s.running, waiting: s.waiting, terminated: s.terminated };
}

/** A sidecar: an init container with restartPolicy Always. */
export function isRestartableInitContainer(c: Container | undefined): boolean {
  return (c as { restartPolicy?: string } | undefined)?.restartPolicy === 'Always';
}

function conditionTrue(status: PodStatus | undefined, type: string): boolean {
  return (status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

export interface PodSummary {
  /** READY, e.g. `1/2`. */
  ready: string;
  /** STATUS, e.g. `Running`, `CrashLoopBackOff`, `Init:0/2`, `Terminating`. */
  status: string;
  /** RESTARTS, e.g. `0` or `3 (45s ago)`. */
  restarts: string;
  restartCount: number;
  readyContainers: number;
  totalContainers: number;
}

/** READY, STATUS and RESTARTS exactly as kubectl's printPod computes them. */
export function podSummary(pod: KObject, now: number): PodSummary {
  const spec = (pod.spec ?? { containers: [] }) as PodSpec;
  const status = (pod.status ?? {}) as Partial<PodStatus>;
  const containers = spec.containers ?? [];
  const initSpecs = spec.initContainers ?? [];

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = containers.length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    b !== undefined && (a === undefined || b > a) ? b : a;

  const phase = status.phase ?? '';
  let reason: string = status.reason ? status.reason : phase;

  for (const c of status.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initByName = new Map<string, Container>();
  for (const c of initSpecs) {
    initByName.set(c.name, c);
    if (isRestartableInitContainer(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses: ContainerStatus[] = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount ?? 0;
    const lastTerm = stateParts(cs.lastState).terminated;
    if (lastTerm) lastRestart = later(lastRestart, parseTime(lastTerm.finishedAt));
    const restartable = isRestartableInitContainer(initByName.get(cs.name));
    if (restartable) {
      restartableInitRestarts += cs.restartCount ?? 0;
      if (lastTerm) {
        lastRestartableInitRestart = later(lastRestartableInitRestart, parseTime(lastTerm.finishedAt));
      }
    }
    const { waiting, terminated } = stateParts(cs.state);
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && cs.started) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      // initialization failed
      if (!terminated.reason) {
        reason = terminated.signal
          ? `Init:Signal:${terminated.signal}`
          : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status as PodStatus, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      const lastTerm = stateParts(cs.lastState).terminated;
      if (lastTerm) lastRestart = later(lastRestart, parseTime(lastTerm.finishedAt));
      const { running, waiting, terminated } = stateParts(cs.state);
      if (waiting && waiting.reason) {
        reason = waiting.reason;
      } else if (terminated && terminated.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      } else if (cs.ready && running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // back to Running if at least one container is still running
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status as PodStatus, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') {
    reason = 'Unknown';
  } else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartsStr = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsStr = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  }

  return {
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartsStr,
    restartCount: restarts,
    readyContainers,
    totalContainers,
  };
}

/** kubectl's STATUS column for a pod. */
export function podStatusReason(pod: KObject, now: number): string {
  return podSummary(pod, now).status;
}

/** The pod's IP: status.podIPs[0].ip, else status.podIP. */
export function podIP(pod: KObject): string {
  const st = (pod.status ?? {}) as { podIP?: string; podIPs?: { ip: string }[] };
  return st.podIPs?.[0]?.ip || st.podIP || '';
}

/** One `get pods` row: NAME, READY, STATUS, RESTARTS, AGE (+ IP, NODE, NOMINATED NODE, READINESS GATES). */
export function podRow(pod: KObject, now: number, wide = false): string[] {
  const s = podSummary(pod, now);
  const row = [pod.metadata.name, s.ready, s.status, s.restarts, formatAge(pod.metadata.creationTimestamp, now)];
  if (wide) {
    const spec = (pod.spec ?? {}) as PodSpec & { readinessGates?: { conditionType: string }[] };
    const status = (pod.status ?? {}) as PodStatus & { nominatedNodeName?: string };
    let gates = '<none>';
    if (spec.readinessGates && spec.readinessGates.length > 0) {
      let trueConditions = 0;
      for (const g of spec.readinessGates) {
        const c = (status.conditions ?? []).find((c) => c.type === g.conditionType);
        if (c?.status === 'True') trueConditions++;
      }
      gates = `${trueConditions}/${spec.readinessGates.length}`;
    }
    row.push(
      podIP(pod) || '<none>',
      spec.nodeName || '<none>',
      status.nominatedNodeName || '<none>',
      gates,
    );
  }
  return row;
}
