// An in-process node on the sim runtime with a real LevelDB: a Deployment reaches its pods, the
// node is stopped and a new node on the same data dir and the same (in-memory) sim runtime gets
// every object and actor back, adopts the running containers without duplicating any (a pod of
// one container has no sandbox, one of two has), and keeps converging (scale up, scale down).
// Deleting a Namespace or a Deployment takes what it holds.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StarlingNode } from '../../src/host/node.ts';
import { decodeManifests } from '../../src/manifest/index.ts';
import type { KObject } from '../../src/objects/types.ts';
import { keyOf } from '../../src/objects/types.ts';
import { SimRuntime } from '../../src/runtime/sim.ts';
import { SANDBOX_CONTAINER } from '../../src/runtime/types.ts';
import { removeDir, startSimNode, tempDir, waitFor } from '../support/sim-node.ts';

const test = suite('host: node restore on the sim runtime');

const NODE = 'restore-node';
const deployment = (replicas: number, ns = 'default', name = 'web') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: main
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "while true; do sleep 1; done"]
`;

let dataDir = '';
let runtime: SimRuntime;
let node: StarlingNode | undefined;
const logs: string[] = [];

const apply = (yaml: string) => node!.objects.apply(decodeManifests(yaml).objects);
const podsOf = (ns = 'default', app = 'web') =>
  node!.store.list('Pod', ns).filter((p) => p.metadata.labels?.app === app);
const isRunning = (p: KObject) =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((s: any) => s.ready);

async function containersByPod() {
  const m = new Map<string, { sandbox: number; app: number; running: number }>();
  for (const c of await runtime.listContainers()) {
    const e = m.get(c.pod.uid) ?? { sandbox: 0, app: 0, running: 0 };
    if (c.name === SANDBOX_CONTAINER) e.sandbox++;
    else e.app++;
    if (c.state === 'running') e.running++;
    m.set(c.pod.uid, e);
  }
  return m;
}

/** Waits until exactly `n` pods of the app exist, all Running and ready, each with its one container (no sandbox). */
async function converged(n: number, ns = 'default', app = 'web') {
  return await waitFor(`${n} running ${app} pods in ${ns}`, async () => {
    const pods = podsOf(ns, app);
    if (pods.length !== n || !pods.every(isRunning)) return false;
    const byPod = await containersByPod();
    const ok = pods.every((p) => {
      const e = byPod.get(p.metadata.uid!);
      return e && e.sandbox === 0 && e.app === 1 && e.running === 1;
    });
    return ok && pods;
  });
}

async function restart() {
  await node!.stop();
  node = undefined;
  node = await startSimNode({ name: NODE, dataDir, runtime, log: (m) => logs.push(m) });
}

test.before(async () => {
  dataDir = tempDir('restore');
  runtime = new SimRuntime({ nodeName: NODE });
  node = await startSimNode({ name: NODE, dataDir, runtime, log: (m) => logs.push(m) });
});

test.after(async () => {
  await node?.stop();
  removeDir(dataDir);
});

test('a 3-replica Deployment reaches 3 running pods', async () => {
  const res = await apply(deployment(3));
  assert.equal(res.map((r) => `${r.obj.kind}/${r.obj.metadata.name} ${r.outcome}`), ['Deployment/web created']);
  const pods = await converged(3);
  assert.is(new Set(pods.map((p) => p.metadata.name)).size, 3);
  for (const p of pods) assert.is(p.spec.nodeName, NODE);
  const rs = node!.store.list('ReplicaSet', 'default');
  assert.is(rs.length, 1);
  assert.is(rs[0].metadata.ownerReferences?.[0].kind, 'Deployment');
});

test('a restarted node restores every object and actor record and adopts its containers', async () => {
  // let the last writes settle, then take a picture of the store
  await waitFor('deployment status up to date', () => node!.store.get('Deployment/default/web')?.status?.availableReplicas === 3);
  const objectsBefore = new Map<string, KObject>();
  for (const kind of node!.store.kinds()) for (const o of node!.store.list(kind)) objectsBefore.set(keyOf(o), structuredClone(o));
  const actorsBefore = new Map(node!.store.actors().map((a) => [a.key, { state: a.state, since: a.since, node: a.node }]));
  const podsBefore = podsOf().map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, phase: p.status.phase }));
  const containersBefore = (await runtime.listContainers()).map((c) => c.id).sort();
  assert.is(containersBefore.length, 3, 'one container per pod: a pod of one container has no sandbox');

  await restart();

  // every object comes back with the same identity
  for (const [key, before] of objectsBefore) {
    const after = node!.store.get(key);
    assert.ok(after, `${key} restored`);
    assert.is(after!.metadata.uid, before.metadata.uid, `${key} keeps its uid`);
    assert.is(after!.metadata.creationTimestamp, before.metadata.creationTimestamp);
    if (before.kind !== 'Node') assert.equal(after!.spec, before.spec, `${key} keeps its spec`);
  }
  // every actor record comes back in the state it had
  for (const [key, before] of actorsBefore) {
    const rec = node!.store.actor(key);
    assert.ok(rec, `actor ${key} restored`);
    if (!key.startsWith('Node/')) {
      assert.is(rec!.state, before.state, `actor ${key} keeps its state`);
      assert.is(rec!.since, before.since, `actor ${key} keeps its since`);
    }
    assert.is(rec!.node, NODE);
  }
  const podsAfter = podsOf().map((p) => ({ name: p.metadata.name, uid: p.metadata.uid, phase: p.status.phase }));
  assert.equal(
    podsAfter.sort((a, b) => a.name.localeCompare(b.name)),
    podsBefore.sort((a, b) => a.name.localeCompare(b.name)),
  );
  for (const p of podsOf()) assert.is(node!.store.actor(keyOf(p))?.state, 'Running.Ready');
  // settled pods are hosted but dormant (made on their first event), read from their records
  for (const p of podsOf()) {
    assert.ok(node!.host.has(keyOf(p)));
    assert.is(node!.host.state(keyOf(p)), 'Running.Ready');
    assert.is(node!.host.context<{ containers: { id?: string }[] }>(keyOf(p))?.containers[0]?.id, p.status.containerStatuses[0].containerID?.replace(/^[a-z]+:\/\//, ''));
  }
  assert.ok(node!.host.active < node!.host.keys().length, `${node!.host.active} of ${node!.host.keys().length} actors made`);
  // an event wakes one: a container killed behind the node's back is restarted by its actor
  const victim = podsOf()[0]!;
  const appId = node!.host.context<{ containers: { id?: string }[] }>(keyOf(victim))!.containers[0]!.id!;
  runtime.kill(appId);
  await waitFor('the killed container restarted', () => podsOf().find((p) => p.metadata.uid === victim.metadata.uid)?.status.containerStatuses[0].restartCount === 1);
  await waitFor('the pod ready again', () => isRunning(podsOf().find((p) => p.metadata.uid === victim.metadata.uid)!));
  await runtime.removeContainer(appId); // the dead one, kept for its logs (converged() counts containers)

  // the containers were adopted: the same ones, none added, none removed
  await converged(3);
  const containersAfter = (await runtime.listContainers()).map((c) => c.id);
  assert.equal(containersAfter.filter((id) => containersBefore.includes(id)).length, 2, 'the others adopted, none replaced');
  assert.is(containersAfter.length, 3, 'none duplicated: the killed one replaced once');
  for (const p of podsOf()) {
    const cs = p.status.containerStatuses[0];
    assert.is(cs.restartCount, p.metadata.uid === victim.metadata.uid ? 1 : 0, `${p.metadata.name} restarts`);
  }
});

test('a pod of two containers keeps its sandbox across a restart, and is adopted whole', async () => {
  const pod = `
