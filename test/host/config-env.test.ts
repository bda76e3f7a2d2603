// What containers get from ConfigMaps and Secrets, as pure functions (src/host/config-sources.ts):
// env from valueFrom and envFrom with Kubernetes' precedence and messages, skipped envFrom keys,
// the files of configMap/secret volumes (items, modes, optional), and the atomic writer that
// lays them out as the kubelet does (src/host/config-volumes.ts), in a temporary directory.

import { lstat, mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConfigLookup, ConfigSourceError, containerEnv, volumePayload, volumesUsing } from '../../src/host/config-sources.ts';
import { volumeWritten, writeVolume } from '../../src/host/config-volumes.ts';
import { encodeBase64 } from '../../src/manifest/base64.ts';
import type { Container, KObject, Volume } from '../../src/objects/types.ts';

const test = suite('host: ConfigMap and Secret sources');

const configMap = (name: string, data: Record<string, string>, binaryData?: Record<string, string>): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
  ...(binaryData ? { binaryData } : {}),
});
const secret = (name: string, values: Record<string, string>): KObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default' },
  type: 'Opaque',
  data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, encodeBase64(v)])),
});

function lookupOf(...objects: KObject[]): ConfigLookup {
  return (kind, name) => objects.find((o) => o.kind === kind && o.metadata.name === name);
}

const APP = configMap('app', { MODE: 'dev', LEVEL: 'debug', 'app.properties': 'a=1\n', '1badkey': 'x' }, { 'logo.bin': encodeBase64(new Uint8Array([0, 1, 2])) });
const DB = secret('db', { password: 's3cr3t', user: 'admin' });
const lookup = lookupOf(APP, DB);

const container = (c: Partial<Container>): Container => ({ name: 'c', image: 'busybox', ...c });
const envMap = (env: { name: string; value: string }[]) => Object.fromEntries(env.map((e) => [e.name, e.value]));

