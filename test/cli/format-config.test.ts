// kubectl's output for ConfigMaps and Secrets: `get` tables (NAME DATA AGE, NAME TYPE DATA AGE)
// and `describe` (a Secret's keys with their sizes, never the values).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { describe } from '../../src/cli/format/describe.ts';
import { getTable } from '../../src/cli/format/workloads.ts';
import { decodeManifests } from '../../src/manifest/index.ts';

const test = suite('cli format: ConfigMap and Secret');

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
const [cm, secret] = decodeManifests(`apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {b: "two\\nlines", a: one}
binaryData: {bin: AAEC}
---
apiVersion: v1
kind: Secret
metadata: {name: db, labels: {tier: data}}
type: kubernetes.io/basic-auth
stringData: {password: s3cr3t-value, username: admin}
`).objects.map((o) => ({ ...o, metadata: { ...o.metadata, creationTimestamp: new Date(NOW - 65_000).toISOString() } }));

test('get cm / get secrets', () => {
  assert.is(getTable('cm', [cm], { now: NOW }), 'NAME   DATA   AGE\napp    3      65s\n');
  assert.is(getTable('configmaps', [cm], { now: NOW, noHeaders: true }), 'app   3     65s\n');
  assert.is(
    getTable('secrets', [secret], { now: NOW, allNamespaces: true }),
    'NAMESPACE   NAME   TYPE                       DATA   AGE\ndefault     db     kubernetes.io/basic-auth   2      65s\n',
  );
});

test('describe configmap: values of data, sizes of binaryData', () => {
  assert.is(
    describe(cm, [], NOW),
    [
      'Name:         app',
      'Namespace:    default',
      'Labels:       <none>',
      'Annotations:  <none>',
      '',
      'Data',
      '====',
      'a:',
      '----',
      'one',
      'b:',
      '----',
      'two',
      'lines',
      '',
      'BinaryData',
      '====',
      'bin: 3 bytes',
      '',
      'Events:  <none>',
      '',
    ].join('\n'),
  );
});

test('describe secret: type and sizes, never values', () => {
  const out = describe(secret, [], NOW);
  assert.is(
    out,
    [
      'Name:         db',
      'Namespace:    default',
      'Labels:       tier=data',
      'Annotations:  <none>',
      '',
      'Type:  kubernetes.io/basic-auth',
      '',
      'Data',
      '====',
      'password:  12 bytes',
      'username:  5 bytes',
      '',
    ].join('\n'),
  );
  assert.not.ok(out.includes('s3cr3t') || out.includes(btoa('s3cr3t-value')));
});

test.run();
