import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { type PodSummary, reconcileReplicas, replicaSetMachine } from '../../actors/replicaset.ts';
import { statePath } from '../../actors/reducer-machine.ts';

const test = suite('replicaset: replica counting');

const pod = (name: string, over: Partial<PodSummary> = {}): PodSummary => ({
  name,
  phase: 'Running',
  ready: true,
  deleting: false,
  created: 0,
  scheduled: true,
  ...over,
});

test('creates the missing pods', () => {
  assert.equal(reconcileReplicas(3, []), { create: 3, delete: [] });
  assert.equal(reconcileReplicas(3, [pod('a')]), { create: 2, delete: [] });
});

test('terminating pods do not count; finished pods are replaced and removed', () => {
  const plan = reconcileReplicas(2, [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' })]);
  assert.equal(plan, { create: 1, delete: ['c'] });
});

test('removes extras: unscheduled, then pending, then not ready, then newest first', () => {
  const pods = [
    pod('old', { created: 1 }),
    pod('new', { created: 5 }),
    pod('notready', { ready: false, created: 2 }),
    pod('pending', { phase: 'Pending', ready: false, created: 3 }),
    pod('unscheduled', { scheduled: false, phase: 'Pending', ready: false, created: 0 }),
  ];
  assert.equal(reconcileReplicas(4, pods).delete, ['unscheduled']);
  assert.equal(reconcileReplicas(2, pods).delete, ['unscheduled', 'pending', 'notready']);
  assert.equal(reconcileReplicas(1, pods).delete, ['unscheduled', 'pending', 'notready', 'new']);
  assert.equal(reconcileReplicas(0, pods).delete.length, 5);
});

test('property: after applying the plan, active pods equal replicas', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const phases = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;
  for (let i = 0; i < 500; i++) {
    const replicas = Math.floor(rnd() * 6);
    const pods = Array.from({ length: Math.floor(rnd() * 8) }, (_, j) =>
      pod(`p${j}`, { phase: phases[Math.floor(rnd() * 4)], ready: rnd() > 0.5, deleting: rnd() > 0.8, created: Math.floor(rnd() * 100) })
    );
    const plan = reconcileReplicas(replicas, pods);
    const remaining = pods.filter((p) => !plan.delete.includes(p.name) && !p.deleting && (p.phase === 'Pending' || p.phase === 'Running'));
    assert.is(remaining.length + plan.create, replicas, JSON.stringify({ replicas, pods, plan }));
    for (const name of plan.delete) assert.ok(!pods.find((p) => p.name === name)!.deleting, 'never deletes a terminating pod twice');
  }
});

test('machine: Scaling → Waiting → Ready, status counts, effects', () => {
  const commands: unknown[] = [];
  const actor = createActor(replicaSetMachine.provide({ actions: { execute: ({ context }: any) => commands.push(...context.commands) } } as any), { input: { replicas: 2 } });
  actor.start();
  actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [], at: 0 });
  assert.is(statePath(actor.getSnapshot().value), 'Scaling');
  assert.equal(commands, [{ type: 'createPods', count: 2 }]);
  actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [pod('a', { ready: false }), pod('b', { ready: false })], at: 1 });
  assert.is(statePath(actor.getSnapshot().value), 'Waiting');
  actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [pod('a'), pod('b')], at: 2 });
  assert.is(statePath(actor.getSnapshot().value), 'Ready');
  assert.equal(actor.getSnapshot().context.status, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  const restored = createActor(replicaSetMachine, { snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) });
  restored.start();
  assert.is(statePath(restored.getSnapshot().value), 'Ready', 'persist-and-restore round trip');
  assert.equal(restored.getSnapshot().context.status.readyReplicas, 2);
});

test.run();
