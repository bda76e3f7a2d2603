// The one clock everything takes time from. Tests hand in a SimulatedClock and advance it
// instead of sleeping; production uses systemClock.

export type TimerHandle = { readonly id: number };

export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

let nextId = 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    const handle = { id: nextId++, t };
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout((handle as unknown as { t: ReturnType<typeof setTimeout> }).t);
  },
};

/** A clock that only moves when told to; timers fire in deadline order during advance(). */
export class SimulatedClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now() {
    return this.current;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = nextId++;
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn });
    return { id };
  }
  clearTimeout(handle: TimerHandle) {
    this.timers.delete(handle.id);
  }
  /** Moves time forward by ms, firing due timers in order (timers they set fire too if due). */
  advance(ms: number) {
    const target = this.current + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.current = Math.max(this.current, next[1].at);
      next[1].fn();
    }
    this.current = target;
  }
  /** Number of pending timers (for tests). */
  pending() {
    return this.timers.size;
  }
}

const isoCache = new Map<number, string>();
export const isoTime = (ms: number) => {
  // second precision, so one string per second: formatted once (status writes format many times)
  const s = Math.floor(ms / 1000);
  let v = isoCache.get(s);
  if (v === undefined) {
    v = new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (isoCache.size >= 4096) isoCache.clear();
    isoCache.set(s, v);
  }
  return v;
};

/**
 * Long work a node does in the background (reading its events after a start, resyncing its
 * controllers, sampling metrics) runs in turns of the event loop of about this many ms, so that
 * requests and gossip are handled between them.
 */
export const BACKGROUND_TURN_MS = 2;

/** Paces a loop of background work into turns of BACKGROUND_TURN_MS (wall time, not the Clock's). */
export class Turns {
  private start = performance.now();
  /** Whether this turn's time is up. */
  get due(): boolean {
    return performance.now() - this.start > BACKGROUND_TURN_MS;
  }
  /** Lets I/O run (ends the turn; call when `due`). */
  async pause(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.start = performance.now();
  }
}
