// ResourceQuota admission as pure logic (actors/quota.ts) and in the machines that use it: the
// Namespace actor admits one object at a time, counting what it admitted that the store does not
// show yet; a ReplicaSet backs off after a refused creation and retries when room may appear.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { type AdmitEvent, type NamespaceContext, namespaceMachine } from '../../actors/namespace.ts';
import {
  type AdmissionRequest,
  admitInOrder,
  checkQuotas,
  containerSpecifies,
  formatAmount,
  missingCompute,
  podUsage,
  type QuotaLimits,
  usageDelta,
} from '../../actors/quota.ts';
import { createRetryDelay, type ReplicaSetContext, replicaSetMachine } from '../../actors/replicaset.ts';
import { statePath } from '../../actors/reducer-machine.ts';

const test = suite('quota: admission logic');

const K = 1000; // thousandths per unit
const pods = (n: number): QuotaLimits => ({ name: 'q1', hard: { pods: n * K } });
const podReq = (name: string, usage: Record<string, number> = { pods: K, 'count/pods': K }): AdmissionRequest => ({
  key: `Pod/default/${name}`,
  uid: `uid-${name}`,
  resource: 'pods',
  name,
  usage,
  containers: [{ name: 'main', specified: [] }],
});

test('podUsage: requests summed over containers, init containers as a floor, Kubernetes names', () => {
  const usage = podUsage({
    containers: [
      { name: 'a', requests: { cpu: 100, memory: 64 * 2 ** 20 * K }, limits: { cpu: 200 } },
      { name: 'b', requests: { cpu: 300 }, limits: {} },
    ],
    initContainers: [{ name: 'init', requests: { cpu: 1000 }, limits: {} }],
  });
  assert.equal(usage, {
    'count/pods': K,
    pods: K,
    cpu: 1000,
    'requests.cpu': 1000,
    'limits.cpu': 200,
    memory: 64 * 2 ** 20 * K,
    'requests.memory': 64 * 2 ** 20 * K,
  });
  assert.equal(podUsage({ containers: [{ name: 'a', requests: { cpu: 100 }, limits: {} }], terminal: true }), { 'count/pods': K }, 'a finished pod only counts as an object');
});

test('must specify: a quota on compute resources needs every container to set them', () => {
  const hard = { 'requests.cpu': 2000, 'limits.memory': 2 ** 30 * K, pods: 10 * K };
  const web = containerSpecifies({ name: 'web', requests: { cpu: 100 }, limits: {} });
  assert.equal(web, ['cpu', 'requests.cpu']);
  assert.is(
    missingCompute(hard, [{ name: 'web', specified: web }, { name: 'side', specified: [] }]),
    'must specify limits.memory for: side,web; requests.cpu for: side',
  );
  assert.is(missingCompute({ pods: K }, [{ name: 'web', specified: [] }]), undefined, 'a pods quota needs nothing');
  const v = checkQuotas([{ name: 'compute', hard }], {}, { ...podReq('web-1'), containers: [{ name: 'web', specified: web }] });
  assert.equal(v, { allowed: false, message: 'pods "web-1" is forbidden: failed quota: compute: must specify limits.memory for: web' });
});

test("exceeded quota: Kubernetes' message, only the exceeded resources, amounts as the hard limit is written", () => {
  assert.equal(checkQuotas([pods(3)], { pods: 3 * K }, podReq('web-abc12')), {
    allowed: false,
    message: 'pods "web-abc12" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=3, limited: pods=3',
  });
  const mem: QuotaLimits = { name: 'mem', hard: { 'requests.memory': 2 ** 30 * K, 'requests.cpu': 1000, pods: 10 * K }, binary: ['requests.memory'] };
  const used = { 'requests.memory': 768 * 2 ** 20 * K, 'requests.cpu': 500, pods: 2 * K };
  const ask = { pods: K, 'requests.memory': 512 * 2 ** 20 * K, 'requests.cpu': 600 };
  assert.equal(checkQuotas([mem], used, { ...podReq('big'), usage: ask, containers: undefined }), {
    allowed: false,
    message: 'pods "big" is forbidden: exceeded quota: mem, requested: requests.cpu=600m,requests.memory=512Mi, used: requests.cpu=500m,requests.memory=768Mi, limited: requests.cpu=1,requests.memory=1Gi',
  });
  assert.equal(checkQuotas([mem], used, { ...podReq('small'), usage: { pods: K, 'requests.cpu': 100, 'requests.memory': 2 ** 20 * K }, containers: undefined }), { allowed: true });
  // a resource the object does not ask for is never the reason, even over its limit
  assert.equal(checkQuotas([{ name: 'svc', hard: { services: K, pods: 5 * K } }], { services: 2 * K }, podReq('p')), { allowed: true });
});

