// ResourceQuota in a 3-node cluster (real LevelDB, real WebSockets on 127.0.0.60-62, sim runtime):
// Deployments applied at once through different nodes race for a `pods: 5` quota. Their
// ReplicaSet actors run on different nodes, but every pod creation is admitted by the one node
// hosting the namespace's Namespace actor, so the namespace never holds more than 5 pods (sampled
// every few milliseconds in every node's view while they converge) and ends with exactly 5; the
// ReplicaSets left out get FailedCreate events. Deleting a Deployment frees room and the others
// fill it, again never beyond the quota. When the Namespace actor's node is killed, the new host
// counts from its store and the quota still holds.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../src/objects/types.ts';
import { deployment, startCluster, type TestCluster, waitFor } from '../support/cluster.ts';

const N = 5;
const test = suite('cluster: quota race');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 3, prefix: 'quota', firstHost: 60 });
});
test.after(async () => {
  await c?.stopAll();
});

const quota = (pods: number) => `apiVersion: v1
kind: ResourceQuota
metadata:
  name: q1
spec:
  hard:
    pods: "${pods}"
`;
const NAMES = ['race-a', 'race-b', 'race-c', 'race-d'];
const podsIn = (node: string) => c.node(node).store.list('Pod', 'default').filter((p) => NAMES.includes(p.metadata.labels?.app ?? ''));
const nsHost = () => c.hostsOf('Namespace//default');

/**
 * Samples every node's view every 5 ms until stopped; `union` also counts the pods of every view
 * together (no pod is deleted while it runs, so they must agree on at most N).
 */
function sampler(union: boolean) {
  let worst = { count: 0, where: '' };
  const look = () => {
    const all = new Set<string>();
    for (const n of c.upNames()) {
      const pods = podsIn(n);
      for (const p of pods) all.add(p.metadata.uid!);
      if (pods.length > worst.count) worst = { count: pods.length, where: `${n}: ${pods.map((p) => p.metadata.name).join(', ')}` };
    }
    if (union && all.size > worst.count) worst = { count: all.size, where: `every view together: ${all.size}` };
  };
  const timer = setInterval(look, 5);
  return {
    stop() {
      clearInterval(timer);
      look();
      return worst;
    },
  };
}

function failedCreates(rsKey: string): string[] {
  const seen = new Set<string>();
  for (const n of c.upNames()) {
    for (const e of c.node(n).store.events(rsKey)) if (e.reason === 'FailedCreate') seen.add(e.message);
  }
  return [...seen];
}

test('Deployments racing through three nodes never exceed the quota, and fill it exactly', async () => {
  const [n1] = c.names();
  await (await c.client(n1)).request('apply', { manifest: quota(N) });
  await waitFor('the quota on every node', () => c.upNames().every((n) => c.node(n).store.get('ResourceQuota/default/q1')), 5_000);
  const clients = await Promise.all(['n1', 'n2', 'n3', 'n1'].map((n) => c.client(n)));
  const watch = sampler(true);
  try {
    await Promise.all(NAMES.map((d, i) => clients[i].request('apply', { manifest: deployment(d, 3) })));
    await waitFor(
      `${N} pods in every view`,
      () => c.upNames().every((n) => podsIn(n).length === N),
      20_000,
      20,
    );
    // and it stays there: the ReplicaSets left out keep trying, with back-off
    await new Promise((r) => setTimeout(r, 1_500));
  } finally {
    const worst = watch.stop();
    assert.ok(worst.count <= N, `over the quota: ${worst.where}`);
  }
  assert.ok(c.upNames().every((n) => podsIn(n).length === N), c.upNames().map((n) => `${n}: ${podsIn(n).length}`).join(', '));
  // the ReplicaSets that did not get all their pods say why, in Kubernetes' words
  const sets = c.node('n1').store.list('ReplicaSet', 'default').filter((rs) => NAMES.includes(rs.metadata.labels?.app ?? ''));
  assert.is(sets.length, NAMES.length);
  const short = sets.filter((rs) => podsIn('n1').filter((p) => p.metadata.labels?.app === rs.metadata.labels?.app).length < 3);
  assert.ok(short.length >= 2, 'at least two Deployments are short of pods');
  for (const rs of short) {
    const key = `ReplicaSet/default/${rs.metadata.name}`;
    const messages = await waitFor(`FailedCreate on ${key}`, () => failedCreates(key).length > 0 && failedCreates(key), 5_000);
    for (const m of messages) {
      assert.match(m, new RegExp(`^Error creating: pods "${rs.metadata.name}-[a-z0-9]{5}" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=${N}, limited: pods=${N}$`));
    }
  }
  await waitFor('the quota status on every node shows 5 used', () =>
    c.upNames().every((n) => {
      const q = c.node(n).store.get('ResourceQuota/default/q1');
      return q?.status?.used?.pods === String(N) && q.status.hard?.pods === String(N);
    }), 5_000);
});

