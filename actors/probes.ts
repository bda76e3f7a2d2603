// Container probes as pure state: when each probe is due, and what its results mean.
// Kubernetes' rules: a startup probe runs first and holds the others back until it succeeds;
// liveness failing `failureThreshold` times in a row restarts the container; readiness decides
// whether the container is ready (an endpoint). Defaults: initialDelaySeconds 0, periodSeconds
// 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3.

export type ProbeKind = 'startup' | 'liveness' | 'readiness';
export const PROBE_KINDS: ProbeKind[] = ['startup', 'liveness', 'readiness'];

/** Timing and thresholds of one probe (the handler stays in the pod spec, for the host). */
export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ProbeState {
  /** when it runs next (ms); undefined while a run is in flight */
  nextAt?: number;
  successes: number;
  failures: number;
  /** the outcome that counts: passed its success threshold since the last failure run */
  passing: boolean;
}

export type ProbeTimings = Partial<Record<ProbeKind, ProbeTiming>>;

/** Kubernetes' defaults applied to a probe as written in a manifest. */
export function probeTiming(p: {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}): ProbeTiming {
  return {
    initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
    periodMs: (p.periodSeconds ?? 10) * 1000,
    timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
    successThreshold: p.successThreshold ?? 1,
    failureThreshold: p.failureThreshold ?? 3,
  };
}

/** Probe states for a container that just started at `at`. */
export function startProbes(timings: ProbeTimings, at: number): Partial<Record<ProbeKind, ProbeState>> {
  const states: Partial<Record<ProbeKind, ProbeState>> = {};
  for (const kind of PROBE_KINDS) {
    const t = timings[kind];
    if (!t) continue;
    // with a startup probe, liveness and readiness start when it has succeeded
    const held = kind !== 'startup' && timings.startup;
    states[kind] = { nextAt: held ? undefined : at + t.initialDelayMs, successes: 0, failures: 0, passing: false };
  }
  return states;
}

/** Probes due at `now` (their runs are then in flight: nextAt cleared). */
export function dueProbes(states: Partial<Record<ProbeKind, ProbeState>>, now: number): ProbeKind[] {
  const due: ProbeKind[] = [];
  for (const kind of PROBE_KINDS) {
    const s = states[kind];
    if (s?.nextAt !== undefined && s.nextAt <= now) {
      s.nextAt = undefined;
      due.push(kind);
    }
  }
  return due;
}

export type ProbeVerdict = 'none' | 'started' | 'kill' | 'ready' | 'unready';

/** Applies one probe result; says what changed for the container. */
export function probeResult(
  states: Partial<Record<ProbeKind, ProbeState>>,
  timings: ProbeTimings,
  kind: ProbeKind,
  ok: boolean,
  at: number,
): ProbeVerdict {
  const s = states[kind];
  const t = timings[kind];
  if (!s || !t) return 'none';
  s.nextAt = at + t.periodMs;
  if (ok) {
    s.failures = 0;
    s.successes++;
    if (!s.passing && s.successes >= t.successThreshold) {
      s.passing = true;
      if (kind === 'startup') {
        s.nextAt = undefined; // a startup probe stops once it succeeded
        for (const k of ['liveness', 'readiness'] as const) {
          const other = states[k];
          if (other && timings[k]) other.nextAt = at + timings[k]!.initialDelayMs;
        }
        return 'started';
      }
      return kind === 'readiness' ? 'ready' : 'none';
    }
    return 'none';
  }
  s.successes = 0;
  s.failures++;
  if (s.failures < t.failureThreshold) return 'none';
  if (kind === 'readiness') {
    const was = s.passing;
    s.passing = false;
    return was || s.failures === t.failureThreshold ? 'unready' : 'none';
  }
  s.nextAt = undefined;
  return 'kill';
}

/** Whether a running container counts as ready and as started. */
export function probeFlags(timings: ProbeTimings, states: Partial<Record<ProbeKind, ProbeState>> | undefined) {
  const started = !timings.startup || !!states?.startup?.passing;
  const ready = started && (!timings.readiness || !!states?.readiness?.passing);
  return { started, ready };
}
