// ResourceQuota and LimitRange manifests: what Starling accepts (with Kubernetes' defaults), what
// it warns about by name and what it refuses, with Kubernetes' paths and wording
// (shared/k8s-examples/VALIDATION.md §9, BAD.md E10 and E11).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ValidationError } from '../../src/errors.ts';
import { decodeManifests } from '../../src/manifest/index.ts';

const test = suite('manifest: ResourceQuota and LimitRange validation');

// four of the public manifests in ../shared/k8s-examples, kept here so the test needs no checkout beside it
const EXAMPLES: Record<string, string> = {
  'website__content_en_examples_admin_resource_quota-mem-cpu.yaml': `---
{
  apiVersion: "v1",
  kind: "ResourceQuota",
  metadata: {
    name: "mem-cpu-demo",
  },
  spec: {
    hard: {
      requests.cpu: "1",
      requests.memory: "1Gi",
      limits.cpu: "2",
      limits.memory: "2Gi",
    },
  },
}
`,
  'kubernetes__test_fixtures_doc-yaml_admin_resourcequota_quota.yaml': `apiVersion: v1
kind: ResourceQuota
metadata:
  name: quota
spec:
  hard:
    cpu: "20"
    memory: 1Gi
    persistentvolumeclaims: "10"
    pods: "10"
    replicationcontrollers: "20"
    resourcequotas: "1"
    secrets: "10"
    services: "5"
`,
  'kubernetes__test_fixtures_doc-yaml_admin_resourcequota_limits.yaml': `apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - default:
      cpu: 200m
      memory: 512Mi
    defaultRequest:
      cpu: 100m
      memory: 256Mi
    type: Container
`,
  'website__content_zh-cn_examples_admin_resource_cpu-constraints.yaml': `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-min-max-demo-lr
spec:
  limits:
  - max:
      cpu: "800m"
    min:
      cpu: "200m"
    type: Container
`,
};
const example = (name: string) => EXAMPLES[name];

const quota = (hard: string, extra = '') => `apiVersion: v1
kind: ResourceQuota
metadata:
  name: q1
spec:
  hard: ${hard}
${extra}`;
const limits = (items: string) => `apiVersion: v1
kind: LimitRange
metadata:
  name: lr
spec:
  limits: ${items}
`;

function refused(text: string): string[] {
  try {
    decodeManifests(text);
  } catch (e) {
    assert.instance(e, ValidationError, (e as Error).message);
    return (e as ValidationError).fieldErrors.map((f) => `${f.field}: ${f.message}`);
  }
  assert.unreachable(`accepted:\n${text}`);
  return [];
}

test('the quota examples of the Kubernetes docs are accepted; numbers become quantities', () => {
  const { objects, warnings } = decodeManifests(example('website__content_en_examples_admin_resource_quota-mem-cpu.yaml'));
  assert.equal(warnings, []);
  assert.equal(objects[0].spec.hard, { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '2', 'limits.memory': '2Gi' });
  assert.equal(decodeManifests(quota('{pods: 3, cpu: 0.5, count/deployments.apps: 2}')).objects[0].spec.hard, {
    pods: '3',
    cpu: '500m',
    'count/deployments.apps': '2',
  });
});

test('resources Kubernetes knows but Starling cannot count are warned about by name', () => {
  const { objects, warnings } = decodeManifests(example('kubernetes__test_fixtures_doc-yaml_admin_resourcequota_quota.yaml'));
  assert.is(objects.length, 1);
  assert.equal(warnings, [
    'ResourceQuota "quota": spec.hard[persistentvolumeclaims]: Starling does not count this resource (nothing of it can be created here); ignored',
    'ResourceQuota "quota": spec.hard[replicationcontrollers]: Starling does not count this resource (nothing of it can be created here); ignored',
  ]);
  assert.equal(decodeManifests(quota('{count/jobs.batch: 1}')).warnings.length, 1);
});

