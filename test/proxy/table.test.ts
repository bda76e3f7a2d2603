// The proxy's pure parts: its table from Services and Endpoints, the listeners it plans (and
// conflicts), where containers reach it, the service environment variables, node port
// allocation on apply, and `get endpoints`' ENDPOINTS column.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { formatEndpoints } from '../../src/cli/format/endpoints.ts';
import { getTable } from '../../src/cli/format/index.ts';
import { ValidationError } from '../../src/errors.ts';
import { decodeManifests } from '../../src/manifest/index.ts';
import type { KObject } from '../../src/objects/types.ts';
import { keyOf } from '../../src/objects/types.ts';
import { serviceEnvVars } from '../../src/proxy/env.ts';
import { containerHostFor } from '../../src/proxy/node-services.ts';
import { allocateNodePorts } from '../../src/proxy/node-ports.ts';
import { planListeners, portEndpoints, proxyTable } from '../../src/proxy/table.ts';

const test = suite('proxy: table, listeners, env, node ports');

const svc = (name: string, spec: string, ns = 'default'): KObject => {
  const o = decodeManifests(`apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n${spec}`).objects[0];
  return { ...o, metadata: { ...o.metadata, uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' } };
};

const endpoints = (name: string, subsets: unknown[], ownerUid = `uid-${name}`): KObject => ({
  apiVersion: 'v1',
  kind: 'Endpoints',
  metadata: { name, namespace: 'default', ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: ownerUid, controller: true }] },
  subsets,
});

const SUBSETS = [
  { addresses: [{ ip: '127.0.0.11' }, { ip: '127.0.0.12' }], notReadyAddresses: [{ ip: '127.0.0.13' }], ports: [{ name: 'http', port: 32768, protocol: 'TCP' }, { name: 'admin', port: 32769, protocol: 'TCP' }] },
  { addresses: [{ ip: '127.0.0.11' }], ports: [{ name: 'http', port: 32801, protocol: 'TCP' }] },
];

test('ready endpoints of one port, from every subset; not-ready addresses are left out', () => {
  assert.equal(portEndpoints(SUBSETS as any, 'http'), [
    { host: '127.0.0.11', port: 32768 },
    { host: '127.0.0.12', port: 32768 },
    { host: '127.0.0.11', port: 32801 },
  ]);
  assert.equal(portEndpoints(SUBSETS as any, 'admin'), [{ host: '127.0.0.11', port: 32769 }, { host: '127.0.0.12', port: 32769 }]);
  assert.equal(portEndpoints(undefined, ''), []);
});

test('the table: ports, node ports, affinity; headless Services and stale Endpoints left out', () => {
  const web = svc('web', '  type: NodePort\n  sessionAffinity: ClientIP\n  selector: {app: web}\n  ports: [{name: http, port: 80, nodePort: 30080}, {name: admin, port: 81, targetPort: 9000}]\n');
  const db = svc('db', '  clusterIP: None\n  selector: {app: db}\n');
  const old = svc('old', '  ports: [{port: 90}]\n');
  const eps: Record<string, KObject> = { web: endpoints('web', SUBSETS), old: endpoints('old', SUBSETS, 'uid-of-an-earlier-old') };
  const table = proxyTable([web, db, old], (_ns, name) => eps[name]);
  assert.equal(table.map((s) => s.key), ['Service/default/web', 'Service/default/old']);
  assert.equal(table[0].affinityMs, 10_800_000);
  assert.equal(table[0].ports.map((p) => [p.name, p.port, p.nodePort, p.endpoints.length]), [['http', 80, 30080, 3], ['admin', 81, undefined, 2]]);
  assert.equal(table[1].ports[0].endpoints, [], 'Endpoints of an earlier Service of the same name are not used');
  assert.is(table[1].affinityMs, undefined);
});

test('listeners: every address at port and node port; the older Service keeps a contested port', () => {
  const table = [
    { key: 'Service/default/b', created: '2026-01-02', ports: [{ name: '', port: 80, nodePort: 30001, endpoints: [] }] },
    { key: 'Service/default/a', created: '2026-01-01', ports: [{ name: 'x', port: 80, endpoints: [] }] },
  ];
  const { listeners, conflicts } = planListeners(table, [{ host: '127.0.0.11' }, { host: '172.17.0.1', secondary: true }]);
  assert.equal([...listeners.keys()].sort(), ['127.0.0.11:30001', '127.0.0.11:80', '172.17.0.1:30001', '172.17.0.1:80']);
  assert.equal(listeners.get('127.0.0.11:80')!.route, { service: 'Service/default/a', port: 'x' });
  assert.equal(listeners.get('127.0.0.11:30001')!.route, { service: 'Service/default/b', port: '' });
  assert.is(listeners.get('172.17.0.1:80')!.secondary, true);
  assert.equal(conflicts, [{ service: 'Service/default/b', host: '127.0.0.11', port: 80, holder: 'Service/default/a' }], 'reported for the primary address only');
});

test('where containers reach the proxy', () => {
  assert.equal(containerHostFor('127.0.0.1', 'docker', '172.17.0.1'), { containerHost: '172.17.0.1', extra: '172.17.0.1' });
  assert.equal(containerHostFor('127.0.0.11', 'sim', '172.17.0.1'), { containerHost: '127.0.0.11' });
  assert.equal(containerHostFor('10.0.0.5', 'docker', '172.17.0.1'), { containerHost: '10.0.0.5' });
  assert.equal(containerHostFor('0.0.0.0', 'docker', '172.17.0.1'), { containerHost: '172.17.0.1', extra: undefined });
  assert.equal(containerHostFor('127.0.0.1', 'docker', undefined), { containerHost: '127.0.0.1' });
});

