// Membership over the in-memory network on a SimulatedClock: joining through one seed, meta
// updates, graceful leave, and the protocol's manners (versions, unknown types, listeners).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimCluster } from '../../src/cluster/membership-sim.ts';
import { MSG, PROTOCOL_VERSION } from '../../src/cluster/swim-protocol.ts';
import { TransportError } from '../../src/cluster/transport-memory.ts';
import type { Member, MemberState, PeerMessage } from '../../src/cluster/types.ts';

const test = suite('cluster: membership');

function cluster(n: number, seed: number) {
  const sim = new SimCluster({ seed });
  for (let i = 1; i <= n; i++) sim.add(`n${i}`);
  return sim;
}

for (const [n, withinMs] of [[5, 1_000], [20, 2_000]] as const) {
  test(`${n} members join through one seed and all see all alive`, async () => {
    const sim = cluster(n, n);
    await sim.joinAll('n1');
    assert.is(sim.joinErrors.size, 0);
    const took = await sim.until(() => sim.converged(), 10_000);
    assert.ok(took >= 0 && took <= withinMs, `converged in ${took} ms (at most ${withinMs})`);
    for (let i = 1; i <= n; i++) {
      const view = sim.get(`n${i}`).members();
      assert.is(view.length, n);
      assert.ok(view.every((m) => m.state === 'alive' && m.incarnation === 0));
      assert.is(sim.get(`n${i}`).alive().length, n);
    }
    // nobody was suspected on the way
    assert.equal(sim.net.stats.dropped, 0);
    await sim.stop();
    assert.is(sim.clock.pending(), 0, 'stop clears every timer');
  });
}

test('a joining member learns the seed’s view in the join itself (push-pull)', async () => {
  const sim = cluster(4, 11);
  await sim.joinAll('n1');
  await sim.until(() => sim.converged(), 5_000);
  sim.add('n5');
  await sim.join('n5', ['n1']);
  assert.equal(sim.get('n5').members().map((m) => m.name), ['n1', 'n2', 'n3', 'n4', 'n5']);
  assert.is(sim.stateOf('n1', 'n5'), 'alive', 'the seed learned the joiner in the same exchange');
  const took = await sim.until(() => sim.converged(), 5_000);
  assert.ok(took >= 0 && took < 1_000, `the others learn n5 by gossip: ${took} ms`);
  await sim.stop();
});

test('meta updates (cordon) reach everyone with a higher incarnation', async () => {
  const sim = cluster(5, 3);
  await sim.joinAll();
  await sim.until(() => sim.converged(), 5_000);
  const seen: string[] = [];
  sim.get('n4').onChange((m, previous) => {
    if (m.name === 'n2') seen.push(`${previous}→${m.state} ${m.incarnation} ${m.meta.unschedulable}`);
  });
  sim.get('n2').updateMeta({ unschedulable: true, labels: { zone: 'b' } });
  assert.is(sim.get('n2').incarnation, 1);
  const took = await sim.until(() => sim.running().every((o) => sim.get(o).member('n2')?.meta.unschedulable === true), 5_000);
  assert.ok(took >= 0 && took <= 500, `meta reached everyone in ${took} ms`);
  for (const o of sim.running()) {
    const m = sim.get(o).member('n2')!;
    assert.is(m.incarnation, 1, o);
    assert.equal(m.meta.labels, { zone: 'b' });
    assert.is(m.meta.cpuMillis, 4000, 'fields not given keep their values');
  }
  assert.equal(seen, ['alive→alive 1 true']);
  await sim.stop();
});

test('graceful leave: left everywhere, never dead', async () => {
  const sim = cluster(5, 4);
  await sim.joinAll();
  await sim.until(() => sim.converged(), 5_000);
  const deaths: string[] = [];
  for (const o of ['n1', 'n2', 'n4', 'n5']) {
    sim.get(o).onChange((m) => {
      if (m.name === 'n3' && m.state === 'dead') deaths.push(o);
    });
  }
  const before = sim.get('n3').incarnation;
  let left = false;
  sim.get('n3').leave().then(() => (left = true));
  const took = await sim.until(() => left, 5_000);
  assert.ok(took >= 0 && took <= sim.get('n3').leaveWaitMs(), `leave() returned after ${took} ms`);
  await sim.until(() => sim.allSee('n3', 'left', ['n1', 'n2', 'n4', 'n5']), 2_000);
  await sim.run(10_000); // long past any suspicion timeout
  for (const o of ['n1', 'n2', 'n4', 'n5']) {
    const m = sim.get(o).member('n3')!;
    assert.is(m.state, 'left', o);
    assert.is(m.incarnation, before + 1, 'left carries a higher incarnation');
    assert.not.ok(sim.get(o).alive().some((a) => a.name === 'n3'));
  }
  assert.equal(deaths, []);
  assert.ok(sim.converged(['n1', 'n2', 'n4', 'n5']));
  await sim.stop();
});