apiVersion: v1
kind: Pod
metadata: { name: duo, labels: { app: duo } }
spec:
  containers:
    - { name: main, image: busybox:latest, command: ["sh", "-c", "while true; do sleep 1; done"] }
    - { name: side, image: busybox:latest, command: ["sh", "-c", "while true; do sleep 1; done"] }
`;
  await apply(pod);
  const duo = () => node!.store.get('Pod/default/duo')!;
  await waitFor('duo Running', () => duo() && isRunning(duo()));
  const mine = async () => (await runtime.listContainers()).filter((c) => c.pod.uid === duo().metadata.uid);
  const before = await mine();
  assert.equal(before.map((c) => c.name).sort(), [SANDBOX_CONTAINER, 'main', 'side'], 'a sandbox the two containers share');
  await restart();
  await waitFor('duo Running after the restart', () => isRunning(duo()));
  const after = await mine();
  assert.equal(after.map((c) => c.id).sort(), before.map((c) => c.id).sort(), 'the same three containers, adopted');
  assert.ok(after.every((c) => c.state === 'running'));
  node!.objects.delete('Pod/default/duo');
  await waitFor('duo gone with its containers', async () => !node!.store.get('Pod/default/duo') && (await runtime.listContainers()).every((c) => c.pod.name !== 'duo'));
});

test('scaling to 5 and then to 2 converges to exactly that many pods (after a restart)', async () => {
  const up = await apply(deployment(5));
  assert.is(up[0].outcome, 'configured');
  await converged(5);
  const down = await apply(deployment(2));
  assert.is(down[0].outcome, 'configured');
  await waitFor('scaled down to 2 pods with no leftovers', async () => {
    const pods = podsOf();
    const live = new Set(pods.map((p) => p.metadata.uid));
    const containers = await runtime.listContainers();
    return pods.length === 2 && pods.every(isRunning) && containers.every((c) => live.has(c.pod.uid)) && containers.length === 2;
  });
  // the generation followed the spec changes
  assert.is(node!.store.get('Deployment/default/web')?.metadata.generation, 3);

  // and one more restart keeps exactly 2
  await restart();
  const pods = await converged(2);
  assert.is((await runtime.listContainers()).length, 2);
  assert.is(node!.store.list('ReplicaSet', 'default').filter((r) => r.metadata.labels?.app === 'web').length, 1);
  assert.is(node!.store.list('ReplicaSet', 'default')[0].spec.replicas, 2);
  assert.is(pods.length, 2);
});

test('a restart does not duplicate a container the node had not yet recorded (orphans are removed)', async () => {
  // a running container labelled for an existing pod but unknown to its actor is a second one
  const pod = podsOf()[0];
  await node!.stop();
  node = undefined;
  const stray = await runtime.startContainer(undefined, {
    pod: { uid: pod.metadata.uid!, name: pod.metadata.name, namespace: 'default' },
    name: 'main',
    image: 'busybox:latest',
    env: [],
    mounts: [],
    attempt: 0,
    network: { hostIP: '127.0.0.1', ports: [] },
  });
  // and a container of a pod that does not exist at all
  const ghostSandbox = await runtime.createSandbox({ pod: { uid: 'ghost-uid', name: 'ghost', namespace: 'default' }, hostIP: '127.0.0.1', ports: [] });
  node = await startSimNode({ name: NODE, dataDir, runtime, log: (m) => logs.push(m) });
  await converged(2);
  const ids = new Set((await runtime.listContainers()).map((c) => c.id));
  assert.not.ok(ids.has(stray.id), 'the unknown second container of a pod is removed');
  assert.not.ok(ids.has(ghostSandbox.id), 'the container of a pod that no longer exists is removed');
  assert.is(ids.size, 2);
});

test('deleting a Namespace deletes everything in it, containers included', async () => {
  const ns = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\n${deployment(2, 'team', 'api')}`;
  const res = await apply(ns);
  assert.equal(res.map((r) => r.outcome), ['created', 'created']);
  const pods = await converged(2, 'team', 'api');
  const uids = new Set(pods.map((p) => p.metadata.uid));
  const marked = node!.objects.delete('Namespace//team');
  assert.ok(marked?.metadata.deletionTimestamp, 'the namespace is marked Terminating');
  await waitFor('namespace team and its contents gone', async () => {
    const containers = await runtime.listContainers();
    return !node!.store.get('Namespace//team') && node!.objects.inNamespace('team').length === 0 &&
      !containers.some((c) => uids.has(c.pod.uid));
  });
  for (const kind of ['Deployment', 'ReplicaSet', 'Pod']) assert.is(node!.store.list(kind, 'team').length, 0, kind);
  assert.not.ok(node!.store.actors().some((a) => a.key.includes('/team/') || a.key === 'Namespace//team'), 'actor records dropped');
  // the default namespace's pods are untouched
  await converged(2);
});

test('deleting the Deployment removes its ReplicaSet, pods and sim containers', async () => {
  const rsKeys = node!.store.list('ReplicaSet', 'default').map(keyOf);
  const podKeys = podsOf().map(keyOf);
  assert.is(podKeys.length, 2);
  node!.objects.delete('Deployment/default/web');
  assert.not.ok(node!.store.get('Deployment/default/web'), 'the Deployment goes at once');
  await waitFor('everything of web gone', async () =>
    rsKeys.every((k) => !node!.store.get(k)) && podKeys.every((k) => !node!.store.get(k)) &&
    (await runtime.listContainers()).length === 0);
  for (const k of [...rsKeys, ...podKeys, 'Deployment/default/web']) assert.not.ok(node!.store.actor(k), `actor record of ${k} dropped`);
  // and it stays that way across a restart
  await restart();
  assert.is(node!.store.list('Pod').length, 0);
  assert.is(node!.store.list('ReplicaSet').length, 0);
  assert.is((await runtime.listContainers()).length, 0);
});

test.run();
