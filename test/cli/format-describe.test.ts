import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describe, podQOSClass } from '../../src/cli/format/describe.ts';
import type { KObject } from '../../src/objects/types.ts';
import { ago, event, H, M, NOW, S } from './format-fixtures.ts';

const test = suite('format: describe');

const SECRET = 'hunter2-do-not-print';

function describedPod(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-abc',
      namespace: 'default',
      uid: 'p1',
      creationTimestamp: ago(5 * M),
      labels: { app: 'web', 'pod-template-hash': '5d9c' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d9c', uid: 'rs1', controller: true }],
    },
    spec: {
      nodeName: 'n1',
      initContainers: [{ name: 'migrate', image: 'busybox:latest', command: ['sh', '-c', 'echo migrated'] }],
      containers: [{
        name: 'web',
        image: 'busybox:latest',
        args: ['httpd', '-f', '-p', '8080'],
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        env: [
          { name: 'MODE', value: 'production' },
          // a value next to valueFrom must not leak either: kubectl shows only the reference
          { name: 'DB_PASSWORD', value: SECRET, valueFrom: { secretKeyRef: { name: 'db-creds', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
        ],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'config', mountPath: '/etc/web', readOnly: true }],
      }],
      volumes: [{ name: 'data', emptyDir: {} }, { name: 'config', hostPath: { path: '/srv/web' } }],
    },
    status: {
      phase: 'Running',
      hostIP: '127.0.0.11',
      podIP: '10.88.0.4',
      startTime: ago(5 * M),
      hostPorts: [{ containerPort: 8080, hostIP: '127.0.0.11', hostPort: 30080, protocol: 'TCP' }],
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      initContainerStatuses: [{
        name: 'migrate',
        image: 'busybox:latest',
        ready: true,
        restartCount: 0,
        containerID: 'docker://1111',
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(5 * M - 2 * S), finishedAt: ago(5 * M - 3 * S) } },
      }],
      containerStatuses: [{
        name: 'web',
        image: 'busybox:latest',
        ready: true,
        restartCount: 2,
        containerID: 'docker://2222',
        state: { running: { startedAt: ago(45 * S) } },
        lastState: { terminated: { exitCode: 137, reason: 'Error', startedAt: ago(2 * M), finishedAt: ago(50 * S) } },
      }],
    },
  };
}

const podEvents = [
  event('Scheduled', 'Successfully assigned default/web-abc to n1', { firstAgo: 5 * M }),
  event('BackOff', 'Back-off restarting failed container web in pod web-abc', {
    type: 'Warning',
    count: 3,
    firstAgo: 2 * M,
    lastAgo: 10 * S,
  }),
  event('Pulled', 'an event about another pod', { involvedObject: { kind: 'Pod', namespace: 'default', name: 'other' } }),
];

