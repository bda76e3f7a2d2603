// Docker e2e: rolling updates. A 3-replica busybox httpd Deployment answering "v1" (maxSurge and
// maxUnavailable at their 25% defaults: at most 4 pods, at least 3 available; minReadySeconds 1)
// is updated to "v2". While it rolls, a bounded poll checks that available pods never drop below
// 3, that pods never exceed 4, and that every available pod answers on its loopback hostPort.
// Afterwards every pod answers v2; the CLI's `rollout history` lists the revisions, `rollout undo`
// brings v1 back through its old ReplicaSet, pause/restart/resume and `scale` to 5 and 1 work,
// and `rollout status` exits 1 on a missed progress deadline (a pod whose image is missing).

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { KObject } from '../../src/objects/types.ts';
import { containersOf } from '../support/docker.ts';
import { type CliRun, withDockerNode } from '../support/e2e.ts';
import { sleep, until } from '../support/node-process.ts';

const test = suite('e2e docker: rolling update');
const e = withDockerNode(test, 'e2e-roll');

const REPLICAS = 3;
const MIN_AVAILABLE = 3; // 3 - floor(25% of 3)
const MAX_PODS = 4; // 3 + ceil(25% of 3)
const MIN_READY_MS = 1000;

const WEB = (text: string) => `
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
      containers:
        - name: httpd
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 8080 -h /www"]
          ports: [{ containerPort: 8080 }]
`;

const cli = (args: string[], timeoutMs?: number) => e.cli(args, timeoutMs);
const show = (r: CliRun) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const pods = async (app = 'web') => (await e.c.request('get', { kind: 'pods', selector: `app=${app}` })).items as KObject[];
const deployment = async (name = 'web') => await e.c.request('get', { kind: 'deploy', name }) as KObject;
const replicaSets = async () => ((await e.c.request('get', { kind: 'rs', selector: 'app=web' })).items as KObject[]);

/** Available as Kubernetes counts it: not terminating, Ready for at least minReadySeconds. */
function available(p: KObject, now: number): boolean {
  if (p.metadata.deletionTimestamp) return false;
  const ready = (p.status?.conditions ?? []).find((c: any) => c.type === 'Ready' && c.status === 'True');
  return !!ready && Date.parse(ready.lastTransitionTime) + MIN_READY_MS <= now;
}

async function answer(p: KObject): Promise<string> {
  const port = p.status.hostPorts[0].hostPort;
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3_000) });
  return (await res.text()).trim();
}

/**
 * Polls (bounded) until every pod answers `want` and the Deployment is complete, checking at
 * every round: ≥ MIN_AVAILABLE available pods, ≤ MAX_PODS pods that are not terminating, and
 * every available pod answering one of `versions` (a pod that fails to answer must have started
 * terminating meanwhile). Returns what it saw.
 */
async function rollThrough(want: string, versions: string[], replicas = REPLICAS) {
  const deadline = Date.now() + 120_000;
  let rounds = 0;
  let minAvailable = Infinity;
  let maxPods = 0;
  const seen = new Set<string>();
  while (Date.now() < deadline) {
    rounds++;
    const list = await pods();
    const now = Date.now();
    const avail = list.filter((p) => available(p, now));
    const live = list.filter((p) => !p.metadata.deletionTimestamp);
    minAvailable = Math.min(minAvailable, avail.length);
    maxPods = Math.max(maxPods, live.length);
    assert.ok(avail.length >= Math.min(MIN_AVAILABLE, replicas), `round ${rounds}: only ${avail.length} available pods: ${list.map((p) => `${p.metadata.name} ${p.status?.phase}${p.metadata.deletionTimestamp ? ' terminating' : ''}`).join(', ')}`);
    assert.ok(live.length <= replicas + 1, `round ${rounds}: ${live.length} pods > ${replicas} + maxSurge`);
    const answers = await Promise.all(avail.map(async (p) => {
      try {
        return await answer(p);
      } catch (err) {
        const now = await e.c.request('get', { kind: 'pod', name: p.metadata.name }).catch(() => undefined);
        if (!now || now.metadata.deletionTimestamp) return 'gone';
        throw new Error(`available pod ${p.metadata.name} did not answer: ${(err as Error).message}`);
      }
    }));
    for (const a of answers) {
      if (a === 'gone') continue;
      assert.ok(versions.includes(a), `unexpected answer ${a}`);
      seen.add(a);
    }
    const d = await deployment();
    const s = d.status ?? {};
    const complete = s.observedGeneration === d.metadata.generation && s.updatedReplicas === replicas && s.replicas === replicas &&
      s.availableReplicas === replicas && live.length === replicas && answers.length === replicas && answers.every((a) => a === want);
    if (complete) return { rounds, minAvailable, maxPods, seen };
    await sleep(100);
  }
  throw new Error(`rollout to ${want} did not finish in time: ${JSON.stringify((await deployment()).status)}`);
}

