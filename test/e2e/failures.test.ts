// Docker e2e: a crashing pod reaches CrashLoopBackOff; a missing image reaches ErrImagePull and
// ImagePullBackOff (never a hang). The node runs with the test preset (back-off 0.5 s doubling).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { containersOf } from '../support/docker.ts';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';

const test = suite('e2e docker: failing pods');
const e = withDockerNode(test, 'e2e-fail');
const { name } = e;

const pod = (podName: string, image: string, command: string[], restartPolicy = 'Always') => `
apiVersion: v1
kind: Pod
metadata: { name: ${podName} }
spec:
  restartPolicy: ${restartPolicy}
  containers:
    - name: main
      image: ${image}
      command: ${JSON.stringify(command)}
`;


const status = async (podName: string) => (await e.c.request('get', { kind: 'pod', name: podName })).status;

test('a container that keeps exiting goes to CrashLoopBackOff, restartCount rising', async () => {
  await e.c.request('apply', { manifest: pod('crash', 'busybox:latest', ['sh', '-c', 'echo about to fail; exit 3']) });
  const s = await until('CrashLoopBackOff', async () => {
    const st = await status('crash');
    const cs = st?.containerStatuses?.[0];
    return cs?.state.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 2 && st;
  }, 30_000);
  const cs = s.containerStatuses[0];
  assert.is(s.phase, 'Running', 'Kubernetes keeps phase Running while it restarts');
  assert.is(cs.ready, false);
  assert.is(cs.lastState.terminated.exitCode, 3);
  assert.is(cs.lastState.terminated.reason, 'Error');
  const events = (await e.c.request('describe', { kind: 'pod', name: 'crash' }))[0].events;
  assert.ok(events.some((e: any) => e.reason === 'BackOff' && e.type === 'Warning'), 'a BackOff event');
  const actor = (await e.c.request('actors', { kind: 'pod', name: 'crash' })).items[0];
  assert.is(actor.state, 'Running.NotReady');
  // the logs of the crashing container are readable
  const chunks: Uint8Array[] = [];
  const logs = await e.c.stream('logs', { pod: 'crash' }, (b: Uint8Array) => chunks.push(b));
  await logs.done;
  assert.match(Buffer.concat(chunks).toString(), /about to fail/);
});

test('restartPolicy Never: a failing container makes the pod Failed; OnFailure with exit 0 Succeeded', async () => {
  await e.c.request('apply', { manifest: pod('once-fail', 'busybox:latest', ['sh', '-c', 'exit 4'], 'Never') + '---' + pod('once-ok', 'busybox:latest', ['true'], 'OnFailure') });
  const failed = await until('Failed', async () => (await status('once-fail'))?.phase === 'Failed' && status('once-fail'));
  assert.is(failed.containerStatuses[0].state.terminated.exitCode, 4);
  assert.is(failed.containerStatuses[0].restartCount, 0);
  const ok = await until('Succeeded', async () => (await status('once-ok'))?.phase === 'Succeeded' && status('once-ok'));
  assert.is(ok.containerStatuses[0].state.terminated.reason, 'Completed');
});

test('a missing image gives ErrImagePull, then ImagePullBackOff', async () => {
  await e.c.request('apply', { manifest: pod('noimage', 'starling-test/does-not-exist:1', ['true']) });
  const seen = new Set<string>();
  await until('ErrImagePull and ImagePullBackOff', async () => {
    const reason = (await status('noimage'))?.containerStatuses?.[0]?.state.waiting?.reason;
    if (reason) seen.add(reason);
    return seen.has('ErrImagePull') && seen.has('ImagePullBackOff');
  }, 40_000, 100);
  const st = await status('noimage');
  assert.is(st.phase, 'Pending');
  const apps = (await containersOf(name)).filter((x) => x.Labels['io.starling.pod.name'] === 'noimage' && x.Labels['io.starling.container'] !== 'POD');
  assert.is(apps.length, 0, 'no container was created for the missing image');
});

test.run();
