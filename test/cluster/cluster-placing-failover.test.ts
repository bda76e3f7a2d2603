// The node that places a ReplicaSet's pods (the ReplicaSet's host) is killed while it places
// them. The pods it created and has not bound yet are not on every node (they reach the others
// bound, from the node that binds them: docs/decisions.md; which members hold them meanwhile is
// test/cluster/replicator-push's). The member that takes the ReplicaSet over places what is
// left, and the ReplicaSet ends exact: no pod lost, none twice, none left Pending.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rendezvousTop } from '../../src/cluster/placement.ts';
import type { PodSpec } from '../../src/objects/types.ts';
import { keyOf } from '../../src/objects/types.ts';
import { activePods, deployment, isRunning, podsOf, startCluster, type TestCluster, waitFor } from '../support/cluster.ts';

const test = suite('cluster: the placing node is killed');

let c: TestCluster;
test.before(async () => {
  c = await startCluster({ size: 5, prefix: 'placing', firstHost: 71 });
});
test.after(async () => {
  await c?.stopAll();
});

const REPLICAS = 300;
const unbound = (node: string) => activePods(podsOf(c.node(node), 'big')).filter((p) => !(p.spec as PodSpec).nodeName);

test('killed with pods still unbound: the ReplicaSet ends exact, every pod Running on the others, hosted by its successor', async () => {
  await (await c.client('n1')).request('apply', { manifest: deployment('big', REPLICAS) });
  await waitFor('the ReplicaSet', () => c.node('n1').store.list('ReplicaSet', 'default').length === 1, 5_000, 2);
  const rs = c.node('n1').store.list('ReplicaSet', 'default')[0];
  const [host, successor] = rendezvousTop(keyOf(rs), c.upNames(), 2);
  assert.is(c.node('n1').hostOf(rs), host);
  await waitFor('the host placing its first pods', () => activePods(podsOf(c.node(host), 'big')).length >= 50, 10_000, 2);
  assert.ok(unbound(host).length > 0, 'pods being placed at the kill');
  await c.kill(host);
  const observer = c.upNames().find((n) => n !== host)!;
  await waitFor(`${REPLICAS} pods Running on the other nodes, and no more`, () => {
    const pods = activePods(podsOf(c.node(observer), 'big'));
    return pods.length === REPLICAS && pods.every((p) => isRunning(p) && (p.spec as PodSpec).nodeName !== host);
  }, 30_000, 50);
  assert.is(c.node(observer).hostOf(rs), successor, 'the successor hosts the ReplicaSet');
});

test.run();
