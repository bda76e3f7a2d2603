// The HorizontalPodAutoscaler binding: measures the CPU utilisation of the target's pods from the
// cluster's metrics (percent of their CPU requests, over the ready pods that reported), and
// scales the target Deployment or ReplicaSet when the actor decides to.

import { AUTOSCALER_SCHEMA, type AutoscalerContext, autoscalerMachine } from '../../actors/autoscaler.ts';
import { isoTime } from '../clock.ts';
import type { KObject, ObjectKey, PodStatus } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { KindBinding } from './actor-host.ts';
import { owned } from './controllers.ts';
import type { Metrics } from './metrics.ts';
import type { ObjectService } from './objects.ts';
import { podNeeds } from './scheduler.ts';

export interface AutoscalerDeps {
  objects: ObjectService;
  metrics: () => Metrics;
  syncMs: number;
  now(): number;
  send(key: ObjectKey, event: { type: string; [k: string]: unknown }): void;
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
  log(msg: string): void;
}

const targetKey = (hpa: KObject) => objectKey(hpa.spec.scaleTargetRef.kind, hpa.metadata.namespace, hpa.spec.scaleTargetRef.name);
const cpuTarget = (hpa: KObject): number =>
  (hpa.spec.metrics ?? []).find((m: any) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource.target.averageUtilization ?? 80;

/** The pods a Deployment or ReplicaSet runs. */
function podsOf(objects: ObjectService, target: KObject): KObject[] {
  if (target.kind === 'ReplicaSet') return owned(objects, target, 'Pod');
  return owned(objects, target, 'ReplicaSet').flatMap((rs) => owned(objects, rs, 'Pod'));
}

async function measure(d: AutoscalerDeps, key: ObjectKey) {
  const hpa = d.objects.get(key);
  if (!hpa) return;
  const target = d.objects.get(targetKey(hpa));
  if (!target) {
    d.event(hpa, 'Warning', 'FailedGetScale', `${hpa.spec.scaleTargetRef.kind}.apps "${hpa.spec.scaleTargetRef.name}" not found`);
    return;
  }
  const pods = podsOf(d.objects, target).filter((p) => {
    const st = p.status as PodStatus | undefined;
    return !p.metadata.deletionTimestamp && st?.phase === 'Running' && st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  });
  const { pods: measured } = await d.metrics().cluster();
  let usage = 0;
  let requests = 0;
  for (const p of pods) {
    const m = measured.find((x) => x.namespace === p.metadata.namespace && x.name === p.metadata.name);
    if (!m) continue;
    const req = podNeeds(p).cpu;
    if (req <= 0) continue;
    usage += m.containers.reduce((n, c) => n + c.cpuMillis, 0);
    requests += req;
  }
  const utilization = requests > 0 ? Math.round((usage / requests) * 100) : undefined;
  if (utilization === undefined && pods.length > 0) {
    d.event(hpa, 'Warning', 'FailedGetResourceMetric', 'failed to get cpu utilization: missing request for cpu or no metrics for the pods yet');
  }
  d.send(key, {
    type: 'METRICS',
    at: d.now(),
    currentReplicas: target.spec?.replicas ?? 1,
    utilization,
    target: cpuTarget(hpa),
    minReplicas: hpa.spec.minReplicas ?? 1,
    maxReplicas: hpa.spec.maxReplicas,
    behavior: hpa.spec.behavior,
  });
}

function status(ctx: AutoscalerContext, hpa: KObject) {
  const prev = (hpa.status?.conditions ?? []) as { type: string; status: string; lastTransitionTime?: string }[];
  const t = isoTime(ctx.lastScaleTime ?? 0);
  const cond = (type: string, ok: boolean, reason: string, message: string) => {
    const status = ok ? 'True' : 'False';
    const p = prev.find((c) => c.type === type);
    return { type, status, reason, message, lastTransitionTime: p?.status === status ? p.lastTransitionTime : isoTime(Date.now()) };
  };
  const limited = ctx.desiredReplicas === (hpa.spec.maxReplicas ?? 0) || ctx.desiredReplicas === (hpa.spec.minReplicas ?? 1);
  return {
    currentReplicas: ctx.currentReplicas,
    desiredReplicas: ctx.desiredReplicas,
    ...(ctx.lastScaleTime !== undefined ? { lastScaleTime: t } : {}),
    currentMetrics: ctx.utilization === undefined ? [] : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: ctx.utilization } } }],
    conditions: [
      cond('AbleToScale', true, 'ReadyForNewScale', 'recommended size matches current size'),
      cond('ScalingActive', ctx.utilization !== undefined, ctx.utilization !== undefined ? 'ValidMetricFound' : 'FailedGetResourceMetric', ctx.reason),
      cond('ScalingLimited', limited, limited ? 'TooFewReplicas' : 'DesiredWithinRange', limited ? 'the desired replica count is at a limit' : 'the desired count is within the acceptable range'),
    ],
  };
}

export function autoscalerBinding(d: AutoscalerDeps): KindBinding {
  return {
    kind: 'HorizontalPodAutoscaler',
    machine: autoscalerMachine,
    schema: AUTOSCALER_SCHEMA,
    input: () => ({ syncMs: d.syncMs, at: d.now() }),
    statusOf: (ctx: AutoscalerContext, obj) => status(ctx, obj),
    execute: (key, ctx: AutoscalerContext) => {
      const hpa = d.objects.get(key);
      if (!hpa) return;
      for (const cmd of ctx.commands) {
        if (cmd.type === 'measure') measure(d, key).catch((e) => d.log(`autoscaler ${key}: ${(e as Error).message}`));
        else {
          d.objects.scale(targetKey(hpa), cmd.replicas);
          d.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${cmd.replicas}; reason: ${cmd.reason}`);
        }
      }
    },
  };
}