const POD_DESCRIBE = `Name:         web-abc
Namespace:    default
Node:         n1/127.0.0.11
Start Time:   Mon, 15 Jan 2024 11:55:00 +0000
Labels:       app=web
              pod-template-hash=5d9c
Annotations:  <none>
Status:       Running
IP:           10.88.0.4
IPs:
  IP:           10.88.0.4
Controlled By:  ReplicaSet/web-5d9c
Init Containers:
  migrate:
    Container ID:  docker://1111
    Image:         busybox:latest
    Image ID:      
    Port:          <none>
    Host Port:     <none>
    Command:
      sh
      -c
      echo migrated
    State:          Terminated
      Reason:       Completed
      Exit Code:    0
      Started:      Mon, 15 Jan 2024 11:55:02 +0000
      Finished:     Mon, 15 Jan 2024 11:55:03 +0000
    Ready:          True
    Restart Count:  0
    Environment:    <none>
    Mounts:         <none>
Containers:
  web:
    Container ID:  docker://2222
    Image:         busybox:latest
    Image ID:      
    Port:          8080/TCP
    Host Port:     30080/TCP
    Args:
      httpd
      -f
      -p
      8080
    State:          Running
      Started:      Mon, 15 Jan 2024 11:59:15 +0000
    Last State:     Terminated
      Reason:       Error
      Exit Code:    137
      Started:      Mon, 15 Jan 2024 11:58:00 +0000
      Finished:     Mon, 15 Jan 2024 11:59:10 +0000
    Ready:          True
    Restart Count:  2
    Limits:
      cpu:     500m
      memory:  128Mi
    Requests:
      cpu:     250m
      memory:  64Mi
    Environment:
      MODE:         production
      DB_PASSWORD:  <set to the key 'password' in secret 'db-creds'>  Optional: false
      POD_NAME:     web-abc (v1:metadata.name)
    Mounts:
      /data from data (rw)
      /etc/web from config (ro)
Conditions:
  Type              Status
  Initialized       True 
  Ready             True 
  ContainersReady   True 
  PodScheduled      True 
Volumes:
  data:
    Type:       EmptyDir (a temporary directory that shares a pod's lifetime)
    Medium:     
    SizeLimit:  <unset>
  config:
    Type:          HostPath (bare host directory volume)
    Path:          /srv/web
    HostPathType:  <none>
QoS Class:         Burstable
Node-Selectors:    <none>
Tolerations:       <none>
Events:
  Type     Reason     Age               From           Message
  ----     ------     ----              ----           -------
  Normal   Scheduled  5m                starling-node  Successfully assigned default/web-abc to n1
  Warning  BackOff    10s (x3 over 2m)  starling-node  Back-off restarting failed container web in pod web-abc
`;

test('describe pod: kubectl layout, its own events with (xN over T), in full', () => {
  assert.fixture(describe(describedPod(), podEvents, NOW), POD_DESCRIBE);
});

test('describe pod: a secret-sourced env var shows the reference, never a value', () => {
  const out = describe(describedPod(), [], NOW);
  assert.ok(out.includes("DB_PASSWORD:  <set to the key 'password' in secret 'db-creds'>  Optional: false\n"));
  assert.not.ok(out.includes(SECRET));
  assert.ok(out.endsWith('Events:            <none>\n'));
});

test('describe pod: Terminating status, waiting state, no node yet', () => {
  const p = describedPod();
  p.metadata.deletionTimestamp = ago(20 * S);
  delete p.spec.nodeName;
  p.status.containerStatuses[0].state = { waiting: { reason: 'CrashLoopBackOff' } };
  const out = describe(p, [], NOW);
  assert.match(out, /^Node:\s+<none>$/m);
  assert.match(out, /^Status:\s+Terminating \(lasts 20s\)$/m);
  assert.match(out, /^Termination Grace Period:\s+30s$/m);
  assert.match(out, /^ {4}State:\s+Waiting\n {6}Reason:\s+CrashLoopBackOff$/m);
});

test('QoS class: BestEffort, Burstable, Guaranteed (requests default to limits)', () => {
  const spec = (resources?: object) => ({ containers: [{ name: 'c', image: 'i', ...(resources ? { resources } : {}) }] });
  assert.is(podQOSClass(spec()), 'BestEffort');
  assert.is(podQOSClass(spec({ requests: { cpu: '100m' } })), 'Burstable');
  assert.is(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
  assert.is(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } })), 'Burstable');
});

const template = (image: string, hash?: string) => ({
  metadata: { labels: { app: 'web', ...(hash ? { 'pod-template-hash': hash } : {}) } },
  spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80, protocol: 'TCP' as const }] }] },
});

const deployment: KObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'default',
    uid: 'd1',
    creationTimestamp: '2024-01-15T10:00:00Z',
    labels: { app: 'web' },
    annotations: { 'deployment.kubernetes.io/revision': '2' },
  },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '50%' } },
    template: template('busybox:1.36'),
  },
  status: {
    replicas: 4,
    updatedReplicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    unavailableReplicas: 1,
    conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
      { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' },
    ],
  },
};

const replicaSet = (name: string, hash: string, image: string, replicas: number, created: string): KObject => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    creationTimestamp: created,
    labels: { app: 'web', 'pod-template-hash': hash },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }],
  },
  spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': hash } }, template: template(image, hash) },
  status: { replicas },
});

