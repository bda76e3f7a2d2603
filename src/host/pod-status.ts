// Derives a Pod's Kubernetes status from its actor's context.

import { type ContainerRun, isReady, isStarted, type PodContext, type Termination } from '../../actors/pod.ts';
import { isoTime } from '../clock.ts';
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from '../objects/types.ts';

const terminatedState = (t: Termination): ContainerState => ({
  terminated: {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    ...(t.startedAt !== undefined ? { startedAt: isoTime(t.startedAt) } : {}),
    finishedAt: isoTime(t.finishedAt),
  },
});

function containerStatus(c: ContainerRun): ContainerStatus {
  let state: ContainerState;
  let lastState: ContainerStatus['lastState'] = {};
  if (c.activity === 'running') {
    state = { running: { startedAt: isoTime(c.startedAt!) } };
    if (c.exit) lastState = terminatedState(c.exit);
  } else if (c.activity === 'exited' && c.exit && c.retryAt === undefined) {
    state = terminatedState(c.exit);
  } else {
    state = { waiting: { reason: c.reason ?? 'ContainerCreating', ...(c.message ? { message: c.message } : {}) } };
    if (c.exit) lastState = terminatedState(c.exit);
  }
  return {
    name: c.name,
    image: c.image,
    ready: isReady(c),
    started: isStarted(c),
    restartCount: c.restartCount,
    state,
    lastState,
    ...(c.id ? { containerID: `starling://${c.id}` } : {}),
  };
}

export function podStatus(ctx: PodContext, hostIP: string, at: number, previous?: PodStatus): PodStatus {
  const now = (prev: PodCondition | undefined, status: PodCondition['status']) =>
    prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : isoTime(at);
  const prevCond = (type: string) => previous?.conditions?.find((c) => c.type === type);
  const apps = ctx.containers.filter((c) => !c.init);
  const inits = ctx.containers.filter((c) => c.init);
  const initialized = inits.every((c) => c.activity === 'exited' && c.exit?.exitCode === 0);
  const ready = ctx.phase === 'Running' && apps.every(isReady);
  const cond = (type: string, ok: boolean, reason?: string): PodCondition => {
    const status = ok ? 'True' : 'False';
    return { type, status, ...(reason && !ok ? { reason } : {}), lastTransitionTime: now(prevCond(type), status) };
  };
  const scheduled = cond('PodScheduled', !!ctx.node, 'Unschedulable');
  if (!ctx.node && ctx.unschedulable) scheduled.message = ctx.unschedulable;
  const conditions: PodCondition[] = [scheduled];
  if (ctx.node) {
    conditions.push(
      cond('Initialized', initialized, 'ContainersNotInitialized'),
      cond('ContainersReady', ready, 'ContainersNotReady'),
      cond('Ready', ready, 'ContainersNotReady'),
    );
  }
  const status: PodStatus = { phase: ctx.phase, conditions };
  if (ctx.node) status.hostIP = hostIP;
  if (ctx.startTime !== undefined) status.startTime = isoTime(ctx.startTime);
  if (inits.length) status.initContainerStatuses = inits.map(containerStatus);
  status.containerStatuses = apps.map(containerStatus);
  if (ctx.ports.length) status.hostPorts = ctx.ports;
  return status;
}
