// Docker e2e: zero-downtime rolling updates behind a Service, on a 2-node cluster (127.0.0.86,
// 127.0.0.87). A Deployment of 4 busybox httpd pods answering "v1" (readiness probe, minReadySeconds
// 1) sits behind a NodePort Service. While it is updated to "v2", a bounded client loop sends
// requests through the Service proxy of each node in turn: not one request fails, and once the
// rollout is complete every answer is "v2". `rollout undo` brings "v1" back the same way.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiClient } from '../../src/api/client.ts';
import type { KObject } from '../../src/objects/types.ts';
import { httpGet } from '../support/http.ts';
import { until } from '../support/node-process.ts';
import { ProcessCluster } from '../support/process-cluster.ts';

const test = suite('e2e docker: rolling update behind a Service');
const cluster = new ProcessCluster({ nodes: 2, prefix: 'e2e-svcroll', runtime: 'docker', hostBase: 85 });
let c: ApiClient;

const REPLICAS = 4;
// a Service port unlikely to be taken on this machine
const PORT = 20000 + Math.floor(Math.random() * 9000);

const manifest = (version: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${REPLICAS}
  minReadySeconds: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo ${version} > /www/index.html && exec httpd -f -p 8080 -h /www"]
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

interface Traffic {
  sent: number;
  failures: string[];
  answers: Map<string, number>;
}

/**
 * Sends requests one after another, alternating between the nodes' proxies at the node port,
 * until `stop` resolves (bounded: 4000 requests or 180 s).
 */
async function traffic(hosts: string[], port: number, stop: Promise<unknown>): Promise<Traffic> {
  const t: Traffic = { sent: 0, failures: [], answers: new Map() };
  let done = false;
  stop.finally(() => (done = true));
  const deadline = Date.now() + 180_000;
  while (!done && t.sent < 4000 && Date.now() < deadline) {
    const host = hosts[t.sent % hosts.length];
    t.sent++;
    try {
      const body = await httpGet(host, port);
      t.answers.set(body, (t.answers.get(body) ?? 0) + 1);
    } catch (err) {
      t.failures.push(`${host}: ${(err as Error).message}`);
    }
  }
  return t;
}

/** What the last check saw (in the failure message when a rollout does not complete). */
let seen = '';

/** The rollout is complete as `rollout status` judges it. */
async function rolledOut(): Promise<boolean> {
  const d = await c.request('get', { kind: 'deploy', name: 'web' }) as KObject;
  const st = d.status ?? {};
  const pods = ((await c.request('get', { kind: 'pods', selector: 'app=web' })).items as KObject[])
    .map((p) => `${p.metadata.name}@${p.spec.nodeName ?? '-'}:${p.status?.phase}${p.metadata.deletionTimestamp ? ':Terminating' : ''}:${(p.status?.conditions ?? []).find((x: any) => x.type === 'Ready')?.status ?? '?'}`);
  seen = `generation ${d.metadata.generation}, status ${JSON.stringify({ ...st, conditions: undefined })}, pods ${pods.join(' ')}, ready endpoints ${await readyEndpoints()}`;
  return (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 1) && st.updatedReplicas === REPLICAS &&
    st.replicas === REPLICAS && st.availableReplicas === REPLICAS;
}

const readyEndpoints = async () => {
  const ep = await c.request('get', { kind: 'endpoints', name: 'web' }).catch(() => undefined);
  return ((ep?.subsets ?? []) as any[]).flatMap((s) => s.addresses ?? []).length;
};

let nodePort = 0;

test.before(async () => {
  await cluster.start();
  c = await cluster.client(0);
  await cluster.waitReady(cluster.names, 30_000);
});
test.after(async () => {
  await cluster.stop();
});

test('v1 behind the Service on both nodes', async () => {
  await c.request('apply', { manifest: manifest('v1') });
  await until('v1 rolled out', rolledOut, 90_000);
  await until(`${REPLICAS} ready endpoints`, async () => (await readyEndpoints()) === REPLICAS, 30_000);
  const pods = (await c.request('get', { kind: 'pods', selector: 'app=web' })).items as KObject[];
  assert.is(new Set(pods.map((p) => p.spec.nodeName)).size, 2, 'pods on both nodes');
  nodePort = (await c.request('get', { kind: 'svc', name: 'web' })).spec.ports[0].nodePort;
  for (const n of cluster.nodes) assert.is(await until(`an answer from ${n.host}`, () => httpGet(n.host, nodePort), 20_000), 'v1');
});

async function rollThrough(to: string, start: () => Promise<unknown>) {
  const hosts = cluster.nodes.map((n) => n.host);
  let finish!: () => void;
  const stop = new Promise<void>((r) => (finish = r));
  const loop = traffic(hosts, nodePort, stop);
  await start();
  await until(`${to} rolled out`, async () => (await rolledOut()) && (await readyEndpoints()) === REPLICAS, 150_000)
    .catch((err) => Promise.reject(new Error(`${(err as Error).message}; last seen: ${seen}`)));
  finish();
  const t = await loop;
  assert.ok(t.sent >= 50, `a real load: ${t.sent} requests`);
  assert.equal(t.failures, [], `${t.failures.length} of ${t.sent} requests failed`);
  assert.ok((t.answers.get(to) ?? 0) > 0, `answers during the rollout: ${JSON.stringify([...t.answers])}`);
  // afterwards every answer comes from the new version, through either node
  for (let i = 0; i < 20; i++) assert.is(await httpGet(hosts[i % hosts.length], nodePort), to, `request ${i} after the rollout`);
  return t;
}

test('a rolling update to v2 while a client sends requests through both proxies: none fails', async () => {
  const t = await rollThrough('v2', () => c.request('apply', { manifest: manifest('v2') }));
  console.log(`  v1 → v2: ${t.sent} requests, 0 failed, answers ${JSON.stringify(Object.fromEntries(t.answers))}`);
});

test('rollout undo brings v1 back the same way', async () => {
  const t = await rollThrough('v1', () => c.request('rollout-undo', { name: 'web', namespace: 'default' }));
  console.log(`  undo v2 → v1: ${t.sent} requests, 0 failed, answers ${JSON.stringify(Object.fromEntries(t.answers))}`);
  await c.request('delete', { kind: 'svc', name: 'web' });
  await c.request('delete', { kind: 'deployment', name: 'web', wait: true });
});

test.run();
