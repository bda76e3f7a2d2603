// Decentralised scheduling in a 3-node cluster (1000m CPU each): many pods from Deployments
// applied on different nodes at once race for one node and never overcommit it (checked in every
// node's view, all along); a pod that fits nowhere stays Pending (PodScheduled=False,
// Unschedulable, a FailedScheduling event in Kubernetes' words) and is placed once room appears;
// a cordoned node takes no new pods; the pods of one Deployment spread over the nodes.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject, PodSpec } from '../../src/objects/types.ts';
import { podNeeds } from '../../src/host/scheduler.ts';
import {
  activePods,
  deployment,
  podsOf,
  startCluster,
  type TestCluster,
  waitFor,
} from '../support/cluster.ts';

const CPU = 1000;
const test = suite('cluster: scheduling');

let c: TestCluster;

test.before(async () => {
  c = await startCluster({ size: 3, prefix: 'sched', firstHost: 91, cpuMillis: CPU });
});
test.after(async () => {
  await c?.stopAll();
});
// each test starts from an empty cluster, whatever the previous one left
test.after.each(async () => {
  if (!c) return;
  const api = await c.client('n1');
  const left = c.node('n1').store.list('Deployment', 'default').map((d) => d.metadata.name);
  for (const name of left) {
    await api.request('delete', { kind: 'deployment', name }).catch(() => {});
  }
  await waitFor(
    'every pod gone',
    () => c.upNames().every((n) => c.node(n).store.list('Pod').length === 0),
    15_000,
    50,
  );
});

const nodeOf = (p: KObject) => (p.spec as PodSpec).nodeName;

/** CPU (millicores) requested by the pods bound to `target`, as `observer` sees them. */
function boundCpu(observer: string, target: string): number {
  return c.node(observer).store.list('Pod').filter((p) =>
    nodeOf(p) === target && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed'
  )
    .reduce((sum, p) => sum + podNeeds(p).cpu, 0);
}

/** No node is overcommitted in any node's view. */
function assertNoOvercommit(when: string) {
  for (const o of c.upNames()) {
    for (const t of c.names()) {
      const used = boundCpu(o, t);
      assert.ok(used <= CPU, `${when}: ${o} sees ${used}m bound to ${t}, over its ${CPU}m`);
    }
  }
}

const scheduledCond = (p: KObject) =>
  (p.status?.conditions as any[] | undefined)?.find((x) => x.type === 'PodScheduled');

async function deleteDeployments(names: string[]) {
  const api = await c.client('n1');
  for (const name of names) await api.request('delete', { kind: 'deployment', name });
  await waitFor(
    `pods of ${names.join(', ')} gone everywhere`,
    () => c.upNames().every((n) => names.every((d) => podsOf(c.node(n), d).length === 0)),
    15_000,
    50,
  );
}

test('pods racing for one node (Deployments applied on different nodes at once) never overcommit it', async () => {
  const target = 'n2';
  const names = ['race-a', 'race-b', 'race-c', 'race-d'];
  const on = ['n1', 'n2', 'n3', 'n1'];
  const clients = await Promise.all(on.map((n) => c.client(n)));
  // 12 pods of 300m that may only go to n2: 3 fit (900m of 1000m)
  await Promise.all(
    names.map((d, i) =>
      clients[i].request('apply', {
        manifest: deployment(d, 3, {
          cpu: '300m',
          nodeSelector: { 'kubernetes.io/hostname': target },
        }),
      })
    ),
  );
  const all = () =>
    c.node('n1').store.list('Pod', 'default').filter((p) =>
      names.includes(p.metadata.labels?.app ?? '')
    );
  // watch the race: no view ever shows the node overcommitted
  await waitFor(
    '3 racing pods running on n2 and 9 Unschedulable, in every view',
    () => {
      assertNoOvercommit('during the race');
      return c.upNames().every((o) => {
        const pods = c.node(o).store.list('Pod', 'default').filter((p) =>
          names.includes(p.metadata.labels?.app ?? '')
        );
        const bound = pods.filter((p) => nodeOf(p));
        const pending = pods.filter((p) => !nodeOf(p));
        return pods.length === 12 && bound.length === 3 && bound.every((p) =>
          nodeOf(p) === target && p.status?.phase === 'Running'
        ) &&
          pending.every((p) =>
            p.status?.phase === 'Pending' && scheduledCond(p)?.status === 'False' &&
            scheduledCond(p)?.reason === 'Unschedulable'
          );
      });
    },
    15_000,
    25,
  );
  assertNoOvercommit('after the race');
  assert.is(boundCpu('n2', target), 900);
  // why the others wait, in Kubernetes' words (a pod that lost a bind race says so first, and
  // gets the scheduler's own reasons at its next attempt)
  const expected =
    "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector.";
  await waitFor(
    "every waiting pod to say why in Kubernetes' words",
    () => {
      assertNoOvercommit('while the others wait');
      return all().filter((p) => !nodeOf(p)).every((p) => scheduledCond(p)?.message === expected);
    },
    15_000,
    50,
  );
  assert.is(all().filter((p) => nodeOf(p)).length, 3);
  await deleteDeployments(names);
});