const DEPLOYMENT_DESCRIBE = `Name:                   web
Namespace:              default
CreationTimestamp:      Mon, 15 Jan 2024 10:00:00 +0000
Labels:                 app=web
Annotations:            deployment.kubernetes.io/revision: 2
Selector:               app=web
Replicas:               3 desired | 3 updated | 4 total | 3 available | 1 unavailable
StrategyType:           RollingUpdate
MinReadySeconds:        0
RollingUpdateStrategy:  1 max unavailable, 50% max surge
Pod Template:
  Labels:  app=web
  Containers:
   web:
    Image:         busybox:1.36
    Port:          80/TCP
    Host Port:     0/TCP
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
Conditions:
  Type           Status  Reason
  ----           ------  ------
  Available      True    MinimumReplicasAvailable
  Progressing    True    ReplicaSetUpdated
OldReplicaSets:  web-6f7b (1/1 replicas created)
NewReplicaSet:   web-8c9d (3/3 replicas created)
Events:
  Type    Reason             Age   From        Message
  ----    ------             ----  ----        -------
  Normal  ScalingReplicaSet  2m    deployment  Scaled up replica set web-8c9d to 3
`;

test('describe deployment: replicas line, strategy, pod template, conditions, old/new ReplicaSets, events', () => {
  const replicaSets = [
    replicaSet('web-8c9d', '8c9d', 'busybox:1.36', 3, '2024-01-15T11:00:00Z'),
    replicaSet('web-6f7b', '6f7b', 'busybox:1.35', 1, '2024-01-15T10:00:00Z'),
    replicaSet('web-1a2b', '1a2b', 'busybox:1.34', 0, '2024-01-15T09:00:00Z'), // scaled to 0: not listed
  ];
  const events = [
    event('ScalingReplicaSet', 'Scaled up replica set web-8c9d to 3', {
      firstAgo: 2 * M,
      source: { component: 'deployment' },
      involvedObject: { kind: 'Deployment', namespace: 'default', name: 'web', uid: 'd1' },
    }),
  ];
  assert.fixture(describe(deployment, events, NOW, { replicaSets }), DEPLOYMENT_DESCRIBE);
});

test('describe deployment: Recreate has no RollingUpdateStrategy; no ReplicaSets, no Old/New lines', () => {
  const d = { ...deployment, spec: { ...deployment.spec, strategy: { type: 'Recreate' } } };
  const out = describe(d, [], NOW);
  assert.match(out, /^StrategyType:\s+Recreate$/m);
  assert.not.match(out, /RollingUpdateStrategy/);
  assert.not.match(out, /ReplicaSet:/);
});

test('describe replicaset: Replicas current/desired and Pods Status from its pods', () => {
  const rs = replicaSet('web-8c9d', '8c9d', 'busybox:1.36', 3, '2024-01-15T11:00:00Z');
  const mk = (name: string, phase: string, owner = 'uid-web-8c9d'): KObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true }],
    },
    status: { phase },
  });
  const pods = [mk('a', 'Running'), mk('b', 'Running'), mk('c', 'Pending'), mk('d', 'Failed'), mk('e', 'Running', 'other')];
  const out = describe(rs, [], NOW, { pods });
  assert.match(out, /^Selector:\s+app=web,pod-template-hash=8c9d$/m);
  assert.match(out, /^Controlled By:\s+Deployment\/web$/m);
  assert.match(out, /^Replicas:\s+3 current \/ 3 desired$/m);
  assert.match(out, /^Pods Status:\s+2 Running \/ 1 Waiting \/ 0 Succeeded \/ 1 Failed$/m);
  assert.match(out, /^Pod Template:$/m);
});