test('deleting a Deployment frees room; the others fill it, never beyond the quota', async () => {
  const byApp = (app: string) => podsIn('n1').filter((p) => p.metadata.labels?.app === app);
  const victim = NAMES.filter((d) => byApp(d).length > 0).sort((a, b) => byApp(b).length - byApp(a).length)[0];
  const others = NAMES.filter((d) => d !== victim);
  const wanted = Math.min(N, others.length * 3);
  const host = nsHost();
  assert.is(host.length, 1, `one host for the Namespace actor: ${host}`);
  // the authority's view: the node of the Namespace actor never counts more than N
  let worst = 0;
  const timer = setInterval(() => (worst = Math.max(worst, podsIn(host[0]).length)), 5);
  try {
    await (await c.client('n2')).request('delete', { kind: 'deployment', name: victim });
    await waitFor(
      `${wanted} pods of the other Deployments in every view`,
      () =>
        c.upNames().every((n) => {
          const pods = podsIn(n);
          return pods.length === wanted && pods.every((p: KObject) => others.includes(p.metadata.labels?.app ?? ''));
        }),
      20_000,
      20,
    );
  } finally {
    clearInterval(timer);
  }
  assert.ok(worst <= N, `${host[0]} counted ${worst} pods, over the quota of ${N}`);
});

test('the Namespace actor node dies: the new host counts from its store; the quota still holds', async () => {
  const [dead] = nsHost();
  const alive = c.upNames().filter((n) => n !== dead);
  // room for two more, then the quota's host goes before anyone can use it
  await (await c.client(alive[0])).request('apply', { manifest: quota(N + 2) });
  await waitFor('the bigger quota on every node', () => c.upNames().every((n) => c.node(n).store.get('ResourceQuota/default/q1')?.spec?.hard?.pods === String(N + 2)), 5_000);
  await c.kill(dead);
  await c.waitMemberState(dead, 'dead', 15_000);
  await waitFor('a new host for the Namespace actor', () => nsHost().length === 1 && nsHost()[0] !== dead, 10_000);
  // the pods the dead node ran are replaced elsewhere; all the while, never more than N + 2
  let worst = 0;
  const timer = setInterval(() => {
    for (const n of c.upNames()) worst = Math.max(worst, podsIn(n).filter((p) => p.spec?.nodeName !== dead).length);
  }, 5);
  try {
    await waitFor(
      `${N + 2} pods on the live nodes`,
      () => c.upNames().every((n) => podsIn(n).length === N + 2 && podsIn(n).every((p) => p.spec?.nodeName !== dead)),
      25_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 1_000));
  } finally {
    clearInterval(timer);
  }
  assert.ok(worst <= N + 2, `${worst} pods, over the quota of ${N + 2}`);
  assert.ok(c.upNames().every((n) => podsIn(n).length === N + 2));
});

test.run();
