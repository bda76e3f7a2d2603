// Services on a node (sim runtime, in-process): the Service actor keeps the Endpoints from the
// ready pods (node address and published host port), a deleted pod leaves them at once, node
// ports are allocated on apply and a taken one is refused, the proxy listens at the Service's
// port and node port and stops when the Service is deleted (its Endpoints go with it), a port in
// use becomes a Warning event, a LoadBalancer lists the node's address, and containers get the
// service variables. All on loopback.

import { createServer } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { StarlingNode } from '../../src/host/node.ts';
import { decodeManifests } from '../../src/manifest/index.ts';
import type { KObject } from '../../src/objects/types.ts';
import { removeDir, startSimNode, tempDir, waitFor } from '../support/sim-node.ts';

const test = suite('proxy: Services on a sim node');
let node: StarlingNode;
let dir: string;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const apply = (yaml: string) => node.objects.apply(decodeManifests(yaml).objects);
const get = (kind: string, name: string) => node.store.get(`${kind}/default/${name}`);

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "httpd -f -p 8080"]
          ports: [{ name: http, containerPort: 8080 }]
`;
const service = (name: string, port: number, extra = '') => `
apiVersion: v1
kind: Service
metadata: { name: ${name}, labels: { tier: front } }
spec:
  selector: { app: web }
  ports: [{ name: http, port: ${port}, targetPort: http }]
${extra}`;

const readyIPs = (ep: KObject | undefined) =>
  ((ep?.subsets ?? []) as { addresses?: { targetRef: { name: string } }[]; ports?: { port: number }[] }[])
    .flatMap((s) => (s.addresses ?? []).map((a) => `${a.targetRef.name}:${s.ports?.[0]?.port}`)).sort();

let port = 0;

test.before(async () => {
  dir = tempDir('svc-node');
  node = await startSimNode({ name: 'svc-node', dataDir: dir, inMemory: true });
});
test.after(async () => {
  await node?.stop();
  removeDir(dir);
});

test('the Endpoints follow the ready pods: node address and published port of the named target port', async () => {
  port = await freePort();
  await apply(DEPLOYMENT + '---' + service('web', port, '  type: NodePort'));
  const ep = await waitFor('3 ready endpoints', () => {
    const e = get('Endpoints', 'web');
    return readyIPs(e).length === 3 && e;
  });
  const pods = node.store.list('Pod', 'default');
  const expected = pods.map((p) => `${p.metadata.name}:${p.status.hostPorts.find((h: any) => h.containerPort === 8080).hostPort}`).sort();
  assert.equal(readyIPs(ep), expected);
  const addr = (ep.subsets as any[])[0].addresses[0];
  assert.is(addr.ip, '127.0.0.1');
  assert.is(addr.nodeName, 'svc-node');
  assert.is(addr.targetRef.kind, 'Pod');
  assert.is((ep.subsets as any[])[0].ports[0].name, 'http');
  assert.equal(ep.metadata.labels, { tier: 'front' }, 'the Service labels');
  assert.is(ep.metadata.ownerReferences?.[0].uid, get('Service', 'web')!.metadata.uid);
  // the actor's record is written at the end of the turn in which it changed
  await waitFor('the Service actor recorded Serving', () => node.store.actor('Service/default/web')?.state === 'Serving');
});

test('a NodePort is allocated on apply; the proxy listens at port and node port', async () => {
  const svc = get('Service', 'web')!;
  const nodePort = svc.spec.ports[0].nodePort;
  assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
  await waitFor('listening', () => node.services.proxy.listening().includes(`127.0.0.1:${port}`) && node.services.proxy.listening().includes(`127.0.0.1:${nodePort}`));
  // applied again without the nodePort: unchanged, the port is kept
  const [again] = await apply(service('web', port, '  type: NodePort'));
  assert.is(again.outcome, 'unchanged');
  // another Service claiming it is refused
  try {
    await apply(service('other', await freePort(), `  type: NodePort\n  ports: [{ port: 81, nodePort: ${nodePort} }]`).replace(/  ports: \[\{ name: http.*\n/, ''));
    assert.unreachable();
  } catch (e) {
    assert.is((e as Error).message, `Service "other" is invalid: spec.ports[0].nodePort: Invalid value: ${nodePort}: provided port is already allocated`);
  }
});

test('a deleted pod leaves the Endpoints at once (while it terminates)', async () => {
  const victim = node.store.list('Pod', 'default')[0].metadata.name;
  node.objects.delete(`Pod/default/${victim}`);
  await waitFor('the pod out of the endpoints', () => !readyIPs(get('Endpoints', 'web')).some((x) => x.startsWith(`${victim}:`)));
  await waitFor('3 ready endpoints again', () => readyIPs(get('Endpoints', 'web')).length === 3, 15_000);
});

test('containers get the service variables of the Services that exist when they start', async () => {
  await apply(`
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  containers:
    - name: c
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "echo $WEB_SERVICE_HOST:$WEB_SERVICE_PORT $WEB_SERVICE_PORT_HTTP $WEB_PORT; sleep 3600"]
`);
  const id = await waitFor('client running', () => {
    const cs = get('Pod', 'client')?.status?.containerStatuses?.[0];
    return cs?.state?.running && cs.containerID.replace('starling://', '');
  });
  let out = '';
  for await (const chunk of node.opts.runtime.logs(id, {})) out += new TextDecoder().decode(chunk);
  assert.ok(out.includes(`127.0.0.1:${port} ${port} tcp://127.0.0.1:${port}`), out);
  // its simulated `sleep 3600` would keep this process alive after the node stops
  node.objects.delete('Pod/default/client');
  await waitFor('client gone', () => !get('Pod', 'client'));
});

test('a Service port in use is a Warning event (PortInUse), not a crash', async () => {
  const busy = await freePort();
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(busy, '127.0.0.1', () => r()));
  try {
    await apply(service('busy', busy));
    const ev = await waitFor('the event', () => node.store.events('Service/default/busy').find((e) => e.reason === 'PortInUse'));
    assert.is(ev.type, 'Warning');
    assert.is(ev.message, `listen tcp 127.0.0.1:${busy}: bind: address already in use`);
    assert.is(ev.source.component, 'service-proxy');
  } finally {
    await new Promise((r) => squatter.close(r));
  }
  node.objects.delete('Service/default/busy');
});

test('a LoadBalancer is reached at the ready nodes\' addresses (status.loadBalancer.ingress)', async () => {
  await apply(service('lb', await freePort(), '  type: LoadBalancer'));
  const lb = await waitFor('ingress', () => get('Service', 'lb')?.status?.loadBalancer?.ingress && get('Service', 'lb'));
  assert.equal(lb.status.loadBalancer.ingress, [{ ip: '127.0.0.1' }]);
  assert.ok(lb.spec.ports[0].nodePort >= 30000);
  node.objects.delete('Service/default/lb');
});

test('a deleted Service: its Endpoints go and its ports close', async () => {
  const last = get('Endpoints', 'web')!;
  node.objects.delete('Service/default/web');
  await waitFor('endpoints gone', () => !get('Endpoints', 'web'));
  await waitFor('not listening', () => !node.services.proxy.listening().some((l) => l.endsWith(`:${port}`)));
  assert.is(node.store.actor('Service/default/web'), undefined, 'its actor record is dropped');
  // a write that crossed the deletion (from the actor's former host) is removed too
  await node.store.commit({ put: [structuredClone(last)] });
  await waitFor('the late Endpoints removed', () => !get('Endpoints', 'web'));
});

test.run();
