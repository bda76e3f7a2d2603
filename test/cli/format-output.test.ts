import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { formatJSON, formatNames, formatOutput, formatYAML, toName, yaml11NonString } from '../../src/cli/format/output.ts';
import type { KObject } from '../../src/objects/types.ts';

const test = suite('format: -o json / yaml / name');

const pod: KObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-abc', namespace: 'default', creationTimestamp: '2024-01-15T10:00:00Z', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'busybox:latest', args: ['sleep', '3600'] }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
};
const deployment: KObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default' },
  spec: { replicas: 3 },
};

test('-o name: lower-case kind, plus .group outside the core group', () => {
  assert.is(toName(pod), 'pod/web-abc');
  assert.is(toName(deployment), 'deployment.apps/web');
  assert.is(toName({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'x' } }), 'replicaset.apps/x');
  assert.is(toName({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dev' } }), 'namespace/dev');
  assert.is(toName({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }), 'node/n1');
  assert.is(toName({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'x' } }), 'event/x');
  assert.is(
    toName({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' } }),
    'horizontalpodautoscaler.autoscaling/h',
  );
  assert.is(formatNames([pod, deployment]), 'pod/web-abc\ndeployment.apps/web\n');
});

test('-o json: one object as itself, 2-space indent', () => {
  const out = formatJSON(pod);
  assert.ok(out.startsWith('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n'));
  assert.ok(out.endsWith('}\n'));
  assert.equal(JSON.parse(out), pod);
});

test('-o json: a list is a v1 List with empty resourceVersion', () => {
  const out = formatOutput([pod, deployment], 'json');
  const parsed = JSON.parse(out);
  assert.equal(Object.keys(parsed), ['apiVersion', 'items', 'kind', 'metadata']);
  assert.equal(parsed, { apiVersion: 'v1', items: [pod, deployment], kind: 'List', metadata: { resourceVersion: '' } });
  assert.is(formatJSON([]), '{\n  "apiVersion": "v1",\n  "items": [],\n  "kind": "List",\n  "metadata": {\n    "resourceVersion": ""\n  }\n}\n');
});

test('-o json: sortKeys sorts every map like kubectl does for server objects', () => {
  const out = formatJSON({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', labels: { b: '1', a: '2' } } }, { sortKeys: true });
  assert.ok(out.indexOf('"apiVersion"') < out.indexOf('"kind"'));
  assert.ok(out.indexOf('"a"') < out.indexOf('"b"'));
});

test('-o yaml: one object in its own key order, kubectl-style sequences and quoting', () => {
  assert.is(
    formatYAML(pod),
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: web-abc',
      '  namespace: default',
      '  creationTimestamp: "2024-01-15T10:00:00Z"',
      '  labels:',
      '    app: web',
      'spec:',
      '  containers:',
      '  - name: web',
      '    image: busybox:latest',
      '    args:',
      '    - sleep',
      '    - "3600"',
      'status:',
      '  phase: Running',
      '  conditions:',
      '  - type: Ready',
      '    status: "True"',
      '',
    ].join('\n'),
  );
});

test('-o yaml: a list is a v1 List', () => {
  const out = formatOutput([pod, deployment], 'yaml');
  assert.ok(out.startsWith('apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n'));
  assert.ok(out.endsWith('kind: List\nmetadata:\n  resourceVersion: ""\n'));
  assert.equal(YAML.parse(out), { apiVersion: 'v1', items: [pod, deployment], kind: 'List', metadata: { resourceVersion: '' } });
  assert.is(formatYAML([]), 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n');
});

test('-o yaml: strings YAML 1.1 would read as other types are double-quoted (as go-yaml does)', () => {
  const cm: KObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x' },
    data: { a: 'yes', b: 'on', c: '80', d: '', e: '12:30', f: '1.5', g: 'a: b', h: 'multi\nline', i: '0x1F', n: 'plain', j: '*' },
  };
  const out = formatYAML(cm);
  for (
    const line of [
      '  a: "yes"',
      '  b: "on"',
      '  c: "80"',
      '  d: ""',
      '  e: "12:30"',
      '  f: "1.5"',
      "  g: 'a: b'",
      '  h: |-\n    multi\n    line',
      '  i: "0x1F"',
      '  "n": plain',
      "  j: '*'",
    ]
  ) {
    assert.ok(out.includes(line + '\n'), `missing ${JSON.stringify(line)} in\n${out}`);
  }
  assert.equal(YAML.parse(out), cm);
  assert.ok(yaml11NonString('2024-01-15T10:00:00Z'));
  assert.ok(yaml11NonString('~'));
  assert.not.ok(yaml11NonString('busybox:latest'));
  assert.not.ok(yaml11NonString('v1'));
});

test.run();
