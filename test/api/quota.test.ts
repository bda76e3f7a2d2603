// ResourceQuota and LimitRange through the API (real server on 127.0.0.1, sim node, LevelDB) and
// the CLI's output: `get quota` and `describe quota` as kubectl prints them, a Pod applied beyond
// its quota refused with Kubernetes' message and nothing changed, compute quotas that need
// requests, LimitRange defaults (with their annotation) and min/max refusals, a Deployment held
// to its quota with FailedCreate events on its ReplicaSet, counting quotas of other kinds.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, getTable } from '../../src/cli/format/index.ts';
import type { KEvent, KObject } from '../../src/objects/types.ts';
import { type ApiFixture, startApiFixture, type TestClient, waitFor } from '../support/sim-node.ts';

const test = suite('api: ResourceQuota and LimitRange');

let fx: ApiFixture;
let c: TestClient;

const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
const quota = (namespace: string, hard: string, name = 'q1') =>
  `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  hard: ${hard}\n`;
const limitRange = (namespace: string, limits: string) =>
  `apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: lr\n  namespace: ${namespace}\nspec:\n  limits: ${limits}\n`;
// a command the sim runtime runs until stopped
const pod = (name: string, namespace: string, resources = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "httpd -f -p 8080"]${resources ? `\n      resources: ${resources}` : ''}
`;
const deployment = (name: string, namespace: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
        - name: main
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "httpd -f -p 8080"]
          resources: { requests: { cpu: 100m } }
`;

type ApplyResult = { results: { kind: string; name: string; outcome: string }[] };
const outcomes = (res: ApplyResult) => res.results.map((r) => `${r.kind}/${r.name} ${r.outcome}`);
const podNames = async (namespace: string) => ((await c.request('get', { kind: 'pods', namespace })).items as KObject[]).map((p) => p.metadata.name).sort();
const getQuota = (namespace: string, name = 'q1') => c.request<KObject>('get', { kind: 'quota', name, namespace });

test.before(async () => {
  fx = await startApiFixture({ name: 'quota-node' });
  c = await fx.client();
});
test.after(async () => {
  await fx?.stop();
});

test('get quota and describe quota print what kubectl prints, status kept current', async () => {
  await c.request('apply', { manifest: [ns('dev'), quota('dev', '{pods: "2", requests.cpu: "1", limits.memory: 1Gi, count/services: "1"}')].join('---\n') });
  await c.request('apply', { manifest: pod('one', 'dev', '{ requests: { cpu: 250m }, limits: { memory: 256Mi } }') });
  const q = await waitFor('the quota counts pod one', async () => {
    const got = await getQuota('dev');
    return got.status?.used?.pods === '1' && got;
  });
  assert.equal(q.status, {
    hard: { pods: '2', 'requests.cpu': '1', 'limits.memory': '1Gi', 'count/services': '1' },
    used: { pods: '1', 'requests.cpu': '250m', 'limits.memory': '256Mi', 'count/services': '0' },
  });
  const now = Date.parse(q.metadata.creationTimestamp!) + 5 * 60_000;
  assert.is(
    getTable('quota', [q], { now }),
    'NAME   AGE   REQUEST                                                LIMIT\n' +
      'q1     5m    count/services: 0/1, pods: 1/2, requests.cpu: 250m/1   limits.memory: 256Mi/1Gi\n',
  );
  const [described] = await c.request('describe', { kind: 'resourcequota', name: 'q1', namespace: 'dev' });
  assert.is(
    describe(described.object, described.events, now, described.related),
    'Name:           q1\n' +
      'Namespace:      dev\n' +
      'Resource        Used   Hard\n' +
      '--------        ----   ----\n' +
      'count/services  0      1\n' +
      'limits.memory   256Mi  1Gi\n' +
      'pods            1      2\n' +
      'requests.cpu    250m   1\n',
  );
  // describe namespace lists its quotas and LimitRanges, as kubectl does
  const [nsd] = await c.request('describe', { kind: 'ns', name: 'dev' });
  const text = describe(nsd.object, nsd.events, now, nsd.related);
  assert.match(text, /\nResource Quotas\n {2}Name: +q1\n/);
  assert.match(text, /\n {2}pods +1 +2\n/);
  assert.ok(text.endsWith('\nNo LimitRange resource.\n'), text);
});

