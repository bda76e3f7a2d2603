import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { deploymentMachine, planDeployment, type ReplicaSetSummary, templateHash } from '../../actors/deployment.ts';
import { namespaceMachine } from '../../actors/namespace.ts';
import { nodeMachine } from '../../actors/node.ts';
import { statePath } from '../../actors/reducer-machine.ts';

const test = suite('deployment, namespace and node machines');

const rs = (name: string, hash: string, over: Partial<ReplicaSetSummary> = {}): ReplicaSetSummary => ({
  name, hash, revision: 1, replicas: 3, current: 3, ready: 3, available: 3, ...over,
});

test('template hash: stable, DNS-safe, different for different templates', () => {
  const a = templateHash('{"spec":1}');
  assert.is(a, templateHash('{"spec":1}'));
  assert.is.not(a, templateHash('{"spec":2}'));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
});

test('plan: creates the ReplicaSet for a new template, scales old ones to zero', () => {
  assert.equal(planDeployment('h1', 3, [], 10), [{ type: 'createReplicaSet', hash: 'h1', replicas: 3, revision: 1 }]);
  assert.equal(planDeployment('h2', 3, [rs('web-h1', 'h1')], 10), [
    { type: 'createReplicaSet', hash: 'h2', replicas: 3, revision: 2 },
    { type: 'scaleReplicaSet', name: 'web-h1', replicas: 0 },
  ]);
  assert.equal(planDeployment('h1', 5, [rs('web-h1', 'h1')], 10), [{ type: 'scaleReplicaSet', name: 'web-h1', replicas: 5 }]);
});

test('plan: old idle ReplicaSets beyond revisionHistoryLimit are deleted, oldest first', () => {
  const sets = [rs('a', 'a', { revision: 1, replicas: 0, current: 0 }), rs('b', 'b', { revision: 2, replicas: 0, current: 0 }), rs('c', 'c', { revision: 3 })];
  assert.equal(planDeployment('c', 3, sets, 1), [{ type: 'deleteReplicaSet', name: 'a' }]);
});

test('machine: Progressing until the new ReplicaSet is complete, then Available; round trip', () => {
  const actor = createActor(deploymentMachine, { input: { replicas: 2 } });
  actor.start();
  const sync = (sets: ReplicaSetSummary[]) => actor.send({ type: 'SYNC', generation: 1, replicas: 2, hash: 'h', revisionHistoryLimit: 10, replicaSets: sets, at: 0 });
  sync([]);
  assert.is(statePath(actor.getSnapshot().value), 'Progressing');
  sync([rs('d-h', 'h', { replicas: 2, current: 2, ready: 1, available: 1 })]);
  assert.is(statePath(actor.getSnapshot().value), 'Progressing');
  sync([rs('d-h', 'h', { replicas: 2, current: 2, ready: 2, available: 2 })]);
  assert.is(statePath(actor.getSnapshot().value), 'Available');
  assert.is(actor.getSnapshot().context.status.updatedReplicas, 2);
  const restored = createActor(deploymentMachine, { snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) });
  restored.start();
  assert.is(statePath(restored.getSnapshot().value), 'Available');
});

test('namespace: Terminating deletes contents once, finalizes when empty', () => {
  const commands: any[] = [];
  const actor = createActor(namespaceMachine.provide({ actions: { execute: ({ context }: any) => commands.push(...context.commands) } } as any), { input: {} });
  actor.start();
  assert.is(statePath(actor.getSnapshot().value), 'Active');
  actor.send({ type: 'DELETE', remaining: 3, at: 0 });
  assert.is(statePath(actor.getSnapshot().value), 'Terminating');
  actor.send({ type: 'SYNC', remaining: 1, at: 1 });
  assert.equal(commands, [{ type: 'deleteContents' }]);
  actor.send({ type: 'SYNC', remaining: 0, at: 2 });
  assert.equal(commands, [{ type: 'deleteContents' }, { type: 'finalize' }]);
});

test('node: Alive → Suspect → Alive (refuted) → Dead evicts once; Left evicts after its delay', () => {
  const commands: any[] = [];
  const actor = createActor(nodeMachine.provide({ actions: { execute: ({ context }: any) => commands.push(...context.commands) } } as any), { input: { at: 0, leftEvictionMs: 60_000 } });
  actor.start();
  const state = () => statePath(actor.getSnapshot().value);
  assert.is(state(), 'Alive');
  actor.send({ type: 'MEMBER', state: 'suspect', at: 1 });
  assert.is(state(), 'Suspect');
  actor.send({ type: 'MEMBER', state: 'alive', at: 2 });
  assert.is(state(), 'Alive');
  actor.send({ type: 'MEMBER', state: 'dead', at: 3 });
  assert.is(state(), 'Dead');
  assert.equal(commands, [{ type: 'evictPods', reason: 'the node is dead' }]);
  actor.send({ type: 'MEMBER', state: 'dead', at: 4 });
  assert.is(commands.length, 1, 'evicted once');
  actor.send({ type: 'MEMBER', state: 'alive', at: 5 });
  actor.send({ type: 'MEMBER', state: 'left', at: 10 });
  assert.is(state(), 'Left');
  assert.is(commands.length, 1, 'a node that left keeps its pods for a while');
  assert.is(actor.getSnapshot().context.wakeAt, 60_010);
  actor.send({ type: 'TICK', at: 60_010 });
  assert.equal(commands[1], { type: 'evictPods', reason: 'the node left the cluster' });
});

test.run();
