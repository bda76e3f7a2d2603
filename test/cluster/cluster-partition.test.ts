// A network partition of a 5-node cluster, made by fault injection in every node's WebSocket
// transport (block()): split 3/2, both sides keep serving reads and writes (including conflicting
// writes of one Deployment); after the heal the two sides merge, every ReplicaSet ends with
// exactly its replica count, every node agrees on the set of pods, and no node keeps a container
// of a pod that no longer exists.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject, PodSpec } from '../../src/objects/types.ts';
import { objectKey } from '../../src/objects/types.ts';
import {
  activePods,
  deployment,
  podsOf,
  startCluster,
  type TestCluster,
  waitFor,
} from '../support/cluster.ts';

const test = suite('cluster: partitions and healing');

let c: TestCluster;
const A = ['n1', 'n2', 'n3'];
const B = ['n4', 'n5'];

test.before(async () => {
  c = await startCluster({ size: 5, prefix: 'part', firstHost: 81 });
});
test.after(async () => {
  await c?.stopAll();
});

const nodeOf = (p: KObject) => (p.spec as PodSpec).nodeName;

/** On the given nodes: app has `replicas` active pods, all Running on nodes of `on`. */
function healthyOn(nodes: string[], app: string, replicas: number, on: string[] = nodes) {
  return nodes.every((n) => {
    const pods = activePods(podsOf(c.node(n), app));
    return pods.length === replicas &&
      pods.every((p) => p.status?.phase === 'Running' && on.includes(nodeOf(p)!));
  });
}

/** Every up node: each ReplicaSet has exactly its replicas (Running, none deleting); every node holds the same pods and ReplicaSets. */
function converged(): boolean {
  const views = c.upNames().map((n) => {
    const s = c.node(n).store;
    const pods = s.list('Pod', 'default');
    const rss = s.list('ReplicaSet', 'default');
    for (const rs of rss) {
      const mine = pods.filter((p) =>
        p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid)
      );
      if (
        mine.length !== (rs.spec.replicas ?? 1) ||
        mine.some((p) => p.metadata.deletionTimestamp || p.status?.phase !== 'Running')
      ) return undefined;
    }
    if (
      pods.some((p) =>
        !rss.some((rs) => p.metadata.ownerReferences?.some((r) => r.uid === rs.metadata.uid))
      )
    ) return undefined;
    return JSON.stringify([
      pods.map((p) => `${p.metadata.name}@${nodeOf(p)}`).sort(),
      rss.map((rs) => `${rs.metadata.name}:${rs.spec.replicas}`).sort(),
    ]);
  });
  return views.every((v) => v !== undefined && v === views[0]);
}

function describe(): string {
  return c.upNames().map((n) => {
    const s = c.node(n).store;
    return `${n}: members ${
      c.node(n).membership.members().map((m) => `${m.name}=${m.state}`).join(' ')
    }\n  rs ${
      s.list('ReplicaSet', 'default').map((rs) => `${rs.metadata.name}:${rs.spec.replicas}`).join(
        ' ',
      )
    }\n  pods ${
      s.list('Pod', 'default').map((p) =>
        `${p.metadata.name}@${nodeOf(p)}:${p.status?.phase}${
          p.metadata.deletionTimestamp ? '(deleting)' : ''
        }`
      ).join(' ')
    }`;
  }).join('\n');
}

async function waitOrExplain(what: string, check: () => boolean, timeoutMs: number) {
  await waitFor(what, check, timeoutMs, 50).catch((e) => {
    throw new Error(`${e.message}\n${describe()}\n${c.dumpLogs(c.names(), 30)}`);
  });
}

