// 100 members in one process on the in-memory network: they converge through one seed, the
// traffic per member stays bounded (no O(N²)), and a failure is still detected in time.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimCluster } from '../../src/cluster/membership-sim.ts';
import { detectionTimeMs, pushPullIntervalMs } from '../../src/cluster/swim-timing.ts';

const test = suite('cluster: membership at 100 members');

const N = 100;
const names = Array.from({ length: N }, (_, i) => `n${i + 1}`);
// one seed; the bound asserted below holds for ~95% of seeds (see detectionTimeMs)
const sim = new SimCluster({ seed: 101 });

test('100 members join through one seed and converge', async () => {
  for (const n of names) sim.add(n);
  await sim.joinAll('n1');
  assert.is(sim.joinErrors.size, 0);
  const took = await sim.until(() => sim.converged(), 20_000);
  assert.ok(took >= 0 && took <= 5_000, `converged in ${took} ms of cluster time`);
  for (const n of names) assert.is(sim.get(n).members().length, N);
});

test('steady state: a ping and an ack per probe interval per member, no false suspicion', async () => {
  let changes = 0;
  for (const n of names) sim.get(n).onChange(() => changes++);
  await sim.run(5_000); // the join's news finishes spreading
  for (const n of names) assert.is(sim.get(n).pendingBroadcasts, 0, `${n} has nothing left to gossip`);
  const sent = sim.net.stats.sent;
  await sim.run(10_000);
  const perMemberPerSecond = (sim.net.stats.sent - sent) / N / 10;
  // a probe is a ping and an ack; gossip rounds send nothing without news; push-pull is every
  // 30 s at this size. Nothing here grows with N.
  const probes = 2 * (1000 / sim.config.probeIntervalMs);
  assert.ok(perMemberPerSecond <= probes * 1.1, `${perMemberPerSecond.toFixed(2)} messages per member per second (probing alone: ${probes.toFixed(2)})`);
  assert.is(changes, 0, 'nothing changed');
});

test('a killed member is declared dead by all 99 others within the bound', async () => {
  const { boundMs, suspicionMs } = detectionTimeMs(sim.config, N);
  sim.net.kill('n50');
  const took = await sim.until(() => sim.allSee('n50', 'dead'), boundMs + 5_000);
  assert.ok(took >= suspicionMs && took <= boundMs, `dead everywhere after ${took} ms (bound ${boundMs})`);
  const perMember = names.filter((n) => n !== 'n50').map((n) => sim.get(n).alive().length);
  assert.ok(perMember.every((c) => c === N - 1));
});

test('a meta update reaches almost everyone by gossip at once, and everyone by push-pull', async () => {
  sim.get('n7').updateMeta({ unschedulable: true });
  const others = () => sim.running().filter((o) => o !== 'n7');
  const has = (o: string) => sim.get(o).member('n7')?.meta.unschedulable === true;
  await sim.run(1_000);
  const reached = others().filter(has).length / others().length;
  // each update is sent retransmitMult × ceil(log10(N + 1)) = 8 times by each of the 98 others that
  // take it: a given member misses it with probability about e^-8, someone with about 3%
  assert.ok(reached >= 0.98, `${(reached * 100).toFixed(0)}% have it after 1 s`);
  // a member's own push-pull (every pushPullIntervalMs scaled for N) brings what gossip missed
  const interval = pushPullIntervalMs(sim.config.pushPullIntervalMs, N);
  const took = await sim.until(() => others().every(has), interval + 1_000);
  assert.ok(took >= 0, 'everyone has it within one push-pull interval');
  await sim.stop();
  assert.is(sim.clock.pending(), 0);
});

test.run();
