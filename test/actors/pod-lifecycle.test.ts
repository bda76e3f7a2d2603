import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PLACE_RETRY_MS } from '../../actors/pod-logic.ts';
import { PodHarness } from './pod-harness.ts';

const test = suite('pod machine: lifecycle and restart policies');

test('Pending until scheduled, then ContainerCreating, then Running.Ready', () => {
  const h = new PodHarness([{ name: 'c' }]);
  assert.is(h.state, 'Pending');
  h.send({ type: 'SCHEDULED', node: 'n1' });
  assert.is(h.state, 'ContainerCreating');
  assert.equal(h.commands.map((c) => c.type), ['event', 'createSandbox']);
  h.settle();
  assert.is(h.state, 'Running.Ready');
  assert.is(h.ctx.phase, 'Running');
  assert.is(h.container().restartCount, 0);
});

test('an unbound pod whose placement goes unanswered asks again, until it is scheduled', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.send({ type: 'PLACE' });
  assert.equal(h.commands.map((c) => c.type), ['schedule']);
  h.commands.length = 0;
  // no SCHEDULED and no UNSCHEDULABLE: the answer was lost
  h.now += PLACE_RETRY_MS - 1;
  h.send({ type: 'TICK' });
  assert.equal(h.commands.map((c) => c.type), [], 'not before the retry interval');
  h.now += 1;
  h.send({ type: 'TICK' });
  assert.equal(h.commands.map((c) => c.type), ['schedule'], 'asked again');
  h.commands.length = 0;
  h.send({ type: 'SCHEDULED', node: 'n1' });
  assert.is(h.ctx.placeRetryAt, undefined);
  assert.is(h.state, 'ContainerCreating');
});

test('restartPolicy Never: a failing container makes the pod Failed, no restart', () => {
  const h = new PodHarness([{ name: 'c' }], 'Never');
  h.schedule();
  h.exit('c', 3);
  assert.is(h.state, 'Failed');
  assert.is(h.container().exit?.exitCode, 3);
  assert.is(h.container().exit?.reason, 'Error');
  h.advance(3_600_000);
  assert.is(h.container().restartCount, 0);
});

test('restartPolicy OnFailure: exit 0 → Succeeded; exit 1 → restarted', () => {
  const ok = new PodHarness([{ name: 'c' }], 'OnFailure');
  ok.schedule();
  ok.exit('c', 0);
  assert.is(ok.state, 'Succeeded');
  assert.is(ok.container().exit?.reason, 'Completed');

  const bad = new PodHarness([{ name: 'c' }], 'OnFailure');
  bad.schedule();
  bad.exit('c', 1);
  assert.is(bad.state, 'Running.Ready', 'first restart is immediate');
  assert.is(bad.container().restartCount, 1);
});

test('restartPolicy Always restarts even after exit 0', () => {
  const h = new PodHarness([{ name: 'c' }], 'Always');
  h.schedule();
  h.exit('c', 0);
  assert.is(h.container().restartCount, 1);
  assert.is(h.state, 'Running.Ready');
});

test('init containers run to completion in order before the app containers start', () => {
  const h = new PodHarness([{ name: 'i1', init: true }, { name: 'i2', init: true }, { name: 'app' }]);
  h.schedule();
  assert.is(h.container('i1').activity, 'running');
  assert.is(h.container('i2').activity, 'waiting');
  assert.is(h.container('app').reason, 'PodInitializing');
  assert.is(h.state, 'ContainerCreating');
  h.exit('i1', 0);
  assert.is(h.container('i2').activity, 'running');
  assert.is(h.container('app').activity, 'waiting');
  h.exit('i2', 0);
  assert.is(h.container('app').activity, 'running');
  assert.is(h.state, 'Running.Ready');
});

test('a failed init container is retried with back-off, and with Never fails the pod', () => {
  const h = new PodHarness([{ name: 'i1', init: true }, { name: 'app' }], 'Always');
  h.schedule();
  h.exit('i1', 1);
  assert.is(h.container('i1').restartCount, 1);
  assert.is(h.container('app').activity, 'waiting');

  const never = new PodHarness([{ name: 'i1', init: true }, { name: 'app' }], 'Never');
  never.schedule();
  never.exit('i1', 1);
  assert.is(never.state, 'Failed');
  assert.is(never.container('app').started, false);
});

test('a container killed from outside is restarted and restartCount goes up', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  const first = h.container().id;
  h.exit('c', 137);
  assert.is(h.container().restartCount, 1);
  assert.is.not(h.container().id, first);
  assert.is(h.container().exit?.exitCode, 137, 'lastState keeps the termination');
});

test('a pod without a sandbox takes its ports from its container, at each start', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.send({ type: 'SCHEDULED', node: 'n1' });
  h.commands = [];
  h.send({ type: 'SANDBOX_READY', ports: [] });
  assert.is(h.ctx.sandbox, 'ready');
  assert.is(h.ctx.sandboxId, undefined, 'no sandbox container');
  const port = (hostPort: number) => [{ containerPort: 80, protocol: 'TCP', hostIP: '127.0.0.1', hostPort }];
  h.send({ type: 'IMAGE_READY', container: 'c' });
  h.send({ type: 'CONTAINER_STARTED', container: 'c', id: 'a', ports: port(40001) });
  assert.equal(h.ctx.ports, port(40001));
  assert.is(h.state, 'Running.Ready');
  h.exit('c', 1);
  h.send({ type: 'CONTAINER_STARTED', container: 'c', id: 'b', ports: port(40002) });
  assert.equal(h.ctx.ports, port(40002), 'a restart that got another port says so');
  h.send({ type: 'CONTAINER_STARTED', container: 'c', id: 'b' });
  assert.equal(h.ctx.ports, port(40002), 'a container joined to a sandbox leaves the ports as they are');
});

test('DELETE → Terminating, killPod, and nothing is restarted afterwards', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  h.send({ type: 'DELETE' });
  assert.is(h.state, 'Terminating');
  assert.ok(h.commands.some((c) => c.type === 'killPod'));
  h.commands = [];
  h.send({ type: 'CONTAINER_EXITED', container: 'c', id: h.container().id, exitCode: 137 });
  assert.equal(h.commands, []);
});

test('an exit event for an old container id is ignored', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  h.send({ type: 'CONTAINER_EXITED', container: 'c', id: 'some-old-id', exitCode: 1 });
  assert.is(h.container().activity, 'running');
  assert.is(h.container().restartCount, 0);
});

test.run();