test("service environment variables, as the kubelet writes them", () => {
  const web = svc('web', '  selector: {app: web}\n  ports: [{name: http, port: 8080}, {name: metrics, port: 9090}]\n');
  const redis = svc('redis-master', '  ports: [{port: 6379}]\n');
  const headless = svc('db', '  clusterIP: None\n  ports: [{port: 3306}]\n');
  const env = serviceEnvVars([web, redis, headless], '172.17.0.1');
  assert.equal(env.map((e) => `${e.name}=${e.value}`), [
    'REDIS_MASTER_SERVICE_HOST=172.17.0.1',
    'REDIS_MASTER_SERVICE_PORT=6379',
    'REDIS_MASTER_PORT=tcp://172.17.0.1:6379',
    'REDIS_MASTER_PORT_6379_TCP=tcp://172.17.0.1:6379',
    'REDIS_MASTER_PORT_6379_TCP_PROTO=tcp',
    'REDIS_MASTER_PORT_6379_TCP_PORT=6379',
    'REDIS_MASTER_PORT_6379_TCP_ADDR=172.17.0.1',
    'WEB_SERVICE_HOST=172.17.0.1',
    'WEB_SERVICE_PORT=8080',
    'WEB_SERVICE_PORT_HTTP=8080',
    'WEB_SERVICE_PORT_METRICS=9090',
    'WEB_PORT=tcp://172.17.0.1:8080',
    'WEB_PORT_8080_TCP=tcp://172.17.0.1:8080',
    'WEB_PORT_8080_TCP_PROTO=tcp',
    'WEB_PORT_8080_TCP_PORT=8080',
    'WEB_PORT_8080_TCP_ADDR=172.17.0.1',
    'WEB_PORT_9090_TCP=tcp://172.17.0.1:9090',
    'WEB_PORT_9090_TCP_PROTO=tcp',
    'WEB_PORT_9090_TCP_PORT=9090',
    'WEB_PORT_9090_TCP_ADDR=172.17.0.1',
  ]);
});

/** A store holding some Services. */
const storeOf = (objects: KObject[]) => ({
  get: (key: string) => objects.find((o) => keyOf(o) === key),
  list: (kind: string) => objects.filter((o) => o.kind === kind),
});

test('node ports: allocated when absent, deterministic, kept on update by port name', () => {
  const a = svc('a', '  type: NodePort\n  ports: [{name: http, port: 80}]\n');
  const [first] = allocateNodePorts([a], storeOf([]));
  const port = first.spec.ports[0].nodePort;
  assert.ok(port >= 30000 && port <= 32767, String(port));
  assert.is(allocateNodePorts([a], storeOf([]))[0].spec.ports[0].nodePort, port, 'same key, same port');
  assert.is(a.spec.ports[0].nodePort, undefined, 'the input is not changed');
  // re-applied without a nodePort: keeps the one it has
  assert.is(allocateNodePorts([a], storeOf([first]))[0].spec.ports[0].nodePort, port);
  // another Service whose hash lands on a taken port probes to the next free one
  const taken = allocateNodePorts([svc('b', '  type: LoadBalancer\n  ports: [{name: http, port: 80}]\n')], storeOf([first]))[0];
  assert.is.not(taken.spec.ports[0].nodePort, port);
  // ClusterIP Services and other kinds pass through untouched
  const c = svc('c', '  ports: [{port: 80}]\n');
  assert.is(allocateNodePorts([c], storeOf([first]))[0], c);
});

test('node ports: an explicit port held by another Service is refused with Kubernetes\' wording', () => {
  const held = allocateNodePorts([svc('a', '  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n')], storeOf([]))[0];
  const b = svc('b', '  type: NodePort\n  ports: [{port: 80, nodePort: 30080}]\n');
  try {
    allocateNodePorts([b], storeOf([held]));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, ValidationError);
    assert.is((e as Error).message, 'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  }
  // the same Service again: fine; two Services of one apply claiming one port: refused
  assert.is(allocateNodePorts([held], storeOf([held]))[0].spec.ports[0].nodePort, 30080);
  const c = svc('c', '  type: NodePort\n  ports: [{port: 80, nodePort: 30090}]\n');
  const d = svc('d', '  type: NodePort\n  ports: [{port: 80, nodePort: 30090}]\n');
  try {
    allocateNodePorts([c, d], storeOf([]));
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, 'document 2: Service "d" is invalid: spec.ports[0].nodePort: Invalid value: 30090: provided port is already allocated');
  }
});

test('ENDPOINTS column: at most three, then "+ N more..."', () => {
  assert.is(formatEndpoints([]), '<none>');
  assert.is(formatEndpoints(undefined), '<none>');
  assert.is(formatEndpoints([{ addresses: [{ ip: '127.0.0.11' }, { ip: '127.0.0.12' }], ports: [{ port: 32768 }] }]), '127.0.0.11:32768,127.0.0.12:32768');
  assert.is(formatEndpoints(SUBSETS as any), '127.0.0.11:32768,127.0.0.12:32768,127.0.0.11:32769 + 2 more...');
  assert.is(formatEndpoints([{ addresses: [{ ip: '127.0.0.11' }] }]), '127.0.0.11');
  const table = getTable('ep', [endpoints('web', [{ addresses: [{ ip: '127.0.0.11' }], ports: [{ port: 32768 }] }])], { now: Date.parse('2026-01-01T00:00:00Z') });
  assert.is(table, 'NAME   ENDPOINTS          AGE\nweb    127.0.0.11:32768   <unknown>\n');
});

test.run();
