// The pure timing formulas of the SWIM layer (memberlist's util.go). N is the number of live
// members (alive or suspect), this node included. Tested by table in membership-timing.test.ts.

import type { GossipConfig } from '../config.ts';

/**
 * How long a member stays suspect before it is declared dead, ms:
 *   suspicionMult × max(1, log10(N + 1)) × probeIntervalMs
 * Defaults (mult 4, probe 300 ms): 1200 ms up to 9 members, 1587 ms at 20, 2405 ms at 100.
 */
export function suspicionTimeoutMs(config: Pick<GossipConfig, 'suspicionMult' | 'probeIntervalMs'>, n: number): number {
  const scale = Math.max(1, Math.log10(Math.max(0, n) + 1));
  return Math.round(config.suspicionMult * scale * config.probeIntervalMs);
}

/**
 * How many times one update is sent before it leaves the broadcast queue:
 *   retransmitMult × ceil(log10(N + 1)), at least 1.
 * Defaults (mult 4): 4 up to 9 members, 8 up to 99, 12 up to 999.
 */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return Math.max(1, retransmitMult * Math.ceil(Math.log10(Math.max(1, n) + 1)));
}

/** Above this many members the push-pull interval grows (memberlist's pushPullScaleThreshold). */
export const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * The push-pull interval for a cluster of N, ms (memberlist's pushPullScale): unchanged up to 32
 * members, then multiplied by ceil(log2(N) − log2(32)) + 1, so a full state exchange — whose
 * size grows with N — keeps a bounded share of the bandwidth. 10 s default: 30 s at 100 members.
 */
export function pushPullIntervalMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const mult = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return intervalMs * mult;
}

/** Gossip rounds until an update has reached ~everyone: ceil(log_fanout(N)), at least 1. */
export function disseminationRounds(fanout: number, n: number): number {
  if (n <= 1) return 0;
  if (fanout <= 1) return n - 1;
  return Math.max(1, Math.ceil(Math.log(n) / Math.log(fanout)));
}

export interface DetectionTime {
  /** suspect → dead at the first member that suspects (the formula above) */
  suspicionMs: number;
  /** the dead update reaches every member: gossipIntervalMs × ceil(log_fanout(N)) */
  disseminationMs: number;
  /**
   * The usual case: someone starts probing the failed member within about one interval (each
   * of the N − 1 others probes one member per interval, so it is probed ~once per interval),
   * the probe fails at the end of its interval, then suspicion and dissemination:
   *   2 × probeIntervalMs + suspicion + dissemination
   */
  expectedMs: number;
  /**
   * A bound that holds at least 95% of the time: the chance that none of the N − 1 others has
   * probed the failed member within k intervals is at most e^−k (round-robin probing), so
   * with k = 3:  4 × probeIntervalMs + suspicion + dissemination
   */
  boundMs: number;
}

/**
 * How long from a member's failure until every other member holds it dead, for a cluster of N
 * members (the failed one included). With the defaults and N = 5: suspicion 1200 ms,
 * dissemination 200 ms, expected 2000 ms, bound 2600 ms.
 */
export function detectionTimeMs(config: GossipConfig, n: number): DetectionTime {
  const suspicionMs = suspicionTimeoutMs(config, n);
  const disseminationMs = config.gossipIntervalMs * disseminationRounds(config.gossipFanout, n);
  return {
    suspicionMs,
    disseminationMs,
    expectedMs: 2 * config.probeIntervalMs + suspicionMs + disseminationMs,
    boundMs: 4 * config.probeIntervalMs + suspicionMs + disseminationMs,
  };
}
