// Service manifests: what Starling accepts (with Kubernetes' defaults) and what it refuses, each
// refusal with its field path and Kubernetes' wording (shared/k8s-examples/VALIDATION.md §5, §12).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { StarlingError, ValidationError } from '../../src/errors.ts';
import { decodeManifests } from '../../src/manifest/index.ts';

const test = suite('manifest: Service validation and defaults');

const svc = (spec: string, name = 'web') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
${spec}`;

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

test('a minimal Service gets Kubernetes defaults', () => {
  const { objects, warnings } = decodeManifests(svc('  selector: {app: web}\n  ports: [{port: 80}]\n'));
  assert.equal(warnings, []);
  assert.equal(objects[0].metadata.namespace, 'default');
  assert.equal(objects[0].spec, {
    selector: { app: 'web' },
    ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    type: 'ClusterIP',
    sessionAffinity: 'None',
  });
});

test('named targetPort, NodePort, ClientIP affinity defaults to 3 h', () => {
  const { objects } = decodeManifests(svc(`  type: NodePort
  sessionAffinity: ClientIP
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http-alt, nodePort: 30080}
    - {name: admin, port: 9000, targetPort: 0}
`));
  assert.equal(objects[0].spec.ports, [
    { name: 'http', port: 80, targetPort: 'http-alt', nodePort: 30080, protocol: 'TCP' },
    { name: 'admin', port: 9000, targetPort: 9000, protocol: 'TCP' },
  ]);
  assert.equal(objects[0].spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('headless without ports, LoadBalancer, publishNotReadyAddresses are accepted', () => {
  const { objects } = decodeManifests(
    [svc('  clusterIP: None\n  selector: {app: db}\n', 'db'), svc('  type: LoadBalancer\n  publishNotReadyAddresses: true\n  ports: [{port: 80}]\n', 'lb')].join('---\n'),
  );
  assert.is(objects[0].spec.clusterIP, 'None');
  assert.is(objects[1].spec.type, 'LoadBalancer');
});

test('fields Starling ignores are warned about by name', () => {
  const { warnings } = decodeManifests(svc('  clusterIP: 10.96.0.10\n  externalTrafficPolicy: Local\n  ports: [{port: 80, appProtocol: http}]\n'));
  assert.equal(warnings, [
    'Service "web": spec.externalTrafficPolicy: not supported by Starling; ignored',
    'Service "web": spec.ports[0].appProtocol: not supported by Starling; ignored',
    'Service "web": spec.clusterIP: not supported by Starling; ignored (a Service is reached at the address of every node)',
  ]);
  // Kubernetes' own defaults (as `get -o yaml` shows them) are no warning
  assert.equal(decodeManifests(svc('  externalTrafficPolicy: Cluster\n  internalTrafficPolicy: Cluster\n  ports: [{port: 80}]\n')).warnings, []);
});

const CASES: [string, string, string[]][] = [
  ['no ports', '  selector: {app: web}\n', ['spec.ports: Required value']],
  ['port out of range', '  ports: [{port: 70000}]\n', ['spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive']],
  ['port missing', '  ports: [{name: a, targetPort: 80}]\n', ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']],
  ['two ports, one unnamed', '  ports: [{port: 80}, {name: b, port: 81}]\n', ['spec.ports[0].name: Required value']],
  ['bad port name', '  ports: [{name: Http, port: 80}]\n', [
    `spec.ports[0].name: Invalid value: "Http": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
  ]],
  ['duplicate port name', '  ports: [{name: a, port: 80}, {name: a, port: 81}]\n', ['spec.ports[1].name: Duplicate value: "a"']],
  ['duplicate port', '  ports: [{name: a, port: 80}, {name: b, port: 80}]\n', [
    'spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}',
  ]],
  ['UDP is refused by name', '  ports: [{port: 53, protocol: UDP}]\n', [
    'spec.ports[0].protocol: Unsupported value: "UDP": supported values: "TCP" (the Starling Service proxy balances TCP connections only)',
  ]],
  ['SCTP is refused by name', '  ports: [{port: 9, protocol: SCTP}]\n', [
    'spec.ports[0].protocol: Unsupported value: "SCTP": supported values: "TCP" (the Starling Service proxy balances TCP connections only)',
  ]],
  ['targetPort number out of range', '  ports: [{port: 80, targetPort: 99999}]\n', ['spec.ports[0].targetPort: Invalid value: 99999: must be between 1 and 65535, inclusive']],
  ['targetPort name too long and upper case', '  ports: [{port: 80, targetPort: Very-Long-Port-Name}]\n', [
    'spec.ports[0].targetPort: Invalid value: "Very-Long-Port-Name": must be no more than 15 characters',
    'spec.ports[0].targetPort: Invalid value: "Very-Long-Port-Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
  ]],
  ['unknown type', '  type: Ingress\n  ports: [{port: 80}]\n', ['spec.type: Unsupported value: "Ingress": supported values: "ClusterIP", "LoadBalancer", "NodePort"']],
  ['ExternalName is refused by name', '  type: ExternalName\n  externalName: db.example.com\n', [
    'spec.type: Unsupported value: "ExternalName": supported values: "ClusterIP", "LoadBalancer", "NodePort" (Starling has no cluster DNS, so ExternalName Services are not supported)',
  ]],
  ['nodePort on a ClusterIP Service', '  ports: [{port: 80, nodePort: 30080}]\n', ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
  ['nodePort out of range', '  type: NodePort\n  ports: [{port: 80, nodePort: 8080}]\n', [
    'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]],
  ['duplicate nodePort in one Service', '  type: NodePort\n  ports: [{name: a, port: 80, nodePort: 30080}, {name: b, port: 81, nodePort: 30080}]\n', [
    'spec.ports[1].nodePort: Duplicate value: 30080',
  ]],
  ['headless NodePort', '  type: NodePort\n  clusterIP: None\n  ports: [{port: 80}]\n', [`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`]],
  ['bad selector', '  selector: {app: "-web"}\n  ports: [{port: 80}]\n', [
    `spec.selector: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  ]],
  ['unknown affinity', '  sessionAffinity: Cookie\n  ports: [{port: 80}]\n', ['spec.sessionAffinity: Unsupported value: "Cookie": supported values: "ClientIP", "None"']],
  ['affinity timeout too long', '  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 90000}}\n  ports: [{port: 80}]\n', [
    'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400',
  ]],
  ['affinity config without affinity', '  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}\n  ports: [{port: 80}]\n', [
    'spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None',
  ]],
  ['unknown field', '  port: 80\n  ports: [{port: 80}]\n', ['spec.port: unknown field "spec.port"']],
  ['wrong type', '  ports: [{port: "80"}]\n', ['spec.ports[0].port: Invalid value: "80": expected int32, got string']],
];

for (const [name, spec, expected] of CASES) {
  test(`refused: ${name}`, () => {
    assert.equal(refused(svc(spec)), expected);
  });
}

test('Service names are DNS-1035 labels', () => {
  const [err] = refused(svc('  ports: [{port: 80}]\n', '1web'));
  assert.ok(err.startsWith('metadata.name: Invalid value: "1web": a DNS-1035 label must consist of'), err);
});

test('the whole message reads as kubectl prints it', () => {
  try {
    decodeManifests(svc('  type: NodePort\n  ports: [{port: 80, nodePort: 80}]\n'));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, StarlingError);
    assert.is(
      (e as Error).message,
      'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
  }
});

test('Endpoints are read-only', () => {
  try {
    decodeManifests('apiVersion: v1\nkind: Endpoints\nmetadata: {name: web}\nsubsets: []\n');
    assert.unreachable();
  } catch (e) {
    assert.is((e as StarlingError).code, 'UnknownKind');
    assert.ok((e as Error).message.includes('read-only'), (e as Error).message);
  }
});

test.run();
