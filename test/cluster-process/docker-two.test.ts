// Two `starling node start` processes on the Docker runtime (127.0.0.41 and 127.0.0.42): a
// Deployment of 4 busybox httpd replicas runs pods on both nodes, each answering HTTP on its port
// published on loopback; SIGKILL of one node: its pods are replaced Running on the other (and
// answer); restarted, it rejoins, every ReplicaSet ends with exactly 4 pods, and the containers
// of the replaced pods are removed: exactly one running app container per pod, none for the
// deleted pods. Every container of both nodes is removed at the end, even when a test fails.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiClient } from '../../src/api/client.ts';
import { docker } from '../support/docker.ts';
import { until } from '../support/node-process.ts';
import { deployment, isRunning, podsOf, ProcessCluster, spread } from '../support/process-cluster.ts';

const test = suite('cluster processes: 2 nodes on docker');
const cluster = new ProcessCluster({ nodes: 2, prefix: 'cp-dock', runtime: 'docker', hostBase: 40 });
const APP = 'web2';
let c: ApiClient;
let victim = '';
let victimPods: any[] = [];

test.before(async () => {
  await cluster.start();
  c = await cluster.client(0);
});
test.after(async () => {
  await cluster.stop();
});

/** Running app containers of both nodes, by pod uid (Docker's own view, by labels). */
async function appContainers(): Promise<Map<string, string[]>> {
  // one query per node: several label filters in one query would have to match all of them
  const lists = await Promise.all(cluster.names.map((n) => docker.listContainers({ all: false, filters: { label: [`io.starling.node=${n}`] } })));
  const m = new Map<string, string[]>();
  for (const x of lists.flat()) {
    if (x.Labels['io.starling.container'] !== 'app') continue;
    const uid = x.Labels['io.starling.pod.uid'];
    m.set(uid, [...(m.get(uid) ?? []), `${x.Labels['io.starling.node']}/${x.Id.slice(0, 12)}`]);
  }
  return m;
}

async function answers(p: any): Promise<string> {
  const hp = p.status?.hostPorts?.find((h: any) => h.containerPort === 8080);
  assert.ok(hp, `pod ${p.metadata.name} publishes port 8080: ${JSON.stringify(p.status?.hostPorts)}`);
  assert.match(hp.hostIP, /^127\./, 'published on loopback only');
  return await until(`pod ${p.metadata.name} answering on ${hp.hostIP}:${hp.hostPort}`, async () => {
    const r = await fetch(`http://${hp.hostIP}:${hp.hostPort}/`, { signal: AbortSignal.timeout(2000) });
    return r.ok && (await r.text()).trim();
  }, 20_000, 200);
}

const allRunning = (n: number) => async () => {
  const l = await podsOf(c, APP);
  return l.length === n && l.every(isRunning) && l;
};

test('a 4-replica busybox httpd Deployment runs pods on both nodes, each answering HTTP', async () => {
  await cluster.waitReady(cluster.names, 30_000);
  // Scaled up 1 → 2 → 4: once the first pod is Running everywhere, the spread score (fewest pods
  // of the same owner) sends the second to the other node, so both nodes run pods whatever the
  // tie-breaks of simultaneous placements do.
  for (const n of [1, 2, 4]) {
    await c.request('apply', { manifest: deployment(APP, n) });
    await until(`${n} Running pods`, allRunning(n), 90_000);
    const c2 = await cluster.client(1);
    await until(`${n} Running pods as node 2 sees them`, async () => {
      const l = await podsOf(c2, APP);
      return l.length === n && l.every(isRunning);
    }, 15_000);
    cluster.closeClient(c2);
  }
  const pods = await podsOf(c, APP);
  const s = spread(pods);
  console.log(`  spread: ${[...s].map(([k, v]) => `${k}:${v}`).join(' ')}`);
  for (const n of cluster.names) assert.ok((s.get(n) ?? 0) >= 1, `node ${n} runs pods`);
  for (const p of pods) assert.is(await answers(p), 'ok');
  const apps = await appContainers();
  for (const p of pods) assert.is(apps.get(p.metadata.uid)?.length, 1, `one running app container for ${p.metadata.name}`);
  // the victim: the node the test's client is not connected to
  victim = cluster.node(1).name;
  victimPods = pods.filter((p) => p.spec.nodeName === victim);
});

