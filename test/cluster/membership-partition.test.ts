// Partitions and restarts: each side of a partition declares the other dead; after the heal,
// push-pull brings everyone back alive with higher incarnations. A restarted member (a new
// Membership under the same name) rejoins and is alive everywhere.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimCluster } from '../../src/cluster/membership-sim.ts';
import { detectionTimeMs, pushPullIntervalMs } from '../../src/cluster/swim-timing.ts';

const test = suite('cluster: membership partitions and restarts');

async function converged(names: string[], seed: number) {
  const sim = new SimCluster({ seed });
  for (const n of names) sim.add(n);
  await sim.joinAll();
  assert.ok((await sim.until(() => sim.converged(), 10_000)) >= 0, 'converged');
  await sim.run(1_000);
  return sim;
}

for (const seed of [51, 52, 53]) {
  test(`a partition into two groups, then heal (seed ${seed})`, async () => {
    const a = ['n1', 'n2', 'n3'];
    const b = ['n4', 'n5'];
    const sim = await converged([...a, ...b], seed);
    const before = new Map([...a, ...b].map((n) => [n, sim.get(n).incarnation]));
    sim.net.partition(a, b);
    const { boundMs } = detectionTimeMs(sim.config, 5);
    const split = await sim.until(
      () => a.every((x) => b.every((y) => sim.stateOf(x, y) === 'dead' && sim.stateOf(y, x) === 'dead')),
      boundMs + 2_000,
    );
    assert.ok(split >= 0, 'each side declared the other dead');
    assert.ok(sim.converged(a) && sim.converged(b), 'each side is whole');
    await sim.run(5_000);
    assert.ok(a.every((x) => b.every((y) => sim.stateOf(x, y) === 'dead')), 'and stays split while cut');

    sim.net.heal();
    // a push-pull across (members also push-pull with members they hold dead) heals it
    const interval = pushPullIntervalMs(sim.config.pushPullIntervalMs, 5);
    const healed = await sim.until(() => sim.converged([...a, ...b]), 3 * interval);
    assert.ok(healed >= 0, `all alive on all members again (${healed} ms after the heal)`);
    for (const n of [...a, ...b]) {
      const inc = sim.get(n).incarnation;
      assert.ok(inc > before.get(n)!, `${n} rejoined with a higher incarnation (${before.get(n)} → ${inc})`);
      for (const o of [...a, ...b]) assert.is(sim.get(o).member(n)!.incarnation, inc, `${o} holds ${n} at ${inc}`);
    }
    await sim.stop();
  });
}

test('an isolated member is declared dead by the rest, and comes back after the heal', async () => {
  const names = ['n1', 'n2', 'n3', 'n4'];
  const sim = await converged(names, 54);
  sim.net.isolate('n2');
  const others = ['n1', 'n3', 'n4'];
  assert.ok((await sim.until(() => sim.allSee('n2', 'dead', others), 5_000)) >= 0);
  assert.ok((await sim.until(() => others.every((o) => sim.stateOf('n2', o) === 'dead'), 5_000)) >= 0, 'n2 sees everyone dead');
  sim.net.heal();
  const healed = await sim.until(() => sim.converged(names), 30_000);
  assert.ok(healed >= 0, `healed in ${healed} ms`);
  await sim.stop();
});

test('a killed member restarted after it was declared dead rejoins above its old incarnation', async () => {
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const sim = await converged(names, 55);
  sim.net.kill('n4');
  assert.ok((await sim.until(() => sim.allSee('n4', 'dead'), 5_000)) >= 0, 'declared dead');
  const deadAt = sim.get('n1').member('n4')!.incarnation;
  const fresh = await sim.restart('n4', ['n1'], { joinedAt: '2026-01-01T01:00:00Z' });
  assert.is(sim.joinErrors.size, 0);
  assert.ok(fresh.incarnation > deadAt, `refuted its old death in the join: ${deadAt} → ${fresh.incarnation}`);
  const took = await sim.until(() => sim.converged(names), 5_000);
  assert.ok(took >= 0 && took <= 1_000, `alive everywhere ${took} ms after the join`);
  for (const o of names) {
    const m = sim.get(o).member('n4')!;
    assert.is(m.incarnation, fresh.incarnation, o);
    assert.is(m.meta.joinedAt, '2026-01-01T01:00:00Z', `${o} has the new life's meta`);
  }
  await sim.stop();
});

test('a member restarted before anyone noticed replaces its previous life', async () => {
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const sim = await converged(names, 56);
  const deaths: string[] = [];
  for (const o of names.filter((n) => n !== 'n3')) {
    sim.get(o).onChange((m) => {
      if (m.name === 'n3' && m.state === 'dead') deaths.push(o);
    });
  }
  assert.is(sim.get('n1').member('n3')!.incarnation, 0);
  // same incarnation (0) as the old life, other meta: the new life refutes the old one
  const fresh = await sim.restart('n3', ['n1'], { joinedAt: '2026-01-01T02:00:00Z', cpuMillis: 8000 });
  assert.ok(fresh.incarnation > 0);
  const took = await sim.until(() => names.every((o) => sim.get(o).member('n3')?.meta.cpuMillis === 8000), 5_000);
  assert.ok(took >= 0 && took <= 1_000, `the new life is known everywhere after ${took} ms`);
  await sim.run(5_000);
  assert.ok(sim.converged(names));
  assert.equal(deaths, []);
  await sim.stop();
});

test.run();
