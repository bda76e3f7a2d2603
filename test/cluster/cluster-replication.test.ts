// Replicated state in a 5-node cluster: an object applied on one node is readable on every
// node; concurrent conflicting applies of one Deployment converge to the same object everywhere
// (and to one set of pods); deletes are tombstones that anti-entropy never undoes; a node that
// was down while objects were applied, changed and deleted catches up when it returns, and its
// stale copies do not undo the newer writes. Events are kept on a few nodes (partialCopies) and
// every node's reads gather them; so are Pods' actor records.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { canonical } from '../../actors/canonical.ts';
import type { KEvent, KObject } from '../../src/objects/types.ts';
import { keyOf, objectKey } from '../../src/objects/types.ts';
import { rendezvousTop } from '../../src/cluster/placement.ts';
import {
  activePods,
  deployment,
  podsOf,
  startCluster,
  type TestCluster,
  waitFor,
} from '../support/cluster.ts';

const test = suite('cluster: replicated state');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 5, prefix: 'repl', firstHost: 41 });
});
test.after(async () => {
  await c?.stopAll();
});

const depKey = (name: string) => objectKey('Deployment', 'default', name);
/** The replicated part of an object: everything but status and the local resourceVersion. */
const specOf = (o: KObject | undefined) => {
  if (!o) return 'absent';
  const { status: _s, metadata, ...rest } = o;
  const { resourceVersion: _rv, ...meta } = metadata;
  return canonical([meta, rest]);
};
/** Runs an anti-entropy exchange between every pair of up nodes (both directions), as the timers do. */
async function antiEntropyEverywhere() {
  for (const a of c.upNames()) {
    for (const b of c.upNames()) if (a !== b) await c.node(a).replicator.syncWith(b);
  }
}

test('an object applied on one node is readable on all 5, and watched on another', async () => {
  // a watch on n5 sees what is applied on n3
  const seen: { type: string; object: KObject }[] = [];
  const watch = await (await c.client('n5')).stream('watch', {
    kind: 'deployment',
    noInitial: true,
  }, (item) => seen.push(item));
  const n3 = await c.client('n3');
  const res = await n3.request('apply', { manifest: deployment('hello', 1) });
  assert.is(res.results[0].outcome, 'created');
  await waitFor(
    'the watch on n5 to see hello ADDED',
    () => seen.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'hello'),
    5_000,
    20,
  );
  watch.cancel();
  for (const name of c.upNames()) {
    const api = await c.client(name);
    const got = await waitFor(
      `deployment hello on ${name}`,
      async () => {
        try {
          return await api.request('get', { kind: 'deployment', name: 'hello' });
        } catch {
          return undefined;
        }
      },
      5_000,
      20,
    );
    assert.is(got.metadata.name, 'hello');
    assert.is(got.spec.replicas, 1);
  }
  // one uid everywhere, the same spec everywhere
  const uids = new Set(c.upNames().map((n) => c.node(n).store.get(depKey('hello'))!.metadata.uid));
  assert.is(uids.size, 1);
  await waitFor(
    'hello has its pod running, seen on every node',
    () =>
      c.upNames().every((n) =>
        activePods(podsOf(c.node(n), 'hello')).filter((p) => p.status?.phase === 'Running')
          .length === 1
      ),
    10_000,
    50,
  );
});

test('an event is kept on partialCopies of the 5 nodes, not spread by anti-entropy, and every node shows it in describe and get events', async () => {
  const pod = activePods(podsOf(c.node('n1'), 'hello'))[0];
  const podKey = keyOf(pod);
  const copies = c.node('n1').opts.config.replication.partialCopies;
  assert.is(copies, 3);
  /** event id → the reason and the nodes that hold it */
  const holders = () => {
    const held = new Map<string, { reason: string; nodes: string[] }>();
    for (const n of c.upNames()) {
      for (const [id, ev] of c.node(n).store.eventEntries([podKey])) {
        const h = held.get(id) ?? { reason: ev.reason, nodes: [] };
        h.nodes.push(n);
        held.set(id, h);
      }
    }
    return held;
  };
  await waitFor('the Started event of the pod on 3 nodes', () => [...holders().values()].some((h) => h.reason === 'Started' && h.nodes.length === copies), 5_000, 20);
  await antiEntropyEverywhere();
  const held = holders();
  for (const [id, h] of held) assert.ok(h.nodes.length >= 1 && h.nodes.length <= copies, `${id} (${h.reason}) is on ${h.nodes}`);
  const reasons = [...held.values()].map((h) => h.reason).sort();
  assert.ok(reasons.includes('Scheduled') && reasons.includes('Started'), reasons.join());
  for (const n of c.upNames()) {
    const api = await c.client(n);
    const [described] = await api.request('describe', { kind: 'pod', name: pod.metadata.name });
    assert.equal(described.events.map((e: KEvent) => e.reason).sort(), reasons, `describe on ${n}`);
    const listed = (await api.request('get', { kind: 'events' })).items as KEvent[];
    assert.equal(listed.filter((e) => e.involvedObject.name === pod.metadata.name).map((e) => e.reason).sort(), reasons, `get events on ${n}`);
  }
});