test('quotas are checked in name order; the first one exceeded is named', () => {
  const v = checkQuotas([{ name: 'zz', hard: { pods: K } }, { name: 'aa', hard: { pods: K } }], { pods: K }, podReq('p'));
  assert.match((v as { message: string }).message, /exceeded quota: aa,/);
});

test('admitInOrder: each admission counts the ones before it, so the last slot goes once', () => {
  const { verdicts, used } = admitInOrder([pods(3)], { pods: 2 * K }, [podReq('a'), podReq('b'), podReq('c')]);
  assert.equal(verdicts.map((v) => v.allowed), [true, false, false]);
  assert.is(used.pods, 3 * K);
});

test('formatAmount and usageDelta', () => {
  assert.is(formatAmount(500), '500m');
  assert.is(formatAmount(2000), '2');
  assert.is(formatAmount(3_000_000), '3k');
  assert.is(formatAmount(256 * 2 ** 20 * K, true), '256Mi');
  assert.is(formatAmount(1.5 * 2 ** 30 * K, true), '1536Mi');
  assert.is(formatAmount(1500 * K, true), '1500', 'not a multiple of 1024: whole units');
  assert.is(formatAmount(1000 * K, true), '1k', 'below 1024: decimal, as Kubernetes prints it');
  assert.is(formatAmount(0), '0');
  assert.equal(usageDelta({ services: K, 'services.nodeports': 2 * K }, { services: K, 'services.nodeports': 0 }), { 'services.nodeports': 2 * K });
  assert.equal(usageDelta({ services: K, 'services.nodeports': 0 }), { services: K, 'services.nodeports': 0 }, 'a new object asks for all it uses');
});

test('property: admissions in any order never exceed the hard limit', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const hard = { pods: Math.floor(rnd() * 6) * K, 'requests.cpu': Math.floor(rnd() * 4000) };
    const used = { pods: Math.floor(rnd() * 3) * K, 'requests.cpu': Math.floor(rnd() * 1000) };
    const reqs = Array.from({ length: Math.floor(rnd() * 8) }, (_, j) => ({ ...podReq(`p${j}`), containers: undefined, usage: { pods: K, 'requests.cpu': Math.floor(rnd() * 800) } }));
    const out = admitInOrder([{ name: 'q', hard }], used, reqs);
    const admitted = reqs.filter((_, j) => out.verdicts[j].allowed);
    const pods = used.pods + admitted.length * K;
    const cpu = used['requests.cpu'] + admitted.reduce((s, r) => s + r.usage['requests.cpu'], 0);
    if (admitted.length) {
      assert.ok(pods <= hard.pods && cpu <= hard['requests.cpu'], JSON.stringify({ hard, used, out }));
    }
  }
});

// ---- the Namespace actor -----------------------------------------------------------------------

function namespaceActor() {
  const actor = createActor(namespaceMachine, { input: {} });
  actor.start();
  return actor;
}
const admit = (id: string, requests: AdmissionRequest[], over: Partial<AdmitEvent> = {}): AdmitEvent => ({
  type: 'ADMIT',
  id,
  namespace: 'default',
  requests,
  quotas: [pods(3)],
  used: { pods: 2 * K },
  present: [],
  ttlMs: 20_000,
  at: 1_000,
  ...over,
});
const decisions = (ctx: NamespaceContext) => ctx.commands.map((c) => (c.type === 'admitted' ? `+${c.key}` : c.type === 'refused' ? `-${c.key}` : c.type));

test('Namespace actor: two admissions in a row cannot both take the last slot', () => {
  const actor = namespaceActor();
  actor.send(admit('r1', [podReq('a')]));
  assert.equal(decisions(actor.getSnapshot().context), ['+Pod/default/a']);
  // the store does not show pod a yet: it still counts
  actor.send(admit('r2', [podReq('b')]));
  const ctx = actor.getSnapshot().context as NamespaceContext;
  assert.equal(decisions(ctx), ['-Pod/default/b']);
  assert.match((ctx.commands[0] as { message: string }).message, /used: pods=3, limited: pods=3/);
  assert.equal(ctx.admitted!.map((a) => a.key), ['Pod/default/a']);
});

