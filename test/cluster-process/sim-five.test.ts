// Five `starling node start` processes on the sim runtime, each on its own loopback address
// (127.0.0.31–35): all Ready on every node; a 10-replica Deployment spreads over them; a node
// SIGKILLed is seen NotReady and its pods are replaced Running on the others; restarted on its
// data dir without a token it rejoins, is Ready, and the Deployment ends with exactly 10 pods;
// a process joining with a wrong token exits non-zero, saying the token was refused, and the
// cluster keeps its 5 nodes.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiClient } from '../../src/api/client.ts';
import { NodeProcess, sleep, until } from '../support/node-process.ts';
import { deployment, isRunning, podsOf, ProcessCluster, spread } from '../support/process-cluster.ts';

const test = suite('cluster processes: 5 nodes on sim');
const cluster = new ProcessCluster({ nodes: 5, prefix: 'cp-sim', runtime: 'sim', hostBase: 30 });
const APP = 'five';
let c: ApiClient;
let victim = '';
let victimPods: any[] = [];

test.before(async () => {
  await cluster.start();
  c = await cluster.client(0);
});
test.after(async () => {
  await cluster.stop();
});

const fmt = (m: Map<string, number>) => [...m].map(([n, k]) => `${n.replace(/^.*-(n\d+)$/, '$1')}:${k}`).sort().join(' ');

test('all 5 nodes are Ready, as every node sees it', async () => {
  await cluster.waitReady(cluster.names, 30_000);
  for (const n of cluster.nodes) {
    const cl = await cluster.client(n.index);
    const v = await ProcessCluster.readiness(cl);
    assert.equal([...v.keys()].sort(), [...cluster.names].sort(), `nodes seen by ${n.name}`);
    cluster.closeClient(cl);
  }
});

test('a 10-replica Deployment spreads over the nodes and runs', async () => {
  const res = await c.request('apply', { manifest: deployment(APP, 10) });
  assert.is(res.results[0].outcome, 'created');
  const pods: any[] = await until('10 Running pods', async () => {
    const l = await podsOf(c, APP);
    return l.length === 10 && l.every(isRunning) && l;
  }, 30_000);
  const s = spread(pods);
  console.log(`  spread: ${fmt(s)}`);
  // Placement is decided by each pod's own actor on several nodes at once, so the spread is not
  // exact; a floor that holds for any reasonable spreading: at least 3 of the 5 nodes run pods.
  assert.ok(s.size >= 3, `pods spread over the nodes (${fmt(s)})`);
  assert.ok(!s.has('(unbound)'));
  // every node holds the same pods
  for (const n of cluster.nodes.slice(1)) {
    const cl = await cluster.client(n.index);
    await until(`${n.name} sees the 10 pods`, async () => {
      const l = await podsOf(cl, APP);
      return l.length === 10 && l.every(isRunning);
    }, 10_000);
    cluster.closeClient(cl);
  }
  // the victim: the busiest node but the first (the test's client stays on the first)
  const busiest = [...s].filter(([n]) => n !== cluster.first.name).sort((a, b) => b[1] - a[1])[0];
  victim = busiest[0];
  victimPods = pods.filter((p) => p.spec.nodeName === victim);
});

test('SIGKILL of a node: NotReady on the others, its pods replaced Running elsewhere', async () => {
  assert.ok(victim && victimPods.length > 0);
  const started = Date.now();
  assert.is(await cluster.kill(victim, 'SIGKILL'), null);
  const gone = new Set(victimPods.map((p) => p.metadata.uid));
  let replacedAt = 0;
  await until('the victim\'s pods replaced Running on other nodes', async () => {
    const l = await podsOf(c, APP);
    const ok = l.filter((p) => p.spec.nodeName !== victim && isRunning(p));
    const done = ok.length === 10 && !l.some((p) => gone.has(p.metadata.uid) && isRunning(p));
    if (done && !replacedAt) replacedAt = Date.now();
    return done;
  }, 30_000, 50);
  console.log(`  failover: ${victimPods.length} pods of ${victim} replaced Running in ${((replacedAt - started) / 1000).toFixed(2)} s`);
  const survivors = cluster.names.filter((n) => n !== victim);
  await cluster.waitReady(survivors, 30_000, [victim]);
  const l = await podsOf(c, APP);
  assert.ok(!l.some((p) => p.spec.nodeName === victim && isRunning(p)), 'no pod counted Running on the dead node');
});

test('the restarted node rejoins without a token, is Ready, and the Deployment has exactly 10 pods', async () => {
  const n = cluster.node(victim);
  const from = n.proc.log.length;
  await cluster.restart(victim);
  assert.not.match(n.proc.log.slice(from), /joined cluster .* through/);
  await cluster.waitReady(cluster.names, 30_000);
  const old = new Set(victimPods.map((p) => p.metadata.uid));
  // exactly 10, all Running, none of the dead node's old pods back — and it stays that way
  let stableSince = 0;
  await until('exactly 10 Running pods, stable for 3 s', async () => {
    const l = await podsOf(c, APP);
    const good = l.length === 10 && l.every(isRunning) && !l.some((p) => old.has(p.metadata.uid));
    if (!good) {
      stableSince = 0;
      throw new Error(`${l.length} pods: ${l.map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}`).join(', ')}`);
    }
    stableSince ||= Date.now();
    return Date.now() - stableSince >= 3000;
  }, 30_000, 200);
  const rs = (await c.request('get', { kind: 'rs' })).items as any[];
  assert.is(rs.length, 1);
  assert.is(rs[0].spec.replicas, 10);
  // every node, the restarted one too, agrees
  for (const node of cluster.nodes) {
    const cl = await cluster.client(node.index);
    await until(`${node.name} sees exactly 10 Running pods`, async () => {
      const l = await podsOf(cl, APP);
      return l.length === 10 && l.every(isRunning) && !l.some((p) => old.has(p.metadata.uid));
    }, 15_000);
    cluster.closeClient(cl);
  }
});

test('a wrong join token: the joining process exits non-zero within seconds, saying the token was refused', async () => {
  const good = cluster.joinToken();
  // the real token id with a wrong secret (kubeadm's format, so it is refused by the seed)
  const [id, secret] = good.split('.');
  const wrong = `${id}.${secret === 'a'.repeat(16) ? 'b'.repeat(16) : 'a'.repeat(16)}`;
  const name = `${cluster.first.name.replace(/-n1$/, '')}-intruder`;
  const intruder = new NodeProcess({ name, host: '127.0.0.36', runtime: 'sim', extra: ['--join', cluster.addr(0), '--token', wrong] });
  try {
    const started = Date.now();
    let err: Error | undefined;
    try {
      await intruder.start(20_000);
    } catch (e) {
      err = e as Error;
    }
    const secs = (Date.now() - started) / 1000;
    assert.ok(err, 'the process with a wrong token must not come up');
    assert.match(err!.message, /exited \([1-9]\d*\)/, err!.message);
    assert.match(intruder.log, /token/);
    assert.match(intruder.log, /refused/);
    console.log(`  wrong token refused; the joining process exited after ${secs.toFixed(1)} s`);
  } finally {
    await intruder.kill('SIGKILL');
    intruder.removeDirs();
  }
  await sleep(1000);
  const v = await ProcessCluster.readiness(c);
  assert.is(v.size, 5);
  assert.ok(!v.has(name));
  await cluster.waitReady(cluster.names, 10_000);
});

test.run();
