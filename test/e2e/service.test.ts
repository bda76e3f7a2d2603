// Docker e2e: a Deployment of 3 busybox httpd pods (each answering its hostname, the pod's name)
// behind a NodePort Service. Connections to the node's proxy (on loopback, at the Service's port
// and at its node port) reach every pod, round robin; `get endpoints` lists them; a deleted pod
// stops getting connections; a busybox container reaches the Service through its service
// variables (`wget http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/`); deleting the Service closes its
// ports. Then a 2-node cluster on 127.0.0.51 and 127.0.0.52: a connection to either node's proxy
// reaches the pods of both nodes. Every connection the test makes goes to loopback and every loop
// is bounded.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiClient } from '../../src/api/client.ts';
import { docker } from '../support/docker.ts';
import { httpGet as get } from '../support/http.ts';
import { withDockerNode } from '../support/e2e.ts';
import { until } from '../support/node-process.ts';
import { ProcessCluster } from '../support/process-cluster.ts';

const test = suite('e2e docker: Service');
const e = withDockerNode(test, 'e2e-svc');

// a Service port unlikely to be taken on this machine (the node port is allocated from it)
const PORT = 20000 + Math.floor(Math.random() * 9000);

/** GET / through the proxy at port on host (default the test node's 127.0.0.1). */
const httpGet = (port: number, host = '127.0.0.1') => get(host, port);

const manifest = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe:
            httpGet: { path: /, port: http }
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ name: http, port: ${PORT}, targetPort: http }]
`;

const cli = (args: string[], timeoutMs?: number) => e.cli(args, timeoutMs);

const readyPods = async () =>
  ((await e.c.request('get', { kind: 'pods', selector: 'app=web' })).items as any[])
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));

const endpointNames = async () => {
  const ep = await e.c.request('get', { kind: 'endpoints', name: 'web' }).catch(() => undefined);
  return ((ep?.subsets ?? []) as any[]).flatMap((s) => (s.addresses ?? []).map((a: any) => a.targetRef.name)).sort() as string[];
};

let nodePort = 0;

test('3 ready pods behind a NodePort Service; get endpoints lists them', async () => {
  const res = await e.c.request('apply', { manifest: manifest(3) });
  assert.equal(res.results.map((r: any) => `${r.kind}/${r.name} ${r.outcome}`), ['Deployment/web created', 'Service/web created']);
  const pods = await until('3 ready pods', async () => {
    const l = await readyPods();
    return l.length === 3 && l;
  }, 60_000);
  const names = pods.map((p: any) => p.metadata.name).sort();
  await until('3 endpoints', async () => JSON.stringify(await endpointNames()) === JSON.stringify(names));
  const svc = await e.c.request('get', { kind: 'svc', name: 'web' });
  nodePort = svc.spec.ports[0].nodePort;
  assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
  const ep = await e.c.request('get', { kind: 'ep', name: 'web' });
  const published = pods.map((p: any) => `127.0.0.1:${p.status.hostPorts.find((h: any) => h.containerPort === 8080).hostPort}`).sort();
  const listed = (ep.subsets as any[]).flatMap((s) => s.addresses.map((a: any) => `${a.ip}:${s.ports[0].port}`)).sort();
  assert.equal(listed, published, 'each pod at its node address and published port');
  const out = await cli(['get', 'endpoints', 'web']);
  assert.is(out.code, 0, out.stderr);
  const [header, row] = out.stdout.trim().split('\n');
  assert.match(header, /^NAME\s+ENDPOINTS\s+AGE$/);
  assert.equal(row.split(/\s+/)[1].split(',').sort(), published);
  const svcOut = await cli(['get', 'svc', 'web']);
  assert.match(svcOut.stdout, new RegExp(`web\\s+NodePort\\s+<none>\\s+<none>\\s+${PORT}:${nodePort}/TCP`));
});

test('connections to the node proxy reach every pod, round robin, at the port and the node port', async () => {
  const names = (await readyPods()).map((p: any) => p.metadata.name).sort();
  for (const port of [nodePort, PORT]) {
    const counts = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const who = await until(`an answer on ${port}`, () => httpGet(port), 10_000);
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
    assert.equal([...counts.keys()].sort(), names, `port ${port}: ${JSON.stringify([...counts])}`);
    assert.equal([...counts.values()], [4, 4, 4], 'round robin');
  }
});

test('a deleted pod stops getting connections', async () => {
  const [victim] = (await readyPods()).map((p: any) => p.metadata.name);
  await e.c.request('delete', { kind: 'pod', name: victim });
  await until('the victim out of the endpoints', async () => !(await endpointNames()).includes(victim), 10_000);
  const seen = new Set<string>();
  for (let i = 0; i < 15; i++) seen.add(await until('an answer', () => httpGet(nodePort), 10_000));
  assert.not.ok(seen.has(victim), `${victim} answered after it was deleted: ${[...seen]}`);
  assert.ok(seen.size >= 2, [...seen].join(','));
  await until('3 ready endpoints again', async () => (await endpointNames()).length === 3, 60_000);
});

test('a pod whose readiness probe fails gets no traffic, and gets it again once ready', async () => {
  const [victim] = (await readyPods()).map((p: any) => p.metadata.name).sort();
  const sh = (cmd: string) => e.c.request('exec', { pod: victim, command: ['sh', '-c', cmd] });
  // the probe's GET / now answers 404
  await sh('mv /www/index.html /www/gone.html');
  const notReadyAt = await until('the victim not Ready', async () => {
    const p = await e.c.request('get', { kind: 'pod', name: victim });
    const c = p.status?.conditions?.find((x: any) => x.type === 'Ready');
    return c?.status === 'False' && Date.parse(c.lastTransitionTime);
  }, 20_000);
  await until('the victim out of the ready endpoints', async () => !(await endpointNames()).includes(victim), 10_000);
  const outMs = Date.now() - notReadyAt;
  assert.ok(outMs < 1000 + 1000, `out of the endpoints ${outMs} ms after it turned NotReady (probe period 1 s)`);
  const seen = new Set<string>();
  for (let i = 0; i < 12; i++) seen.add(await until('an answer', () => httpGet(nodePort), 10_000));
  assert.not.ok(seen.has(victim), `${victim} answered while not ready: ${[...seen]}`);
  assert.is(seen.size, 2, [...seen].join(','));
  await sh('mv /www/gone.html /www/index.html');
  await until('the victim back in the endpoints', async () => (await endpointNames()).includes(victim), 20_000);
  const back = new Set<string>();
  for (let i = 0; i < 6; i++) back.add(await until('an answer', () => httpGet(nodePort), 10_000));
  assert.ok(back.has(victim), `${victim} gets traffic again: ${[...back]}`);
});

test('a container reaches the Service through its service variables', async () => {
  // where containers reach the node's proxy: the gateway of Docker's bridge network
  const gateway = ((await docker.getNetwork('bridge').inspect()).IPAM?.Config ?? []).map((c: any) => c.Gateway).find((g: string) => g && !g.includes(':'));
  if (!gateway) {
    console.log('  note: Docker\'s bridge network has no IPv4 gateway here; skipping the in-container check');
    return;
  }
  await e.c.request('apply', {
    manifest: `
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: c
      image: busybox:latest
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "exec sleep 3600"]
`,
  });
  await until('client running', async () => (await e.c.request('get', { kind: 'pod', name: 'client' })).status?.containerStatuses?.[0]?.state?.running, 30_000);
  const sh = async (cmd: string) => {
    const r = await e.c.request('exec', { pod: 'client', command: ['sh', '-c', cmd] });
    return { code: r.exitCode as number, out: new TextDecoder().decode(r.stdout).trim(), err: new TextDecoder().decode(r.stderr).trim() };
  };
  const env = await sh('echo $WEB_SERVICE_HOST $WEB_SERVICE_PORT $WEB_SERVICE_PORT_HTTP $WEB_PORT');
  assert.is(env.out, `${gateway} ${PORT} ${PORT} tcp://${gateway}:${PORT}`);
  const names = (await readyPods()).map((p: any) => p.metadata.name);
  const got = await until('an answer through the service variables', async () => {
    const r = await sh('wget -q -O- http://$WEB_SERVICE_HOST:$WEB_SERVICE_PORT/');
    return r.code === 0 && r.out;
  }, 20_000);
  assert.ok(names.includes(got), `${got} is one of ${names}`);
  await e.c.request('delete', { kind: 'pod', name: 'client' });
});

