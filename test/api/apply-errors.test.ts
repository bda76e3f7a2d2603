// apply, get, delete and watch through the API (real server on 127.0.0.1, sim node, LevelDB):
// all-or-nothing applies, the wording of refusals, created/unchanged/configured outcomes,
// immutable pod specs, the default namespace, watch events and label selectors.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { documentsJson, parseDocuments } from '../../src/manifest/index.ts';
import type { KObject } from '../../src/objects/types.ts';
import { type ApiFixture, startApiFixture, type TestClient, waitFor } from '../support/sim-node.ts';

const test = suite('api: apply and its errors');

let fx: ApiFixture;
let c: TestClient;

const deployment = (name: string, replicas: number, ns?: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}${ns ? `\n  namespace: ${ns}` : ''}
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
`;
// a command the sim runtime runs until stopped (a `sleep N` would hold a timer and keep the
// test process alive after the node stops)
const pod = (name: string, labels: Record<string, string>, command = 'httpd -f -p 8080') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: ${JSON.stringify(labels)}
spec:
  containers:
    - name: main
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "${command}"]
`;

/** The promise's value, or the string 'timeout' after ms (the timer is cleared either way). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const names = async (kind: string, args: Record<string, unknown> = {}) =>
  ((await c.request('get', { kind, ...args })).items as KObject[]).map((o) => o.metadata.name);
const outcomes = (res: any) => res.results.map((r: any) => `${r.kind}/${r.name} ${r.outcome}`);

test.before(async () => {
  fx = await startApiFixture({ name: 'apply-node' });
  c = await fx.client();
});
test.after(async () => {
  await fx?.stop();
});

test('a multi-document apply with one invalid document applies none of them', async () => {
  const manifest = [
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: batch\n',
    deployment('first', 1),
    pod('Bad_Pod', { app: 'x' }),
    deployment('third', 1),
  ].join('\n---\n');
  const e = await c.refused('apply', { manifest });
  assert.is(e.code, 'Invalid');
  assert.match(e.message, /document 3/);
  assert.match(e.message, /Bad_Pod/);
  assert.equal(await names('deployments'), []);
  assert.not.ok((await names('namespaces')).includes('batch'));
  assert.equal(await names('pods'), []);
  assert.is(fx.node.store.list('Deployment').length, 0);
});

test('malformed YAML: the error gives the line and column', async () => {
  const e = await c.refused('apply', { manifest: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {a: b\nspec: {}\n' });
  assert.is(e.code, 'ParseError');
  assert.match(e.message, /line \d+, column \d+/);
  assert.type(e.info.line, 'number');
  assert.type(e.info.column, 'number');
  const e2 = await c.refused('apply', { manifest: 'kind: Pod\n\tname: tabbed\n' });
  assert.is(e2.code, 'ParseError');
  assert.match(e2.message, /line 2/);
});

test('an unknown kind is named', async () => {
  const e = await c.refused('apply', { manifest: 'apiVersion: v1\nkind: Gizmo\nmetadata:\n  name: g\n' });
  assert.is(e.code, 'UnknownKind');
  assert.match(e.message, /kind "Gizmo"/);
  const e2 = await c.refused('get', { kind: 'gizmos' });
  assert.match(e2.message, /gizmos/);
});

test('an invalid name gets the RFC 1123 wording', async () => {
  const e = await c.refused('apply', { manifest: deployment('Web_App', 1) });
  assert.is(e.code, 'Invalid');
  assert.match(e.message, /metadata\.name: Invalid value: "Web_App"/);
  assert.match(e.message, /RFC 1123/);
  assert.match(e.message, /lower case alphanumeric characters, '-' or '\.'/);
  assert.equal((e.info.fieldErrors as any[]).map((f) => f.field), ['metadata.name']);
});

test('apply twice: created, then unchanged; a new replica count: configured, generation + 1', async () => {
  const r1 = await c.request('apply', { manifest: deployment('web', 2) });
  assert.equal(outcomes(r1), ['Deployment/web created']);
  const first = await c.request('get', { kind: 'deploy', name: 'web' });
  assert.is(first.metadata.generation, 1);
  assert.type(first.metadata.uid, 'string');
  const r2 = await c.request('apply', { manifest: deployment('web', 2) });
  assert.equal(outcomes(r2), ['Deployment/web unchanged']);
  assert.is((await c.request('get', { kind: 'deploy', name: 'web' })).metadata.generation, 1);
  const r3 = await c.request('apply', { manifest: deployment('web', 3) });
  assert.equal(outcomes(r3), ['Deployment/web configured']);
  const after = await c.request('get', { kind: 'deployments.apps', name: 'web' });
  assert.is(after.metadata.generation, 2);
  assert.is(after.metadata.uid, first.metadata.uid);
  assert.is(after.spec.replicas, 3);
  // labels only: configured, generation unchanged (as Kubernetes: metadata is not spec)
  const relabelled = deployment('web', 3).replace('name: web\n', 'name: web\n  labels: { team: a }\n');
  const r4 = await c.request('apply', { manifest: relabelled });
  assert.equal(outcomes(r4), ['Deployment/web configured']);
  const labelled = await c.request('get', { kind: 'deploy', name: 'web' });
  assert.is(labelled.metadata.generation, 2);
  assert.equal(labelled.metadata.labels, { team: 'a' });
  await waitFor('3 pods of web', async () => (await names('pods', { selector: 'app=web' })).length === 3);
});

test('apply into a namespace that does not exist: namespaces "x" not found', async () => {
  const e = await c.refused('apply', { manifest: deployment('lost', 1, 'x') });
  assert.is(e.code, 'NotFound');
  assert.match(e.message, /namespaces "x" not found/);
  assert.equal(await names('deployments', { namespace: 'x' }), []);
  assert.not.ok(fx.node.store.get('Deployment/x/lost'));
});

test('the default namespace cannot be deleted', async () => {
  const e = await c.refused('delete', { kind: 'namespace', names: ['default'] });
  assert.match(e.message, /namespaces "default" is forbidden/);
  const e2 = await c.refused('delete', { manifest: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n' });
  assert.match(e2.message, /forbidden/);
  const ns = await c.request('get', { kind: 'ns', name: 'default' });
  assert.not.ok(ns.metadata.deletionTimestamp);
});

test('a Pod spec change is refused (Forbidden)', async () => {
  const r1 = await c.request('apply', { manifest: pod('solo', { app: 'solo' }) });
  assert.equal(outcomes(r1), ['Pod/solo created']);
  const before = await c.request('get', { kind: 'po', name: 'solo' });
  const e = await c.refused('apply', { manifest: pod('solo', { app: 'solo' }, 'httpd -f -p 9090') });
  assert.is(e.code, 'Invalid');
  assert.match(e.message, /Forbidden/);
  assert.match(e.message, /Pod "solo"/);
  const same = await c.request('get', { kind: 'po', name: 'solo' });
  assert.equal(same.spec.containers[0].command, before.spec.containers[0].command);
});

// BUG (src/host/objects.ts, ObjectService.apply, the `sameSpec` comparison): the stored spec of a
// Pod has `nodeName` (set when the node binds it, src/host/node.ts schedule()), the manifest
// does not, so re-applying the very manifest that created the Pod, or changing only its labels,
// is refused as a spec change (Forbidden). Kubernetes reports `unchanged` / `configured`.
test('a scheduled Pod re-applied as is: unchanged; with new labels: configured', async () => {
  await waitFor('solo bound to the node', async () => (await c.request('get', { kind: 'po', name: 'solo' })).spec.nodeName);
  const r1 = await c.request('apply', { manifest: pod('solo', { app: 'solo' }) });
  assert.equal(outcomes(r1), ['Pod/solo unchanged']);
  const r2 = await c.request('apply', { manifest: pod('solo', { app: 'solo', tier: 'x' }) });
  assert.equal(outcomes(r2), ['Pod/solo configured']);
  const after = await c.request('get', { kind: 'po', name: 'solo' });
  assert.equal(after.metadata.labels, { app: 'solo', tier: 'x' });
  assert.is(after.spec.nodeName, 'apply-node', 'the binding is kept');
});

// BUG (src/host/objects.ts, ObjectService.apply): specs are compared with JSON.stringify, which
// depends on key order; the same manifest with its fields in another order (or an explicit
// default) counts as a change: `configured` and generation + 1 (for a Pod: Forbidden).
test('the same Deployment with its keys in another order is unchanged', async () => {
  const reordered = deployment('web', 3)
    .replace('          image: busybox:latest\n', '')
    .replace('        - name: main\n', '        - image: busybox:latest\n          name: main\n')
    .replace('name: web\n', 'name: web\n  labels: { team: a }\n');
  assert.ok(reordered.includes('- image: busybox:latest\n          name: main'), reordered);
  const before = await c.request('get', { kind: 'deploy', name: 'web' });
  const res = await c.request('apply', { manifest: reordered });
  assert.equal(outcomes(res), ['Deployment/web unchanged']);
  assert.is((await c.request('get', { kind: 'deploy', name: 'web' })).metadata.generation, before.metadata.generation);
});

test('watch streams ADDED, then MODIFIED, for an applied object', async () => {
  const seen: { type: string; generation: number; replicas: number }[] = [];
  const s = await c.stream('watch', { kind: 'deployment', name: 'watched' }, (ev: { type: string; object: KObject }) => {
    seen.push({ type: ev.type, generation: ev.object.metadata.generation!, replicas: ev.object.spec.replicas });
  });
  try {
    await c.request('apply', { manifest: deployment('watched', 1) });
    await waitFor('an ADDED event', () => seen.length >= 1);
    await c.request('apply', { manifest: deployment('watched', 2) });
    await waitFor('a MODIFIED event for generation 2', () => seen.some((e) => e.type === 'MODIFIED' && e.generation === 2));
    assert.is(seen[0].type, 'ADDED');
    assert.is(seen[0].replicas, 1);
    assert.ok(seen.slice(1).every((e) => e.type === 'MODIFIED'), JSON.stringify(seen));
    // nothing about other objects
    await c.request('apply', { manifest: pod('unrelated', { app: 'other' }) });
  } finally {
    s.cancel();
  }
  await s.done;
  const count = seen.length;
  await c.request('apply', { manifest: deployment('watched', 3) });
  await c.request('version'); // a round trip after the change: a late item would have arrived
  assert.is(seen.length, count, 'no items after cancel');
});

test('watch sends the current object first (ADDED) unless noInitial', async () => {
  const seen: string[] = [];
  const s = await c.stream('watch', { kind: 'deployment', name: 'web' }, (ev: { type: string }) => seen.push(ev.type));
  await waitFor('the initial ADDED', () => seen.length >= 1);
  s.cancel();
  assert.is(seen[0], 'ADDED');
});

test('get with a label selector filters', async () => {
  await c.request('apply', { manifest: [pod('web-a', { app: 'sel-web', tier: 'front' }), pod('web-b', { app: 'sel-web' }), pod('db-a', { app: 'sel-db' })].join('\n---\n') });
  assert.equal(await names('pods', { selector: 'app=sel-web' }), ['web-a', 'web-b']);
  assert.equal(await names('pods', { selector: 'app=sel-web,tier=front' }), ['web-a']);
  assert.equal(await names('pods', { selector: 'app in (sel-web,sel-db),!tier' }), ['db-a', 'web-b']);
  assert.equal(await names('pods', { selector: 'app=nothing' }), []);
  const all = await names('pods');
  assert.ok(all.includes('web-a') && all.includes('db-a') && all.includes('solo'));
  assert.equal(await names('pods', { selector: 'app==' }), [], 'an empty value is a valid selector');
  const e = await c.refused('get', { kind: 'pods', selector: 'app in (sel-web' });
  assert.is(e.code, 'Invalid');
  assert.match(e.message, /unable to parse selector "app in \(sel-web"/);
});

// BUG (src/store/store.ts, Store.commit): an apply that creates exactly one object whose actor
// then has nothing more to do (a lone Namespace) never gets its reply: the store notifies its
// watchers before registering the commit's waiter, the watcher starts the object's actor which
// commits its first snapshot, that commit's write takes the apply's ops with it, and the apply's
// waiter, registered after, is left for a later write that never comes. See store.test.ts.
test('apply with json (the documents parsed by the client, as the CLI sends them): the same outcomes and refusals as the text', async () => {
  const asJson = (manifest: string) => documentsJson(parseDocuments(manifest));
  assert.equal(outcomes(await c.request('apply', { json: asJson(deployment('parsed', 1)) })), ['Deployment/parsed created']);
  assert.equal(outcomes(await c.request('apply', { manifest: deployment('parsed', 1) })), ['Deployment/parsed unchanged']);
  assert.equal(outcomes(await c.request('apply', { json: asJson(deployment('parsed', 2)) })), ['Deployment/parsed configured']);
  // an invalid object: the text's wording, and nothing applied
  const bad = deployment('parsed', -1);
  const viaText = await c.request('apply', { manifest: bad }).catch((e) => e);
  const viaJson = await c.request('apply', { json: asJson(bad) }).catch((e) => e);
  assert.is(viaJson.code, 'Invalid');
  assert.is(viaJson.message, viaText.message);
  assert.match(viaJson.message, 'spec.replicas: Invalid value: -1');
  assert.is((await c.request('get', { kind: 'deploy', name: 'parsed' })).spec.replicas, 2);
  // a __proto__ key reaches validation (msgpack maps would have renamed it)
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: protocm\ndata: {__proto__: x}\n';
  const refused = await c.request('apply', { json: asJson(cm) }).catch((e) => e);
  assert.match(refused.message, `data[__proto__]: Invalid value: "__proto__": must not be '__proto__'`);
  // what is not a JSON array of documents is refused, naming the argument and the rule
  const refusal = async (json: unknown) => (await c.request('apply', { json }).catch((e) => e)) as { code: string; message: string };
  const notJson = await refusal('{"kind": "Pod"');
  assert.is(notJson.code, 'BadRequest');
  assert.match(notJson.message, /^args\.json: not valid JSON: /);
  assert.is((await refusal('{"kind": "Pod"}')).message, 'args.json: must be the documents as one JSON array');
  assert.is((await refusal(42)).message, 'args.json: must be the documents as one JSON array');
  const deep = `[${'{"a":'.repeat(250)}1${'}'.repeat(250)}]`;
  assert.is((await refusal(deep)).message, `documents[0]${'.a'.repeat(200)}: exceeded max depth of 200`);
  assert.is((await refusal(JSON.stringify(Array.from({ length: 1001 }, () => ({}))))).code, 'TooLarge');
  assert.is((await c.request('apply', { json: '[]' }).catch((e) => e)).message, 'no objects passed to apply');
});

test('apply of a lone Namespace answers (and creates it)', async () => {
  const res = await within(c.request('apply', { manifest: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lonely\n' }), 3000);
  assert.ok(res !== 'timeout', 'apply of a single Namespace got no answer in 3 s');
  assert.equal(outcomes(res), ['Namespace/lonely created']);
  const ns = await c.request('get', { kind: 'namespace', name: 'lonely' });
  assert.is(ns.kind, 'Namespace');
});

test.run();
