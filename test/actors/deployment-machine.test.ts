// The Deployment machine: status and conditions through a rollout (NewReplicaSetCreated →
// ReplicaSetUpdated → NewReplicaSetAvailable, FoundNewReplicaSet on a rollback), the progress
// deadline on a simulated clock (in the machine, and through the ActorHost that re-arms `wakeAt`
// and sends TICK), pause and resume, Recreate's re-check, and persist-and-restore round trips.
// Also the ReplicaSet's minReadySeconds.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type AnyActorRef, createActor } from 'xstate';
import {
  type DeploymentCommand,
  type DeploymentContext,
  type DeploymentEvent,
  deploymentMachine,
  type ReplicaSetSummary,
} from '../../actors/deployment.ts';
import { statePath } from '../../actors/reducer-machine.ts';
import { type PodSummary, replicaSetMachine } from '../../actors/replicaset.ts';
import { SimulatedClock } from '../../src/clock.ts';
import { ActorHost } from '../../src/host/actor-host.ts';
import { deploymentStatus } from '../../src/host/controllers.ts';
import { MemoryKV } from '../../src/store/kv.ts';
import { Store } from '../../src/store/store.ts';

/** One event-loop turn: an actor's snapshot is written at the end of the turn it changed in. */
const turn = () => new Promise<void>((r) => setImmediate(r));

const test = suite('deployment machine: conditions, deadline, pause, Recreate, round trip');

const T0 = Date.UTC(2026, 0, 1);
const rs = (name: string, hash: string, over: Partial<ReplicaSetSummary> = {}): ReplicaSetSummary => ({
  name, hash, revision: 1, replicas: 3, current: 3, ready: 3, available: 3, ...over,
});

/** A Deployment actor with its commands recorded, and a SYNC helper with defaults. */
function deployment(replicas = 3) {
  const commands: DeploymentCommand[] = [];
  const actor: AnyActorRef = createActor(
    deploymentMachine.provide({ actions: { execute: ({ context }: any) => commands.push(...context.commands) } } as any),
    { input: { replicas, name: 'web' } },
  );
  actor.start();
  const sync = (sets: ReplicaSetSummary[], at: number, over: Partial<DeploymentEvent & { type: 'SYNC' }> = {}) => {
    commands.length = 0;
    actor.send({ type: 'SYNC', name: 'web', generation: 1, replicas, hash: 'new', revisionHistoryLimit: 10, replicaSets: sets, at, progressDeadlineSeconds: 60, ...over });
    return [...commands];
  };
  const tick = (at: number) => {
    commands.length = 0;
    actor.send({ type: 'TICK', at });
    return [...commands];
  };
  const ctx = () => actor.getSnapshot().context as DeploymentContext;
  const state = () => statePath(actor.getSnapshot().value);
  const cond = (type: string) => ctx().conditions.find((c) => c.type === type);
  return { actor, sync, tick, ctx, state, cond };
}

