// Failure and healing in a 5-node cluster: a node killed abruptly is seen NotReady by the others
// and every pod it ran is replaced, Running, on the others; when it returns its old pods (and
// their containers) are gone and every ReplicaSet has exactly its replica count. A node stopped
// gracefully is Left — never Dead — and its pods are replaced only after leftEvictionMs.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject, PodSpec } from '../../src/objects/types.ts';
import {
  activePods,
  clusterTestConfig,
  deployment,
  podsOf,
  startCluster,
  type TestCluster,
  waitFor,
} from '../support/cluster.ts';

const LEFT_EVICTION_MS = 4_000;

const test = suite('cluster: failure and healing');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({
    size: 5,
    prefix: 'fail',
    firstHost: 61,
    config: { ...clusterTestConfig, leftEvictionMs: LEFT_EVICTION_MS },
  });
});
test.after(async () => {
  await c?.stopAll();
});

const nodeOf = (p: KObject) => (p.spec as PodSpec).nodeName;
const running = (pods: KObject[]) => activePods(pods).filter((p) => p.status?.phase === 'Running');

/** On every up node: `replicas` active pods of app, all Running on up nodes, none on `not`. */
function healthy(app: string, replicas: number, not?: string) {
  const up = new Set(c.upNames());
  return c.upNames().every((n) => {
    const pods = activePods(podsOf(c.node(n), app));
    return pods.length === replicas &&
      pods.every((p) => p.status?.phase === 'Running' && up.has(nodeOf(p)!) && nodeOf(p) !== not);
  });
}

/** On every up node: each ReplicaSet has exactly spec.replicas pods (none being deleted), and every node sees the same pods. */
function exactReplicaSets(): boolean {
  const views = c.upNames().map((n) => {
    const s = c.node(n).store;
    const rss = s.list('ReplicaSet', 'default');
    const pods = s.list('Pod', 'default');
    for (const rs of rss) {
      const mine = pods.filter((p) =>
        p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid)
      );
      if (
        mine.length !== (rs.spec.replicas ?? 1) ||
        mine.some((p) => p.metadata.deletionTimestamp || p.status?.phase !== 'Running')
      ) return undefined;
    }
    return pods.map((p) => `${p.metadata.name}@${nodeOf(p)}`).sort().join(',');
  });
  return views.every((v) => v !== undefined && v === views[0]);
}

function describeState(app: string) {
  return c.upNames().map((n) =>
    `${n}: ${
      podsOf(c.node(n), app).map((p) =>
        `${p.metadata.name}@${nodeOf(p)}:${p.status?.phase}${
          p.metadata.deletionTimestamp ? '(deleting)' : ''
        }`
      ).join(' ')
    }`
  ).join('\n');
}

async function waitOrExplain(what: string, check: () => boolean, app: string, timeoutMs: number) {
  await waitFor(what, check, timeoutMs, 50).catch((e) => {
    throw new Error(`${e.message}\n${describeState(app)}\n${c.dumpLogs(c.names(), 25)}`);
  });
}

