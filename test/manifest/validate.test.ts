import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fieldErrorText } from '../../src/manifest/messages.ts';
import { validateObject } from '../../src/manifest/validate.ts';

const test = suite('manifest: validateObject');

const texts = (obj: unknown) => validateObject(obj).errors.map(fieldErrorText);

function deployment(
  spec: Record<string, unknown> = {},
  podSpec: Record<string, unknown> = {},
  container: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'front' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1.27', ...container }], ...podSpec },
      },
      ...spec,
    },
  };
}

test('a full, valid Pod has no errors and no warnings', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-0',
      namespace: 'team-a',
      labels: { app: 'web' },
      annotations: { 'Example.com/Note': 'hi' },
    },
    spec: {
      restartPolicy: 'OnFailure',
      terminationGracePeriodSeconds: 10,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      dnsPolicy: 'ClusterFirst', // Kubernetes' default value: not worth a warning
      securityContext: {}, // empty: not worth a warning
      volumes: [{ name: 'cache', emptyDir: { sizeLimit: '1Gi' } }, {
        name: 'logs',
        hostPath: { path: '/var/log', type: 'Directory' },
      }],
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
      containers: [{
        name: 'web',
        image: 'nginx:1.27',
        imagePullPolicy: 'IfNotPresent',
        args: ['-g', 'daemon off;'],
        workingDir: '/srv',
        env: [{ name: 'MODE', value: 'prod' }],
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, {
          containerPort: 9090,
          hostPort: 19090,
        }],
        resources: {
          requests: { cpu: '250m', memory: '64Mi' },
          limits: { cpu: 1, memory: '128Mi' },
        },
        volumeMounts: [{ name: 'cache', mountPath: '/cache' }, {
          name: 'logs',
          mountPath: '/logs',
          readOnly: true,
          subPath: 'web',
        }],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http' },
          initialDelaySeconds: 5,
          periodSeconds: 10,
        },
        readinessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
      }],
    },
    status: { phase: 'Running', podIP: '10.0.0.1' }, // ignored silently
  };
  assert.equal(validateObject(pod), { errors: [], warnings: [] });
});

test('fields Kubernetes has but Starling does not: warnings naming the path', () => {
  const d = deployment(
    {},
    {
      securityContext: { runAsUser: 1000 },
      serviceAccountName: 'web',
      tolerations: [{ key: 'x', operator: 'Exists' }],
      affinity: { nodeAffinity: {} },
    },
    {
      securityContext: { readOnlyRootFilesystem: true },
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
      readinessProbe: { grpc: { port: 9555 } },
      // ConfigMap/Secret sources are served (test/manifest/config-validation.test.ts); fieldRef is not
      env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    },
  );
  const { errors, warnings } = validateObject(d);
  assert.equal(errors, []);
  assert.equal(warnings, [
    'spec.template.spec.containers[0].securityContext: not supported by Starling; ignored',
    'spec.template.spec.containers[0].lifecycle: not supported by Starling; ignored',
    'spec.template.spec.containers[0].readinessProbe.grpc: not supported by Starling; ignored',
    'spec.template.spec.containers[0].env[0].valueFrom.fieldRef: not supported by Starling; ignored',
    'spec.template.spec.securityContext: not supported by Starling; ignored',
    'spec.template.spec.serviceAccountName: not supported by Starling; ignored',
    'spec.template.spec.tolerations: not supported by Starling; ignored',
    'spec.template.spec.affinity: not supported by Starling; ignored',
  ]);
});

test('fields Kubernetes does not have: strict decoding errors', () => {
  const d = deployment({ foo: 'bar' }, { hostname2: 'x' }, {
    imagePolicy: 'Always',
    resources: { requests: { cpu: '1' }, limit: { cpu: '1' } },
  });
  (d.metadata as Record<string, unknown>).nmae = 'typo';
  assert.equal(texts(d), [
    'metadata.nmae: unknown field "metadata.nmae"',
    'spec.template.spec.containers[0].imagePolicy: unknown field "spec.template.spec.containers[0].imagePolicy"',
    'spec.template.spec.containers[0].resources.limit: unknown field "spec.template.spec.containers[0].resources.limit"',
    'spec.template.spec.hostname2: unknown field "spec.template.spec.hostname2"',
    'spec.foo: unknown field "spec.foo"',
  ]);
});