test('a pod that fits nowhere stays Pending (Unschedulable, FailedScheduling) and is placed once room appears', async () => {
  const api = await c.client('n3');
  await api.request('apply', { manifest: deployment('filler', 3, { cpu: '600m' }) });
  await waitFor(
    'one filler pod Running on each node',
    () =>
      c.upNames().every((o) => {
        const pods = activePods(podsOf(c.node(o), 'filler'));
        return pods.length === 3 && pods.every((p) => p.status?.phase === 'Running') &&
          new Set(pods.map(nodeOf)).size === 3;
      }),
    15_000,
    50,
  ).catch((e) => {
    throw new Error(
      `${e.message}\n${
        c.upNames().map((o) =>
          `${o}: ${
            c.node(o).store.list('Pod').map((p) =>
              `${p.metadata.name}@${nodeOf(p)}:${p.status?.phase}:${
                scheduledCond(p)?.message ?? ''
              }`
            ).join(' ')
          }`
        ).join('\n')
      }`,
    );
  });

  await (await c.client('n1')).request('apply', {
    manifest: deployment('big', 1, { cpu: '600m' }),
  });
  const expected = '0/3 nodes are available: 3 Insufficient cpu.';
  const big = await waitFor(
    'big Pending and Unschedulable on every node',
    () => {
      const views = c.upNames().map((o) => podsOf(c.node(o), 'big')[0]);
      return views.every((p) =>
        p && !nodeOf(p) && p.status?.phase === 'Pending' && scheduledCond(p)?.status === 'False' &&
        scheduledCond(p)?.reason === 'Unschedulable' && scheduledCond(p)?.message === expected
      ) && views[0];
    },
    10_000,
    50,
  );
  // a FailedScheduling event, as `describe pod` shows it
  const events = await waitFor(
    'a FailedScheduling event for big',
    async () => {
      const [d] = await api.request('describe', { kind: 'pod', name: big.metadata.name });
      return d.events.some((e: any) => e.reason === 'FailedScheduling') && d.events;
    },
    5_000,
    50,
  );
  const failed = events.find((e: any) => e.reason === 'FailedScheduling');
  assert.is(failed.type, 'Warning');
  assert.is(failed.message, expected);
  assertNoOvercommit('with big pending');

  // room appears: big is placed and runs
  await api.request('delete', { kind: 'deployment', name: 'filler' });
  await waitFor(
    'big Running',
    () =>
      c.upNames().every((o) => {
        const p = podsOf(c.node(o), 'big')[0];
        return p && p.metadata.name === big.metadata.name && nodeOf(p) &&
          p.status?.phase === 'Running' && scheduledCond(p)?.status === 'True';
      }),
    15_000,
    50,
  );
  assertNoOvercommit('after big was placed');
  await deleteDeployments(['big']);
});

test('cordon keeps new pods off a node; uncordon lets them back', async () => {
  const api = await c.client('n2');
  const res = await api.request('cordon', { node: 'n3', unschedulable: true });
  assert.equal(res, { name: 'n3', changed: true });
  await waitFor(
    'n3 cordoned in every view',
    () => c.upNames().every((o) => c.node(o).store.get('Node//n3')?.spec?.unschedulable === true),
    5_000,
  );
  await (await c.client('n3')).request('apply', {
    manifest: deployment('fenced', 4, { cpu: '100m' }),
  });
  await waitFor(
    '4 fenced pods Running',
    () =>
      c.upNames().every((o) =>
        activePods(podsOf(c.node(o), 'fenced')).filter((p) => p.status?.phase === 'Running')
          .length === 4
      ),
    15_000,
    50,
  );
  for (const o of c.upNames()) {
    const onN3 = podsOf(c.node(o), 'fenced').filter((p) => nodeOf(p) === 'n3');
    assert.is(onN3.length, 0, `${o} sees fenced pods on the cordoned n3`);
  }
  // the Node object says so
  const node = await api.request('get', { kind: 'node', name: 'n3' });
  assert.is(node.spec.unschedulable, true);

  assert.equal(await api.request('cordon', { node: 'n3', unschedulable: false }), {
    name: 'n3',
    changed: true,
  });
  await waitFor(
    'n3 uncordoned in every view',
    () => c.upNames().every((o) => !c.node(o).store.get('Node//n3')?.spec?.unschedulable),
    5_000,
  );
  await (await c.client('n1')).request('apply', {
    manifest: deployment('fenced', 6, { cpu: '100m' }),
  });
  await waitFor(
    '6 fenced pods Running, some on n3 again',
    () =>
      c.upNames().every((o) => {
        const pods = activePods(podsOf(c.node(o), 'fenced'));
        return pods.length === 6 && pods.every((p) => p.status?.phase === 'Running') &&
          pods.some((p) => nodeOf(p) === 'n3');
      }),
    15_000,
    50,
  );
  await deleteDeployments(['fenced']);
});

