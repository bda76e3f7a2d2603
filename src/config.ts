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

/**
 * SWIM-style membership and gossip timing (memberlist's model). Failure detection time is about
 * probeIntervalMs + suspicion timeout, where
 *   suspicion timeout = suspicionMult × max(1, log10(N + 1)) × probeIntervalMs  (N = members).
 * The defaults detect a dead member of a 5-node LAN cluster in about 1.5–2.5 s.
 */
export interface GossipConfig {
  /** how often a member probes one random other member, ms. Default 300 (memberlist LAN: 1000) */
  probeIntervalMs: number;
  /** how long a direct probe waits for its ack before indirect probes, ms. Default 150 */
  probeTimeoutMs: number;
  /** members asked to probe indirectly when a direct probe fails. Default 3 */
  indirectProbes: number;
  /** suspicion timeout multiplier (formula above). Default 4 */
  suspicionMult: number;
  /** members each gossip round sends piggy-backed updates to. Default 3 */
  gossipFanout: number;
  /** how often a gossip round runs, ms. Default 100 */
  gossipIntervalMs: number;
  /** an update is retransmitted retransmitMult × ceil(log10(N + 1)) times. Default 4 */
  retransmitMult: number;
  /** how often a member does a full state exchange (push-pull) with a random other, ms. Default 10000 */
  pushPullIntervalMs: number;
  /** dead members are forgotten after this long, ms. Default 1 h */
  deadReclaimMs: number;
}

export interface ReplicationConfig {
  /** how often a node compares its store with a random member's (anti-entropy), ms. Default 2000 */
  antiEntropyIntervalMs: number;
  /** local commits are pushed to the members in batches, at most this long after the first, ms;
   * a record committed several times in one batch is sent once (its newest version). Default 10 */
  pushBatchMs: number;
  /** tombstones of deleted objects are kept this long before they are purged, ms. Default 24 h */
  tombstoneTtlMs: number;
  /** how many nodes keep each record that is not on every node — an event, a Pod's actor record:
   * the node that wrote it and the members ranked first by rendezvous hashing (and the pod's
   * node); `get events`, `describe` and `actors` ask every member. Default 3 */
  partialCopies: number;
  /** a pod its controller's node is placing goes at once to the members ranked first for its
   * controller's key, and to every other member when the node it is bound to pushes it, bound;
   * if it is still unbound this long after it was written (unschedulable, or placing is slow) it
   * is pushed to every member then, ms. Default 2000 */
  unboundPodPushMs: number;
}

export interface NodeConfig {
  gossip: GossipConfig;
  replication: ReplicationConfig;
  /** default lifetime of a join token, ms (kubeadm: 24 h) */
  joinTokenTtlMs: number;
  /** how long a joining node waits for the seed to answer, ms. Default 5000 */
  joinTimeoutMs: number;
  /** pods of a node that stopped gracefully (Left) are replaced elsewhere after this long, ms;
   * a node declared Dead has its pods replaced at once. Default 60000 */
  leftEvictionMs: number;
  /** how long a scheduler waits for a node to answer a bind, ms. Default 2000 */
  bindTimeoutMs: number;
  /** how often a node looks for objects whose owner is gone (garbage collection) and re-SYNCs the controllers it hosts, ms. Default 10000 */
  gcIntervalMs: number;
  /** how often a node samples the CPU and memory of its containers (`top`, autoscaling), ms. Default 5000 */
  metricsIntervalMs: number;
  /** how often a HorizontalPodAutoscaler measures and decides, ms. Default 15000 (Kubernetes' sync period) */
  hpaSyncMs: number;
  /** container restart back-off (CrashLoopBackOff) */
  crashLoop: BackoffConfig;
  /** image pull retry back-off (ImagePullBackOff); same schedule as Kubernetes */
  imagePull: BackoffConfig;
  /** grace period when stopping a container if the pod sets none, s. Kubernetes: 30 */
  defaultGraceSeconds: number;
  /**
   * how long a deleted pod that a Service selects keeps running before its containers get
   * SIGTERM, so that every node's proxy has stopped sending it connections (taken from its grace
   * period; docs/services.md), ms. Default 1000
   */
  endpointDrainMs: number;
  /** how long a node waits for in-flight writes on a graceful stop, ms. Default 5000 */
  shutdownTimeoutMs: number;
  /** largest manifest or API frame accepted, bytes. Default 3 MiB (etcd's request limit is 1.5 MiB, kubectl's 3 MiB) */
  maxFrameBytes: number;
  /** events kept per involved object (oldest dropped first). Default 50 */
  eventsPerObject: number;
  /** how often `get events -w` asks the members for new events (events are on a few nodes
   * each, docs/decisions.md), ms. Default 1000 */
  eventsWatchPollMs: number;
  /** transitions kept per actor for `starling actors KIND/NAME`. Default 20 */
  transitionsPerActor: number;
  /** sandbox (pause) image; must be present locally. Default busybox:latest */
  sandboxImage: string;
  /** bound on one image pull attempt, ms. Default 15000 */
  pullTimeoutMs: number;
}