test('a Pod applied beyond the quota is refused with Kubernetes message; nothing changes', async () => {
  const res = await c.request('apply', { manifest: pod('two', 'dev', '{ requests: { cpu: 250m }, limits: { memory: 256Mi } }') });
  assert.equal(outcomes(res), ['Pod/two created']);
  const e = await c.refused('apply', { manifest: pod('three', 'dev', '{ requests: { cpu: 100m }, limits: { memory: 100Mi } }') });
  assert.is(e.code, 'QuotaExceeded');
  assert.is(e.message, 'pods "three" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=2, limited: pods=2');
  // all or nothing: a Service that fits is not created either when a pod of the same apply does not
  const svc = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: dev\nspec:\n  ports: [{port: 80}]\n';
  const e2 = await c.refused('apply', { manifest: [svc, pod('four', 'dev', '{ requests: { cpu: 100m }, limits: { memory: 1Mi } }')].join('---\n') });
  assert.is(e2.code, 'QuotaExceeded');
  assert.equal(await podNames('dev'), ['one', 'two']);
  assert.equal((await c.request('get', { kind: 'svc', namespace: 'dev' })).items, []);
  // the refused pods left no share behind: deleting one pod makes room for exactly one
  await c.request('delete', { kind: 'pod', name: 'one', namespace: 'dev', wait: true });
  await waitFor('pod one gone from the quota', async () => (await getQuota('dev')).status?.used?.pods === '1');
  assert.equal(outcomes(await c.request('apply', { manifest: pod('three', 'dev', '{ requests: { cpu: 100m }, limits: { memory: 100Mi } }') })), ['Pod/three created']);
});

test('a compute quota refuses a pod that does not say how much it needs', async () => {
  await c.request('apply', { manifest: [ns('compute'), quota('compute', '{requests.cpu: "2", limits.memory: 2Gi}')].join('---\n') });
  const e = await c.refused('apply', { manifest: pod('bare', 'compute') });
  assert.is(e.code, 'QuotaExceeded');
  assert.is(e.message, 'pods "bare" is forbidden: failed quota: q1: must specify limits.memory for: main; requests.cpu for: main');
  // limits alone do: requests default to limits
  const res = await c.request('apply', { manifest: pod('sized', 'compute', '{ limits: { cpu: 500m, memory: 128Mi } }') });
  assert.equal(outcomes(res), ['Pod/sized created']);
});