function failsWith(fn: () => unknown, code: string, message: string) {
  try {
    fn();
  } catch (e) {
    assert.instance(e, ConfigSourceError);
    assert.is((e as ConfigSourceError).code, code);
    assert.is((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${code}: ${message}`);
}

test('valueFrom: configMapKeyRef and secretKeyRef give the values (Secret data decoded)', () => {
  const { env, skipped } = containerEnv(container({
    env: [
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
      { name: 'PLAIN', value: 'v' },
      { name: 'EMPTY' },
    ],
  }), 'default', lookup);
  assert.equal(env, [
    { name: 'MODE', value: 'dev' },
    { name: 'PASSWORD', value: 's3cr3t' },
    { name: 'PLAIN', value: 'v' },
    { name: 'EMPTY', value: '' },
  ]);
  assert.equal(skipped, []);
});

test("missing objects and keys: the kubelet's CreateContainerConfigError messages, optional ones skipped", () => {
  const env = (e: Container['env']) => () => containerEnv(container({ env: e }), 'default', lookup);
  failsWith(env([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }]), 'CreateContainerConfigError', 'configmap "nope" not found');
  failsWith(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]), 'CreateContainerConfigError', 'secret "nope" not found');
  failsWith(env([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }]), 'CreateContainerConfigError', "couldn't find key k in ConfigMap default/app");
  failsWith(env([{ name: 'A', valueFrom: { secretKeyRef: { name: 'db', key: 'k' } } }]), 'CreateContainerConfigError', "couldn't find key k in Secret default/db");
  // binaryData is not an environment source (as in the kubelet)
  failsWith(env([{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'logo.bin' } } }]), 'CreateContainerConfigError', "couldn't find key logo.bin in ConfigMap default/app");
  const optional = containerEnv(container({
    env: [
      { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } },
      { name: 'B', valueFrom: { secretKeyRef: { name: 'db', key: 'k', optional: true } } },
    ],
    envFrom: [{ configMapRef: { name: 'nope', optional: true } }],
  }), 'default', lookup);
  assert.equal(optional.env, []);
  failsWith(() => containerEnv(container({ envFrom: [{ secretRef: { name: 'gone' } }] }), 'default', lookup), 'CreateContainerConfigError', 'secret "gone" not found');
});

test('envFrom: every key with its prefix; env wins over envFrom, both over Service variables', () => {
  const { env, skipped } = containerEnv(container({
    envFrom: [{ configMapRef: { name: 'app' } }, { prefix: 'DB_', secretRef: { name: 'db' } }],
    env: [{ name: 'MODE', value: 'prod' }, { name: 'WEB_SERVICE_PORT', value: '9999' }],
  }), 'default', lookup, [
    { name: 'WEB_SERVICE_HOST', value: '10.0.0.1' },
    { name: 'WEB_SERVICE_PORT', value: '80' },
    { name: 'LEVEL', value: 'from-service' },
  ]);
  assert.equal(envMap(env), {
    WEB_SERVICE_HOST: '10.0.0.1',
    MODE: 'prod',
    LEVEL: 'debug',
    'app.properties': 'a=1\n',
    DB_password: 's3cr3t',
    DB_user: 'admin',
    WEB_SERVICE_PORT: '9999',
  });
  assert.equal(new Set(env.map((e) => e.name)).size, env.length, 'each name once');
  assert.equal(skipped, [
    'Keys [1badkey] from the EnvFrom configMap default/app were skipped since they are considered invalid environment variable names.',
  ]);
  // a prefix can make a key valid
  const prefixed = containerEnv(container({ envFrom: [{ prefix: 'P_', configMapRef: { name: 'app' } }] }), 'default', lookup);
  assert.is(envMap(prefixed.env).P_1badkey, 'x');
  assert.equal(prefixed.skipped, []);
});

const cmVolume = (cm: Record<string, unknown>): Volume => ({ name: 'cfg', configMap: { name: 'app', defaultMode: 0o644, ...cm } });
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test('volumes: every key as a file (data and binaryData) with defaultMode, or the listed items', () => {
  const all = volumePayload(cmVolume({}), lookup);
  assert.equal(all.map((f) => [f.path, f.mode]), [['MODE', 0o644], ['LEVEL', 0o644], ['app.properties', 0o644], ['1badkey', 0o644], ['logo.bin', 0o644]]);
  assert.equal([...all.find((f) => f.path === 'logo.bin')!.data], [0, 1, 2]);
  const items = volumePayload(cmVolume({ defaultMode: 0o600, items: [{ key: 'app.properties', path: 'conf/app.properties', mode: 0o400 }, { key: 'MODE', path: 'mode' }] }), lookup);
  assert.equal(items.map((f) => [f.path, text(f.data), f.mode]), [['conf/app.properties', 'a=1\n', 0o400], ['mode', 'dev', 0o600]]);
  const secretFiles = volumePayload({ name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } }, lookup);
  assert.equal(secretFiles.map((f) => [f.path, text(f.data), f.mode]), [['password', 's3cr3t', 0o400], ['user', 'admin', 0o400]]);
});

test("volumes: missing objects and keys are FailedMount with the kubelet's message; optional ones are empty", () => {
  failsWith(() => volumePayload({ name: 'cfg', configMap: { name: 'nope' } }, lookup), 'FailedMount', 'MountVolume.SetUp failed for volume "cfg" : configmap "nope" not found');
  failsWith(() => volumePayload({ name: 'creds', secret: { secretName: 'nope' } }, lookup), 'FailedMount', 'MountVolume.SetUp failed for volume "creds" : secret "nope" not found');
  failsWith(() => volumePayload(cmVolume({ items: [{ key: 'k', path: 'k' }] }), lookup), 'FailedMount', 'MountVolume.SetUp failed for volume "cfg" : configmap references non-existent config key: k');
  failsWith(() => volumePayload({ name: 's', secret: { secretName: 'db', items: [{ key: 'k', path: 'k' }] } }, lookup), 'FailedMount', 'MountVolume.SetUp failed for volume "s" : secret references non-existent secret key: k');
  assert.equal(volumePayload({ name: 'cfg', configMap: { name: 'nope', optional: true } }, lookup), []);
  assert.equal(volumePayload(cmVolume({ optional: true, items: [{ key: 'k', path: 'k' }, { key: 'MODE', path: 'm' }] }), lookup).map((f) => f.path), ['m']);
  assert.equal(volumePayload({ name: 'e', emptyDir: {} }, lookup), []);
  assert.equal(volumesUsing([cmVolume({}), { name: 'x', secret: { secretName: 'app' } }, { name: 'e', emptyDir: {} }], 'ConfigMap', 'app').map((v) => v.name), ['cfg']);
});

test('the atomic writer: ..data swapped on update, one link per name, modes kept, old versions removed', async () => {
  const root = await mkdtemp(join(tmpdir(), 'starling-cfgvol-'));
  try {
    const dir = join(root, 'cfg');
    assert.is(await volumeWritten(dir), false);
    const enc = (s: string) => new TextEncoder().encode(s);
    await writeVolume(dir, [
      { path: 'a', data: enc('one'), mode: 0o644 },
      { path: 'conf/b.properties', data: enc('b=1'), mode: 0o400 },
    ], Date.UTC(2024, 4, 1));
    assert.is(await volumeWritten(dir), true);
    assert.is(await readFile(join(dir, 'a'), 'utf8'), 'one');
    assert.is(await readFile(join(dir, 'conf', 'b.properties'), 'utf8'), 'b=1');
    assert.is((await stat(join(dir, 'a'))).mode & 0o777, 0o644);
    assert.is((await stat(join(dir, 'conf', 'b.properties'))).mode & 0o777, 0o400);
    assert.ok((await lstat(join(dir, 'a'))).isSymbolicLink(), 'a is a link into ..data');
    assert.is(await readlink(join(dir, 'a')), join('..data', 'a'));
    const first = await readlink(join(dir, '..data'));
    assert.match(first, /^\.\.2024_05_01_00_00_00\.000_/);

    await writeVolume(dir, [{ path: 'a', data: enc('two'), mode: 0o600 }], Date.UTC(2024, 4, 2));
    assert.is(await readFile(join(dir, 'a'), 'utf8'), 'two');
    assert.is((await stat(join(dir, 'a'))).mode & 0o777, 0o600);
    assert.not.ok(await lstat(join(dir, 'conf')).then(() => true, () => false), 'names no longer present are gone');
    assert.not.ok(await lstat(join(dir, first)).then(() => true, () => false), 'the previous version is removed');
    assert.is((await stat(dir)).mode & 0o777, 0o755);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