export const defaultGossip: GossipConfig = {
  probeIntervalMs: 300,
  probeTimeoutMs: 150,
  indirectProbes: 3,
  suspicionMult: 4,
  gossipFanout: 3,
  gossipIntervalMs: 100,
  retransmitMult: 4,
  pushPullIntervalMs: 10_000,
  deadReclaimMs: 3_600_000,
};

export const defaultConfig: NodeConfig = {
  gossip: defaultGossip,
  replication: { antiEntropyIntervalMs: 2_000, pushBatchMs: 10, tombstoneTtlMs: 86_400_000, partialCopies: 3, unboundPodPushMs: 2_000 },
  joinTokenTtlMs: 86_400_000,
  joinTimeoutMs: 5_000,
  leftEvictionMs: 60_000,
  bindTimeoutMs: 2_000,
  gcIntervalMs: 10_000,
  metricsIntervalMs: 5_000,
  hpaSyncMs: 15_000,
  crashLoop: { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 },
  imagePull: { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 },
  defaultGraceSeconds: 30,
  endpointDrainMs: 1_000,
  shutdownTimeoutMs: 5_000,
  maxFrameBytes: 3 * 1024 * 1024,
  eventsPerObject: 50,
  eventsWatchPollMs: 1_000,
  transitionsPerActor: 20,
  sandboxImage: 'busybox:latest',
  pullTimeoutMs: 15_000,
};

/** Faster timings for tests: back-off in fractions of a second. */
export const testConfig: NodeConfig = {
  ...defaultConfig,
  crashLoop: { initialMs: 500, maxMs: 4_000, resetAfterMs: 20_000 },
  imagePull: { initialMs: 500, maxMs: 4_000, resetAfterMs: 20_000 },
  defaultGraceSeconds: 2,
  gcIntervalMs: 2_000,
  metricsIntervalMs: 1_000,
  hpaSyncMs: 2_000,
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
  positive('eventsWatchPollMs', c.eventsWatchPollMs);
  positive('transitionsPerActor', c.transitionsPerActor);
  positive('pullTimeoutMs', c.pullTimeoutMs);
  for (const [k, v] of Object.entries(c.gossip)) positive(`gossip.${k}`, v);
  for (const [k, v] of Object.entries(c.replication)) positive(`replication.${k}`, v);
  if (!Number.isInteger(c.replication.partialCopies) || c.replication.partialCopies < 1) {
    throw new StarlingError('ConfigError', `config.replication.partialCopies: must be a whole number >= 1, got ${c.replication.partialCopies}`);
  }
  positive('joinTokenTtlMs', c.joinTokenTtlMs);
  positive('joinTimeoutMs', c.joinTimeoutMs);
  positive('leftEvictionMs', c.leftEvictionMs);
  positive('bindTimeoutMs', c.bindTimeoutMs);
  positive('gcIntervalMs', c.gcIntervalMs);
  positive('metricsIntervalMs', c.metricsIntervalMs);
  positive('hpaSyncMs', c.hpaSyncMs);
  if (c.gossip.probeTimeoutMs >= c.gossip.probeIntervalMs) {
    throw new StarlingError('ConfigError', 'config.gossip.probeTimeoutMs: must be less than probeIntervalMs');
  }
  return c;
}

/** The Starling version reported by nodes (`get nodes` VERSION). */
export const STARLING_VERSION = 'v0.1.0';