test('deleting the Service removes its Endpoints and closes its ports', async () => {
  await e.c.request('delete', { kind: 'svc', name: 'web', wait: true });
  await until('no endpoints', async () => (await endpointNames()).length === 0 && !(await e.c.request('get', { kind: 'endpoints' })).items.length);
  await until('node port closed', async () => {
    try {
      await httpGet(nodePort);
      return false;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
    }
  }, 10_000);
  await e.c.request('delete', { kind: 'deployment', name: 'web', wait: true });
});

test.run();

// ---- two nodes -------------------------------------------------------------------------------

const two = suite('e2e docker: Service on 2 nodes');
const cluster = new ProcessCluster({ nodes: 2, prefix: 'e2e-svc2', runtime: 'docker', hostBase: 50 });
let c2: ApiClient;

two.before(async () => {
  await cluster.start();
  c2 = await cluster.client(0);
});
two.after(async () => {
  await cluster.stop();
});

two('a connection to either node reaches the pods of both nodes', async () => {
  await cluster.waitReady(cluster.names, 30_000);
  const ready = async (c: ApiClient) =>
    ((await c.request('get', { kind: 'pods', selector: 'app=web' })).items as any[])
      .filter((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True'));
  // scaled 1 → 2 → 4: the spread score sends the second pod to the other node
  for (const n of [1, 2, 4]) {
    await c2.request('apply', { manifest: manifest(n) });
    await until(`${n} ready pods`, async () => (await ready(c2)).length === n, 90_000);
  }
  const pods = await ready(c2);
  const nodes = new Set(pods.map((p) => p.spec.nodeName));
  assert.is(nodes.size, 2, `pods on both nodes: ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName}`)}`);
  const names = pods.map((p) => p.metadata.name).sort();
  const nodePort = (await c2.request('get', { kind: 'svc', name: 'web' })).spec.ports[0].nodePort;
  for (const n of cluster.nodes) {
    // each node holds the same Endpoints, with the addresses of both nodes
    const other = await cluster.client(n.index);
    await until(`4 endpoints as ${n.name} sees them`, async () => {
      const ep = await other.request('get', { kind: 'endpoints', name: 'web' });
      const addrs = (ep.subsets as any[]).flatMap((s) => s.addresses ?? []);
      return addrs.length === 4 && new Set(addrs.map((a: any) => a.ip)).size === 2;
    }, 20_000);
    cluster.closeClient(other);
    const seen = new Map<string, number>();
    for (let i = 0; i < 8; i++) {
      const who = await until(`an answer from ${n.host}:${nodePort}`, () => httpGet(nodePort, n.host), 10_000);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    assert.equal([...seen.keys()].sort(), names, `through ${n.host}: ${JSON.stringify([...seen])}`);
  }
  await c2.request('delete', { kind: 'svc', name: 'web' });
  await c2.request('delete', { kind: 'deployment', name: 'web', wait: true });
});

two.run();
