// The Service actor and its pure parts: which pods are endpoints and where they are reached
// (their node's address and published host port), how subsets are grouped, when the Endpoints
// object is written, node port allocation, and a persist-and-restore round trip.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createActor } from 'xstate';
import { fnv1a } from '../../actors/hash.ts';
import { statePath } from '../../actors/reducer-machine.ts';
import {
  allocateNodePort,
  endpointsChanged,
  endpointSubsets,
  type PodEndpointInfo,
  readyEndpoints,
  resolveTargetPort,
  SERVICE_SCHEMA,
  type ServiceEvent,
  serviceMachine,
  type ServiceSummary,
} from '../../actors/service.ts';

const test = suite('service: endpoints');

const pod = (name: string, over: Partial<PodEndpointInfo> = {}): PodEndpointInfo => ({
  name,
  namespace: 'default',
  uid: `uid-${name}`,
  nodeName: 'n1',
  labels: { app: 'web' },
  phase: 'Running',
  ready: true,
  deleting: false,
  containerPorts: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  hostPorts: [{ containerPort: 8080, hostIP: '127.0.0.11', hostPort: 32768, protocol: 'TCP' }],
  ...over,
});

const web: ServiceSummary = {
  selector: { app: 'web' },
  ports: [{ name: '', port: 80, targetPort: 8080, protocol: 'TCP' }],
  publishNotReadyAddresses: false,
};

