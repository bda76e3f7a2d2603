// The timing formulas (swim-timing.ts) as tables, with the default numbers the README quotes.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultGossip } from '../../src/config.ts';
import {
  detectionTimeMs,
  disseminationRounds,
  pushPullIntervalMs,
  retransmitLimit,
  suspicionTimeoutMs,
} from '../../src/cluster/swim-timing.ts';

const test = suite('cluster: SWIM timing formulas');

test('suspicion timeout = mult × max(1, log10(N + 1)) × probe interval', () => {
  const rows: [number, number][] = [
    [1, 1200],
    [5, 1200],
    [9, 1200], // log10(10) = 1
    [10, 1250], // 4 × 1.0414 × 300 = 1249.7
    [20, 1587],
    [100, 2405],
    [1000, 3601],
  ];
  for (const [n, ms] of rows) assert.is(suspicionTimeoutMs(defaultGossip, n), ms, `N = ${n}`);
  assert.is(suspicionTimeoutMs({ suspicionMult: 5, probeIntervalMs: 1000 }, 5), 5000, 'memberlist LAN');
});

test('retransmit limit = mult × ceil(log10(N + 1)), at least 1', () => {
  const rows: [number, number, number][] = [
    [4, 1, 4],
    [4, 5, 4],
    [4, 9, 4],
    [4, 10, 8],
    [4, 99, 8],
    [4, 100, 12],
    [0, 5, 1],
  ];
  for (const [mult, n, limit] of rows) assert.is(retransmitLimit(mult, n), limit, `mult ${mult}, N = ${n}`);
});

test('push-pull interval grows above 32 members (memberlist pushPullScale)', () => {
  const rows: [number, number][] = [
    [1, 10_000],
    [32, 10_000],
    [33, 20_000],
    [64, 20_000],
    [65, 30_000],
    [100, 30_000],
    [128, 30_000],
    [129, 40_000],
  ];
  for (const [n, ms] of rows) assert.is(pushPullIntervalMs(10_000, n), ms, `N = ${n}`);
});

test('dissemination rounds = ceil(log_fanout(N))', () => {
  const rows: [number, number, number][] = [
    [3, 1, 0],
    [3, 2, 1],
    [3, 3, 1],
    [3, 5, 2],
    [3, 20, 3],
    [3, 100, 5],
    [1, 5, 4],
  ];
  for (const [fanout, n, rounds] of rows) assert.is(disseminationRounds(fanout, n), rounds, `fanout ${fanout}, N = ${n}`);
});

test('detection time with the defaults', () => {
  assert.equal(detectionTimeMs(defaultGossip, 5), { suspicionMs: 1200, disseminationMs: 200, expectedMs: 2000, boundMs: 2600 });
  assert.equal(detectionTimeMs(defaultGossip, 20), { suspicionMs: 1587, disseminationMs: 300, expectedMs: 2487, boundMs: 3087 });
  assert.equal(detectionTimeMs(defaultGossip, 100), { suspicionMs: 2405, disseminationMs: 500, expectedMs: 3505, boundMs: 4105 });
});

test.run();