test('a rollout: conditions and status as Kubernetes reports them', () => {
  const d = deployment();
  const old = rs('web-old', 'old');
  assert.equal(d.sync([old], T0), [{ type: 'createReplicaSet', hash: 'new', replicas: 1, revision: 2 }]);
  assert.is(d.state(), 'Progressing');
  assert.equal(d.cond('Progressing'), {
    type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'Created new replica set "web-new"', lastUpdateTime: T0, lastTransitionTime: T0,
  });
  assert.is(d.cond('Available')!.status, 'True', '3 available ≥ 3 - 0');
  // the new pod is up: progress
  d.sync([old, rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })], T0 + 5_000);
  assert.equal(d.ctx().status, { observedGeneration: 1, replicas: 4, updatedReplicas: 1, readyReplicas: 4, availableReplicas: 4, unavailableReplicas: 0 });
  assert.equal(d.cond('Progressing')!.reason, 'ReplicaSetUpdated');
  assert.is(d.cond('Progressing')!.message, 'ReplicaSet "web-new" is progressing.');
  assert.is(d.cond('Progressing')!.lastUpdateTime, T0 + 5_000);
  assert.is(d.cond('Progressing')!.lastTransitionTime, T0, 'still True: the transition time stays');
  // complete
  d.sync([rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0 }), rs('web-new', 'new', { revision: 2 })], T0 + 20_000);
  assert.is(d.state(), 'Available');
  assert.equal(d.cond('Progressing')!.reason, 'NewReplicaSetAvailable');
  assert.is(d.cond('Progressing')!.message, 'ReplicaSet "web-new" has successfully progressed.');
  assert.is(d.ctx().revision, 2);
  assert.is(d.ctx().wakeAt, undefined, 'no deadline once complete');
  // the host's view: RFC 3339 times
  const status = deploymentStatus(d.ctx()) as any;
  assert.is(status.conditions[1].lastUpdateTime, '2026-01-01T00:00:20Z');
  assert.is(status.availableReplicas, 3);
});

test('a rollback reuses the old ReplicaSet: FoundNewReplicaSet and a new revision', () => {
  const d = deployment();
  d.sync([rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0 }), rs('web-new', 'new', { revision: 2 })], T0);
  const cmds = d.sync([rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0 }), rs('web-new', 'new', { revision: 2 })], T0 + 1_000, { hash: 'old' });
  assert.equal(cmds[0], { type: 'updateReplicaSet', name: 'web-old', revision: 3 });
  assert.equal(cmds[1], { type: 'scaleReplicaSet', name: 'web-old', replicas: 1 });
  assert.is(d.ctx().revision, 3);
  assert.is(d.cond('Progressing')!.reason, 'FoundNewReplicaSet');
  assert.is(d.cond('Progressing')!.message, 'Found new replica set "web-old"');
});

test('progress deadline: no progress for progressDeadlineSeconds → Progressing=False, ProgressDeadlineExceeded', () => {
  const d = deployment();
  const old = rs('web-old', 'old');
  d.sync([old], T0);
  assert.is(d.ctx().wakeAt, T0 + 60_000 + 1, 'the deadline is a wake-up time in context');
  const stuck = [old, rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 0, available: 0 })];
  d.sync(stuck, T0 + 10_000); // a pod was created: progress
  assert.is(d.ctx().wakeAt, T0 + 70_001);
  d.sync(stuck, T0 + 30_000); // nothing new
  assert.is(d.cond('Progressing')!.status, 'True');
  d.tick(T0 + 69_999);
  assert.is(d.cond('Progressing')!.status, 'True', 'not yet');
  d.tick(T0 + 70_001);
  assert.equal(d.cond('Progressing'), {
    type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-new" has timed out progressing.',
    lastUpdateTime: T0 + 70_001, lastTransitionTime: T0 + 70_001,
  });
  assert.is(d.state(), 'DeadlineExceeded');
  assert.is(d.ctx().wakeAt, undefined);
  // it stays exceeded without progress, and progress brings it back
  d.sync(stuck, T0 + 80_000);
  assert.is(d.cond('Progressing')!.reason, 'ProgressDeadlineExceeded');
  d.sync([old, rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 1, available: 1 })], T0 + 90_000);
  assert.is(d.cond('Progressing')!.reason, 'ReplicaSetUpdated');
  assert.is(d.cond('Progressing')!.lastTransitionTime, T0 + 90_000, 'False → True is a transition');
  assert.is(d.state(), 'Progressing');
});

