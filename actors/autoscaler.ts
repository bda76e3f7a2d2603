// The HorizontalPodAutoscaler actor. Every sync period (15 s in Kubernetes) it asks for a
// measurement (`measure`), decides from it (autoscaler-logic.ts) and asks for a new replica
// count (`scale`). States: Waiting (no metrics yet), Stable, ScalingUp, ScalingDown (the last
// decision). The next sync is a deadline in context (`wakeAt`), so a restored actor keeps its pace.
// Effects (`execute`): measure, scale.

import { type Behavior, decide, metricRecommendation, type Recommendation, type ScaleEvent } from './autoscaler-logic.ts';
import { reducerMachine } from './reducer-machine.ts';

export * from './autoscaler-logic.ts';
export const AUTOSCALER_SCHEMA = 1;

export type AutoscalerCommand = { type: 'measure' } | { type: 'scale'; replicas: number; reason: string };

export interface AutoscalerContext {
  schema: 1;
  syncMs: number;
  currentReplicas: number;
  desiredReplicas: number;
  /** measured average CPU utilisation, percent of requests */
  utilization?: number;
  target?: number;
  lastScaleTime?: number;
  lastDecision: 'none' | 'up' | 'down';
  reason: string;
  recommendations: Recommendation[];
  events: ScaleEvent[];
  wakeAt?: number;
  commands: AutoscalerCommand[];
}

export type AutoscalerEvent =
  | { type: 'TICK'; at: number }
  | {
    type: 'METRICS';
    at: number;
    currentReplicas: number;
    /** undefined when no pod reported CPU */
    utilization?: number;
    target: number;
    minReplicas: number;
    maxReplicas: number;
    behavior?: Behavior;
  };

export const autoscalerMachine = reducerMachine<AutoscalerContext, AutoscalerEvent, { syncMs: number; at: number }>({
  id: 'autoscaler',
  states: ['Waiting', 'Stable', 'ScalingUp', 'ScalingDown'],
  initial: ({ syncMs, at }) => ({
    schema: 1,
    syncMs,
    currentReplicas: 0,
    desiredReplicas: 0,
    lastDecision: 'none',
    reason: 'waiting for metrics',
    recommendations: [],
    events: [],
    wakeAt: at,
    commands: [],
  }),
  reduce: (ctx, ev) => {
    const next: AutoscalerContext = { ...ctx, commands: [] };
    if (ev.type === 'TICK') {
      if (ctx.wakeAt !== undefined && ev.at >= ctx.wakeAt) {
        next.commands.push({ type: 'measure' });
        next.wakeAt = ev.at + ctx.syncMs;
      }
      return next;
    }
    next.currentReplicas = ev.currentReplicas;
    next.target = ev.target;
    next.utilization = ev.utilization;
    next.wakeAt ??= ev.at + ctx.syncMs;
    if (ev.utilization === undefined) {
      next.reason = 'the HPA was unable to compute the replica count: no CPU metrics for the pods yet';
      next.lastDecision = 'none';
      return next;
    }
    const keepEventsMs = 30 * 60_000;
    const d = decide({
      current: ev.currentReplicas,
      recommendation: metricRecommendation(ev.currentReplicas, ev.utilization, ev.target),
      minReplicas: ev.minReplicas,
      maxReplicas: ev.maxReplicas,
      behavior: ev.behavior,
      recommendations: ctx.recommendations,
      events: ctx.events.filter((e) => e.at > ev.at - keepEventsMs),
      now: ev.at,
    });
    next.recommendations = d.recommendations;
    next.desiredReplicas = d.replicas;
    next.reason = d.reason;
    next.events = ctx.events.filter((e) => e.at > ev.at - keepEventsMs);
    if (d.replicas !== ev.currentReplicas) {
      next.commands.push({ type: 'scale', replicas: d.replicas, reason: d.reason });
      next.events.push({ at: ev.at, change: d.replicas - ev.currentReplicas });
      next.lastScaleTime = ev.at;
      next.lastDecision = d.replicas > ev.currentReplicas ? 'up' : 'down';
    } else {
      next.lastDecision = 'none';
    }
    return next;
  },
  stateOf: (ctx) =>
    ctx.utilization === undefined ? 'Waiting' : ctx.lastDecision === 'up' ? 'ScalingUp' : ctx.lastDecision === 'down' ? 'ScalingDown' : 'Stable',
});