test('all errors are collected and tagged with the document', () => {
  const d = deployment({ replicas: -2, revisionHistoryLimit: -1 }, {
    restartPolicy: 'OnFailure',
    activeDeadlineSeconds: 30,
  }, { image: '', ports: [{ containerPort: 99999 }] });
  const { errors, warnings } = validateObject(d, 3);
  assert.ok(errors.every((e) => e.document === 3));
  assert.equal(errors.map(fieldErrorText), [
    'spec.replicas: Invalid value: -2: must be greater than or equal to 0',
    'spec.template.spec.containers[0].image: Required value',
    'spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 99999: must be between 1 and 65535, inclusive',
    'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
    'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported',
    'spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.equal(warnings, []);
});

test('rolling update parameters', () => {
  const ru = (rollingUpdate: unknown, type = 'RollingUpdate') =>
    texts(deployment({ strategy: { type, rollingUpdate } }));
  assert.equal(ru({ maxSurge: 1, maxUnavailable: 0 }), []);
  assert.equal(ru({ maxSurge: '50%', maxUnavailable: '10%' }), []);
  assert.equal(ru({ maxSurge: 0, maxUnavailable: 0 }), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
  ]);
  assert.equal(ru({ maxSurge: -1 }), [
    'spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.ok(
    ru({ maxSurge: 'lots' })[0].startsWith(
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "lots": a valid percent string',
    ),
  );
  assert.equal(ru({ maxUnavailable: '150%' }), [
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
  ]);
  assert.equal(ru({ maxSurge: 1 }, 'Recreate'), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  assert.equal(ru(undefined, 'BlueGreen'), [
    'spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"',
  ]);
  assert.equal(texts(deployment({ minReadySeconds: 600, progressDeadlineSeconds: 600 })), [
    'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
  ]);
});

test('selectors: empty, expressions, template superset', () => {
  assert.equal(texts(deployment({ selector: {} })), [
    'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
  ]);
  assert.equal(
    texts(
      deployment({
        selector: {
          matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }],
        },
      }),
    ),
    [],
  );
  assert.equal(
    texts(
      deployment({
        selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
      }),
    ),
    [
      'spec.template.metadata.labels: Invalid value: {"app":"web","tier":"front"}: `selector` does not match template `labels`',
    ],
  );
});

test('probes', () => {
  const probe = (p: unknown) => texts(deployment({}, {}, { livenessProbe: p }));
  assert.equal(probe({ initialDelaySeconds: 5 }), [
    'spec.template.spec.containers[0].livenessProbe: Required value: must specify a handler type',
  ]);
  assert.equal(probe({ exec: { command: ['true'] }, tcpSocket: { port: 80 } }), [
    'spec.template.spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
  ]);
  assert.equal(probe({ tcpSocket: { port: 80 }, successThreshold: 3 }), [
    'spec.template.spec.containers[0].livenessProbe.successThreshold: Invalid value: 3: must be 1',
  ]);
  assert.equal(probe({ httpGet: { port: 0, scheme: 'FTP' }, periodSeconds: -1 }), [
    'spec.template.spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive',
    'spec.template.spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"',
  ]);
});

test('Namespace and Pod metadata rules', () => {
  assert.equal(
    validateObject({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'dev', labels: { team: 'a' } },
    }),
    { errors: [], warnings: [] },
  );
  assert.equal(texts({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x'.repeat(64) } }), [
    `metadata.name: Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters`,
  ]);
  assert.equal(
    texts({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'Team_A' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }).length,
    1,
  );
  assert.equal(
    texts({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'a/b/c': 'x' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }).length,
    1,
  );
  assert.equal(
    texts({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'web-' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    }),
    [],
  );
});

test('kind problems are reported as errors too', () => {
  assert.equal(texts('just a string'), [
    'Invalid value: "just a string": a manifest document must be a mapping with apiVersion, kind and metadata',
  ]);
  assert.equal(texts({ kind: 'Pod', metadata: { name: 'p' } }), [
    "apiVersion: Required value: Object 'apiVersion' is missing",
  ]);
  assert.ok(
    texts({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 's' } })[0].startsWith(
      'kind: no matches for kind "StatefulSet"',
    ),
  );
  assert.ok(
    texts({ apiVersion: 'apps/v1beta1', kind: 'Deployment', metadata: { name: 's' } })[0]
      .startsWith('apiVersion: no matches'),
  );
});

test.run();