test('progress deadline through the ActorHost: it re-arms wakeAt on a simulated clock and sends TICK, also after a restore', async () => {
  const clock = new SimulatedClock(T0);
  const store = new Store(new MemoryKV(), { eventsPerObject: 10 });
  await store.open();
  const errors: unknown[] = [];
  const binding = {
    kind: 'Deployment',
    machine: deploymentMachine,
    schema: 2,
    input: () => ({ replicas: 3, name: 'web' }),
    statusOf: (ctx: DeploymentContext) => deploymentStatus(ctx),
    execute: () => {},
  };
  const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec: { replicas: 3 } };
  await store.commit({ put: [obj] });
  const key = 'Deployment/default/web';
  let host = new ActorHost(store, clock, 'n1', 20, (_k, e) => errors.push(e));
  host.bind(binding);
  host.ensure(obj, key);
  const stuck = [rs('web-old', 'old'), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 0, available: 0 })];
  host.send(key, { type: 'SYNC', name: 'web', generation: 1, replicas: 3, hash: 'new', revisionHistoryLimit: 10, replicaSets: stuck, at: clock.now(), progressDeadlineSeconds: 30 });
  clock.advance(20_000);
  // a node restart: the actor comes back from its snapshot and the deadline is re-armed
  host.stopAll();
  host = new ActorHost(store, clock, 'n1', 20, (_k, e) => errors.push(e));
  host.bind(binding);
  host.ensure(store.get(key)!, key);
  assert.is(host.state(key), 'Progressing');
  clock.advance(9_000);
  await turn();
  assert.is(store.get(key)!.status.conditions[1].reason, 'FoundNewReplicaSet', 'a fresh actor found its new ReplicaSet');
  clock.advance(2_000);
  await turn();
  const p = store.get(key)!.status.conditions.find((c: any) => c.type === 'Progressing');
  assert.is(p.status, 'False');
  assert.is(p.reason, 'ProgressDeadlineExceeded');
  assert.is(host.state(key), 'DeadlineExceeded');
  assert.equal(errors, []);
  host.stopAll();
  await store.close();
});

test('paused: no rollout, condition DeploymentPaused, no deadline; resume starts the clock again', () => {
  const d = deployment();
  const old = rs('web-old', 'old');
  assert.equal(d.sync([old], T0, { paused: true }), []);
  assert.is(d.state(), 'Paused');
  assert.equal(d.cond('Progressing')!.reason, 'DeploymentPaused');
  assert.is(d.cond('Progressing')!.status, 'Unknown');
  assert.is(d.ctx().wakeAt, undefined);
  assert.is(d.tick(T0 + 3_600_000).length, 0);
  assert.is(d.cond('Progressing')!.reason, 'DeploymentPaused', 'a paused Deployment never times out');
  // scaling while paused works
  assert.equal(d.sync([old], T0 + 1_000, { paused: true, replicas: 4 }), [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 4 }]);
  const four = rs('web-old', 'old', { replicas: 4, current: 4, ready: 4, available: 4 });
  assert.equal(d.sync([four], T0 + 1_500, { paused: true, replicas: 4 }), []);
  // resume: the rollout starts, and its deadline counts from now
  const cmds = d.sync([four], T0 + 2_000, { paused: false, replicas: 4 });
  assert.equal(cmds[0], { type: 'createReplicaSet', hash: 'new', replicas: 1, revision: 2 });
  assert.is(d.cond('Progressing')!.reason, 'NewReplicaSetCreated');
  assert.is(d.state(), 'Progressing');
  assert.is(d.ctx().wakeAt, T0 + 2_000 + 60_000 + 1);
});

test('resume with nothing to create: DeploymentResumed starts the deadline', () => {
  const d = deployment();
  d.sync([rs('web-new', 'new', { replicas: 3, current: 1, ready: 0, available: 0 })], T0, { paused: true });
  d.sync([rs('web-new', 'new', { replicas: 3, current: 1, ready: 0, available: 0 })], T0 + 5_000);
  assert.is(d.cond('Progressing')!.reason, 'DeploymentResumed');
  assert.is(d.cond('Progressing')!.status, 'Unknown');
  assert.is(d.ctx().wakeAt, T0 + 65_001);
});