test('Namespace actor: a pod seen in the store counts there, not twice; a lost answer asked again costs nothing', () => {
  const actor = namespaceActor();
  actor.send(admit('r1', [podReq('a')]));
  actor.send(admit('r1', [podReq('a')])); // the same request again (its answer was lost)
  assert.equal(decisions(actor.getSnapshot().context), ['+Pod/default/a']);
  assert.is((actor.getSnapshot().context as NamespaceContext).admitted!.length, 1);
  // a is now in the store (used 3): b is refused; once a is deleted (used 2), c gets in
  actor.send(admit('r2', [podReq('b')], { used: { pods: 3 * K }, present: ['Pod/default/a'] }));
  assert.equal(decisions(actor.getSnapshot().context), ['-Pod/default/b']);
  assert.is((actor.getSnapshot().context as NamespaceContext).admitted, undefined);
  actor.send(admit('r3', [podReq('c')], { used: { pods: 2 * K } }));
  assert.equal(decisions(actor.getSnapshot().context), ['+Pod/default/c']);
});

test('Namespace actor: SEEN and RELEASE end a pending share; an old one expires; terminating refuses', () => {
  const actor = namespaceActor();
  actor.send(admit('r1', [podReq('a')], { used: { pods: 0 } }));
  actor.send(admit('r2', [podReq('b')], { used: { pods: 0 } }));
  actor.send({ type: 'SEEN', keys: ['Pod/default/a'], at: 1_001 });
  actor.send({ type: 'RELEASE', keys: ['Pod/default/b'], at: 1_002 });
  assert.is((actor.getSnapshot().context as NamespaceContext).admitted, undefined);
  actor.send(admit('r3', [podReq('c')], { at: 2_000 }));
  actor.send(admit('r4', [podReq('d')], { at: 2_000 + 20_000 }));
  assert.equal(decisions(actor.getSnapshot().context), ['+Pod/default/d'], 'c expired after the ttl: its creator never stored it');
  actor.send({ type: 'DELETE', remaining: 1, at: 50_000 });
  assert.is(statePath(actor.getSnapshot().value), 'Terminating');
  actor.send(admit('r5', [podReq('e')], { at: 50_001, used: {} }));
  const ctx = actor.getSnapshot().context as NamespaceContext;
  assert.equal(decisions(ctx), ['-Pod/default/e']);
  assert.is((ctx.commands[0] as { message: string }).message, 'pods "e" is forbidden: unable to create new content in namespace default because it is being terminated');
});

test('Namespace actor: admissions survive a persist-and-restore round trip', () => {
  const actor = namespaceActor();
  actor.send(admit('r1', [podReq('a')]));
  const restored = createActor(namespaceMachine, { snapshot: JSON.parse(JSON.stringify(actor.getPersistedSnapshot())) });
  restored.start();
  restored.send(admit('r2', [podReq('b')]));
  assert.equal(decisions(restored.getSnapshot().context), ['-Pod/default/b']);
});

// ---- the ReplicaSet's back-off --------------------------------------------------------------

test('ReplicaSet: a refused creation backs off (1 s doubling to 10 s), RETRY or the deadline resyncs', () => {
  assert.equal([1, 2, 3, 4, 5, 9].map(createRetryDelay), [1000, 2000, 4000, 8000, 10000, 10000]);
  const actor = createActor(replicaSetMachine, { input: { replicas: 2 } });
  actor.start();
  const ctx = () => actor.getSnapshot().context as ReplicaSetContext;
  const sync = (at: number) => actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [], at });
  sync(0);
  assert.equal(ctx().commands, [{ type: 'createPods', count: 2 }]);
  actor.send({ type: 'CREATE_FAILED', at: 10 });
  assert.equal([ctx().createFailures, ctx().retryAt, ctx().wakeAt], [1, 1010, 1010]);
  sync(500);
  assert.equal(ctx().commands, [], 'no creation while backing off');
  actor.send({ type: 'TICK', at: 1010 });
  assert.equal(ctx().commands, [{ type: 'resync' }]);
  sync(1011);
  assert.equal(ctx().commands, [{ type: 'createPods', count: 2 }]);
  actor.send({ type: 'CREATE_FAILED', at: 1020 });
  assert.equal([ctx().createFailures, ctx().retryAt], [2, 3020]);
  actor.send({ type: 'RETRY', at: 1500 });
  assert.equal(ctx().commands, [{ type: 'resync' }], 'room may have appeared: try now');
  assert.is(ctx().retryAt, undefined);
  actor.send({ type: 'SYNC', replicas: 2, generation: 1, pods: [
    { name: 'a', phase: 'Running', ready: true, deleting: false, created: 0, scheduled: true },
    { name: 'b', phase: 'Running', ready: true, deleting: false, created: 0, scheduled: true },
  ], at: 2000 });
  assert.equal([ctx().createFailures, ctx().retryAt, ctx().wakeAt], [undefined, undefined, undefined], 'every replica exists: the failures are over');
  assert.is(statePath(actor.getSnapshot().value), 'Ready');
});

test.run();