test('an abrupt kill: the others see the node NotReady and replace every pod it ran; when it returns, its old pods are gone and every ReplicaSet is exact', async () => {
  const n1 = await c.client('n1');
  await n1.request('apply', { manifest: deployment('web', 10) + '---' + deployment('api', 3) });
  await waitOrExplain(
    'web (10) and api (3) running',
    () => healthy('web', 10) && healthy('api', 3),
    'web',
    15_000,
  );

  await waitOrExplain(
    'every actor hosted by exactly one node',
    () => c.actorsNotHostedOnce().length === 0,
    'web',
    5_000,
  );

  // the victim: a node that hosts controller actors (a ReplicaSet or Deployment) and runs pods,
  // n1 excepted (the client talks to it); else the node running the most pods
  const counts = new Map<string, number>();
  for (const p of c.node('n1').store.list('Pod', 'default')) {
    counts.set(nodeOf(p)!, (counts.get(nodeOf(p)!) ?? 0) + 1);
  }
  const controllers = ['ReplicaSet', 'Deployment'].flatMap((k) =>
    c.node('n1').store.list(k, 'default')
  ).map((o) => `${o.kind}/default/${o.metadata.name}`);
  const hostsControllers = (n: string) => controllers.some((k) => c.hostsOf(k)[0] === n);
  const candidates = [...counts].filter(([n]) => n !== 'n1').sort((a, b) =>
    Number(hostsControllers(b[0])) - Number(hostsControllers(a[0])) || b[1] - a[1]
  );
  const victim = candidates[0][0];
  const itsControllers = controllers.filter((k) => c.hostsOf(k)[0] === victim);
  const lost = c.node('n1').store.list('Pod', 'default').filter((p) => nodeOf(p) === victim);
  assert.ok(lost.length > 0, `${victim} runs pods`);
  const lostNames = new Set(lost.map((p) => p.metadata.name));
  const victimContainers = (await c.get(victim).runtime.listContainers()).length;
  assert.ok(victimContainers > 0);

  await c.kill(victim);

  // NotReady everywhere: SWIM declares it dead, its Node object's Ready condition is False
  await waitOrExplain(
    `${victim} dead and NotReady on every other node`,
    () =>
      c.upNames().every((o) =>
        c.memberState(o, victim) === 'dead' && c.readyOf(o, victim) === 'False'
      ),
    'web',
    10_000,
  );
  for (const o of c.upNames()) {
    const node = await (await c.client(o)).request('get', { kind: 'node', name: victim });
    const ready = node.status.conditions.find((x: any) => x.type === 'Ready');
    assert.is(ready.status, 'False', `${o} sees ${victim}`);
  }
  // every pod it ran is replaced, Running on the others
  await waitOrExplain(
    `the pods of ${victim} replaced on the others`,
    () =>
      healthy('web', 10, victim) && healthy('api', 3, victim) &&
      c.upNames().every((n) =>
        c.node(n).store.list('Pod', 'default').every((p) => !lostNames.has(p.metadata.name))
      ),
    'web',
    15_000,
  );
  // its actors moved: each runs on exactly one of the others
  await waitOrExplain(
    'every actor hosted by exactly one live node',
    () => c.actorsNotHostedOnce().length === 0,
    'web',
    5_000,
  );
  for (const k of itsControllers) assert.is(c.hostsOf(k).length, 1, `${k} moved off ${victim}`);

  // the node returns: it learns its pods were replaced, removes their containers, and the cluster is exact
  await c.restart(victim);
  await c.waitConverged(`${victim} back`);
  await waitOrExplain(
    `${victim} Ready again everywhere`,
    () => c.upNames().every((o) => c.readyOf(o, victim) === 'True'),
    'web',
    10_000,
  );
  await waitOrExplain(
    'every ReplicaSet exact on every node',
    () => exactReplicaSets() && healthy('web', 10) && healthy('api', 3),
    'web',
    15_000,
  );
  await waitOrExplain(
    'every actor hosted by exactly one node after the return',
    () => c.actorsNotHostedOnce().length === 0,
    'web',
    5_000,
  );
  for (const n of c.upNames()) {
    assert.not.ok(
      c.node(n).store.list('Pod', 'default').some((p) => lostNames.has(p.metadata.name)),
      `an old pod of ${victim} is back on ${n}`,
    );
  }
  // the returning node runs containers only for pods bound to it now: the old ones were removed
  await waitFor(
    `${victim} keeps no container of a replaced pod`,
    async () => {
      const bound = new Set(
        c.node(victim).store.list('Pod', 'default').filter((p) => nodeOf(p) === victim).map((p) =>
          p.metadata.uid
        ),
      );
      const containers = await c.get(victim).runtime.listContainers();
      return containers.every((x) => bound.has(x.pod.uid)) &&
        !containers.some((x) => lost.some((p) => p.metadata.uid === x.pod.uid));
    },
    10_000,
    50,
  );
});

test('a graceful stop and a restart within leftEvictionMs: the node keeps its pods, adopted, not duplicated', async () => {
  await waitOrExplain(
    'the cluster is settled',
    () => exactReplicaSets() && c.agreeAlive(),
    'web',
    10_000,
  );
  const counts = new Map<string, number>();
  for (const p of c.node('n1').store.list('Pod', 'default')) {
    counts.set(nodeOf(p)!, (counts.get(nodeOf(p)!) ?? 0) + 1);
  }
  const node = [...counts].filter(([n]) => n !== 'n1').sort((a, b) => b[1] - a[1])[0][0];
  const pods = c.node('n1').store.list('Pod', 'default').map((p) =>
    `${p.metadata.name}@${nodeOf(p)}`
  ).sort().join(',');
  const containers = (await c.get(node).runtime.listContainers()).map((x) => x.id).sort().join(',');

  const stoppedAt = Date.now();
  await c.stop(node);
  await c.waitMemberState(node, 'left', 5_000);
  await c.restart(node);
  assert.ok(
    Date.now() - stoppedAt < LEFT_EVICTION_MS - 500,
    'the restart came within leftEvictionMs (test set-up)',
  );
  await c.waitConverged(`${node} back`);
  await waitOrExplain(
    'the same pods, Running, on every node',
    () =>
      exactReplicaSets() &&
      c.upNames().every((o) =>
        c.node(o).store.list('Pod', 'default').map((p) => `${p.metadata.name}@${nodeOf(p)}`).sort()
          .join(',') === pods
      ),
    'web',
    10_000,
  );
  // its containers were adopted: the very same ones, no second copy
  assert.is(
    (await c.get(node).runtime.listContainers()).map((x) => x.id).sort().join(','),
    containers,
  );
  // still the same after leftEvictionMs has passed (the eviction was called off by the return)
  await waitFor(
    'leftEvictionMs to pass',
    () => Date.now() > stoppedAt + LEFT_EVICTION_MS + 1_000,
    LEFT_EVICTION_MS + 2_000,
    100,
  );
  for (const o of c.upNames()) {
    assert.is(
      c.node(o).store.list('Pod', 'default').map((p) => `${p.metadata.name}@${nodeOf(p)}`).sort()
        .join(','),
      pods,
      `pods on ${o}`,
    );
  }
  assert.is(
    (await c.get(node).runtime.listContainers()).map((x) => x.id).sort().join(','),
    containers,
  );
});

