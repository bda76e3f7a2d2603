// ConfigMap and Secret manifests: what Starling accepts (with Kubernetes' defaults: stringData
// merged into data, type Opaque, defaultMode 0644) and what it refuses, in Kubernetes' wording;
// how pods name them (env valueFrom, envFrom, configMap/secret volumes); immutability; and that
// no message ever shows a Secret's value.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../src/errors.ts';
import { base64Error, base64ErrorAt, decodeBase64, encodeBase64 } from '../../src/manifest/base64.ts';
import { decodeManifests, fieldErrorText } from '../../src/manifest/index.ts';
import { configKeyErrors, configUpdateErrors, MAX_CONFIG_BYTES } from '../../src/manifest/validate-config.ts';
import { refuseConfigUpdate } from '../../src/host/config-objects.ts';
import type { KObject } from '../../src/objects/types.ts';

const test = suite('manifest: ConfigMap and Secret');

const KEY_RULE =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

function refused(text: string): string[] {
  try {
    decodeManifests(text);
  } catch (e) {
    assert.instance(e, ValidationError, (e as Error).message);
    return (e as ValidationError).fieldErrors.map(fieldErrorText);
  }
  assert.unreachable(`accepted:\n${text}`);
  return [];
}

const cm = (body: string, name = 'app') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\n${body}`;
const secret = (body: string, name = 'db') => `apiVersion: v1\nkind: Secret\nmetadata: {name: ${name}}\n${body}`;

test('a ConfigMap is accepted as written, in the default namespace', () => {
  const { objects, warnings } = decodeManifests(cm('data:\n  mode: dev\n  app.properties: |\n    a=1\n    b=2\nbinaryData: {logo.png: iVBORw0KGgo=}\n'));
  assert.equal(warnings, []);
  assert.equal(objects[0], {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'app', namespace: 'default' },
    data: { mode: 'dev', 'app.properties': 'a=1\nb=2\n' },
    binaryData: { 'logo.png': 'iVBORw0KGgo=' },
  });
});

test('a Secret: stringData is merged into data (base64) and removed, type defaults to Opaque', () => {
  const { objects } = decodeManifests(secret('data: {user: YWRtaW4=, password: b2xk}\nstringData: {password: s3cr3t, url: "postgres://db"}\n'));
  const s = objects[0];
  assert.is(s.type, 'Opaque');
  assert.is(s.stringData, undefined);
  assert.equal(s.data, { user: 'YWRtaW4=', password: encodeBase64('s3cr3t'), url: encodeBase64('postgres://db') });
  assert.is(new TextDecoder().decode(decodeBase64((s.data as Record<string, string>).password)), 's3cr3t', 'stringData wins over data');
  // base64 is stored canonically (line breaks dropped), as the API server re-encodes []byte
  const wrapped = decodeManifests(secret('data: {k: "aGVs\\nbG8="}\n')).objects[0];
  assert.equal(wrapped.data, { k: 'aGVsbG8=' });
  const typed = decodeManifests(secret('type: kubernetes.io/tls\nstringData: {tls.crt: c, tls.key: k}\n')).objects[0];
  assert.is(typed.type, 'kubernetes.io/tls');
});

test('key names: IsConfigMapKey, reported per key in data and binaryData', () => {
  assert.equal(configKeyErrors('ok-key_1.txt'), []);
  assert.equal(configKeyErrors('a b'), [KEY_RULE]);
  assert.equal(configKeyErrors('.'), ["must not be '.'"]);
  assert.equal(configKeyErrors('..'), ["must not be '..'"]);
  assert.equal(configKeyErrors('..a'), ["must not start with '..'"]);
  assert.equal(configKeyErrors('k'.repeat(254)), ['must be no more than 253 characters']);
  // valid in Kubernetes, but msgpack (store, peers) would rename it: refused, not silently changed
  assert.equal(configKeyErrors('__proto__'), ["must not be '__proto__' (a key Starling cannot store)"]);
  assert.equal(refused(cm('data: {__proto__: x, _proto_: y}\n')), [
    `data[__proto__]: Invalid value: "__proto__": must not be '__proto__' (a key Starling cannot store)`,
  ]);
  assert.equal(refused(cm('data: {"a b": x, "..x": y}\nbinaryData: {"c/d": AA==}\n')), [
    `data[a b]: Invalid value: "a b": ${KEY_RULE}`,
    `data[..x]: Invalid value: "..x": must not start with '..'`,
    `binaryData[c/d]: Invalid value: "c/d": ${KEY_RULE}`,
  ]);
  assert.equal(refused(secret('stringData: {"a:b": x}\n')), [`data[a:b]: Invalid value: "a:b": ${KEY_RULE}`]);
});

test('a key in both data and binaryData is refused', () => {
  assert.equal(refused(cm('data: {a: x}\nbinaryData: {a: AA==}\n')), [
    'data[a]: Invalid value: "a": duplicate of key present in binaryData',
  ]);
});

test('at most 1 MiB of data: ConfigMap over the whole object, Secret at data', () => {
  const big = 'x'.repeat(MAX_CONFIG_BYTES / 2);
  assert.equal(refused(cm(`data: {a: ${big}, b: ${big}x}\n`)), ['Too long: may not be more than 1048576 bytes']);
  decodeManifests(cm(`data: {a: ${big}, b: ${big.slice(1)}}\n`)); // exactly at the limit: fine
  const bigB64 = encodeBase64('y'.repeat(MAX_CONFIG_BYTES));
  assert.equal(refused(secret(`data: {a: ${bigB64}}\nstringData: {b: z}\n`)), ['data: Too long: may not be more than 1048576 bytes']);
  // stringData replaces data of the same key: counted once
  decodeManifests(secret(`data: {a: ${bigB64}}\nstringData: {a: small}\n`));
});

test('Secret data must be base64 (Go StdEncoding), and the value is never shown', () => {
  const lines = refused(secret('data: {password: "hunter2!", token: "aGVsbG8", ok: "aGVsbG8="}\n'));
  assert.equal(lines, [
    'data[password]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 7',
    'data[token]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 4',
  ]);
  try {
    decodeManifests(secret('data: {password: "hunter22!"}\n'));
  } catch (e) {
    assert.not.ok((e as Error).message.includes('hunter'), (e as Error).message);
  }
  assert.equal(refused(secret('data: {pin: 1234}\nstringData: {other: [4321]}\n')), [
    'data[pin]: Invalid value: "<secret contents redacted>": expected string, got integer',
    'stringData[other]: Invalid value: "<secret contents redacted>": expected string, got array',
  ]);
  assert.equal(refused(cm('binaryData: {logo: "abc"}\n')), ['binaryData[logo]: Invalid value: "abc": illegal base64 data at input byte 0']);
});

test("base64: Go's CorruptInputError positions", () => {
  const cases: [string, number | undefined][] = [
    ['', undefined],
    ['aGVsbG8=', undefined],
    ['aGVs\nbG8=\n', undefined],
    ['aGVsbA==', undefined],
    ['a', 0],
    ['abc', 0],
    ['aGVsbG8', 4],
    ['ab!d', 2],
    ['a===', 1],
    ['ab=c', 2],
    ['ab==c', 4],
    ['ab=', 3],
    ['aGVsbG8=aGVs', 8],
    ['YW Jj', 2],
  ];
  for (const [text, at] of cases) assert.is(base64ErrorAt(text), at, JSON.stringify(text));
  assert.is(base64Error('abc'), 'illegal base64 data at input byte 0');
});

test('well-known Secret types require their keys', () => {
  assert.equal(refused(secret('type: kubernetes.io/tls\nstringData: {tls.crt: c}\n')), ['data[tls.key]: Required value']);
  assert.equal(refused(secret('type: kubernetes.io/basic-auth\n')), ['data[username]: Required value', 'data[password]: Required value']);
  decodeManifests(secret('type: kubernetes.io/basic-auth\nstringData: {password: p}\n'));
  assert.equal(refused(secret('type: kubernetes.io/ssh-auth\nstringData: {ssh-privatekey: ""}\n')), ['data[ssh-privatekey]: Required value']);
  assert.equal(refused(secret('type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: "not json {secret}"}\n')), [
    'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": must be a JSON object',
  ]);
  decodeManifests(secret('type: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: \'{"auths": {}}\'}\n'));
  assert.equal(refused(secret('type: kubernetes.io/service-account-token\n')), [
    'metadata.annotations[kubernetes.io/service-account.name]: Required value',
  ]);
  decodeManifests(secret('type: example.com/custom\nstringData: {anything: x}\n'));
});

test('unknown fields and wrong types, as strict decoding reports them', () => {
  assert.equal(refused(cm('spec: {a: b}\ndata: {port: 8080}\n')), [
    'spec: unknown field "spec"',
    'data[port]: Invalid value: 8080: expected string, got integer',
  ]);
  assert.equal(refused(secret('immutable: "yes"\n')), ['immutable: Invalid value: "yes": expected boolean, got string']);
  assert.equal(refused(cm('stringData: {a: b}\n')), ['stringData: unknown field "stringData"']);
});

test('immutable: data and the flag may not change; a Secret type never changes', () => {
  const one = (text: string) => ({ ...decodeManifests(text).objects[0], metadata: { name: 'app', namespace: 'default' } }) as KObject;
  const frozen = one(cm('immutable: true\ndata: {a: "1"}\n'));
  assert.equal(configUpdateErrors(frozen, one(cm('immutable: true\ndata: {a: "1"}\nbinaryData: {}\n'))), []);
  assert.equal(configUpdateErrors(frozen, one(cm('immutable: true\ndata: {a: "2"}\n'))).map((e) => `${e.field}: ${e.message}`), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  assert.equal(configUpdateErrors(frozen, one(cm('data: {a: "1"}\n'))).map((e) => e.field), ['immutable']);
  assert.equal(configUpdateErrors(frozen, one(cm('immutable: true\ndata: {a: "1"}\nbinaryData: {b: AA==}\n'))).map((e) => e.field), ['binaryData']);
  assert.equal(configUpdateErrors(one(cm('data: {a: "1"}\n')), one(cm('immutable: true\ndata: {a: "2"}\n'))), [], 'may become immutable');
  const s = one(secret('immutable: true\nstringData: {p: x}\n'));
  try {
    refuseConfigUpdate(s, one(secret('immutable: true\ntype: kubernetes.io/basic-auth\nstringData: {password: y}\n')));
    assert.unreachable('refused');
  } catch (e) {
    assert.instance(e, ValidationError);
    assert.is((e as Error).message, [
      'Secret "app" is invalid: type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'Secret "app" is invalid: data: Forbidden: field is immutable when `immutable` is set',
    ].join('\n'));
  }
});

const pod = (container: string, volumes = '') => `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    image: busybox
${container}${volumes ? `  volumes:\n${volumes}` : ''}`;

test('pods: env valueFrom, envFrom and configMap/secret volumes are accepted, with defaultMode 0644', () => {
  const { objects, warnings } = decodeManifests(pod(`    env:
    - {name: MODE, valueFrom: {configMapKeyRef: {name: app, key: mode}}}
    - {name: PW, valueFrom: {secretKeyRef: {name: db, key: password, optional: true}}}
    envFrom:
    - {configMapRef: {name: app}}
    - {prefix: DB_, secretRef: {name: db, optional: true}}
    volumeMounts: [{name: cfg, mountPath: /etc/cfg}, {name: creds, mountPath: /etc/creds}]