test('split 3/2: both sides keep serving; after the heal every ReplicaSet has exactly its replicas and all nodes agree on the pods', async () => {
  const n1 = await c.client('n1');
  await n1.request('apply', { manifest: deployment('web', 6) + '---' + deployment('db', 2) });
  await waitOrExplain(
    'web and db running everywhere',
    () => healthyOn(c.names(), 'web', 6) && healthyOn(c.names(), 'db', 2),
    15_000,
  );

  const beforePartition = new Set(
    c.node('n1').store.list('Pod', 'default').map((p) => p.metadata.name),
  );
  c.partition(A, B);

  // each side declares the other dead and replaces the pods it cannot see
  await waitOrExplain(
    'each side holds the other dead',
    () =>
      A.every((a) =>
        B.every((b) => c.memberState(a, b) === 'dead' && c.memberState(b, a) === 'dead')
      ),
    10_000,
  );
  await waitOrExplain(
    'each side runs web and db on its own nodes',
    () =>
      healthyOn(A, 'web', 6) && healthyOn(B, 'web', 6) && healthyOn(A, 'db', 2) &&
      healthyOn(B, 'db', 2),
    15_000,
  );

  // both sides serve writes: a new Deployment on each side, and conflicting scales of web
  const [a2, b4, b5] = [await c.client('n2'), await c.client('n4'), await c.client('n5')];
  assert.is(
    (await a2.request('apply', { manifest: deployment('left', 2) })).results[0].outcome,
    'created',
  );
  assert.is(
    (await b5.request('apply', { manifest: deployment('right', 2) })).results[0].outcome,
    'created',
  );
  assert.is(
    (await a2.request('apply', { manifest: deployment('web', 4) })).results[0].outcome,
    'configured',
  );
  assert.is(
    (await b4.request('apply', { manifest: deployment('web', 5) })).results[0].outcome,
    'configured',
  );
  // ... and reads, each side its own view: b5's write reaches b4 (replication takes a few ms;
  // a request right after the apply may come first), never a2
  await waitOrExplain(
    'right readable on n4',
    () => c.node('n4').store.get(objectKey('Deployment', 'default', 'right')) !== undefined,
    5_000,
  );
  assert.is(
    (await b4.request('get', { kind: 'deployment', name: 'right' })).metadata.name,
    'right',
  );
  assert.is((await b4.refused('get', { kind: 'deployment', name: 'left' })).code, 'NotFound');
  assert.is((await a2.refused('get', { kind: 'deployment', name: 'right' })).code, 'NotFound');
  await waitOrExplain(
    'each side runs its own writes',
    () =>
      healthyOn(A, 'left', 2) && healthyOn(B, 'right', 2) && healthyOn(A, 'web', 4) &&
      healthyOn(B, 'web', 5),
    15_000,
  );

  c.heal();
  await c.waitConverged('one cluster of 5 again');
  await waitOrExplain(
    'every ReplicaSet exact and all nodes agreeing on the pods',
    () => converged(),
    20_000,
  );

  // one host per actor again: the two sides' hosts of the same actor are down to one
  await waitOrExplain(
    'every actor hosted by exactly one node',
    () => c.actorsNotHostedOnce().length === 0,
    5_000,
  );

  // the conflicting writes resolved the same way everywhere; both sides' new objects survived
  const webs = new Set(
    c.upNames().map((n) =>
      c.node(n).store.get(objectKey('Deployment', 'default', 'web'))!.spec.replicas
    ),
  );
  assert.is(webs.size, 1, `web replicas everywhere: ${[...webs]}`);
  const replicas = [...webs][0] as number;
  assert.ok(replicas === 4 || replicas === 5, `web has ${replicas} replicas`);
  await waitOrExplain(
    'web, db, left and right exact everywhere',
    () =>
      healthyOn(c.names(), 'web', replicas) && healthyOn(c.names(), 'db', 2) &&
      healthyOn(c.names(), 'left', 2) && healthyOn(c.names(), 'right', 2) && converged(),
    15_000,
  );
  // each side evicted the pods of the nodes it lost: those deletions win, none of them is back
  const now = c.node('n3').store.list('Pod', 'default').map((p) => p.metadata.name);
  assert.is(now.length, replicas + 6);
  assert.equal(now.filter((n) => beforePartition.has(n)), [], 'pods from before the partition');

  // no node keeps a container of a pod it does not hold, and each of its pods has its containers
  let mismatch = '';
  const strays = new Set<string>();
  await waitFor(
    'every node runs containers only for its own pods',
    async () => {
      mismatch = '';
      for (const n of c.upNames()) {
        const mine = c.node(n).store.list('Pod', 'default').filter((p) => nodeOf(p) === n);
        const uids = new Set(mine.map((p) => p.metadata.uid));
        const containers = await c.get(n).runtime.listContainers();
        const stray = containers.filter((x) => !uids.has(x.pod.uid));
        const without = mine.filter((p) => !containers.some((x) => x.pod.uid === p.metadata.uid));
        for (const x of stray) strays.add(x.pod.name);
        if (stray.length || without.length) {
          mismatch += `\n${n}: containers of pods it does not hold: ${
            stray.map((x) => `${x.pod.name}/${x.name}:${x.state}`).join(' ') || '-'
          }; pods without containers: ${without.map((p) => p.metadata.name).join(' ') || '-'}`;
        }
      }
      return mismatch === '';
    },
    10_000,
    100,
  ).catch((e) => {
    const about = c.names().flatMap((n) =>
      c.get(n).logs.filter((l) => [...strays].some((name) => l.includes(name)))
    );
    throw new Error(
      `${e.message}${mismatch}\n${describe()}\nlog lines about the strays:\n${about.join('\n')}`,
    );
  });
});

