// Docker e2e: a 3-replica busybox Deployment reaches 3 running pods; a container killed with
// `docker kill` is restarted (noticed through Docker's event stream); deleting the Deployment
// removes its containers.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containersOf, docker } from '../support/docker.ts';
import { withDockerNode } from '../support/e2e.ts';
import { WEB } from '../support/manifests.ts';
import { until } from '../support/node-process.ts';

const test = suite('e2e docker: deployment');
const e = withDockerNode(test, 'e2e-deploy');
const { name } = e;


const pods = async () => (await e.c.request('get', { kind: 'pods', selector: 'app=web' })).items as any[];
const running = (p: any) => p.status?.phase === 'Running' && p.status.containerStatuses.every((s: any) => s.ready);


test('a 3-replica Deployment reaches 3 running pods, each port published on loopback', async () => {
  const res = await e.c.request('apply', { manifest: WEB(3) });
  assert.equal(res.results.map((r: any) => `${r.kind}/${r.name} ${r.outcome}`), ['Deployment/web created']);
  const list: any[] = await until('3 running pods', async () => {
    const l = await pods();
    return l.length === 3 && l.every(running) ? l : undefined;
  });
  const d = await e.c.request('get', { kind: 'deploy', name: 'web' });
  await until('deployment status', async () => {
    const d = await e.c.request('get', { kind: 'deploy', name: 'web' });
    return d.status?.availableReplicas === 3 && d.status.updatedReplicas === 3;
  });
  assert.is(d.metadata.generation, 1);
  const apps = (await containersOf(name, false)).filter((x) => x.Labels['io.starling.container'] === 'httpd');
  assert.is(apps.length, 3, 'one running httpd container per pod');
  // the limits became Docker's limits
  const info = await docker.getContainer(apps[0].Id).inspect();
  assert.is(info.HostConfig.NanoCpus, 250_000_000);
  assert.is(info.HostConfig.Memory, 64 * 1024 * 1024);
  // each pod answers on its published loopback port
  for (const p of list) {
    const hp = p.status.hostPorts[0];
    assert.is(hp.hostIP, '127.0.0.1');
    const body = await until(`pod ${p.metadata.name} answering`, async () => (await fetch(`http://127.0.0.1:${hp.hostPort}/`)).text());
    assert.is(body.trim(), 'v1');
  }
});

test('docker kill of a container: noticed from the event stream and restarted, restartCount 1', async () => {
  const [victim] = await pods();
  const id = victim.status.containerStatuses[0].containerID.replace('starling://', '');
  await docker.getContainer(id).kill();
  const after = await until('the container restarted', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: victim.metadata.name });
    const s = p.status.containerStatuses[0];
    return s.restartCount === 1 && s.state.running && p;
  }, 20_000);
  assert.is(after.status.containerStatuses[0].lastState.terminated.exitCode, 137);
  assert.is((await pods()).length, 3, 'the pod was restarted in place, not replaced');
});

test('a deleted pod is replaced by the ReplicaSet; scaling down removes extras', async () => {
  const [victim] = await pods();
  await e.c.request('delete', { kind: 'pod', name: victim.metadata.name, wait: true });
  await until('3 running pods again', async () => {
    const l = await pods();
    return l.length === 3 && l.every(running) && !l.some((p) => p.metadata.name === victim.metadata.name);
  });
  const res = await e.c.request('apply', { manifest: WEB(1) });
  assert.is(res.results[0].outcome, 'configured');
  await until('1 pod', async () => (await pods()).length === 1);
  await until('1 httpd container', async () => (await containersOf(name)).filter((x) => x.Labels['io.starling.container'] === 'httpd').length === 1);
});

test('deleting the Deployment removes its ReplicaSet, pods and containers', async () => {
  await e.c.request('delete', { kind: 'deployment', name: 'web', wait: true });
  await until('no pods', async () => (await pods()).length === 0);
  assert.is((await e.c.request('get', { kind: 'rs' })).items.length, 0);
  await until('no containers', async () => (await containersOf(name)).length === 0);
});

test.run();