test('counting quotas: count/services and services are checked at apply', async () => {
  const svc = (name: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: dev\nspec:\n  ports: [{port: 80}]\n`;
  assert.equal(outcomes(await c.request('apply', { manifest: svc('a') })), ['Service/a created']);
  const e = await c.refused('apply', { manifest: svc('b') });
  assert.is(e.code, 'QuotaExceeded');
  assert.is(e.message, 'services "b" is forbidden: exceeded quota: q1, requested: count/services=1, used: count/services=1, limited: count/services=1');
  assert.equal(outcomes(await c.request('apply', { manifest: svc('a') })), ['Service/a unchanged'], 'an object that exists asks for nothing more');
});

test('LimitRange: defaults at admission (noted in an annotation), min and max refused in Kubernetes words', async () => {
  await c.request('apply', {
    manifest: [
      ns('limited'),
      limitRange('limited', '[{type: Container, min: {cpu: 100m}, max: {memory: 1Gi}, default: {cpu: 500m, memory: 512Mi}, defaultRequest: {cpu: 200m, memory: 256Mi}}]'),
    ].join('---\n'),
  });
  const e = await c.refused('apply', { manifest: pod('tiny', 'limited', '{ requests: { cpu: 50m } }') });
  assert.is(e.code, 'Forbidden');
  assert.is(e.message, 'pods "tiny" is forbidden: minimum cpu usage per Container is 100m, but request is 50m');
  const e2 = await c.refused('apply', { manifest: pod('huge', 'limited', '{ limits: { memory: 2Gi } }') });
  assert.is(e2.code, 'Forbidden');
  assert.is(e2.message, 'pods "huge" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
  const e4 = await c.refused('apply', { manifest: pod('both', 'limited', '{ requests: { cpu: 50m }, limits: { memory: 2Gi } }') });
  assert.is(e4.message, 'pods "both" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
  assert.equal(await podNames('limited'), []);
  assert.equal(outcomes(await c.request('apply', { manifest: pod('plain', 'limited') })), ['Pod/plain created']);
  const plain = await c.request<KObject>('get', { kind: 'pod', name: 'plain', namespace: 'limited' });
  assert.equal(plain.spec.containers[0].resources, { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  assert.is(plain.metadata.annotations?.['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container main; cpu, memory limit for container main');
  // the same manifest again: unchanged (what admission added is kept)
  assert.equal(outcomes(await c.request('apply', { manifest: pod('plain', 'limited') })), ['Pod/plain unchanged']);
  // a default limit below the container's own request makes the pod invalid
  const e3 = await c.refused('apply', { manifest: pod('odd', 'limited', '{ requests: { cpu: 800m } }') });
  assert.is(e3.code, 'Invalid');
  assert.match(e3.message, /spec\.containers\[0\]\.resources\.requests: Invalid value: "800m": must be less than or equal to cpu limit of 500m/);
  const lr = await c.request<KObject>('get', { kind: 'limits', name: 'lr', namespace: 'limited' });
  assert.is(
    describe(lr, [], Date.now()),
    'Name:       lr\n' +
      'Namespace:  limited\n' +
      'Type        Resource  Min   Max  Default Request  Default Limit  Max Limit/Request Ratio\n' +
      '----        --------  ---   ---  ---------------  -------------  -----------------------\n' +
      'Container   cpu       100m  -    200m             500m           -\n' +
      'Container   memory    -     1Gi  256Mi            512Mi          -\n',
  );
});

test('a Deployment is held to its quota: FailedCreate events on its ReplicaSet; room frees, it fills', async () => {
  await c.request('apply', { manifest: [ns('team'), quota('team', '{pods: "2"}')].join('---\n') });
  await c.request('apply', { manifest: deployment('web', 'team', 4) });
  await waitFor('2 pods of web', async () => (await podNames('team')).length === 2);
  const rs = await waitFor('a FailedCreate event on the ReplicaSet', () =>
    fx.node.store.list('ReplicaSet', 'team').find((r) => fx.node.store.events(`ReplicaSet/team/${r.metadata.name}`).some((e) => e.reason === 'FailedCreate'))
  );
  const ev = fx.node.store.events(`ReplicaSet/team/${rs.metadata.name}`).find((e) => e.reason === 'FailedCreate') as KEvent;
  assert.is(ev.type, 'Warning');
  assert.match(ev.message, new RegExp(`^Error creating: pods "${rs.metadata.name}-[a-z0-9]{5}" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=2, limited: pods=2$`));
  assert.is(ev.source.component, 'replicaset-controller');
  // never more than 2, also a while later (the ReplicaSet retries with back-off)
  for (let i = 0; i < 20; i++) {
    assert.ok(fx.node.store.list('Pod', 'team').length <= 2);
    await new Promise((r) => setTimeout(r, 50));
  }
  // a bigger quota: the ReplicaSet tries again at once and fills up
  await c.request('apply', { manifest: quota('team', '{pods: "4"}') });
  await waitFor('4 pods of web', async () => (await podNames('team')).length === 4, 10_000);
  await waitFor('the quota shows 4 used', async () => (await getQuota('team')).status?.used?.pods === '4');
});

test('a counting quota on ReplicaSets refuses a Deployment its ReplicaSet, with an event', async () => {
  await c.request('apply', { manifest: [ns('few'), quota('few', '{count/replicasets.apps: "0"}')].join('---\n') });
  await c.request('apply', { manifest: deployment('api', 'few', 1) });
  const ev = await waitFor('ReplicaSetCreateError on the Deployment', () =>
    fx.node.store.events('Deployment/few/api').find((e) => e.reason === 'ReplicaSetCreateError')
  );
  assert.match(ev.message, /^Failed to create new replica set "api-[a-z0-9]+": replicasets.apps "api-[a-z0-9]+" is forbidden: exceeded quota: q1, requested: count\/replicasets.apps=1, used: count\/replicasets.apps=0, limited: count\/replicasets.apps=0$/);
  assert.equal(fx.node.store.list('ReplicaSet', 'few'), []);
  const e = await c.refused('apply', { manifest: deployment('api', 'few', 1).replace('kind: Deployment', 'kind: ReplicaSet') });
  assert.is(e.code, 'QuotaExceeded');
});

test('a namespace with a quota and a LimitRange is deleted with everything in it', async () => {
  await c.request('delete', { kind: 'namespace', names: ['team', 'limited'], wait: true, timeoutMs: 15_000 });
  for (const name of ['team', 'limited']) {
    assert.not.ok(fx.node.store.get(`Namespace//${name}`), `namespace ${name} is gone`);
    assert.equal(fx.node.objects.inNamespace(name), [], `nothing left in ${name}`);
  }
});

test.run();
