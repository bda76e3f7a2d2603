// Kubernetes' restart and image-pull back-off, as pure maths.
// The first restart is immediate; then 10 s, doubling each time up to 5 min (defaults);
// a container that ran for resetAfterMs (10 min) starts over.

export interface Backoff {
  /** first non-zero delay, ms */
  initialMs: number;
  /** cap, ms */
  maxMs: number;
  /** a run at least this long resets the back-off, ms */
  resetAfterMs: number;
}

/** Delay before restart number `step` (0-based): 0, initial, 2×initial, ... capped at max. */
export function restartDelay(b: Backoff, step: number): number {
  if (step <= 0) return 0;
  return Math.min(b.maxMs, b.initialMs * 2 ** (step - 1));
}

/** Delay before retry number `step` (1-based) of an image pull: initial, 2×initial, ... capped. */
export function pullDelay(b: Backoff, step: number): number {
  return Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, step - 1));
}
