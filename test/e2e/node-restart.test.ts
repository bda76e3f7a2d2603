// Docker e2e: SIGKILL the node and start it again on the same data dir. Every object and actor
// comes back in the state it had, running containers are adopted (the same container ids, no
// second container), a container that died while the node was down is restarted, and a pod in
// back-off keeps its restart count.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containersOf, docker } from '../support/docker.ts';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';
import { WEB } from '../support/manifests.ts';

const test = suite('e2e docker: node SIGKILL and restart');
const e = withDockerNode(test, 'e2e-restart');
const { name, node } = e;

const CRASH = `
apiVersion: v1
kind: Pod
metadata: { name: crash }
spec:
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "sleep 0.2; exit 1"]
`;


const runningIds = async () => (await containersOf(name, false)).map((x) => x.Id).sort();

test('after SIGKILL and restart: same objects, same actor states, same containers', async () => {
  await e.c.request('apply', { manifest: WEB(3) + '---' + CRASH });
  await until('3 running web pods', async () => {
    const l = (await e.c.request('get', { kind: 'pods', selector: 'app=web' })).items;
    return l.length === 3 && l.every((p: any) => p.status?.containerStatuses?.[0]?.ready);
  });
  await until('crash pod restarted twice', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: 'crash' });
    return p.status?.containerStatuses?.[0]?.restartCount >= 2;
  });
  const before = await e.c.request('get', { kind: 'pods', selector: 'app=web' });
  const actorsBefore = (await e.c.request('actors', {})).items.filter((a: any) => a.name !== 'crash');
  const idsBefore = (await containersOf(name, false)).filter((x) => x.Labels['io.starling.pod.name'] !== 'crash').map((x) => x.Id).sort();
  const crashCount = (await e.c.request('get', { kind: 'pod', name: 'crash' })).status.containerStatuses[0].restartCount;

  assert.is(await node.kill('SIGKILL'), null);
  // while the node is down, one web container dies
  const victim = before.items[0];
  await docker.getContainer(victim.status.containerStatuses[0].containerID.replace('starling://', '')).kill();

  await node.start();
  await e.reconnect();
  const after = await e.c.request('get', { kind: 'pods', selector: 'app=web' });
  assert.equal(after.items.map((p: any) => [p.metadata.name, p.metadata.uid]), before.items.map((p: any) => [p.metadata.name, p.metadata.uid]));
  const actorsAfter = (await e.c.request('actors', {})).items.filter((a: any) => a.name !== 'crash' && a.name !== victim.metadata.name);
  for (const a of actorsAfter) {
    const b = actorsBefore.find((x: any) => x.kind === a.kind && x.name === a.name);
    assert.ok(b, `actor ${a.kind}/${a.name} existed before`);
    if (a.kind !== 'Deployment' && a.kind !== 'ReplicaSet') assert.is(a.state, b.state, `${a.kind}/${a.name} state`);
  }
  // the victim is restarted in place: restartCount 1, same pod
  const restarted = await until('the killed container restarted', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: victim.metadata.name });
    return p.status.containerStatuses[0].restartCount === 1 && p.status.containerStatuses[0].state.running && p;
  });
  assert.ok(restarted);
  // every other container is the very same one, and each pod has exactly one running app container
  const idsAfter = (await containersOf(name, false)).filter((x) => x.Labels['io.starling.pod.name'] !== 'crash').map((x) => x.Id);
  const survivors = idsBefore.filter((id) => !victim.status.containerStatuses[0].containerID.includes(id));
  for (const id of survivors) assert.ok(idsAfter.includes(id), `container ${id.slice(0, 12)} adopted`);
  for (const p of after.items) {
    const apps = (await containersOf(name, false)).filter((x) => x.Labels['io.starling.pod.uid'] === p.metadata.uid && x.Labels['io.starling.container'] === 'httpd');
    assert.is(apps.length, 1, `one httpd container for ${p.metadata.name}`);
  }
  // the crash-looping pod goes on from where it was
  const crash = await until('crash pod keeps restarting', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: 'crash' });
    return p.status.containerStatuses[0].restartCount > crashCount && p;
  }, 30_000);
  assert.ok(crash.status.containerStatuses[0].restartCount > crashCount);
});

test('a graceful SIGTERM leaves containers running; the restarted node adopts them', async () => {
  const ids = await runningIds();
  const from = node.log.length;
  const code = await node.kill('SIGTERM');
  assert.is(code, 0);
  assert.match(node.log.slice(from), /SIGTERM: stopping[\s\S]*stopped/);
  await node.start();
  await e.reconnect();
  const l = (await e.c.request('get', { kind: 'pods', selector: 'app=web' })).items;
  assert.is(l.length, 3);
  const webIds = (await containersOf(name, false)).filter((x) => x.Labels['io.starling.pod.name'] !== 'crash').map((x) => x.Id).sort();
  for (const id of webIds) assert.ok(ids.includes(id), 'no new web containers');
  await e.c.request('delete', { kind: 'deployment', name: 'web', wait: true });
  await e.c.request('delete', { kind: 'pod', name: 'crash', wait: true });
  await until('no containers', async () => (await containersOf(name)).length === 0);
});

test.run();
