// Failure detection: a killed member is suspected, then declared dead by every other member
// within the bound computed from the config; a slow member refutes and is never declared dead.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimCluster } from '../../src/cluster/membership-sim.ts';
import { detectionTimeMs, suspicionTimeoutMs } from '../../src/cluster/swim-timing.ts';
import type { MemberState } from '../../src/cluster/types.ts';

const test = suite('cluster: membership failure detection');

async function converged(n: number, seed: number) {
  const sim = new SimCluster({ seed });
  for (let i = 1; i <= n; i++) sim.add(`n${i}`);
  await sim.joinAll();
  assert.ok((await sim.until(() => sim.converged(), 10_000)) >= 0, 'converged');
  await sim.run(2_000); // settle into steady probing
  return sim;
}

/** Records, per observer, when it first saw `target` in each state. */
function watch(sim: SimCluster, target: string) {
  const seen = new Map<string, Partial<Record<MemberState, number>>>();
  for (const o of sim.running().filter((n) => n !== target)) {
    const mine: Partial<Record<MemberState, number>> = {};
    seen.set(o, mine);
    sim.get(o).onChange((m) => {
      if (m.name === target && mine[m.state] === undefined) mine[m.state] = sim.clock.now();
    });
  }
  return seen;
}

for (const [n, seed] of [[5, 21], [5, 22], [20, 23]] as const) {
  test(`a killed member of ${n} is suspected, then dead everywhere within the bound (seed ${seed})`, async () => {
    const sim = await converged(n, seed);
    const victim = `n${n - 1}`;
    const seen = watch(sim, victim);
    const { suspicionMs, disseminationMs, boundMs } = detectionTimeMs(sim.config, n);
    assert.is(suspicionMs, suspicionTimeoutMs(sim.config, n));
    const killedAt = sim.clock.now();
    sim.net.kill(victim);
    const took = await sim.until(() => sim.allSee(victim, 'dead'), boundMs + 5_000);
    assert.ok(took >= 0, 'declared dead');
    // the whole: within the bound (4 probe intervals + suspicion + dissemination; see swim-timing.ts)
    assert.ok(took <= boundMs, `dead everywhere after ${took} ms; bound ${boundMs} ms`);
    // the deterministic part: from the first suspicion, dead everywhere within suspicion + dissemination
    const firstSuspect = Math.min(...[...seen.values()].map((at) => at.suspect!));
    for (const [o, at] of seen) {
      assert.ok(at.suspect !== undefined, `${o} suspected ${victim} first`);
      assert.ok(at.dead! >= at.suspect!, `${o}: suspect, then dead`);
      assert.ok(at.dead! - firstSuspect >= suspicionMs, `${o}: not dead before the suspicion timeout`);
      assert.ok(at.dead! - firstSuspect <= suspicionMs + disseminationMs, `${o}: dead ${at.dead! - firstSuspect} ms after the first suspicion`);
    }
    // and it stays dead: nobody revives it
    await sim.run(5_000);
    assert.ok(sim.allSee(victim, 'dead'));
    assert.ok(sim.converged(), 'the others are untouched');
    assert.is(sim.get('n1').alive().length, n - 1);
    await sim.stop();
  });
}

for (const seed of [31, 32, 33, 34]) {
  test(`a slow member refutes its suspicion and is never declared dead (seed ${seed})`, async () => {
    const sim = await converged(5, seed);
    const slow = 'n3';
    const seen = watch(sim, slow);
    const before = sim.get(slow).incarnation;
    const timeout = suspicionTimeoutMs(sim.config, 5);
    // every message from or to n3 is lost until someone suspects it, then for half a suspicion timeout more
    sim.net.setNodeDropRate(slow, 1);
    const suspectedAfter = await sim.until(() => sim.running().some((o) => sim.stateOf(o, slow) === 'suspect'), 5_000);
    assert.ok(suspectedAfter >= 0, 'n3 was suspected');
    await sim.run(timeout / 2);
    sim.net.setNodeDropRate(slow, 0);
    await sim.run(10_000);
    for (const [o, at] of seen) assert.is(at.dead, undefined, `${o} never declared ${slow} dead`);
    assert.ok(sim.get(slow).incarnation > before, `incarnation went up: ${before} → ${sim.get(slow).incarnation}`);
    assert.ok(sim.allSee(slow, 'alive'));
    for (const o of sim.running()) assert.is(sim.get(o).member(slow)!.incarnation, sim.get(slow).incarnation, o);
    assert.ok(sim.converged());
    await sim.stop();
  });
}

test('5% message loss causes no false deaths', async () => {
  const sim = await converged(8, 41);
  const deaths: string[] = [];
  for (const o of sim.running()) {
    sim.get(o).onChange((m) => {
      if (m.state === 'dead') deaths.push(`${o} saw ${m.name} dead`);
    });
  }
  sim.net.setDropRate(0.05);
  await sim.run(30_000);
  assert.equal(deaths, []);
  await sim.stop();
});

test('10% message loss: false suspicions are refuted, and all are alive once the loss ends', async () => {
  const sim = await converged(8, 42);
  let suspicions = 0;
  const deaths: string[] = [];
  for (const o of sim.running()) {
    sim.get(o).onChange((m) => {
      if (m.state === 'suspect') suspicions++;
      if (m.state === 'dead') deaths.push(`${o} saw ${m.name} dead`);
    });
  }
  sim.net.setDropRate(0.1);
  await sim.run(30_000);
  assert.ok(suspicions > 0, 'the loss did cause suspicions');
  assert.equal(deaths, [], 'every suspicion was refuted in time');
  sim.net.setDropRate(0);
  const took = await sim.until(() => sim.converged(), 20_000);
  assert.ok(took >= 0 && took <= 2_000, `all alive everywhere ${took} ms after the loss ended`);
  await sim.stop();
});

test.run();
