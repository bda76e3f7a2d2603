// Restarts from the data dir: a node rejoins by itself, without a token, from the members it
// last knew. Here every node of a 3-node cluster is killed (a power cut), then they are started
// again one after another: the first one back finds none of its peers up and must still start,
// the others rejoin through it, and the workloads come back exact, their containers adopted.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject, PodSpec } from '../../src/objects/types.ts';
import {
  activePods,
  deployment,
  podsOf,
  startCluster,
  type TestCluster,
  waitFor,
} from '../support/cluster.ts';

const test = suite('cluster: restart from the data dir');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 3, prefix: 'restart', firstHost: 131 });
});
test.after(async () => {
  await c?.stopAll();
});

const nodeOf = (p: KObject) => (p.spec as PodSpec).nodeName;

test('every node killed, then restarted one by one: the cluster re-forms and its workloads come back exact', async () => {
  await (await c.client('n2')).request('apply', { manifest: deployment('web', 6) });
  await waitFor(
    'web running',
    () =>
      c.upNames().every((n) =>
        activePods(podsOf(c.node(n), 'web')).filter((p) => p.status?.phase === 'Running').length ===
          6
      ),
    15_000,
    50,
  );
  const containers = new Map<string, number>();
  for (const n of c.names()) containers.set(n, (await c.get(n).runtime.listContainers()).length);

  for (const n of ['n3', 'n1', 'n2']) await c.kill(n);

  // the first node back has no peer to rejoin through: it must start anyway (alone, for now)
  for (const n of ['n1', 'n2', 'n3']) {
    try {
      await c.restart(n);
    } catch (e) {
      const down = c.names().filter((x) => x !== n && !c.get(x).up).join(', ') || 'none';
      assert.unreachable(
        `${n} could not restart from its data dir (other nodes down: ${down}): ${
          (e as Error).message
        }`,
      );
    }
  }
  await c.waitConverged('the 3 nodes in one cluster again');
  await waitFor(
    'web exact again, on every node',
    () =>
      c.upNames().every((n) => {
        const pods = activePods(podsOf(c.node(n), 'web'));
        return pods.length === 6 && pods.every((p) =>
          p.status?.phase === 'Running' && c.upNames().includes(nodeOf(p)!)
        ) &&
          podsOf(c.node(n), 'web').length === 6;
      }),
    15_000,
    50,
  );
  // every node runs containers only for its own pods: adopted or replaced, never duplicated
  await waitFor(
    'containers match pods',
    async () => {
      for (const n of c.upNames()) {
        const mine = new Set(
          c.node(n).store.list('Pod').filter((p) => nodeOf(p) === n).map((p) => p.metadata.uid),
        );
        const running = await c.get(n).runtime.listContainers();
        if (
          !running.every((x) => mine.has(x.pod.uid)) ||
          new Set(running.map((x) => x.pod.uid)).size !== mine.size
        ) return false;
      }
      return true;
    },
    10_000,
    100,
  );
});

test.run();
