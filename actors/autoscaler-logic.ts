// The HorizontalPodAutoscaler's algorithm (autoscaling/v2, CPU utilisation), as Kubernetes has it:
//   desired = ceil(current × currentUtilisation / targetUtilisation)
// with a tolerance of 0.1 (no change while the ratio is within 1 ± 0.1), clamped to
// [minReplicas, maxReplicas]; scale-down takes the highest recommendation of the stabilisation
// window (default 300 s; scale-up 0 s); `behavior` policies limit how fast replicas change
// (Pods or Percent per periodSeconds, selectPolicy Max / Min / Disabled).

export const TOLERANCE = 0.1;

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}
export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** Kubernetes' default behavior. */
export const DEFAULT_SCALE_UP: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }, { type: 'Pods', value: 4, periodSeconds: 15 }],
};
export const DEFAULT_SCALE_DOWN: Required<ScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** The replica count the metric asks for, before stabilisation and policies. */
export function metricRecommendation(current: number, utilisation: number, target: number): number {
  if (current === 0 || target <= 0) return current;
  const ratio = utilisation / target;
  if (Math.abs(ratio - 1) <= TOLERANCE) return current;
  return Math.ceil(current * ratio);
}

export interface Recommendation {
  at: number;
  replicas: number;
}
export interface ScaleEvent {
  at: number;
  /** replicas added (positive) or removed (negative) */
  change: number;
}

function rules(b: ScalingRules | undefined, d: Required<ScalingRules>): Required<ScalingRules> {
  return {
    stabilizationWindowSeconds: b?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    selectPolicy: b?.selectPolicy ?? d.selectPolicy,
    policies: b?.policies?.length ? b.policies : d.policies,
  };
}

/** How far replicas may move from `current` now, given the scale events in each policy's period. */
function policyLimit(r: Required<ScalingRules>, current: number, events: ScaleEvent[], now: number, up: boolean): number {
  if (r.selectPolicy === 'Disabled') return current;
  const limits = r.policies.map((p) => {
    const inPeriod = events.filter((e) => e.at > now - p.periodSeconds * 1000 && (up ? e.change > 0 : e.change < 0));
    const moved = inPeriod.reduce((n, e) => n + Math.abs(e.change), 0);
    const base = up ? current - moved : current + moved; // replicas at the start of the period
    const step = p.type === 'Pods' ? p.value : Math.ceil((base * p.value) / 100);
    return up ? base + step : base - (p.type === 'Pods' ? p.value : Math.floor((base * p.value) / 100));
  });
  const pick = (r.selectPolicy === 'Max') === up ? Math.max : Math.min;
  return pick(...limits);
}

export interface Decision {
  replicas: number;
  /** recommendations to keep (those inside the longest window) */
  recommendations: Recommendation[];
  reason: string;
}

/** The replica count to set now. */
export function decide(input: {
  current: number;
  recommendation: number;
  minReplicas: number;
  maxReplicas: number;
  behavior?: Behavior;
  recommendations: Recommendation[];
  events: ScaleEvent[];
  now: number;
}): Decision {
  const up = rules(input.behavior?.scaleUp, DEFAULT_SCALE_UP);
  const down = rules(input.behavior?.scaleDown, DEFAULT_SCALE_DOWN);
  const desired = Math.min(input.maxReplicas, Math.max(input.minReplicas, input.recommendation));
  const keepMs = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  const recommendations = [...input.recommendations.filter((r) => r.at > input.now - keepMs), { at: input.now, replicas: desired }];
  const within = (s: number) => recommendations.filter((r) => r.at > input.now - s * 1000 || r.at === input.now).map((r) => r.replicas);
  // stabilise: scale up to at most the lowest, down to at least the highest, recommendation of the window
  const upTo = Math.min(...within(up.stabilizationWindowSeconds));
  const downTo = Math.max(...within(down.stabilizationWindowSeconds));
  let replicas = input.current;
  let reason = 'recommended size matches current size';
  if (upTo > input.current) {
    replicas = Math.min(upTo, policyLimit(up, input.current, input.events, input.now, true));
    reason = replicas < upTo ? 'the desired replica count is increasing faster than the maximum scale rate' : 'cpu resource utilization (percentage of request) above target';
  } else if (downTo < input.current) {
    replicas = Math.max(downTo, policyLimit(down, input.current, input.events, input.now, false));
    reason = replicas > downTo ? 'the desired replica count is decreasing faster than the maximum scale rate' : 'All metrics below target';
  } else if (desired < input.current) {
    reason = 'recent recommendations were higher than current one, applying the highest recent recommendation';
  }
  replicas = Math.min(input.maxReplicas, Math.max(input.minReplicas, replicas));
  return { replicas, recommendations, reason };
}