test('get events -w on a node streams the events recorded on others: a new one ADDED, a repeat MODIFIED with its count', async () => {
  const pod = activePods(podsOf(c.node('n1'), 'hello'))[0];
  const seen: { type: string; reason: string; count: number }[] = [];
  const watch = await (await c.client('n5')).stream('watch', { kind: 'events', noInitial: true }, (ev: { type: string; object: KEvent }) =>
    seen.push({ type: ev.type, reason: ev.object.reason, count: ev.object.count }));
  try {
    await new Promise((r) => setTimeout(r, 500)); // the watch's first look at the members
    c.node('n1').event(pod, 'Normal', 'WatchTest', 'recorded on n1', 'test');
    await waitFor('the event ADDED on n5', () => seen.some((e) => e.reason === 'WatchTest' && e.type === 'ADDED'), 5_000, 20);
    c.node('n1').event(pod, 'Normal', 'WatchTest', 'recorded on n1', 'test');
    await waitFor('the repeat MODIFIED on n5, count 2', () => seen.some((e) => e.reason === 'WatchTest' && e.type === 'MODIFIED' && e.count === 2), 5_000, 20);
    assert.is(seen.filter((e) => e.reason === 'WatchTest' && e.type === 'ADDED').length, 1, 'added once');
  } finally {
    watch.cancel();
  }
});

test('describe of more than 100 objects gathers their events by namespace: every pod shows its own', async () => {
  const api = await c.client('n2');
  await api.request('apply', { manifest: 'apiVersion: v1\nkind: Namespace\nmetadata: { name: many }\n' });
  await api.request('apply', { manifest: deployment('many', 101), namespace: 'many' });
  const scheduled = (n: string) => c.node(n).store.list('Pod', 'many').filter((p) => p.spec.nodeName).length;
  await waitFor('101 pods bound', () => c.upNames().every((n) => scheduled(n) === 101), 20_000, 100);
  await waitFor('every pod\'s Started event recorded', () => {
    const started = new Set(c.upNames().flatMap((n) => c.node(n).store.eventEntries().filter(([, e]) => e.reason === 'Started' && e.involvedObject.namespace === 'many').map(([, e]) => e.involvedObject.name)));
    return started.size === 101;
  }, 20_000, 100);
  const described = await api.request('describe', { kind: 'pod', namespace: 'many' }) as { object: KObject; events: KEvent[] }[];
  assert.is(described.length, 101);
  for (const d of described) {
    assert.ok(d.events.length > 0 && d.events.every((e) => e.involvedObject.name === d.object.metadata.name), `${d.object.metadata.name}: ${d.events.map((e) => e.involvedObject.name)}`);
    assert.ok(d.events.some((e) => e.reason === 'Started'), `${d.object.metadata.name}: ${d.events.map((e) => e.reason)}`);
  }
  // the node that placed them kept no copy of their actor records: each is on its pod's node and
  // on the members ranked first for its key, a few nodes, not on all five
  const copies = c.node('n1').opts.config.replication.partialCopies;
  const strays = () =>
    described.flatMap(({ object: p }) => {
      const expected = new Set([p.spec.nodeName as string, ...rendezvousTop(keyOf(p), c.upNames(), copies)]);
      return c.upNames().filter((n) => c.node(n).store.actor(keyOf(p)) && !expected.has(n)).map((n) => `${p.metadata.name} on ${n}`);
    });
  await waitFor('no pod actor record outside its copies', () => strays().length === 0, 5_000, 50).catch(() => {});
  assert.equal(strays(), []);
  await api.request('delete', { kind: 'deployment', names: ['many'], namespace: 'many' });
});

