// Docker e2e: readiness decides whether a pod is ready (and so counted by its ReplicaSet and,
// later, an endpoint); a failing liveness probe restarts the container.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';

const test = suite('e2e docker: probes');
const e = withDockerNode(test, 'e2e-probes');

const POD = `
apiVersion: v1
kind: Pod
metadata: { name: probed }
spec:
  containers:
    - name: web
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && touch /tmp/alive && exec httpd -f -p 8080 -h /www"]
      ports: [{ name: http, containerPort: 8080 }]
      startupProbe:
        tcpSocket: { port: http }
        periodSeconds: 1
      readinessProbe:
        exec: { command: ["cat", "/tmp/ready"] }
        periodSeconds: 1
        failureThreshold: 1
      livenessProbe:
        exec: { command: ["cat", "/tmp/alive"] }
        periodSeconds: 1
        failureThreshold: 2
`;

const status = async () => (await e.c.request('get', { kind: 'pod', name: 'probed' })).status;
const sh = (cmd: string) => e.c.request('exec', { pod: 'probed', command: ['sh', '-c', cmd] });

test('readiness: not ready until its probe passes, unready when it fails', async () => {
  await e.c.request('apply', { manifest: POD });
  const st = await until('running, started, not ready', async () => {
    const s = await status();
    const cs = s?.containerStatuses?.[0];
    return cs?.state.running && cs.started && s;
  });
  assert.is(st.containerStatuses[0].ready, false);
  assert.is(st.conditions.find((c: any) => c.type === 'Ready').status, 'False');
  await sh('touch /tmp/ready');
  await until('ready', async () => (await status()).containerStatuses[0].ready);
  const actor = (await e.c.request('actors', { kind: 'pod', name: 'probed' })).items[0];
  assert.is(actor.state, 'Running.Ready');
  await sh('rm /tmp/ready');
  await until('unready again', async () => !(await status()).containerStatuses[0].ready);
  assert.is((await status()).containerStatuses[0].restartCount, 0, 'readiness never restarts');
});

test('liveness: a failing probe restarts the container, with an event', async () => {
  await sh('rm /tmp/alive');
  const st = await until('restarted by its liveness probe', async () => {
    const s = await status();
    return s.containerStatuses[0].restartCount >= 1 && s.containerStatuses[0].state.running && s;
  }, 30_000);
  assert.ok(st.containerStatuses[0].lastState.terminated, 'the killed container is lastState');
  const events = (await e.c.request('describe', { kind: 'pod', name: 'probed' }))[0].events;
  assert.ok(events.some((ev: any) => ev.reason === 'Unhealthy' && /Liveness probe failed/.test(ev.message)));
  assert.ok(events.some((ev: any) => ev.reason === 'Killing' && /failed liveness probe, will be restarted/.test(ev.message)));
  await e.c.request('delete', { kind: 'pod', name: 'probed', wait: true });
});

test.run();