`, `  - name: cfg
    configMap: {name: app, items: [{key: app.properties, path: conf/app.properties, mode: 0400}]}
  - name: creds
    secret: {secretName: db, defaultMode: 0o600, optional: true}
`));
  assert.equal(warnings, []);
  const vols = objects[0].spec.volumes;
  assert.equal(vols[0].configMap, { name: 'app', items: [{ key: 'app.properties', path: 'conf/app.properties', mode: 0o400 }], defaultMode: 0o644 });
  assert.equal(vols[1].secret, { secretName: 'db', defaultMode: 0o600, optional: true });
});

test('YAML 1.1 octal modes: 0644 is 420, as kubectl reads it', () => {
  const { objects } = decodeManifests(pod('', '  - name: v\n    configMap: {name: app, defaultMode: 0644, items: [{key: a, path: a, mode: 0755}]}\n'));
  assert.is(objects[0].spec.volumes[0].configMap.defaultMode, 420);
  assert.is(objects[0].spec.volumes[0].configMap.items[0].mode, 493);
});

test('pods: references checked with Kubernetes wording', () => {
  const lines = refused(pod(`    env:
    - {name: A, valueFrom: {configMapKeyRef: {name: app, key: "bad key"}}}
    - {name: B, value: x, valueFrom: {secretKeyRef: {name: db, key: k}}}
    - {name: C, valueFrom: {}}
    - {name: D, valueFrom: {configMapKeyRef: {name: app, key: k}, secretKeyRef: {name: db, key: k}}}
    - {name: E, valueFrom: {secretKeyRef: {name: Bad_Name}}}
    envFrom:
    - {prefix: "A=", configMapRef: {name: app}}
    - {}
    - {configMapRef: {name: app}, secretRef: {name: db}}
    - {secretRef: {}}
