// Docker e2e: a pod's containers share one network namespace and an emptyDir volume, and init
// containers run first.

import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containersOf } from '../support/docker.ts';
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

test('deleting the pod stops and removes its containers', async () => {
  await e.c.request('delete', { kind: 'pod', name: 'sidecar-demo', wait: true, timeoutMs: 30_000 });
  await until('no containers left', async () => (await containersOf(name)).length === 0, 30_000);
});

test.run();