test('v1: 3 available pods answering on their loopback hostPorts', async () => {
  const res = await e.c.request('apply', { manifest: WEB('v1') });
  assert.is(res.results[0].outcome, 'created');
  await until('3 available pods answering v1', async () => {
    const list = await pods();
    const now = Date.now();
    if (list.length !== 3 || !list.every((p) => available(p, now))) return false;
    return (await Promise.all(list.map(answer))).every((a) => a === 'v1');
  }, 60_000);
  const d = await until('the deployment complete', async () => {
    const d = await deployment();
    return d.status?.availableReplicas === 3 && d.status.conditions?.find((c: any) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' && d;
  });
  assert.is(d.status.conditions.find((c: any) => c.type === 'Available').status, 'True');
  const [rs] = await replicaSets();
  assert.is(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
  assert.is(rs.spec.minReadySeconds, 1);
});

test('v1 → v2: never fewer than 3 available nor more than 4 pods, every available pod answers; then all answer v2', async () => {
  const res = await e.c.request('apply', { manifest: WEB('v2') });
  assert.is(res.results[0].outcome, 'configured');
  const r = await rollThrough('v2', ['v1', 'v2']);
  assert.ok(r.minAvailable >= MIN_AVAILABLE);
  assert.ok(r.maxPods <= MAX_PODS);
  assert.ok(r.seen.has('v2'));
  const sets = await replicaSets();
  assert.is(sets.length, 2);
  const byRevision = Object.fromEntries(sets.map((s) => [s.metadata.annotations?.['deployment.kubernetes.io/revision'], s.spec.replicas]));
  assert.equal(byRevision, { '1': 0, '2': 3 });
  await until('old pods gone', async () => (await pods()).length === 3);
  for (const p of await pods()) assert.is(await answer(p), 'v2', p.metadata.name);
});

test('rollout history lists the revisions; --revision shows a template', async () => {
  const h = await cli(['rollout', 'history', 'deployment/web']);
  assert.is(h.code, 0, show(h));
  assert.is(h.stdout, 'deployment.apps/web\nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n');
  const one = await cli(['rollout', 'history', 'deployment/web', '--revision', '1']);
  assert.is(one.code, 0, show(one));
  assert.match(one.stdout, /^deployment\.apps\/web with revision #1\nPod Template:\n/);
  assert.match(one.stdout, /echo v1 > \/www\/index\.html/);
  const missing = await cli(['rollout', 'history', 'deployment/web', '--revision', '9']);
  assert.is(missing.code, 1);
  assert.is(missing.stderr.trim(), 'error: unable to find the specified revision');
});

test('rollout undo brings v1 back through its old ReplicaSet, renumbered revision 3', async () => {
  const u = await cli(['rollout', 'undo', 'deployment/web']);
  assert.is(u.code, 0, show(u));
  assert.is(u.stdout.trim(), 'deployment.apps/web rolled back');
  const r = await rollThrough('v1', ['v1', 'v2']);
  assert.ok(r.minAvailable >= MIN_AVAILABLE);
  const sets = await replicaSets();
  assert.is(sets.length, 2, 'no third ReplicaSet: the v1 one was reused');
  const byRevision = Object.fromEntries(sets.map((s) => [s.metadata.annotations?.['deployment.kubernetes.io/revision'], s.spec.replicas]));
  assert.equal(byRevision, { '2': 0, '3': 3 });
  const h = await cli(['rollout', 'history', 'deployment/web']);
  assert.is(h.stdout, 'deployment.apps/web\nREVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n');
  const again = await cli(['rollout', 'undo', 'deployment/web', '--to-revision', '3']);
  assert.is(again.stdout.trim(), 'deployment.apps/web skipped rollback (current template already matches revision 3)', show(again));
});

test('pause holds a restart back; resume rolls it out', async () => {
  const p = await cli(['rollout', 'pause', 'deployment/web']);
  assert.is(p.stdout.trim(), 'deployment.apps/web paused', show(p));
  const twice = await cli(['rollout', 'pause', 'deployment/web']);
  assert.is(twice.code, 1);
  assert.is(twice.stderr.trim(), 'error: deployments.apps "web" is already paused');
  const refused = await cli(['rollout', 'restart', 'deployment/web']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /can't restart paused deployment/);
  // a template change while paused: observed, but no new ReplicaSet
  const res = await e.c.request('apply', { manifest: WEB('v3').replace('spec:\n  replicas', 'spec:\n  paused: true\n  replicas') });
  assert.is(res.results[0].outcome, 'configured');
  const d = await until('the change observed', async () => {
    const d = await deployment();
    return d.status?.observedGeneration === d.metadata.generation && d;
  });
  assert.is(d.status.conditions.find((c: any) => c.type === 'Progressing').reason, 'DeploymentPaused');
  assert.is((await replicaSets()).length, 2, 'no rollout while paused');
  const resumed = await cli(['rollout', 'resume', 'deployment/web']);
  assert.is(resumed.stdout.trim(), 'deployment.apps/web resumed', show(resumed));
  await rollThrough('v3', ['v1', 'v3']);
  const restarted = await cli(['rollout', 'restart', 'deployment/web']);
  assert.is(restarted.stdout.trim(), 'deployment.apps/web restarted', show(restarted));
  const st = await cli(['rollout', 'status', 'deployment/web', '--timeout', '90s'], 100_000);
  assert.is(st.code, 0, show(st));
  assert.match(st.stdout, /deployment "web" successfully rolled out\n$/);
  const list = await until('old pods gone', async () => {
    const l = await pods();
    return l.length === 3 && l;
  });
  for (const p of list) assert.ok(p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], 'restarted pods carry the annotation');
  for (const p of list) assert.is(await answer(p), 'v3');
});

test('scale to 5 and to 1', async () => {
  const up = await cli(['scale', 'deployment/web', '--replicas', '5']);
  assert.is(up.stdout.trim(), 'deployment.apps/web scaled', show(up));
  await until('5 available pods answering', async () => {
    const list = await pods();
    const now = Date.now();
    return list.length === 5 && list.every((p) => available(p, now)) && (await Promise.all(list.map(answer))).every((a) => a === 'v3');
  }, 60_000);
  const down = await cli(['scale', 'deployment/web', '--replicas', '1']);
  assert.is(down.code, 0, show(down));
  await until('1 pod, its deployment complete', async () => {
    const d = await deployment();
    return (await pods()).length === 1 && d.status.replicas === 1 && d.status.availableReplicas === 1;
  }, 60_000);
  await until('4 httpd containers gone', async () => (await containersOf(e.name, false)).filter((c) => c.Labels['io.starling.container'] === 'httpd').length === 1);
});

test('rollout status exits 1 on a missed progress deadline', async () => {
  await e.c.request('apply', {
    manifest: `
apiVersion: apps/v1
kind: Deployment
metadata: { name: stuck }
spec:
  replicas: 1
  progressDeadlineSeconds: 3
  selector: { matchLabels: { app: stuck } }
  template:
    metadata: { labels: { app: stuck } }
    spec:
      containers:
        - name: main
          image: starling-e2e-no-such-image:latest
          imagePullPolicy: Never
`,
  });
  const st = await cli(['rollout', 'status', 'deployment/stuck', '--timeout', '60s'], 70_000);
  assert.is(st.code, 1, show(st));
  assert.is(st.stderr.trim(), 'error: deployment "stuck" exceeded its progress deadline');
  const d = await deployment('stuck');
  const p = d.status.conditions.find((c: any) => c.type === 'Progressing');
  assert.equal([p.status, p.reason], ['False', 'ProgressDeadlineExceeded']);
  await e.c.request('delete', { kind: 'deployment', names: ['stuck', 'web'], wait: true });
  await until('no containers left', async () => (await containersOf(e.name)).length === 0);
});

test.run();