`, `  - name: v
    configMap: {items: [{key: a, path: /abs, mode: 01000}, {path: ../up}, {key: b, path: ..dots}]}
  - name: s
    secret: {defaultMode: -1}
`));
  const c = 'spec.containers[0]';
  assert.equal(lines, [
    'spec.volumes[0].configMap.name: Required value',
    'spec.volumes[0].configMap.items[0].path: Invalid value: "/abs": must be a relative path',
    'spec.volumes[0].configMap.items[0].mode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
    'spec.volumes[0].configMap.items[1].key: Required value',
    `spec.volumes[0].configMap.items[1].path: Invalid value: "../up": must not contain '..'`,
    `spec.volumes[0].configMap.items[2].path: Invalid value: "..dots": must not start with '..'`,
    'spec.volumes[1].secret.secretName: Required value',
    'spec.volumes[1].secret.defaultMode: Invalid value: -1: must be a number between 0 and 0777 (octal), both inclusive',
    `${c}.env[0].valueFrom.configMapKeyRef.key: Invalid value: "bad key": ${KEY_RULE}`,
    `${c}.env[1].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`,
    `${c}.env[2].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
    `${c}.env[3].valueFrom: Invalid value: "": may not have more than one field specified at a time`,
    `${c}.env[4].valueFrom.secretKeyRef.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    `${c}.env[4].valueFrom.secretKeyRef.key: Required value`,
    `${c}.envFrom[0].prefix: Invalid value: "A=": a valid environment variable name must consist only of printable ASCII characters other than '='`,
    `${c}.envFrom: Invalid value: "": must specify one of: \`configMapRef\` or \`secretRef\``,
    `${c}.envFrom: Invalid value: "": may not have more than one field specified at a time`,
    `${c}.envFrom[3].secretRef.name: Required value`,
  ]);
});

test('env sources Starling does not implement are warned about by name', () => {
  const { warnings } = decodeManifests(pod('    env: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]\n'));
  assert.equal(warnings, ['Pod "p": spec.containers[0].env[0].valueFrom.fieldRef: not supported by Starling; ignored']);
});

test.run();