test('Recreate: old to 0, re-check until their pods are gone (resync), then the new one', () => {
  const d = deployment();
  const strategy = { type: 'Recreate' as const };
  assert.equal(d.sync([rs('web-old', 'old', { pods: 3 })], T0, { strategy }), [{ type: 'scaleReplicaSet', name: 'web-old', replicas: 0 }]);
  const terminating = rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0, pods: 3 });
  assert.equal(d.sync([terminating], T0 + 100, { strategy }), []);
  assert.is(d.ctx().recheckAt, T0 + 1_100);
  assert.is(d.ctx().wakeAt, T0 + 1_100);
  assert.is(d.cond('Available')!.status, 'False');
  assert.equal(d.tick(T0 + 1_100), [{ type: 'resync' }]);
  assert.is(d.ctx().recheckAt, undefined);
  const gone = rs('web-old', 'old', { replicas: 0, current: 0, ready: 0, available: 0, pods: 0 });
  assert.equal(d.sync([gone], T0 + 1_200, { strategy }), [{ type: 'createReplicaSet', hash: 'new', replicas: 3, revision: 2 }]);
  assert.is(d.ctx().recheckAt, undefined);
});

test('round trip: a persisted snapshot mid-rollout restores state, context and deadline', () => {
  const d = deployment();
  const sets = [rs('web-old', 'old'), rs('web-new', 'new', { revision: 2, replicas: 1, current: 1, ready: 0, available: 0 })];
  d.sync(sets, T0);
  const snap = JSON.parse(JSON.stringify(d.actor.getPersistedSnapshot()));
  const restored = createActor(deploymentMachine, { snapshot: snap });
  restored.start();
  assert.is(statePath(restored.getSnapshot().value), 'Progressing');
  assert.equal(restored.getSnapshot().context, JSON.parse(JSON.stringify(d.ctx())));
  restored.send({ type: 'TICK', at: T0 + 61_000 });
  assert.is(restored.getSnapshot().context.conditions.find((c: any) => c.type === 'Progressing').reason, 'ProgressDeadlineExceeded');
  assert.is(statePath(restored.getSnapshot().value), 'DeadlineExceeded');
  // and back from that state
  const again = createActor(deploymentMachine, { snapshot: JSON.parse(JSON.stringify(restored.getPersistedSnapshot())) });
  again.start();
  assert.is(statePath(again.getSnapshot().value), 'DeadlineExceeded');
});

test('ReplicaSet minReadySeconds: ready pods become available after it, woken by TICK', () => {
  const actor = createActor(replicaSetMachine, { input: { replicas: 2 } });
  actor.start();
  const pod = (name: string, readySince?: number): PodSummary => ({
    name, phase: 'Running', ready: readySince !== undefined, deleting: false, created: T0, scheduled: true, ...(readySince !== undefined ? { readySince } : {}),
  });
  actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [pod('a', T0), pod('b', T0 + 2_000)], at: T0 + 3_000, minReadySeconds: 5 });
  let ctx = actor.getSnapshot().context;
  assert.is(ctx.status.readyReplicas, 2);
  assert.is(ctx.status.availableReplicas, 0);
  assert.is(ctx.wakeAt, T0 + 5_000);
  actor.send({ type: 'TICK', at: T0 + 5_000 });
  ctx = actor.getSnapshot().context;
  assert.is(ctx.status.availableReplicas, 1);
  assert.is(ctx.wakeAt, T0 + 7_000);
  const restored = createActor(replicaSetMachine, { snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) });
  restored.start();
  restored.send({ type: 'TICK', at: T0 + 7_000 });
  assert.is(restored.getSnapshot().context.status.availableReplicas, 2);
  assert.is(restored.getSnapshot().context.wakeAt, undefined);
  // minReadySeconds 0: ready is available
  restored.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [pod('a', T0), pod('b')], at: T0 + 8_000 });
  assert.is(restored.getSnapshot().context.status.availableReplicas, 1);
});

test.run();
