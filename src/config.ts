// Every tunable of a Starling node, in one place. Each field says its meaning, unit and default.
// Presets are made by overriding a few fields of `defaultConfig` (see `testConfig`).

import { StarlingError } from './errors.ts';

export interface BackoffConfig {
  /** first delay before a restart that needs back-off, ms. Kubernetes: 10 s */
  initialMs: number;
  /** the delay doubles after each restart up to this cap, ms. Kubernetes: 5 min */
  maxMs: number;
  /** a container that ran at least this long resets its back-off, ms. Kubernetes: 10 min */
  resetAfterMs: number;
}

export interface NodeConfig {
  /** container restart back-off (CrashLoopBackOff) */
  crashLoop: BackoffConfig;
  /** image pull retry back-off (ImagePullBackOff); same schedule as Kubernetes */
  imagePull: BackoffConfig;
  /** grace period when stopping a container if the pod sets none, s. Kubernetes: 30 */
  defaultGraceSeconds: number;
  /** how long a node waits for in-flight writes on a graceful stop, ms. Default 5000 */
  shutdownTimeoutMs: number;
  /** largest manifest or API frame accepted, bytes. Default 3 MiB (etcd's request limit is 1.5 MiB, kubectl's 3 MiB) */
  maxFrameBytes: number;
  /** events kept per involved object (oldest dropped first). Default 50 */
  eventsPerObject: number;
  /** transitions kept per actor for `starling actors KIND/NAME`. Default 20 */
  transitionsPerActor: number;
  /** how often a node re-checks its containers against Docker as a safety net, ms (the event stream is primary). Default 10000 */
  resyncIntervalMs: number;
  /** sandbox (pause) image; must be present locally. Default busybox:latest */
  sandboxImage: string;
  /** bound on one image pull attempt, ms. Default 15000 */
  pullTimeoutMs: number;
}

export const defaultConfig: NodeConfig = {
  crashLoop: { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 },
  imagePull: { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 },
  defaultGraceSeconds: 30,
  shutdownTimeoutMs: 5_000,
  maxFrameBytes: 3 * 1024 * 1024,
  eventsPerObject: 50,
  transitionsPerActor: 20,
  resyncIntervalMs: 10_000,
  sandboxImage: 'busybox:latest',
  pullTimeoutMs: 15_000,
};

/** Faster timings for tests: back-off in fractions of a second. */
export const testConfig: NodeConfig = {
  ...defaultConfig,
  crashLoop: { initialMs: 500, maxMs: 4_000, resetAfterMs: 20_000 },
  imagePull: { initialMs: 500, maxMs: 4_000, resetAfterMs: 20_000 },
  defaultGraceSeconds: 2,
  resyncIntervalMs: 2_000,
};

/** Merges overrides into a base config and checks every value. */
export function makeConfig(overrides: Partial<NodeConfig> = {}, base = defaultConfig): NodeConfig {
  const c = { ...base, ...overrides };
  const positive = (field: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) {
      throw new StarlingError('ConfigError', `config.${field}: must be a number >= 0, got ${v}`);
    }
  };
  for (const [k, b] of [['crashLoop', c.crashLoop], ['imagePull', c.imagePull]] as const) {
    positive(`${k}.initialMs`, b.initialMs);
    positive(`${k}.maxMs`, b.maxMs);
    positive(`${k}.resetAfterMs`, b.resetAfterMs);
    if (b.maxMs < b.initialMs) {
      throw new StarlingError('ConfigError', `config.${k}.maxMs: must be >= initialMs`);
    }
  }
  positive('defaultGraceSeconds', c.defaultGraceSeconds);
  positive('shutdownTimeoutMs', c.shutdownTimeoutMs);
  positive('maxFrameBytes', c.maxFrameBytes);
  positive('eventsPerObject', c.eventsPerObject);
  positive('transitionsPerActor', c.transitionsPerActor);
  positive('resyncIntervalMs', c.resyncIntervalMs);
  positive('pullTimeoutMs', c.pullTimeoutMs);
  return c;
}

/** The Starling version reported by nodes (`get nodes` VERSION). */
export const STARLING_VERSION = 'v0.1.0';