test('describe node: conditions, addresses, capacity, allocatable, system info, pods, events', () => {
  const node: KObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'n1-uid', creationTimestamp: ago(50 * H), labels: { 'kubernetes.io/hostname': 'n1' } },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'NodeAlive', message: 'gossip ok', lastHeartbeatTime: ago(2 * S), lastTransitionTime: ago(50 * H) }],
      addresses: [{ type: 'InternalIP', address: '127.0.0.11' }],
      capacity: { cpu: '2', memory: '4Gi' },
      allocatable: { cpu: '2', memory: '4Gi' },
      nodeInfo: { kubeletVersion: '0.1.0', containerRuntimeVersion: 'sim', operatingSystem: 'linux', architecture: 'amd64' },
    },
  };
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-abc', namespace: 'default', creationTimestamp: ago(5 * M) },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '500m', memory: '1Gi' } } }] },
    status: { phase: 'Running' },
  };
  const ev = event('NodeReady', 'Node n1 status is now: NodeReady', {
    firstAgo: H,
    involvedObject: { kind: 'Node', name: 'n1', uid: 'n1' },
  });
  const out = describe(node, [ev], NOW, { pods: [pod] });
  assert.match(out, /^Roles:\s+<none>$/m);
  assert.match(out, /^Unschedulable:\s+false$/m);
  assert.match(out, /^ {2}Ready {3}True {4}Mon, 15 Jan 2024 11:59:58 \+0000 {3}Sat, 13 Jan 2024 10:00:00 \+0000 {3}NodeAlive {3}gossip ok$/m);
  assert.match(out, /^Addresses:\n {2}InternalIP: {2}127\.0\.0\.11$/m);
  assert.match(out, /^Capacity:\n {2}cpu: {5}2\n {2}memory: {2}4Gi$/m);
  assert.match(out, /^Allocatable:\n/m);
  assert.match(out, /^ {2}Container Runtime Version:\s+sim$/m);
  assert.match(out, /^ {2}Kubelet Version:\s+0\.1\.0$/m);
  assert.match(out, /^Non-terminated Pods:\s+\(1 in total\)$/m);
  assert.match(out, /^ {2}default\s+web-abc\s+500m \(25%\)\s+0 \(0%\)\s+1Gi \(25%\)\s+0 \(0%\)\s+5m$/m);
  assert.match(out, /^ {2}cpu\s+500m \(25%\)\s+0 \(0%\)$/m);
  assert.match(out, /^ {2}Normal\s+NodeReady\s+60m\s+starling-node\s+Node n1 status is now: NodeReady$/m);
});

test('describe namespace: Name, Labels, Annotations, Status (and quotas when given); no events', () => {
  const ns: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev', labels: { team: 'a' } }, status: { phase: 'Active' } };
  assert.is(describe(ns, [], NOW), 'Name:         dev\nLabels:       team=a\nAnnotations:  <none>\nStatus:       Active\n');
  const quota: KObject = {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'dev' },
    spec: { hard: { pods: '10' } },
    status: { hard: { pods: '10', 'requests.cpu': '4' }, used: { pods: '3', 'requests.cpu': '500m' } },
  };
  const out = describe(ns, [], NOW, { resourceQuotas: [quota], limitRanges: [] });
  assert.ok(out.includes('\nResource Quotas\n  Name:         q\n  Resource      Used  Hard\n  --------      ---   ---\n  pods          3     10\n  requests.cpu  500m  4\n'));
  assert.ok(out.endsWith('\nNo LimitRange resource.\n'));
});

test('describe other kinds: generic Key: value dump of spec and status', () => {
  const svc: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 's1', creationTimestamp: '2024-01-15T10:00:00Z' },
    spec: { clusterIP: '10.0.0.10', ports: [{ port: 80, targetPort: 8080 }], selector: { app: 'web' } },
    status: { loadBalancer: {} },
  };
  assert.fixture(
    describe(svc, [], NOW),
    `Name:         web
Namespace:    default
Labels:       <none>
Annotations:  <none>
API Version:  v1
Kind:         Service
Metadata:
  Creation Timestamp:  2024-01-15T10:00:00Z
  UID:                 s1
Spec:
  Cluster IP:  10.0.0.10
  Ports:
    Port:         80
    Target Port:  8080
  Selector:
    App:  web
Status:
  Load Balancer:
Events:  <none>
`,
  );
});

test.run();
