// Real public manifests (../shared/k8s-examples, see its SOURCES.md): every document is decoded
// on its own, so that one refused document does not hide the others. Served kinds are accepted
// (with warnings at most) unless they use something Starling refuses; everything else is refused
// naming the kind. When the folder is absent the test says so and passes over it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ParseError, StarlingError } from '../../src/errors.ts';
import { decodeManifests, decodeObject, parseDocuments } from '../../src/manifest/index.ts';

const test = suite('manifest: conformance with real manifests');

const dir = fileURLToPath(new URL('../../../shared/k8s-examples/', import.meta.url));
const present = existsSync(dir);
const files = present ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort() : [];
const read = (f: string) => readFileSync(dir + f, 'utf8');

const APPLIABLE = new Set(['v1/Pod', 'v1/Namespace', 'apps/v1/ReplicaSet', 'apps/v1/Deployment', 'autoscaling/v2/HorizontalPodAutoscaler', 'v1/Service', 'v1/ConfigMap', 'v1/Secret', 'v1/ResourceQuota', 'v1/LimitRange']);
const INVALID_FIXTURE =
  'kubernetes__hack_testdata_invalid-deployment-unknown-and-duplicate-fields.yaml';

/** Served-kind documents Starling refuses on purpose, and the word the refusal must contain. */
const REFUSED: Record<string, string> = {
  'examples__databases_mysql-cinder-pd_mysql.yaml Pod/mysql': 'spec.volumes[0].cinder',
  'website__content_en_examples_application_wordpress_mysql-deployment.yaml Deployment/wordpress-mysql':
    'persistentVolumeClaim',
  // a custom Pods metric: Starling scales on CPU utilisation only
  'examples__AI_vllm-deployment_hpa_horizontal-pod-autoscaler.yaml HorizontalPodAutoscaler/gemma-server-hpa': 'spec.metrics[0].type',
};

function refusal(fn: () => unknown): StarlingError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, StarlingError);
    return e as StarlingError;
  }
  assert.unreachable('expected a refusal');
  throw new Error('unreachable');
}

if (!present) {
  test('shared/k8s-examples is absent', () => {
    console.log(`  note: ${dir} not found; skipping the real-manifest conformance checks`);
  });
}

for (const file of files) {
  if (file === INVALID_FIXTURE) continue;
  test(file, () => {
    const docs = parseDocuments(read(file));
    assert.ok(docs.length > 0, 'no documents');
    docs.forEach((doc, i) => {
      const o = doc as { apiVersion: string; kind: string; metadata?: { name?: string } };
      const where = `${file} document ${i + 1} (${o.apiVersion}/${o.kind})`;
      const refusedFor = REFUSED[`${file} ${o.kind}/${o.metadata?.name}`];
      if (APPLIABLE.has(`${o.apiVersion}/${o.kind}`) && !refusedFor) {
        const { object, warnings } = decodeObject(doc);
        assert.is(object.kind, o.kind, where);
        for (const w of warnings) assert.ok(w.includes('ignored'), `${where}: ${w}`);
        return;
      }
      const err = refusal(() => decodeObject(doc));
      if (refusedFor) {
        assert.is(err.code, 'Invalid', where);
        assert.ok(err.message.includes(refusedFor), `${where}: ${err.message}`);
        assert.ok(err.message.includes('Unsupported value'), `${where}: ${err.message}`);
      } else {
        assert.is(err.code, 'UnknownKind', where);
        assert.ok(err.message.includes(`"${o.kind}"`), `${where}: ${err.message}`);
      }
    });
  });
}