test("a pod's actor record is on its node and a few others, not spread by anti-entropy; actors on every node shows it", async () => {
  const pod = activePods(podsOf(c.node('n1'), 'hello'))[0];
  const podKey = keyOf(pod);
  const host = pod.spec.nodeName as string;
  const copies = c.node('n1').opts.config.replication.partialCopies;
  const holders = () => c.upNames().filter((n) => c.node(n).store.actor(podKey));
  await waitFor('the Running record on the pod\'s node', () => c.node(host).store.actor(podKey)?.state.startsWith('Running'), 5_000, 20);
  await antiEntropyEverywhere();
  const held = holders();
  assert.ok(held.includes(host), `${held} holds it, with ${host}`);
  // its node and the members ranked first for its key (the node that placed it dropped its copy)
  const expected = new Set([host, ...rendezvousTop(podKey, c.upNames(), copies)]);
  assert.ok(held.every((n) => expected.has(n)), `the record is on ${held}, not only on ${[...expected]}`);
  assert.ok(held.length < c.upNames().length, `the record is on ${held}: on every node`);
  // a Deployment's actor record is everywhere, as before
  assert.is(c.upNames().filter((n) => c.node(n).store.actor(depKey('hello'))).length, c.upNames().length);
  for (const n of c.upNames()) {
    const api = await c.client(n);
    const [one] = (await api.request('actors', { kind: 'pod', name: pod.metadata.name })).items;
    assert.is(one.node, host, `actors on ${n}`);
    assert.match(one.state, /^Running/, `actors on ${n}`);
    const all = (await api.request('actors', {})).items as { kind: string; name: string }[];
    assert.ok(all.some((a) => a.kind === 'Pod' && a.name === pod.metadata.name), `actors (all) on ${n}`);
    assert.ok(all.some((a) => a.kind === 'Deployment' && a.name === 'hello'), `actors (all) on ${n}`);
  }
});

test('concurrent conflicting applies of one Deployment on two nodes converge to the same object on every node, with one set of pods', async () => {
  // n2 and n4 cannot hear each other while they write (the others hear both)
  c.partition(['n2'], ['n4']);
  const [a, b] = [await c.client('n2'), await c.client('n4')];
  const [ra, rb] = await Promise.all([
    a.request('apply', { manifest: deployment('conflict', 2, { env: 'from-n2' }) }),
    b.request('apply', { manifest: deployment('conflict', 3, { env: 'from-n4' }) }),
  ]);
  assert.is(ra.results[0].outcome, 'created');
  assert.is(rb.results[0].outcome, 'created');
  c.heal();
  const same = await waitFor(
    'every node to hold the same Deployment conflict',
    () => {
      const specs = new Set(
        c.upNames().map((n) => specOf(c.node(n).store.get(depKey('conflict')))),
      );
      const versions = new Set(
        c.upNames().map((n) => c.node(n).store.versions(depKey('conflict'))?.sv),
      );
      return specs.size === 1 && versions.size === 1 && !specs.has('absent') && [...specs][0];
    },
    10_000,
    50,
  );
  const winner = c.node('n1').store.get(depKey('conflict'))!;
  const replicas = winner.spec.replicas as number;
  assert.ok(replicas === 2 || replicas === 3, `one of the two writes won: ${same}`);
  const env = replicas === 2 ? 'from-n2' : 'from-n4';
  assert.match(
    JSON.stringify(winner.spec.template),
    env,
    'spec and replicas come from the same write',
  );
  // the losing write leaves nothing behind: exactly the winner's replicas run, owned by the winner
  await waitFor(
    `exactly ${replicas} running pods of conflict, of the winning template, on every node`,
    () =>
      c.upNames().every((n) => {
        const pods = activePods(podsOf(c.node(n), 'conflict'));
        const rss = c.node(n).store.list('ReplicaSet', 'default').filter((rs) =>
          rs.metadata.labels?.app === 'conflict'
        );
        const live = rss.filter((rs) =>
          (rs.spec.replicas ?? 1) > 0 || activePods(podsOf(c.node(n), 'conflict')).some((p) =>
            p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid
          )
        );
        return pods.length === replicas && pods.every((p) =>
          p.status?.phase === 'Running' && JSON.stringify(p.spec).includes(env)
        ) &&
          live.every((rs) => rs.metadata.ownerReferences?.[0]?.uid === winner.metadata.uid);
      }),
    15_000,
    100,
  ).catch((e) => {
    const view = c.upNames().map((n) =>
      `${n}: rs ${
        c.node(n).store.list('ReplicaSet', 'default').filter((rs) =>
          rs.metadata.labels?.app === 'conflict'
        ).map((rs) =>
          `${rs.metadata.name}(replicas ${rs.spec.replicas}, owner ${
            rs.metadata.ownerReferences?.[0]?.uid
          })`
        ).join(' ')
      }; pods ${
        activePods(podsOf(c.node(n), 'conflict')).map((p) =>
          `${p.metadata.name}:${p.status?.phase}`
        ).join(' ')
      }`
    ).join('\n');
    throw new Error(
      `${e.message}\nwinner uid ${winner.metadata.uid}, replicas ${replicas}\n${view}`,
    );
  });
});