test('a ready pod is an endpoint at its node address and published port', () => {
  assert.equal(endpointSubsets(web, [pod('a')]), [{
    addresses: [{ ip: '127.0.0.11', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
    ports: [{ port: 32768, protocol: 'TCP' }],
  }]);
});

test('not ready pods are notReadyAddresses; terminating, finished, unbound and unselected pods are left out', () => {
  const pods = [
    pod('ready'),
    pod('slow', { ready: false, hostPorts: [{ containerPort: 8080, hostIP: '127.0.0.12', hostPort: 32769, protocol: 'TCP' }] }),
    pod('going', { deleting: true }),
    pod('done', { phase: 'Succeeded' }),
    pod('pending', { nodeName: undefined, hostPorts: [] }),
    pod('other', { labels: { app: 'db' } }),
  ];
  const subsets = endpointSubsets(web, pods);
  assert.equal(subsets.map((s) => [s.addresses?.map((a) => a.targetRef.name), s.notReadyAddresses?.map((a) => a.targetRef.name)]), [
    [['ready'], undefined],
    [undefined, ['slow']],
  ]);
  assert.equal(readyEndpoints(subsets), ['127.0.0.11:32768']);
  // publishNotReadyAddresses: every candidate is ready
  assert.equal(readyEndpoints(endpointSubsets({ ...web, publishNotReadyAddresses: true }, pods)), ['127.0.0.11:32768', '127.0.0.12:32769']);
});

test('pods with the same published port on two nodes share a subset; two pods on one node do not', () => {
  const a = pod('a');
  const b = pod('b', { nodeName: 'n2', hostPorts: [{ containerPort: 8080, hostIP: '127.0.0.12', hostPort: 32768, protocol: 'TCP' }] });
  const c = pod('c', { hostPorts: [{ containerPort: 8080, hostIP: '127.0.0.11', hostPort: 32801, protocol: 'TCP' }] });
  const subsets = endpointSubsets(web, [c, b, a]);
  assert.is(subsets.length, 2);
  assert.equal(subsets[0].addresses!.map((x) => x.ip), ['127.0.0.11', '127.0.0.12']);
  assert.equal(subsets[0].ports, [{ port: 32768, protocol: 'TCP' }]);
  assert.equal(readyEndpoints(subsets), ['127.0.0.11:32768', '127.0.0.12:32768', '127.0.0.11:32801']);
  // the order of the pods does not matter
  assert.equal(endpointSubsets(web, [a, b, c]), subsets);
});

test('targetPort by name; a port the pod does not publish makes no endpoint', () => {
  const named: ServiceSummary = { ...web, ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] };
  assert.is(resolveTargetPort(named.ports[0], pod('a')), 8080);
  assert.equal(endpointSubsets(named, [pod('a')])[0].ports, [{ name: 'web', port: 32768, protocol: 'TCP' }]);
  assert.equal(endpointSubsets({ ...web, ports: [{ name: '', port: 80, targetPort: 'metrics', protocol: 'TCP' }] }, [pod('a')]), []);
  assert.equal(endpointSubsets({ ...web, ports: [{ name: '', port: 80, targetPort: 9090, protocol: 'TCP' }] }, [pod('a')]), []);
});

test('no selector: nothing is managed', () => {
  assert.equal(endpointSubsets({ ...web, selector: undefined }, [pod('a')]), []);
});

test('endpointsChanged ignores key order, not content', () => {
  const s = endpointSubsets(web, [pod('a')]);
  assert.is(endpointsChanged(s, null), true, 'absent Endpoints are written');
  assert.is(endpointsChanged([], []), false);
  const reordered = JSON.parse(JSON.stringify(s, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
  assert.is(endpointsChanged(s, reordered), false);
  assert.is(endpointsChanged(s, []), true);
});

test('node ports: deterministic start, probing past taken ports, wrapping, full range', () => {
  const first = allocateNodePort('default/web//80', new Set(), fnv1a)!;
  assert.ok(first >= 30000 && first <= 32767);
  assert.is(allocateNodePort('default/web//80', new Set(), fnv1a), first, 'same seed, same port');
  assert.is(allocateNodePort('default/web//80', new Set([first]), fnv1a), first === 32767 ? 30000 : first + 1);
  assert.is(allocateNodePort('x', new Set(), () => 2767), 32767);
  assert.is(allocateNodePort('x', new Set([32767]), () => 2767), 30000, 'wraps around');
  const all = new Set(Array.from({ length: 2768 }, (_, i) => 30000 + i));
  assert.is(allocateNodePort('x', all, fnv1a), undefined);
});

const sync = (pods: PodEndpointInfo[], current: ServiceEvent['current'], over: Partial<ServiceEvent> = {}): ServiceEvent => ({
  type: 'SYNC',
  service: web,
  pods,
  current,
  ingress: [],
  at: 0,
  ...over,
});

test('machine: NoEndpoints → Serving → NoEndpoints; writes the Endpoints only when they differ', () => {
  const written: unknown[] = [];
  const actor = createActor(serviceMachine.provide({
    actions: { execute: ({ context }: any) => written.push(...context.commands) },
  } as any), { input: {} });
  actor.start();
  assert.is(statePath(actor.getSnapshot().value), 'NoEndpoints');
  actor.send(sync([], null));
  assert.equal(written, [{ type: 'writeEndpoints', subsets: [] }], 'an empty Endpoints object is created');
  actor.send(sync([], []));
  assert.is(written.length, 1, 'unchanged: nothing written');
  actor.send(sync([pod('a')], []));
  assert.is(statePath(actor.getSnapshot().value), 'Serving');
  assert.is(written.length, 2);
  const subsets = (written[1] as { subsets: unknown }).subsets as ServiceEvent['current'];
  actor.send(sync([pod('a')], subsets));
  assert.is(written.length, 2);
  assert.is(actor.getSnapshot().context.ready, 1);
  actor.send(sync([pod('a', { ready: false })], subsets));
  assert.is(statePath(actor.getSnapshot().value), 'NoEndpoints');
  assert.is(actor.getSnapshot().context.notReady, 1);
  actor.send(sync([], null, { service: { ...web, selector: undefined } }));
  assert.is(statePath(actor.getSnapshot().value), 'Unmanaged');
  assert.is(written.length, 3, 'a Service without a selector writes nothing');
  actor.send({ type: 'TICK', at: 1 } as any);
  assert.is(written.length, 3, 'other events do nothing');
  actor.stop();
});

test('machine: LoadBalancer ingress is kept in context', () => {
  const actor = createActor(serviceMachine, { input: {} }).start();
  actor.send(sync([pod('a')], null, { ingress: ['127.0.0.11', '127.0.0.12'] }));
  assert.equal(actor.getSnapshot().context.ingress, ['127.0.0.11', '127.0.0.12']);
  actor.stop();
});

test('persist and restore: the restored actor is where it was', () => {
  const actor = createActor(serviceMachine, { input: {} }).start();
  actor.send(sync([pod('a'), pod('b', { ready: false })], null));
  const snapshot = JSON.parse(JSON.stringify(actor.getPersistedSnapshot()));
  actor.stop();
  const restored = createActor(serviceMachine, { snapshot }).start();
  assert.is(statePath(restored.getSnapshot().value), 'Serving');
  assert.equal(restored.getSnapshot().context.ready, 1);
  assert.equal(restored.getSnapshot().context.notReady, 1);
  assert.is(restored.getSnapshot().context.schema, SERVICE_SCHEMA);
  restored.send(sync([], []));
  assert.is(statePath(restored.getSnapshot().value), 'NoEndpoints');
  restored.stop();
});

test.run();