test('dead and left members are reclaimed after deadReclaimMs', async () => {
  const sim = new SimCluster({ seed: 5, config: { ...new SimCluster().config, deadReclaimMs: 20_000 } });
  for (const n of ['n1', 'n2', 'n3']) sim.add(n);
  await sim.joinAll();
  await sim.until(() => sim.converged(), 5_000);
  let done = false;
  sim.get('n3').leave().then(() => (done = true));
  await sim.until(() => done && sim.allSee('n3', 'left', ['n1', 'n2']), 5_000);
  await sim.run(19_000);
  assert.is(sim.stateOf('n1', 'n3'), 'left');
  await sim.run(2_000);
  assert.is(sim.stateOf('n1', 'n3'), undefined, 'forgotten');
  assert.equal(sim.get('n1').members().map((m) => m.name), ['n1', 'n2']);
  await sim.stop();
});

test('alone without seeds; a join whose seeds do not answer rejects', async () => {
  const sim = cluster(2, 6);
  const n1 = sim.get('n1');
  await sim.join('n1', []);
  assert.equal(n1.members().map((m) => [m.name, m.state]), [['n1', 'alive']]);
  await sim.run(2_000);
  assert.equal(n1.alive().map((m) => m.name), ['n1']);

  sim.add('x');
  await sim.join('x', ['nobody']);
  assert.instance(sim.joinErrors.get('x'), TransportError);
  assert.is((sim.joinErrors.get('x') as TransportError).reason, 'unreachable');

  sim.net.kill('n1');
  await sim.join('n2', ['n1'], 10_000);
  assert.is((sim.joinErrors.get('n2') as TransportError).reason, 'timeout');
  await sim.stop();
});

test('a join tries the seeds in order until one answers', async () => {
  const sim = cluster(3, 7);
  await sim.join('n1', []);
  sim.net.kill('n2');
  await sim.join('n3', ['n2', 'n1']);
  assert.is(sim.joinErrors.size, 0);
  assert.is(sim.stateOf('n3', 'n1'), 'alive');
  await sim.stop();
});

test('unknown message types and unreadable versions are ignored', async () => {
  const sim = cluster(1, 8);
  await sim.join('n1', []);
  const raw = sim.net.transport('raw');
  const got: PeerMessage[] = [];
  raw.onMessage((_from, msg) => got.push(msg));
  raw.send('n1', { t: 'swim.from-the-future', v: PROTOCOL_VERSION + 1, whatever: [1, 2] });
  raw.send('n1', { t: MSG.ping, v: 0, seq: 1, to: 'n1', u: [] }); // too old
  raw.send('n1', { t: MSG.ping, seq: 2, to: 'n1', u: [] }); // no version
  raw.send('n1', { t: 'replication.digest', v: 1 }); // another layer's message
  raw.send('n1', { t: MSG.ping, v: PROTOCOL_VERSION, seq: 3, to: 'someone-else', u: [] }); // misdirected
  raw.send('n1', { t: MSG.gossip, v: PROTOCOL_VERSION, u: [{ n: 'ghost', s: 'alive', i: 'x' }, { n: 'ghost2', s: 'alive', i: 0 }, 'junk'] });
  // a newer version with extra fields is still answered
  raw.send('n1', { t: MSG.ping, v: PROTOCOL_VERSION + 1, seq: 4, to: 'n1', u: [], extra: { x: 1 } });
  await sim.run(100);
  assert.equal(got.map((m) => [m.t, m.seq]), [[MSG.ack, 4]]);
  assert.equal(sim.get('n1').members().map((m) => m.name), ['n1'], 'invalid updates and alive without meta are dropped');
  await raw.close();
  await sim.stop();
});

test('onChange reports new members and transitions; unsubscribe stops it', async () => {
  const sim = cluster(3, 9);
  const events: string[] = [];
  const off = sim.get('n1').onChange((m: Member, previous: MemberState | undefined) => {
    events.push(`${m.name} ${previous ?? '-'}→${m.state}`);
  });
  await sim.joinAll();
  await sim.until(() => sim.converged(), 5_000);
  assert.equal(events.slice().sort(), ['n1 -→alive', 'n2 -→alive', 'n3 -→alive']);
  off();
  sim.get('n2').updateMeta({ unschedulable: true });
  await sim.run(1_000);
  assert.is(events.length, 3);
  await sim.stop();
});

test.run();