test('deletes are tombstones: a deleted object stays deleted on every node, also after anti-entropy', async () => {
  const n1 = await c.client('n1');
  await n1.request('apply', { manifest: deployment('doomed', 1) });
  await waitFor(
    'doomed everywhere',
    () => c.upNames().every((n) => c.node(n).store.get(depKey('doomed'))),
    5_000,
  );
  const n5 = await c.client('n5');
  const del = await n5.request('delete', { kind: 'deployment', name: 'doomed' });
  assert.is(del.deleted.length, 1);
  await waitFor(
    'doomed gone everywhere, its pods too',
    () =>
      c.upNames().every((n) =>
        !c.node(n).store.get(depKey('doomed')) && podsOf(c.node(n), 'doomed').length === 0
      ),
    10_000,
    50,
  );
  await antiEntropyEverywhere();
  for (const n of c.upNames()) {
    assert.not.ok(c.node(n).store.actors().some((a) => a.key.startsWith('Pod/default/doomed-')), `a pod actor record of doomed is left on ${n}`);
    assert.not.ok(c.node(n).store.get(depKey('doomed')), `doomed came back on ${n}`);
    assert.is(c.node(n).store.versions(depKey('doomed'))?.deleted, true, `${n} keeps a tombstone`);
    const api = await c.client(n);
    const e = await api.refused('get', { kind: 'deployment', name: 'doomed' });
    assert.is(e.code, 'NotFound');
  }
});

test('a node that was down catches up when it returns, and its stale data does not undo newer writes', async () => {
  const n1 = await c.client('n1');
  await n1.request('apply', {
    manifest: deployment('keep', 1) + '---' + deployment('change', 1) + '---' +
      deployment('drop', 1),
  });
  await waitFor(
    'keep, change and drop on n5',
    () => ['keep', 'change', 'drop'].every((d) => c.node('n5').store.get(depKey(d))),
    5_000,
  );
  const stale = { change: specOf(c.node('n5').store.get(depKey('change'))) };

  await c.kill('n5');
  await waitFor(
    'n5 dead on every other node',
    () => c.upNames().every((o) => c.memberState(o, 'n5') === 'dead'),
    10_000,
    50,
  );

  // while n5 is down: a change, a delete and a new object, each on a different node
  await (await c.client('n2')).request('apply', {
    manifest: deployment('change', 2, { env: 'changed' }),
  });
  await (await c.client('n3')).request('delete', { kind: 'deployment', name: 'drop' });
  await (await c.client('n4')).request('apply', { manifest: deployment('fresh', 1) });
  await waitFor(
    'the writes reach every up node',
    () =>
      c.upNames().every((n) =>
        c.node(n).store.get(depKey('change'))?.spec.replicas === 2 &&
        !c.node(n).store.get(depKey('drop')) && c.node(n).store.get(depKey('fresh'))
      ),
    5_000,
    50,
  );
  const current = specOf(c.node('n1').store.get(depKey('change')));
  assert.is.not(current, stale.change);

  await c.restart('n5');
  await c.waitConverged('n5 back in the cluster');
  await waitFor(
    'n5 caught up',
    () => {
      const s = c.node('n5').store;
      return specOf(s.get(depKey('change'))) === current && !s.get(depKey('drop')) &&
        !!s.get(depKey('fresh')) && !!s.get(depKey('keep'));
    },
    10_000,
    50,
  );
  // n5's stale copies (change at 1 replica, drop alive) must not win anywhere, even after anti-entropy
  await antiEntropyEverywhere();
  for (const n of c.upNames()) {
    const s = c.node(n).store;
    assert.is(specOf(s.get(depKey('change'))), current, `change on ${n}`);
    assert.not.ok(s.get(depKey('drop')), `drop came back on ${n}`);
    assert.ok(s.get(depKey('fresh')), `fresh on ${n}`);
    assert.ok(s.get(depKey('keep')), `keep on ${n}`);
  }
  // and the workloads follow: change runs 2 pods, drop none, on every node's view
  await waitFor(
    'change runs 2 pods and drop none, everywhere',
    () =>
      c.upNames().every((n) =>
        activePods(podsOf(c.node(n), 'change')).filter((p) =>
            p.status?.phase === 'Running' && JSON.stringify(p.spec).includes('changed')
          ).length === 2 &&
        activePods(podsOf(c.node(n), 'change')).length === 2 &&
        podsOf(c.node(n), 'drop').length === 0
      ),
    15_000,
    100,
  );
});

test.run();