/** How many active pods of app each node holds, sorted: e.g. `2/2/2`. */
function perNode(app: string) {
  const m = new Map<string, number>(c.names().map((n) => [n, 0]));
  for (const p of activePods(podsOf(c.node('n1'), app))) {
    m.set(nodeOf(p)!, (m.get(nodeOf(p)!) ?? 0) + 1);
  }
  return [...m.values()].sort((a, b) => a - b).join('/');
}

test('the pods of one Deployment spread over the nodes, scaled up one by one', async () => {
  // each placement sees the ones before: exactly 2 per node
  const n2 = await c.client('n2');
  for (let replicas = 1; replicas <= 6; replicas++) {
    await n2.request('apply', { manifest: deployment('spread', replicas, { cpu: '100m' }) });
    await waitFor(
      `${replicas} spread pods bound, in every view`,
      () =>
        c.upNames().every((o) =>
          activePods(podsOf(c.node(o), 'spread')).filter((p) => nodeOf(p)).length === replicas
        ),
      10_000,
      20,
    );
  }
  assert.is(perNode('spread'), '2/2/2');
});

test('the pods of one Deployment created at the same moment spread evenly over equal nodes', async () => {
  // 9 pods of one owner on 3 equal, empty nodes: fewest pods of the same owner first gives 3/3/3,
  // as kube-scheduler (one pod at a time, assuming the ones placed before) does
  for (const [name, on] of [['burst-a', 'n3'], ['burst-b', 'n1']]) {
    await (await c.client(on)).request('apply', { manifest: deployment(name, 9, { cpu: '100m' }) });
    await waitFor(
      `9 ${name} pods bound`,
      () =>
        c.upNames().every((o) =>
          activePods(podsOf(c.node(o), name)).filter((p) => nodeOf(p)).length === 9
        ),
      15_000,
      50,
    );
    assertNoOvercommit(`after ${name}`);
    assert.is(perNode(name), '3/3/3', `${name}: pods per node`);
    await deleteDeployments([name]);
  }
});

test("a bind request carries the pod actor's record as its last transition left it, written before the request leaves", async () => {
  // the node that places a pod writes its status and actor record at the end of a turn; a bind
  // sent before that write would let the write (the pod unbound, in the placing node's view)
  // land after the binding and undo it
  const sent: { from: string; key: string; carried?: string; written?: string; now?: string }[] = [];
  const restore: (() => void)[] = [];
  for (const n of c.upNames()) {
    const node = c.node(n);
    const request = node.transport.request.bind(node.transport);
    node.transport.request = (to, msg, timeoutMs) => {
      if (msg.t === 'bind') {
        const key = `Pod/${(msg.pod as KObject).metadata.namespace}/${(msg.pod as KObject).metadata.name}`;
        sent.push({ from: n, key, carried: (msg.actor as { rec?: { state?: string } } | undefined)?.rec?.state, written: node.store.actor(key)?.state, now: node.host.state(key) });
      }
      return request(to, msg, timeoutMs);
    };
    restore.push(() => (node.transport.request = request));
  }
  try {
    await (await c.client('n1')).request('apply', { manifest: deployment('carried', 6, { cpu: '100m' }) });
    await waitFor('6 carried pods Running', () => activePods(podsOf(c.node('n1'), 'carried')).filter((p) => p.status?.phase === 'Running').length === 6, 15_000, 50);
  } finally {
    for (const r of restore) r();
  }
  assert.ok(sent.length >= 3, `binds sent to other nodes: ${sent.length}`);
  for (const b of sent) {
    assert.ok(b.now, `${b.key} is hosted on ${b.from} while it is being placed`);
    assert.is(b.written, b.now, `${b.key}: the record written on ${b.from} when the bind left`);
    assert.is(b.carried, b.now, `${b.key}: the record the bind carries`);
  }
  await deleteDeployments(['carried']);
});

test.run();
