// Docker e2e: ConfigMaps and Secrets used by real busybox containers. A pod takes variables from
// a ConfigMap and a Secret (valueFrom and envFrom, an invalid key skipped with an event) and
// mounts both as read-only files (items, modes); the files follow a ConfigMap update. A pod
// naming a missing ConfigMap waits in CreateContainerConfigError and starts once it is applied; a
// pod whose volume names a missing ConfigMap stays ContainerCreating with FailedMount events.
// `get` and `describe` print kubectl's tables; neither describe nor the node's log shows a
// Secret's value. An immutable ConfigMap refuses new data.
// deno-lint-ignore-file no-explicit-any

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';

const test = suite('e2e docker: ConfigMap and Secret');
const e = withDockerNode(test, 'e2e-config');

const SECRET_VALUE = 'pa55-w0rd-xyzzy';
const SECRET_B64 = btoa(SECRET_VALUE);

const CONFIG = (properties: string) => `
apiVersion: v1
kind: ConfigMap
metadata: { name: app }
data:
  MODE: dev
  LEVEL: debug
  1badkey: skipped
  app.properties: "${properties}"
---
apiVersion: v1
kind: Secret
metadata: { name: db }
data:
  user: ${btoa('admin')}
stringData:
  password: ${SECRET_VALUE}
`;

const POD = `
apiVersion: v1
kind: Pod
metadata: { name: consumer }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "while true; do sleep 1; done"]
      env:
        - name: APP_MODE
          valueFrom: { configMapKeyRef: { name: app, key: MODE } }
        - name: DB_PASSWORD
          valueFrom: { secretKeyRef: { name: db, key: password } }
        - name: LEVEL
          value: overridden
        - name: MAYBE
          valueFrom: { configMapKeyRef: { name: nothing-here, key: x, optional: true } }
      envFrom:
        - configMapRef: { name: app }
        - prefix: S_
          secretRef: { name: db }
      volumeMounts:
        - { name: cfg, mountPath: /etc/cfg }
        - { name: creds, mountPath: /etc/creds }
  volumes:
    - name: cfg
      configMap:
        name: app
        defaultMode: 0640
        items:
          - { key: app.properties, path: conf/app.properties, mode: 0400 }
          - { key: MODE, path: mode }
    - name: creds
      secret: { secretName: db }
`;

const getPod = (name: string) => e.c.request('get', { kind: 'pod', name });
const sh = async (pod: string, cmd: string) => {
  const r = await e.c.request('exec', { pod, command: ['sh', '-c', cmd] });
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: r.exitCode as number, out: text(r.stdout), err: text(r.stderr) };
};
const events = async (kind: string, name: string) => (await e.c.request('describe', { kind, name }))[0].events as any[];
const waiting = (pod: any) => pod?.status?.containerStatuses?.[0]?.state?.waiting;
const running = async (name: string) => {
  const p = await getPod(name).catch(() => undefined);
  return p?.status?.containerStatuses?.[0]?.state?.running && p;
};

const cli = (args: string[], timeoutMs?: number) => e.cli(args, timeoutMs);