test('unknown resource names, negative and fractional counts are refused in Kubernetes wording', () => {
  assert.equal(refused(quota('{cpus: "4"}')), [
    'spec.hard[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified',
    'spec.hard[cpus]: Invalid value: "cpus": must be a standard resource for quota',
  ]);
  assert.equal(refused(quota('{pods: "1.5"}')), ['spec.hard[pods]: Invalid value: "1500m": must be an integer']);
  assert.equal(refused(quota('{cpu: "-1"}')), ['spec.hard[cpu]: Invalid value: "-1": must be greater than or equal to 0']);
  assert.equal(refused(quota('{count/deployments.apps: "0.5"}')), ['spec.hard[count/deployments.apps]: Invalid value: "500m": must be an integer']);
  assert.equal(refused(quota('{memory: 1Gb}')), [
    "spec.hard[memory]: Invalid value: \"1Gb\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  ]);
  assert.equal(refused(quota('{pods: 1}', '  hardd: {}')), ['spec.hardd: unknown field "spec.hardd"']);
});

test('quota scopes are refused, not ignored', () => {
  assert.equal(refused(quota('{pods: 1}', '  scopes: [BestEffort]')), [
    'spec.scopes: Forbidden: quota scopes are not supported by Starling: a quota counts every pod of its namespace',
  ]);
});

test('LimitRange: the docs examples are accepted and defaulted as Kubernetes defaults them', () => {
  const lr = decodeManifests(example('kubernetes__test_fixtures_doc-yaml_admin_resourcequota_limits.yaml')).objects[0];
  assert.equal(lr.spec.limits, [{ type: 'Container', default: { cpu: '200m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '256Mi' } }]);
  // min and max only: the default limit is the max, and the default request the default limit
  const mm = decodeManifests(example('website__content_zh-cn_examples_admin_resource_cpu-constraints.yaml')).objects[0];
  assert.equal(mm.spec.limits, [{ type: 'Container', max: { cpu: '800m' }, min: { cpu: '200m' }, default: { cpu: '800m' }, defaultRequest: { cpu: '800m' } }]);
  // a Pod limit gets no defaults
  const pod = decodeManifests(limits('[{type: Pod, max: {memory: 1Gi}}]')).objects[0];
  assert.equal(pod.spec.limits, [{ type: 'Pod', max: { memory: '1Gi' } }]);
});

test('LimitRange: min ≤ defaultRequest ≤ default ≤ max, ratios, types, in Kubernetes wording', () => {
  assert.equal(refused(limits('[{type: Container, min: {cpu: "1"}, max: {cpu: 800m}}]')), [
    'spec.limits[0].min[cpu]: Invalid value: "1": min value 1 is greater than max value 800m',
    // the default request defaults to the default limit (the max): below the min too
    'spec.limits[0].defaultRequest[cpu]: Invalid value: "800m": min value 1 is greater than default request value 800m',
    'spec.limits[0].default[cpu]: Invalid value: "1": min value 1 is greater than default value 800m',
  ]);
  assert.equal(refused(limits('[{type: Container, max: {memory: 1Gi}, defaultRequest: {memory: 2Gi}}]')), [
    'spec.limits[0].defaultRequest[memory]: Invalid value: "2Gi": default request value 2Gi is greater than max value 1Gi',
    'spec.limits[0].defaultRequest[memory]: Invalid value: "2Gi": default request value 2Gi is greater than default limit value 1Gi',
  ]);
  assert.equal(refused(limits('[{type: Container, maxLimitRequestRatio: {cpu: 500m}}]')), [
    'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "500m": ratio 500m is less than 1',
  ]);
  assert.equal(refused(limits('[{type: Container, min: {cpu: 100m}, max: {cpu: 200m}, maxLimitRequestRatio: {cpu: "4"}}]')), [
    'spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: "4": ratio 4 is greater than max/min = 2.000000',
  ]);
  assert.equal(refused(limits('[{type: Pod, default: {cpu: 1}}]')), ["spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'"]);
  assert.equal(refused(limits('[{type: Container, max: {cpu: 1}}, {type: Container, min: {cpu: 1m}}]')), ['spec.limits[1].type: Duplicate value: "Container"']);
  assert.equal(refused(limits('[{type: Node, max: {cpu: 1}}]')), ['spec.limits[0].type: Invalid value: "Node": must be a standard limit type or fully qualified']);
  assert.equal(refused(limits('[{type: Container, max: {cpus: 1}}]')), [
    'spec.limits[0].max[cpus]: Invalid value: "cpus": must be a standard resource type or fully qualified',
    'spec.limits[0].max[cpus]: Invalid value: "cpus": must be a standard resource for containers',
  ]);
  assert.equal(refused(limits('[{type: Container, min: {memory: "-1"}}]')), ['spec.limits[0].min[memory]: Invalid value: "-1": must be greater than or equal to 0']);
});

test('LimitRange: what Starling does not limit is warned about by name', () => {
  const { warnings } = decodeManifests(limits('[{type: Container, max: {ephemeral-storage: 1Gi}}, {type: PersistentVolumeClaim, max: {storage: 2Gi}}]'));
  assert.equal(warnings, [
    'LimitRange "lr": spec.limits[0].max[ephemeral-storage]: not limited by Starling; ignored',
    'LimitRange "lr": spec.limits[1]: Starling has no PersistentVolumeClaims; this limit is ignored',
  ]);
});

test.run();
