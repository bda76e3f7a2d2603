import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StarlingError } from '../../src/errors.ts';
import {
  kindFor,
  KINDS,
  requireAppliable,
  requireServed,
  resolveKindName,
} from '../../src/manifest/kinds.ts';

const test = suite('manifest: kind registry');

const kindOf = (name: string) => resolveKindName(name).kind;

function throwsUnknownKind(fn: () => unknown, ...texts: string[]): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, StarlingError);
    assert.is((e as StarlingError).code, 'UnknownKind');
    const msg = (e as Error).message;
    for (const t of texts) assert.ok(msg.includes(t), `${JSON.stringify(t)} not in: ${msg}`);
    return msg;
  }
  assert.unreachable('expected UnknownKind');
  return '';
}

test('what kubectl users type', () => {
  const cases: Record<string, string> = {
    pod: 'Pod',
    pods: 'Pod',
    po: 'Pod',
    Pod: 'Pod',
    PODS: 'Pod',
    deploy: 'Deployment',
    deployment: 'Deployment',
    deployments: 'Deployment',
    'deployment.apps': 'Deployment',
    'deployments.apps': 'Deployment',
    'deployments.v1.apps': 'Deployment',
    rs: 'ReplicaSet',
    replicasets: 'ReplicaSet',
    'replicaset.apps': 'ReplicaSet',
    ns: 'Namespace',
    namespace: 'Namespace',
    namespaces: 'Namespace',
    no: 'Node',
    node: 'Node',
    nodes: 'Node',
    ev: 'Event',
    event: 'Event',
    events: 'Event',
    svc: 'Service',
    services: 'Service',
    ep: 'Endpoints',
    endpoints: 'Endpoints',
    cm: 'ConfigMap',
    configmaps: 'ConfigMap',
    secret: 'Secret',
    secrets: 'Secret',
    quota: 'ResourceQuota',
    resourcequotas: 'ResourceQuota',
    limits: 'LimitRange',
    limitranges: 'LimitRange',
    hpa: 'HorizontalPodAutoscaler',
    'horizontalpodautoscalers.autoscaling': 'HorizontalPodAutoscaler',
  };
  for (const [typed, kind] of Object.entries(cases)) assert.is(kindOf(typed), kind, typed);
});

test("unknown resource types get kubectl's wording", () => {
  throwsUnknownKind(() => resolveKindName('xyz'), 'the server doesn\'t have a resource type "xyz"');
  throwsUnknownKind(() => resolveKindName('deployments.batch'), '"deployments.batch"');
  throwsUnknownKind(() => resolveKindName('statefulsets'), '"statefulsets"');
});

test('served, read-only and not-yet-served kinds', () => {
  const served = KINDS.filter((k) => k.served).map((k) => `${k.apiVersion}/${k.kind}`);
  assert.equal(served, [
    'v1/Pod',
    'v1/Namespace',
    'apps/v1/ReplicaSet',
    'apps/v1/Deployment',
    'v1/Event',
    'v1/Node',
    'v1/Service',
    'v1/Endpoints',
    'v1/ConfigMap',
    'v1/Secret',
    'v1/ResourceQuota',
    'v1/LimitRange',
    'autoscaling/v2/HorizontalPodAutoscaler',
  ]);
  const appliable = KINDS.filter((k) => k.appliable).map((k) => k.kind);
  assert.equal(appliable, ['Pod', 'Namespace', 'ReplicaSet', 'Deployment', 'Service', 'ConfigMap', 'Secret', 'ResourceQuota', 'LimitRange', 'HorizontalPodAutoscaler']);
  throwsUnknownKind(() => requireAppliable(resolveKindName('ep')), '"Endpoints"', 'read-only');
  assert.is(resolveKindName('ns').namespaced, false);
  assert.is(resolveKindName('no').namespaced, false);
  assert.is(resolveKindName('po').namespaced, true);
  assert.is(resolveKindName('deploy').group, 'apps');
  assert.is(resolveKindName('po').group, '');
  assert.is(requireServed(resolveKindName('ev')).kind, 'Event');
  throwsUnknownKind(() => requireAppliable(resolveKindName('node')), '"Node"', 'read-only');
  assert.is(requireAppliable(resolveKindName('cm')).kind, 'ConfigMap');
  assert.is(requireAppliable(resolveKindName('secrets')).kind, 'Secret');
  assert.is(requireAppliable(resolveKindName('quota')).kind, 'ResourceQuota');
  assert.is(requireAppliable(resolveKindName('limits')).kind, 'LimitRange');
});

test('kindFor: manifests', () => {
  assert.is(kindFor('apps/v1', 'Deployment').plural, 'deployments');
  assert.is(kindFor('v1', 'Pod').singular, 'pod');
  assert.is(kindFor('autoscaling/v2', 'HorizontalPodAutoscaler').served, true);
  assert.is(kindFor('v1', 'Service').served, true);
  assert.is(kindFor('v1', 'Endpoints').appliable, false);
  throwsUnknownKind(
    () => kindFor('apps/v1', 'StatefulSet'),
    'no matches for kind "StatefulSet" in version "apps/v1"',
    'Starling serves: Pod (v1), Namespace (v1), ReplicaSet (apps/v1), Deployment (apps/v1)',
  );
  throwsUnknownKind(
    () => kindFor('example.com/v1', 'Widget'),
    'no matches for kind "Widget" in version "example.com/v1"',
  );
  throwsUnknownKind(() => kindFor('apps/v1', 'deployment'), 'did you mean "Deployment"');
});

test('kindFor: a known kind with the wrong apiVersion names both', () => {
  throwsUnknownKind(() => kindFor('v1', 'Deployment'), 'unsupported apiVersion "v1"', '"apps/v1"');
  throwsUnknownKind(
    () => kindFor('extensions/v1beta1', 'Deployment'),
    '"extensions/v1beta1"',
    '"apps/v1"',
  );
  throwsUnknownKind(
    () => kindFor('autoscaling/v1', 'HorizontalPodAutoscaler'),
    'unsupported apiVersion "autoscaling/v1"',
    '"autoscaling/v2"',
  );
});

test.run();
