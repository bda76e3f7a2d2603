// Docker e2e: a pod's containers share one network namespace and an emptyDir volume, and init
// containers run first. A pod of one container has no sandbox: its container holds the network.

import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containersOf, docker } from '../support/docker.ts';
import { httpGet } from '../support/http.ts';
import { withDockerNode } from '../support/e2e.ts';
import { ROOT, until } from '../support/node-process.ts';

const test = suite('e2e docker: pod containers');
const e = withDockerNode(test, 'e2e-pod');
const { name } = e;


test('two containers talk over localhost and share an emptyDir file; the init container ran first', async () => {
  const manifest = readFileSync(`${ROOT}/docs/examples/sidecar-pod.yaml`, 'utf8');
  const res = await e.c.request('apply', { manifest });
  assert.equal(res.results.map((r: any) => r.outcome), ['created']);
  const pod = await until('the pod running with both containers ready', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: 'sidecar-demo' });
    return p.status?.phase === 'Running' && p.status.containerStatuses.every((s: any) => s.ready) && p;
  });
  assert.is(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0);
  assert.is(pod.status.initContainerStatuses[0].state.terminated.reason, 'Completed');
  // the client fetched http://localhost:8080 from the server container and wrote it to the shared volume
  const fetched = await until('the client to fetch the file over localhost', async () => {
    const r = await e.c.request('exec', { pod: 'sidecar-demo', container: 'client', command: ['cat', '/shared/fetched.txt'] });
    return r.exitCode === 0 ? new TextDecoder().decode(r.stdout) : '';
  });
  assert.is(fetched.trim(), 'prepared-by-init');
  // a file written by one container is seen by the other
  const w = await e.c.request('exec', { pod: 'sidecar-demo', container: 'server', command: ['sh', '-c', 'echo from-server > /shared/note.txt'] });
  assert.is(w.exitCode, 0);
  const r = await e.c.request('exec', { pod: 'sidecar-demo', container: 'client', command: ['cat', '/shared/note.txt'] });
  assert.is(new TextDecoder().decode(r.stdout).trim(), 'from-server');
  // labels on every container: pod name, namespace, uid, node
  const containers = await containersOf(name);
  const running = containers.filter((x) => x.State === 'running');
  assert.is(running.length, 3, 'sandbox + two containers');
  for (const x of running) {
    assert.is(x.Labels['io.starling.pod.name'], 'sidecar-demo');
    assert.is(x.Labels['io.starling.pod.namespace'], 'default');
    assert.is(x.Labels['io.starling.pod.uid'], pod.metadata.uid);
    assert.is(x.Labels['io.starling.node'], name);
  }
});

test('a pod of one container is that container alone: hostname, its port, the same port after a restart', async () => {
  const manifest = `
apiVersion: v1
kind: Pod
metadata: { name: solo }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: busybox:latest
      command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{ containerPort: 8080 }]
`;
  await e.c.request('apply', { manifest });
  const running = async (restarts: number) => await until(`solo running after ${restarts} restarts`, async () => {
    const p = await e.c.request('get', { kind: 'pod', name: 'solo' });
    const cs = p.status?.containerStatuses?.[0];
    return p.status?.phase === 'Running' && cs?.ready && cs.restartCount === restarts && p;
  }, 30_000);
  const pod = await running(0);
  const mine = async () => (await containersOf(name)).filter((x) => x.Labels['io.starling.pod.name'] === 'solo');
  const only = await mine();
  assert.equal(only.map((x) => x.Labels['io.starling.container']), ['web'], 'no sandbox container');
  const [published] = pod.status.hostPorts;
  assert.is(published.containerPort, 8080);
  assert.ok(published.hostPort > 0);
  assert.is(await until('an answer', () => httpGet(published.hostIP, published.hostPort), 10_000), 'solo', 'the pod name as hostname');

  await docker.getContainer(only[0]!.Id).kill();
  const again = await running(1);
  assert.equal(again.status.hostPorts, pod.status.hostPorts, 'the restarted container took the port it had');
  assert.is(await until('an answer after the restart', () => httpGet(published.hostIP, published.hostPort), 10_000), 'solo');
  await e.c.request('delete', { kind: 'pod', name: 'solo', wait: true, timeoutMs: 30_000 });
  await until('solo\'s containers gone', async () => (await mine()).length === 0, 30_000);
});

test('deleting the pod stops and removes its containers', async () => {
  await e.c.request('delete', { kind: 'pod', name: 'sidecar-demo', wait: true, timeoutMs: 30_000 });
  await until('no containers left', async () => (await containersOf(name)).length === 0, 30_000);
});

test.run();