test('SIGKILL of a node: its pods are replaced Running on the other node, and answer', async () => {
  assert.ok(victimPods.length > 0);
  const old = new Set(victimPods.map((p) => p.metadata.uid));
  const started = Date.now();
  assert.is(await cluster.kill(victim, 'SIGKILL'), null);
  const pods: any[] = await until('4 Running pods on the surviving node', async () => {
    const l = await podsOf(c, APP);
    const ok = l.filter((p) => p.spec.nodeName !== victim && isRunning(p));
    return ok.length === 4 && !l.some((p) => old.has(p.metadata.uid) && isRunning(p)) && ok;
  }, 60_000, 100);
  console.log(`  failover: ${victimPods.length} pods of ${victim} replaced Running in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  for (const p of pods) {
    assert.ok(!old.has(p.metadata.uid));
    assert.is(await answers(p), 'ok');
  }
  await cluster.waitReady([cluster.first.name], 30_000, [victim]);
});

test('the restarted node rejoins; exactly 4 pods; the containers of replaced pods are removed', async () => {
  await cluster.restart(victim);
  await cluster.waitReady(cluster.names, 30_000);
  let stableSince = 0;
  await until('every ReplicaSet with exactly its 4 pods, stable for 3 s', async () => {
    const rs = (await c.request('get', { kind: 'rs' })).items as any[];
    const pods = await podsOf(c, APP);
    const bad = rs.filter((r) => pods.filter((p) => p.metadata.ownerReferences?.some((o: any) => o.uid === r.metadata.uid)).length !== r.spec.replicas);
    const good = rs.length >= 1 && bad.length === 0 && pods.length === 4 && pods.every(isRunning);
    if (!good) {
      stableSince = 0;
      throw new Error(`${pods.length} pods: ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}`).join(', ')}`);
    }
    stableSince ||= Date.now();
    return Date.now() - stableSince >= 3000;
  }, 60_000, 200);
  const old = new Set(victimPods.map((p) => p.metadata.uid));
  // Docker's view: exactly one running app container per existing pod, none for deleted pods
  await until('one running app container per pod and none for the replaced pods', async () => {
    const pods = await podsOf(c, APP);
    const uids = new Set(pods.map((p) => p.metadata.uid));
    const apps = await appContainers();
    const problems: string[] = [];
    for (const u of uids) if (apps.get(u)?.length !== 1) problems.push(`pod ${u}: ${apps.get(u)?.join(', ') ?? 'no container'}`);
    for (const [u, ids] of apps) if (!uids.has(u)) problems.push(`${old.has(u) ? 'replaced' : 'unknown'} pod ${u} still has ${ids.join(', ')}`);
    if (problems.length) throw new Error(problems.join('; '));
    return true;
  }, 60_000, 500);
  for (const p of await podsOf(c, APP)) assert.is(await answers(p), 'ok');
});

test('deleting the Deployment removes every pod and container on both nodes', async () => {
  await c.request('delete', { kind: 'deployment', name: APP, wait: true });
  await until('no pods', async () => (await podsOf(c, APP)).length === 0, 30_000);
  await until('no containers', async () => {
    for (const n of cluster.names) {
      const l = await docker.listContainers({ all: true, filters: { label: [`io.starling.node=${n}`] } });
      if (l.length) throw new Error(`${n}: ${l.map((x) => `${x.Labels['io.starling.pod.name']}/${x.Labels['io.starling.container']} ${x.State}`).join(', ')}`);
    }
    return true;
  }, 60_000, 500);
});

test.run();