test('env from a ConfigMap and a Secret (valueFrom, envFrom), files from both, read-only', async () => {
  const res = await e.c.request('apply', { manifest: CONFIG('a=1\\nb=2\\n') + '---' + POD });
  assert.equal(res.results.map((r: any) => `${r.kind}/${r.name} ${r.outcome}`), ['ConfigMap/app created', 'Secret/db created', 'Pod/consumer created']);
  await until('consumer running', () => running('consumer'), 60_000);

  const env = await sh('consumer', 'echo "$APP_MODE|$DB_PASSWORD|$LEVEL|$MODE|$S_user|$S_password|${MAYBE-unset}"; env | grep -c badkey');
  assert.is(env.out, `dev|${SECRET_VALUE}|overridden|dev|admin|${SECRET_VALUE}|unset\n0\n`);
  const ev = await events('pod', 'consumer');
  assert.ok(
    ev.some((x) => x.reason === 'InvalidEnvironmentVariableNames' && x.message === 'Keys [1badkey] from the EnvFrom configMap default/app were skipped since they are considered invalid environment variable names.'),
    JSON.stringify(ev.map((x) => x.reason)),
  );

  const files = await sh('consumer', [
    'cat /etc/cfg/conf/app.properties',
    'cat /etc/cfg/mode; echo',
    'stat -L -c %a /etc/cfg/conf/app.properties /etc/cfg/mode /etc/creds/password /etc/creds/user',
    'ls /etc/cfg',
    'cat /etc/creds/password; echo',
  ].join('; '));
  assert.is(files.out, `a=1\nb=2\ndev\n400\n640\n644\n644\nconf\nmode\n${SECRET_VALUE}\n`);
  const write = await sh('consumer', 'touch /etc/cfg/new 2>&1; echo rc=$?');
  assert.match(write.out, /Read-only file system/);
  assert.match(write.out, /rc=1/);
});

test('a changed ConfigMap reaches the mounted files (not the environment)', async () => {
  const res = await e.c.request('apply', { manifest: CONFIG('a=9\\n') });
  assert.equal(res.results.map((r: any) => r.outcome), ['configured', 'unchanged']);
  await until('new file content', async () => (await sh('consumer', 'cat /etc/cfg/conf/app.properties')).out === 'a=9\n', 20_000);
  assert.is((await sh('consumer', 'stat -L -c %a /etc/cfg/conf/app.properties')).out, '400\n', 'mode kept');
  assert.is((await sh('consumer', 'echo $APP_MODE')).out, 'dev\n');
});

test('get cm / get secrets print kubectl tables; describe secret shows sizes, never values', async () => {
  const cms = await cli(['get', 'cm']);
  assert.is(cms.code, 0, cms.stderr);
  const [cmHeader, cmRow] = cms.stdout.trim().split('\n');
  assert.match(cmHeader, /^NAME\s+DATA\s+AGE$/);
  assert.match(cmRow, /^app\s+4\s+\d+s$/);
  const secrets = await cli(['get', 'secrets']);
  const [sHeader, sRow] = secrets.stdout.trim().split('\n');
  assert.match(sHeader, /^NAME\s+TYPE\s+DATA\s+AGE$/);
  assert.match(sRow, /^db\s+Opaque\s+2\s+\d+s$/);

  const d = await cli(['describe', 'secret', 'db']);
  assert.is(d.code, 0, d.stderr);
  assert.match(d.stdout, /^Name:\s+db$/m);
  assert.match(d.stdout, /^Type:\s+Opaque$/m);
  assert.match(d.stdout, new RegExp(`^password:\\s+${SECRET_VALUE.length} bytes$`, 'm'));
  assert.match(d.stdout, /^user:\s+5 bytes$/m);
  assert.not.ok(d.stdout.includes(SECRET_VALUE) || d.stdout.includes(SECRET_B64), d.stdout);
  const describePod = await cli(['describe', 'pod', 'consumer']);
  assert.not.ok(describePod.stdout.includes(SECRET_VALUE), describePod.stdout);
  assert.match(describePod.stdout, /DB_PASSWORD:\s+<set to the key 'password' in secret 'db'>/);

  // -o yaml shows data base64, as kubectl does
  const y = await cli(['get', 'secret', 'db', '-o', 'yaml']);
  assert.match(y.stdout, new RegExp(`password: ${SECRET_B64.replace(/[+/=]/g, '\\$&')}`));
  assert.not.ok(y.stdout.includes('stringData'));
  assert.not.ok(e.node.log.includes(SECRET_VALUE) || e.node.log.includes(SECRET_B64), 'the node log never shows a Secret');
});