test('a pod bound by two nodes at once (two hosts of its actor while views disagree) ends running on one node only', async () => {
  // While two nodes disagree about membership (a heal, a join), both may host an unbound pod's
  // actor and ask different nodes to bind it; each binder writes spec.nodeName for itself and the
  // last write wins. Made deterministic here: the pod is bound by its scheduler to n2 or n3,
  // then — before the other one has heard of that bind (n2 and n3 cannot hear each other) —
  // n5 asks the other one to bind it, as a second host's scheduler would.
  const api = await c.client('n1');
  const others = ['n1', 'n4', 'n5'];
  for (const n of others) await api.request('cordon', { node: n, unschedulable: true });
  await waitFor(
    'the cordons everywhere',
    () =>
      c.names().every((o) =>
        others.every((n) => c.node(o).store.get(`Node//${n}`)?.spec?.unschedulable)
      ),
    5_000,
  );
  c.partition(['n2'], ['n3']);
  let pod = '';
  let first = '';
  let second = '';
  try {
    for (let attempt = 0; attempt < 10 && !pod; attempt++) {
      const name = `twice-${attempt}`;
      await api.request('apply', {
        manifest:
          `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"${name}"},"spec":{"containers":[{"name":"main","image":"busybox:latest","command":["sh","-c","exec httpd -f -p 8080"]}]}}`,
      });
      const key = objectKey('Pod', 'default', name);
      const unbound = await waitFor(
        `${name} bound, and the other node not told yet`,
        () => {
          const bound = c.node('n1').store.get(key)?.spec.nodeName as string | undefined;
          if (!bound) return undefined;
          const other = bound === 'n2' ? 'n3' : 'n2';
          const there = c.node(other).store.get(key);
          if (!there || there.spec.nodeName) return 'late';
          first = bound;
          second = other;
          return there;
        },
        5_000,
        1,
      );
      if (unbound === 'late') continue;
      const answer = await c.node('n5').transport.request(
        second,
        { t: 'bind', pod: unbound },
        2_000,
      );
      assert.is(answer.t, 'bound', `${second} takes the bind it cannot know is a second one`);
      pod = name;
    }
  } finally {
    c.heal();
    for (const n of others) await api.request('cordon', { node: n, unschedulable: false });
  }
  assert.ok(pod, 'the double bind was set up');
  const key = objectKey('Pod', 'default', pod);
  let view = '';
  await waitFor(
    `${pod} running on exactly one node, the one every store names`,
    async () => {
      const names = new Set(c.names().map((n) => c.node(n).store.get(key)?.spec.nodeName));
      const withContainers: string[] = [];
      for (const n of c.names()) {
        if (
          (await c.get(n).runtime.listContainers()).some((x) => x.pod.name === pod)
        ) withContainers.push(n);
      }
      view = `bound to ${
        [...names].join(',')
      } (first bind ${first}, second ${second}); containers on ${
        withContainers.join(',') || 'no node'
      }`;
      return names.size === 1 && withContainers.length === 1 && names.has(withContainers[0]) &&
        c.names().every((n) => c.node(n).store.get(key)?.status?.phase === 'Running');
    },
    10_000,
    100,
  ).catch((e) => {
    throw new Error(`${e.message}\n${view}`);
  });
});

test.run();
