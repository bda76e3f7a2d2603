// Bad manifests, written for Starling, and what decodeManifests answers: each case names the
// error code and the pieces of text (field path and rule) the message must contain.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ParseError, StarlingError, ValidationError } from '../../src/errors.ts';
import { decodeManifests } from '../../src/manifest/index.ts';

const test = suite('manifest: bad input');

/** A valid Deployment; `edit` rewrites parts of it. */
function deployment(edit: (s: string) => string = (s) => s): string {
  return edit(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
`);
}

const pod = (spec: string) =>
  `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
${spec}`;

const aliasBomb = `apiVersion: v1
kind: Pod
metadata: {name: bomb}
spec:
  a: &a ["x","x","x","x","x","x","x","x","x"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

interface Case {
  name: string;
  input: string | (() => string);
  code: 'ParseError' | 'Invalid' | 'UnknownKind' | 'TooLarge';
  includes: string[];
}

const cases: Case[] = [
  {
    name: 'malformed YAML: mapping value inside a compact mapping',
    input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: app: web\n',
    code: 'ParseError',
    includes: ['document 1', 'line 5, column 11'],
  },
  {
    name: 'malformed YAML: tab indentation in the second document',
    input: `${deployment()}---\napiVersion: v1\nkind: Namespace\nmetadata:\n\tname: dev\n`,
    code: 'ParseError',
    // lines count from the start of the file, so an editor can jump to them
    includes: ['document 2', `line ${deployment().split('\n').length + 4}, column 1`, 'Tabs'],
  },
  {
    name: 'malformed YAML: unterminated flow mapping',
    input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev\n',
    code: 'ParseError',
    includes: ['document 1', 'line '],
  },
  {
    name: 'duplicate mapping key names the key',
    input: deployment((s) => s.replace('  replicas: 2\n', '  replicas: 2\n  replicas: 3\n')),
    code: 'ParseError',
    includes: ['duplicate key "replicas"', 'line 9, column 3'],
  },
  {
    name: 'unknown kind',
    input: deployment((s) => s.replace('kind: Deployment', 'kind: Deploymnet')),
    code: 'UnknownKind',
    includes: ['no matches for kind "Deploymnet" in version "apps/v1"', 'Starling serves: Pod'],
  },
  {
    name: 'unknown apiVersion for a served kind',
    input: deployment((s) => s.replace('apiVersion: apps/v1', 'apiVersion: apps/v1beta2')),
    code: 'UnknownKind',
    includes: ['"apps/v1beta2"', 'Deployment', '"apps/v1"'],
  },
  {
    name: 'kind Kubernetes has but Starling does not serve',
    input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: web}\nspec: {}\n',
    code: 'UnknownKind',
    includes: ['"PersistentVolumeClaim"', 'does not support'],
  },
  {
    name: 'read-only kind',
    input: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n',
    code: 'UnknownKind',
    includes: ['"Node"', 'read-only'],
  },
  {
    name: 'missing kind',
    input: 'apiVersion: v1\nmetadata: {name: x}\n',
    code: 'Invalid',
    includes: ["kind: Required value: Object 'Kind' is missing"],
  },
  {
    name: 'missing metadata.name',
    input: deployment((s) => s.replace('  name: web\n', '')),
    code: 'Invalid',
    includes: [
      'Deployment "" is invalid',
      'metadata.name: Required value: name or generateName is required',
    ],
  },
  {
    name: 'invalid name My_App',
    input: deployment((s) => s.replace('  name: web\n', '  name: My_App\n')),
    code: 'Invalid',
    includes: [
      `metadata.name: Invalid value: "My_App": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  },
  {
    name: 'Namespace name with a dot',
    input: 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team.a}\n',
    code: 'Invalid',
    includes: ['metadata.name: Invalid value: "team.a": must not contain dots'],
  },
  {
    name: 'invalid label key',
    input: deployment((s) => s.replace('    app: web\nspec', '    app: web\n    a/b/c: x\nspec')),
    code: 'Invalid',
    includes: ['metadata.labels: Invalid value: "a/b/c": a valid label key must consist of'],
  },
  {
    name: 'invalid label value',
    input: deployment((s) =>
      s.replace('    app: web\nspec', '    app: web\n    tier: "front end"\nspec')
    ),
    code: 'Invalid',
    includes: [
      'metadata.labels: Invalid value: "front end": a valid label must be an empty string',
    ],
  },
  {
    name: 'negative replicas',
    input: deployment((s) => s.replace('replicas: 2', 'replicas: -1')),
    code: 'Invalid',
    includes: [
      'Deployment "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ],
  },
  {
    name: 'selector does not match template labels',
    input: deployment((s) =>
      s.replace('      labels:\n        app: web', '      labels:\n        app: api')
    ),
    code: 'Invalid',
    includes: [
      'spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`',
    ],
  },
  {
    name: 'missing selector',
    input: deployment((s) => s.replace('  selector:\n    matchLabels:\n      app: web\n', '')),
    code: 'Invalid',
    includes: ['spec.selector: Required value', '`selector` does not match template `labels`'],
  },
  {
    name: 'template restartPolicy Never',
    input: deployment((s) =>
      s.replace(
        '    spec:\n      containers:',
        '    spec:\n      restartPolicy: Never\n      containers:',
      )
    ),
    code: 'Invalid',
    includes: [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ],
  },
  {
    name: 'bad quantity 1.5.5Gi',
    input: deployment((s) => s.replace('memory: 64Mi', 'memory: 1.5.5Gi')),
    code: 'Invalid',
    includes: [
      'spec.template.spec.containers[0].resources.requests[memory]: Invalid value: "1.5.5Gi": quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\'',
    ],
  },
  {
    name: 'negative quantity -1',
    input: deployment((s) => s.replace('cpu: 100m', 'cpu: "-1"')),
    code: 'Invalid',
    includes: ['resources.requests[cpu]: Invalid value: "-1": must be greater than or equal to 0'],
  },
  {
    name: 'request above limit',
    input: deployment((s) =>
      s.replace(
        '            requests:\n              cpu: 100m',
        '            limits:\n              cpu: 1\n            requests:\n              cpu: 2',
      )
    ),
    code: 'Invalid',
    includes: [
      'resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    ],
  },
  {
    name: 'port 0',
    input: deployment((s) => s.replace('containerPort: 80', 'containerPort: 0')),
    code: 'Invalid',
    includes: ['spec.template.spec.containers[0].ports[0].containerPort: Required value'],
  },
  {
    name: 'port 70000',
    input: deployment((s) => s.replace('containerPort: 80', 'containerPort: 70000')),
    code: 'Invalid',
    includes: [
      'ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ],
  },
  {
    name: 'port protocol HTTP',
    input: deployment((s) =>
      s.replace('containerPort: 80', 'containerPort: 80\n              protocol: HTTP')
    ),
    code: 'Invalid',
    includes: [
      'ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    ],
  },
  {
    name: 'duplicate container names',
    input: deployment((s) => `${s}        - name: web\n          image: busybox\n`),
    code: 'Invalid',
    includes: ['spec.template.spec.containers[1].name: Duplicate value: "web"'],
  },
  {
    name: 'no containers',
    input: pod('  containers: []\n'),
    code: 'Invalid',
    includes: ['Pod "p" is invalid: spec.containers: Required value'],
  },
  {
    name: 'missing image',
    input: pod('  containers:\n    - name: c\n'),
    code: 'Invalid',
    includes: ['spec.containers[0].image: Required value'],
  },
  {
    name: 'Pod restartPolicy Sometimes',
    input: pod('  restartPolicy: Sometimes\n  containers: [{name: c, image: busybox}]\n'),
    code: 'Invalid',
    includes: [
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ],
  },
  {
    name: 'unsupported volume type is named',
    input: pod(
      '  containers: [{name: c, image: busybox}]\n  volumes:\n    - name: data\n      persistentVolumeClaim: {claimName: data}\n',
    ),
    code: 'Invalid',
    includes: [
      'spec.volumes[0].persistentVolumeClaim: Unsupported value: "persistentVolumeClaim"',
      'emptyDir, hostPath, configMap and secret',
    ],
  },
  {
    name: 'volumeMount of an undeclared volume, relative mountPath',
    input: pod(
      '  containers:\n    - name: c\n      image: busybox\n      volumeMounts: [{name: cache, mountPath: tmp}]\n',
    ),
    code: 'Invalid',
    includes: [
      'volumeMounts[0].name: Not found: "cache"',
      'volumeMounts[0].mountPath: Invalid value: "tmp": must be an absolute path',
    ],
  },
  {
    name: 'unknown field, strict decoding',
    input: deployment((s) => s.replace('  replicas: 2\n', '  replicas: 2\n  replica: 3\n')),
    code: 'Invalid',
    includes: ['spec.replica: unknown field "spec.replica"'],
  },
  {
    name: 'wrong scalar type',
    input: deployment((s) => s.replace('replicas: 2', 'replicas: "2"')),
    code: 'Invalid',
    includes: ['spec.replicas: Invalid value: "2": expected int32, got string'],
  },
  {
    name: 'a manifest over 3 MiB',
    input: () => `# ${'x'.repeat(3 * 1024 * 1024)}\n${deployment()}`,
    code: 'TooLarge',
    includes: ['3145728'],
  },
  {
    name: 'an alias bomb',
    input: aliasBomb,
    code: 'ParseError',
    includes: ['document 1', 'excessive aliasing'],
  },
];

for (const c of cases) {
  test(c.name, () => {
    const input = typeof c.input === 'function' ? c.input() : c.input;
    let thrown: unknown;
    try {
      decodeManifests(input);
    } catch (e) {
      thrown = e;
    }
    assert.ok(thrown instanceof StarlingError, `expected an error, got ${String(thrown)}`);
    const err = thrown as StarlingError;
    assert.is(err.code, c.code, err.message);
    for (const text of c.includes) {
      assert.ok(
        err.message.includes(text),
        `message should contain ${JSON.stringify(text)}:\n${err.message}`,
      );
    }
  });
}

test('malformed YAML reports line and column in details', () => {
  try {
    decodeManifests('apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: app: web\n');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ParseError);
    assert.equal((e as ParseError).info, { line: 5, column: 11, document: 0 });
  }
});

test('an alias bomb is refused well under a second', () => {
  const start = performance.now();
  assert.throws(() => decodeManifests(aliasBomb), /excessive aliasing/);
  assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
});

test('multi-document: document 2 invalid, nothing is returned', () => {
  const ns = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: dev}\n';
  const text = `${ns}---\n${deployment((s) => s.replace('replicas: 2', 'replicas: -1'))}`;
  let result: unknown;
  try {
    result = decodeManifests(text);
  } catch (e) {
    assert.instance(e, ValidationError);
    const v = e as ValidationError;
    assert.ok(
      v.message.includes('document 2: Deployment "web" is invalid: spec.replicas'),
      v.message,
    );
    assert.ok(!v.message.includes('document 1'), v.message);
    assert.equal(v.fieldErrors.map((f) => [f.document, f.field]), [[1, 'spec.replicas']]);
  }
  assert.is(result, undefined);
});

test('every error of every document is reported at once', () => {
  const bad1 = deployment((s) =>
    s.replace('replicas: 2', 'replicas: -1').replace('containerPort: 80', 'containerPort: 70000')
  );
  const bad2 = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: Dev}\n';
  try {
    decodeManifests(`${bad1}---\n${bad2}`);
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, ValidationError);
    const fields = (e as ValidationError).fieldErrors.map((f) => `${f.document}:${f.field}`);
    assert.equal(fields, [
      '0:spec.replicas',
      '0:spec.template.spec.containers[0].ports[0].containerPort',
      '1:metadata.name',
    ]);
  }
});

test.run();