test('a graceful stop: the node is Left (never Dead), its pods are not replaced before leftEvictionMs, and are replaced after it', async () => {
  await waitOrExplain(
    'the cluster is settled',
    () => exactReplicaSets() && c.agreeAlive(),
    'web',
    10_000,
  );
  const counts = new Map<string, number>();
  for (const p of c.node('n1').store.list('Pod', 'default')) {
    counts.set(nodeOf(p)!, (counts.get(nodeOf(p)!) ?? 0) + 1);
  }
  const leaver = [...counts].filter(([n]) => n !== 'n1').sort((a, b) => b[1] - a[1])[0][0];
  const before = c.node('n1').store.list('Pod', 'default').map((p) => p.metadata.name).sort().join(
    ',',
  );
  const itsPods = new Set(
    c.node('n1').store.list('Pod', 'default').filter((p) => nodeOf(p) === leaver).map((p) =>
      p.metadata.name
    ),
  );
  assert.ok(itsPods.size > 0);

  const stoppedAt = Date.now();
  await c.stop(leaver);
  const others = c.upNames();
  await c.waitMemberState(leaver, 'left', 5_000);

  // until leftEvictionMs has passed: Left and NotReady (reason NodeLeft), never dead, no pod replaced
  const watchUntil = stoppedAt + LEFT_EVICTION_MS - 500;
  while (Date.now() < watchUntil) {
    for (const o of others) {
      assert.is(
        c.memberState(o, leaver),
        'left',
        `${o} sees ${leaver} as ${c.memberState(o, leaver)}`,
      );
      const now = c.node(o).store.list('Pod', 'default').map((p) => p.metadata.name).sort().join(
        ',',
      );
      assert.is(
        now,
        before,
        `${o}: a pod was replaced before leftEvictionMs (${
          Date.now() - stoppedAt
        } ms after the stop)`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // it handed its actors over: every actor runs on exactly one of the others
  assert.equal(c.actorsNotHostedOnce(), [], 'actors while the node is away');
  for (const o of others) {
    const node = c.node(o).store.get(`Node//${leaver}`);
    const ready = node?.status?.conditions?.find((x: any) => x.type === 'Ready');
    assert.is(ready?.status, 'False', `${o}: Ready of ${leaver}`);
    assert.is(ready?.reason, 'NodeLeft', `${o}: Ready reason of ${leaver}`);
  }

  // after leftEvictionMs: its pods are replaced on the others
  await waitOrExplain(
    `the pods of ${leaver} replaced after leftEvictionMs`,
    () =>
      healthy('web', 10, leaver) && healthy('api', 3, leaver) &&
      others.every((n) =>
        c.node(n).store.list('Pod', 'default').every((p) => !itsPods.has(p.metadata.name))
      ),
    'web',
    15_000,
  );
  for (const o of others) {
    assert.is(c.memberState(o, leaver), 'left', `no false failure of ${leaver} on ${o}`);
  }

  // and it comes back to an exact cluster
  await c.restart(leaver);
  await c.waitConverged(`${leaver} back`);
  await waitOrExplain(
    'every ReplicaSet exact after the return',
    () => exactReplicaSets() && healthy('web', 10) && healthy('api', 3),
    'web',
    15_000,
  );
  await waitFor(
    `${leaver} keeps no container of a replaced pod`,
    async () => {
      const bound = new Set(
        c.node(leaver).store.list('Pod', 'default').filter((p) => nodeOf(p) === leaver).map((p) =>
          p.metadata.uid
        ),
      );
      return (await c.get(leaver).runtime.listContainers()).every((x) => bound.has(x.pod.uid));
    },
    10_000,
    50,
  );
});

test.run();
