import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { applyDefaults, defaultPullPolicy } from '../../src/manifest/defaults.ts';
import { decodeManifests } from '../../src/manifest/index.ts';
import type { KObject } from '../../src/objects/types.ts';

const test = suite('manifest: defaults');

test('imagePullPolicy follows the image tag', () => {
  assert.is(defaultPullPolicy('nginx'), 'Always');
  assert.is(defaultPullPolicy('nginx:latest'), 'Always');
  assert.is(defaultPullPolicy('nginx:1.27'), 'IfNotPresent');
  assert.is(defaultPullPolicy('registry.local:5000/team/app'), 'Always');
  assert.is(defaultPullPolicy('registry.local:5000/team/app:v2'), 'IfNotPresent');
  assert.is(
    defaultPullPolicy(
      'busybox@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d',
    ),
    'IfNotPresent',
  );
  assert.is(
    defaultPullPolicy(
      'busybox:1.38.0@sha256:fd8d9aa63ba2f0982b5304e1ee8d3b90a210bc1ffb5314d980eb6962f1a9715d',
    ),
    'IfNotPresent',
  );
});

test('Deployment defaults', () => {
  const { objects } = decodeManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{containerPort: 80}]
          resources: {limits: {cpu: 0.5, memory: 134217728}}
`);
  const d = objects[0];
  assert.is(d.metadata.namespace, 'default');
  assert.is(d.spec.replicas, 1);
  assert.equal(d.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
  });
  assert.is(d.spec.revisionHistoryLimit, 10);
  assert.is(d.spec.progressDeadlineSeconds, 600);
  const pod = d.spec.template.spec;
  assert.is(pod.restartPolicy, 'Always');
  assert.is(pod.terminationGracePeriodSeconds, 30);
  assert.is(pod.containers[0].imagePullPolicy, 'Always');
  assert.is(pod.containers[0].ports[0].protocol, 'TCP');
  // numbers given for quantities become strings; templates get no requests from limits
  assert.equal(pod.containers[0].resources, { limits: { cpu: '500m', memory: '134217728' } });
});

test('explicit values are kept; Recreate gets no rollingUpdate', () => {
  const { objects } = decodeManifests(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team-a}
spec:
  replicas: 0
  revisionHistoryLimit: 0
  strategy: {type: Recreate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{name: web, image: "nginx:1.27", imagePullPolicy: Always}]
`);
  const d = objects[0];
  assert.is(d.metadata.namespace, 'team-a');
  assert.is(d.spec.replicas, 0);
  assert.is(d.spec.revisionHistoryLimit, 0);
  assert.equal(d.spec.strategy, { type: 'Recreate' });
  assert.is(d.spec.template.spec.terminationGracePeriodSeconds, 0);
  assert.is(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
});

test('Pod requests default to limits; ReplicaSet replicas 1', () => {
  const { objects } = decodeManifests(`
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: busybox:1.36
      resources: {limits: {cpu: 1, memory: 64Mi}, requests: {memory: 32Mi}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: busybox}]}
`);
  const [pod, rs] = objects;
  assert.equal(pod.spec.containers[0].resources, {
    limits: { cpu: '1', memory: '64Mi' },
    requests: { memory: '32Mi', cpu: '1' },
  });
  assert.is(pod.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  assert.is(pod.spec.restartPolicy, 'Always');
  assert.is(rs.spec.replicas, 1);
  assert.is(rs.metadata.namespace, 'default');
});

test('cluster-scoped kinds get no namespace; status and server fields are dropped', () => {
  const { objects, warnings } = decodeManifests(`
apiVersion: v1
kind: Namespace
metadata: {name: dev, uid: 5e0c, creationTimestamp: "2024-01-01T00:00:00Z", resourceVersion: "42"}
status: {phase: Active}
`);
  assert.equal(objects[0], {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'dev', resourceVersion: '42' },
  });
  assert.equal(warnings, []);
});

test('generateName becomes a name', () => {
  const { objects } = decodeManifests(
    'apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec: {containers: [{name: c, image: busybox}]}\n',
  );
  assert.match(objects[0].metadata.name, /^job-[a-z0-9]{5}$/);
});

test('applyDefaults does not change its input', () => {
  const input: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  };
  const before = JSON.stringify(input);
  const out = applyDefaults(input);
  assert.is(JSON.stringify(input), before);
  assert.is(out.metadata.namespace, 'default');
});

test.run();