test('a missing ConfigMap: CreateContainerConfigError, then running once it is applied', async () => {
  await e.c.request('apply', {
    manifest: `
apiVersion: v1
kind: Pod
metadata: { name: waiter }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "while true; do sleep 1; done"]
      env:
        - name: GREETING
          valueFrom: { configMapKeyRef: { name: later, key: greeting } }
`,
  });
  const w = await until('CreateContainerConfigError', async () => {
    const st = waiting(await getPod('waiter'));
    return st?.reason === 'CreateContainerConfigError' && st;
  }, 60_000);
  assert.is(w.message, 'configmap "later" not found');
  assert.ok((await events('pod', 'waiter')).some((x) => x.type === 'Warning' && x.reason === 'Failed' && x.message === 'Error: configmap "later" not found'));
  const table = await cli(['get', 'pod', 'waiter']);
  assert.match(table.stdout, /waiter\s+0\/1\s+CreateContainerConfigError/);

  await e.c.request('apply', { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {other: x}\n' });
  const missingKey = await until('missing key', async () => {
    const st = waiting(await getPod('waiter'));
    return st?.message?.startsWith("couldn't") && st;
  }, 20_000);
  assert.is(missingKey.message, "couldn't find key greeting in ConfigMap default/later");

  const applied = Date.now();
  await e.c.request('apply', { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {greeting: hello}\n' });
  await until('waiter running', () => running('waiter'), 20_000);
  assert.ok(Date.now() - applied < 10_000, 'started within seconds of the ConfigMap');
  assert.is((await sh('waiter', 'echo $GREETING')).out, 'hello\n');
});

test('a missing volume source: FailedMount and ContainerCreating, then running once it exists', async () => {
  await e.c.request('apply', {
    manifest: `
apiVersion: v1
kind: Pod
metadata: { name: mounter }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "while true; do sleep 1; done"]
      volumeMounts: [{ name: certs, mountPath: /certs }]
  volumes:
    - name: certs
      secret: { secretName: tls-later }
`,
  });
  await until('FailedMount event', async () =>
    (await events('pod', 'mounter')).some((x) =>
      x.reason === 'FailedMount' && x.message === 'MountVolume.SetUp failed for volume "certs" : secret "tls-later" not found'
    ), 30_000);
  const p = await getPod('mounter');
  assert.is(p.status.phase, 'Pending');
  assert.is(waiting(p)?.reason, 'ContainerCreating');
  assert.is((await e.c.request('actors', { kind: 'pod', name: 'mounter' })).items[0].state, 'ContainerCreating');
  await e.c.request('apply', { manifest: 'apiVersion: v1\nkind: Secret\nmetadata: {name: tls-later}\nstringData: {ca.crt: CERT}\n' });
  await until('mounter running', () => running('mounter'), 20_000);
  assert.is((await sh('mounter', 'cat /certs/ca.crt')).out, 'CERT');
});

test('an immutable ConfigMap refuses new data with Kubernetes\' message; labels may change', async () => {
  const frozen = (v: string, label = 'a') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen, labels: {l: ${label}}}\nimmutable: true\ndata: {k: ${v}}\n`;
  await e.c.request('apply', { manifest: frozen('one') });
  const err = await e.c.request('apply', { manifest: frozen('two') }).then(() => undefined, (x: any) => x);
  assert.ok(err, 'refused');
  assert.is(err.message, 'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set');
  const relabel = await e.c.request('apply', { manifest: frozen('one', 'b') });
  assert.is(relabel.results[0].outcome, 'configured');
});

test('delete: ConfigMaps, Secrets and the pods', async () => {
  for (const pod of ['consumer', 'waiter', 'mounter']) await e.c.request('delete', { kind: 'pod', name: pod, wait: true });
  const res = await e.c.request('delete', { kind: 'cm', names: ['app', 'later', 'frozen'] });
  assert.is(res.deleted.length, 3);
  await e.c.request('delete', { kind: 'secret', names: ['db', 'tls-later'] });
  assert.equal((await e.c.request('get', { kind: 'secrets' })).items, []);
});

test.run();