if (present) {
  test('known-but-unserved and unsupported kinds say which', () => {
    const byFile = (f: string) => parseDocuments(read(f));
    const hpaV1 = byFile('website__content_en_examples_controllers_hpa-rs.yaml')[0];
    assert.ok(
      refusal(() => decodeObject(hpaV1)).message.includes(
        'unsupported apiVersion "autoscaling/v1"',
      ),
    );
    const hpaV2 = byFile('website__content_en_examples_application_hpa_php-apache.yaml')[0];
    assert.is(decodeObject(hpaV2).object.spec.maxReplicas, 10, 'autoscaling/v2 with a CPU utilisation target is served');
    const [sts, sc] = byFile('examples__databases_cassandra_cassandra-statefulset.yaml');
    assert.ok(
      refusal(() => decodeObject(sts)).message.includes(
        'no matches for kind "StatefulSet" in version "apps/v1"',
      ),
    );
    assert.ok(refusal(() => decodeObject(sc)).message.includes('"StorageClass"'));
  });

  test('KYAML, quantities as numbers and odd indentation decode as expected', () => {
    const ns =
      decodeManifests(read('website__content_en_examples_admin_namespace-dev.yaml')).objects[0];
    assert.equal(ns, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'development', labels: { name: 'development' } },
    });
    const cm = parseDocuments(
      read('website__content_en_examples_pods_config_example-redis-config.yaml'),
    )[0] as { data: Record<string, string> };
    assert.is(cm.data['redis-config'], 'maxmemory 2mb\nmaxmemory-policy allkeys-lru\n');
    const rm =
      decodeManifests(read('examples__web_guestbook-go_redis-master-controller.yaml')).objects[0];
    assert.equal(rm.spec.template.spec.containers[0].ports, [{
      name: 'redis-server',
      containerPort: 6379,
      protocol: 'TCP',
    }]);
    const mysql = parseDocuments(read('examples__databases_mysql-cinder-pd_mysql.yaml'))[0] as {
      spec: { containers: Array<{ resources: { limits: Record<string, unknown> } }> };
    };
    assert.is(mysql.spec.containers[0].resources.limits.cpu, 0.5);
  });

  test('a whole file with one unsupported document applies nothing', () => {
    const err = refusal(() =>
      decodeManifests(read('microservices-demo__release_kubernetes-manifests.yaml'))
    );
    assert.ok(err.message.includes('document 4'), err.message);
    assert.ok(err.message.includes('"ServiceAccount"'), err.message);
  });

  test('Services of the real manifests: defaults, headless, NodePort, LoadBalancer', () => {
    const services = (f: string) => parseDocuments(read(f)).filter((d) => (d as { kind?: string }).kind === 'Service').map((d) => decodeObject(d).object);
    const [php] = services('website__content_en_examples_application_php-apache.yaml');
    assert.equal(php.spec, {
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      selector: { 'app.kubernetes.io/name': 'php-apache' },
      type: 'ClusterIP',
      sessionAffinity: 'None',
    });
    const guestbook = services('examples__web_guestbook_all-in-one_guestbook-all-in-one.yaml');
    assert.equal(guestbook.map((s) => `${s.metadata.name} ${s.spec.type}`), ['redis-master ClusterIP', 'redis-replica ClusterIP', 'frontend NodePort']);
    const [mysql] = services('website__content_en_examples_application_wordpress_mysql-deployment.yaml');
    assert.is(mysql.spec.clusterIP, 'None', 'headless');
    const boutique = services('microservices-demo__release_kubernetes-manifests.yaml');
    assert.is(boutique.length, 12);
    assert.is(boutique.find((s) => s.metadata.name === 'frontend-external')?.spec.type, 'LoadBalancer');
  });

  test('the deliberately invalid upstream fixture is refused', () => {
    const text = read(INVALID_FIXTURE);
    const err = refusal(() => decodeManifests(text));
    assert.instance(err, ParseError);
    assert.ok(err.message.includes('duplicate key "replicas"'), err.message);
    // Without the duplicate key, strict decoding still refuses the unknown fields.
    const once = text.replace(/^ {2}replicas: 3\n/m, '');
    const err2 = refusal(() => decodeManifests(once));
    assert.is(err2.code, 'Invalid');
    assert.ok(err2.message.includes('unknown field "spec.foo"'), err2.message);
    assert.ok(err2.message.includes('unknown field "spec.baz"'), err2.message);
  });
}

test.run();
