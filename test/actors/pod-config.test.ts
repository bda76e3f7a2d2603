// The pod machine waiting for ConfigMaps and Secrets: CreateContainerConfigError (container
// waiting, Warning Failed, retried every CONFIG_RETRY_MS and at once on CONFIG_CHANGED) and
// FailedMount (no sandbox, the pod stays ContainerCreating, retried the same way).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Command, CONFIG_RETRY_MS } from '../../actors/pod.ts';
import { PodHarness } from './pod-harness.ts';

const test = suite('pod machine: waiting for ConfigMaps and Secrets');

const CONFIG_MSG = 'configmap "app" not found';
const MOUNT_MSG = 'MountVolume.SetUp failed for volume "cfg" : configmap "app" not found';

/** Answers commands like a runtime on a node where the ConfigMap may be missing. */
function settle(h: PodHarness, world: { configMissing?: boolean; volumeMissing?: boolean }, events: Command[] = []) {
  for (let i = 0; i < 100 && h.commands.length; i++) {
    const cmd = h.commands.shift()!;
    if (cmd.type === 'event') events.push(cmd);
    if (cmd.type === 'createSandbox') {
      h.send(world.volumeMissing ? { type: 'VOLUME_FAILED', message: MOUNT_MSG } : { type: 'SANDBOX_READY', id: 'sandbox', ports: [] });
    }
    if (cmd.type === 'pullImage') h.send({ type: 'IMAGE_READY', container: cmd.container });
    if (cmd.type === 'startContainer') {
      h.send(world.configMissing
        ? { type: 'CONTAINER_CONFIG_ERROR', container: cmd.container, message: CONFIG_MSG }
        : { type: 'CONTAINER_STARTED', container: cmd.container, id: `id${h.nextId++}` });
    }
  }
  return events;
}

/** Moves the clock, sending TICK at each deadline as the host does. */
function advance(h: PodHarness, ms: number, world: { configMissing?: boolean; volumeMissing?: boolean }, events: Command[] = []) {
  const target = h.now + ms;
  while (h.ctx.wakeAt !== undefined && h.ctx.wakeAt <= target) {
    h.now = h.ctx.wakeAt;
    h.send({ type: 'TICK' });
    settle(h, world, events);
  }
  h.now = target;
}

const failed = (events: Command[]) => events.filter((e) => e.type === 'event' && e.reason === 'Failed').map((e) => (e as { message: string }).message);

test('a missing ConfigMap: CreateContainerConfigError, retried, and started once it appears', () => {
  const h = new PodHarness([{ name: 'c' }]);
  const world = { configMissing: true };
  const events: Command[] = [];
  h.send({ type: 'SCHEDULED', node: 'n1' });
  settle(h, world, events);
  const c = h.container();
  assert.is(c.activity, 'waiting');
  assert.is(c.reason, 'CreateContainerConfigError');
  assert.is(c.message, CONFIG_MSG);
  assert.is(h.state, 'ContainerCreating');
  assert.is(h.ctx.phase, 'Pending');
  assert.equal(failed(events), [`Error: ${CONFIG_MSG}`]);
  assert.is(h.ctx.wakeAt, h.now + CONFIG_RETRY_MS);

  // retried on its deadline, still failing: the reason stays (no flicker to ContainerCreating)
  advance(h, CONFIG_RETRY_MS, world, events);
  assert.is(failed(events).length, 2);
  assert.is(h.container().reason, 'CreateContainerConfigError');

  // the ConfigMap appears: CONFIG_CHANGED retries at once, before the deadline
  world.configMissing = false;
  h.now += 1000;
  h.send({ type: 'CONFIG_CHANGED' });
  settle(h, world, events);
  assert.is(h.container().activity, 'running');
  assert.is(h.container().reason, undefined);
  assert.is(h.container().restartCount, 0);
  assert.is(h.state, 'Running.Ready');
});

test('a restart that finds its ConfigMap gone waits with its last termination kept', () => {
  const h = new PodHarness([{ name: 'c' }]);
  const world = { configMissing: false };
  h.send({ type: 'SCHEDULED', node: 'n1' });
  settle(h, world);
  world.configMissing = true;
  h.send({ type: 'CONTAINER_EXITED', container: 'c', id: h.container().id, exitCode: 1 });
  settle(h, world); // the immediate restart fails on its config
  const c = h.container();
  assert.is(c.activity, 'exited');
  assert.is(c.reason, 'CreateContainerConfigError');
  assert.is(c.exit?.exitCode, 1);
  assert.is(h.ctx.phase, 'Running', 'a started pod stays Running while a container waits');
  advance(h, CONFIG_RETRY_MS - 1, world);
  assert.is(h.container().reason, 'CreateContainerConfigError', 'not CrashLoopBackOff');
  world.configMissing = false;
  advance(h, 1, world);
  assert.is(h.container().activity, 'running');
  assert.is(h.container().restartCount, 1);
});

test('a missing volume source: FailedMount, no sandbox, ContainerCreating until it appears', () => {
  const h = new PodHarness([{ name: 'c' }]);
  const world = { volumeMissing: true };
  const events: Command[] = [];
  h.send({ type: 'SCHEDULED', node: 'n1' });
  settle(h, world, events);
  assert.is(h.ctx.sandbox, 'none');
  assert.is(h.state, 'ContainerCreating');
  assert.is(h.container().reason, 'ContainerCreating');
  assert.equal(events.filter((e) => e.type === 'event' && e.reason === 'FailedMount').map((e) => (e as { message: string }).message), [MOUNT_MSG]);
  assert.is(h.ctx.mountRetryAt, h.now + CONFIG_RETRY_MS);
  assert.is(h.ctx.wakeAt, h.now + CONFIG_RETRY_MS);
  advance(h, CONFIG_RETRY_MS - 1, world, events);
  assert.is(events.filter((e) => e.type === 'event' && e.reason === 'FailedMount').length, 1, 'not before the deadline');
  advance(h, 1, world, events);
  assert.is(events.filter((e) => e.type === 'event' && e.reason === 'FailedMount').length, 2, 'retried');
  world.volumeMissing = false;
  h.send({ type: 'CONFIG_CHANGED' });
  settle(h, world, events);
  assert.is(h.ctx.sandbox, 'ready');
  assert.is(h.ctx.mountRetryAt, undefined);
  assert.is(h.state, 'Running.Ready');
});

test('CONFIG_CHANGED does nothing to a pod that waits for nothing', () => {
  const h = new PodHarness([{ name: 'c' }]);
  h.schedule();
  const before = JSON.stringify(h.ctx);
  h.send({ type: 'CONFIG_CHANGED' });
  assert.is(JSON.stringify({ ...h.ctx, commands: [] }), JSON.stringify({ ...JSON.parse(before), commands: [] }));
});

test.run();
