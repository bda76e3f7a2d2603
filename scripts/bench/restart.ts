// Restart benchmark: a node (sim runtime, default preset, its own process) with N objects in
// its data dir is stopped (SIGTERM) and started again; measured from the spawn of
// `starling node start` until its API answers a request — which it does only once the store is
// loaded and every actor it hosts is restored from its snapshot and told what its containers did
// meanwhile. The objects are what a cluster holds: Deployments of 10 replicas, each with its
// ReplicaSet and 10 running pods (12 objects, every one with an actor), plus events.
//
//   node --import tsx scripts/bench/restart.ts [--quick] [--objects N] [--repeat R]
//
// Default 10,000 objects (--quick: 2,000), R = 3 restarts (--quick: 2; 1 at N/5) at N/5 objects and at N,
// so the table shows how restart time grows with objects. Also measured: `starling --help`
// (the JavaScript runtime and the modules loading, no store), the data dir's size and the node's
// RSS after the restart. Target: <= 1 s at N.
// The last line on stdout is the JSON result (scripts/bench/lib.ts); progress goes to stderr.

import { execFileSync } from 'node:child_process';
import type { ApiClient } from '../../src/api/client.ts';
import { emit, numberArg, percentile, progress, quick, round } from './lib.ts';
import { BenchNode, benchDeployment, isRunning, now, ROOT, runBenchmark, sleep, STARLING } from './single-node.ts';

const OBJECTS = numberArg('objects', quick ? 2000 : 10_000);
const REPEAT = numberArg('repeat', quick ? 2 : 3);
const PER_DEPLOYMENT = 12; // Deployment + ReplicaSet + 10 pods
const HOST = '127.0.0.206';
const node = new BenchNode({ prefix: 'bench-restart', host: HOST, runtime: 'sim', extra: ['--cpu', '1000', '--memory', '4Ti'] });

const deployments = (from: number, to: number) => Array.from({ length: to - from }, (_, k) =>
  benchDeployment({ name: `app-${from + k}`, replicas: 10, requests: '{ cpu: 1m, memory: 1Mi }' })).join('---\n');

/** Applies Deployments [from, to) in batches and waits until all their pods are Running. */
async function grow(c: ApiClient, from: number, to: number) {
  const t0 = now();
  for (let i = from; i < to; i += 25) await c.request('apply', { manifest: deployments(i, Math.min(to, i + 25)) });
  const want = to * 10;
  const deadline = Date.now() + (quick ? 120_000 : 600_000);
  let last = 0;
  for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
    const pods = (await c.request('get', { kind: 'pods' })).items as any[];
    const running = pods.filter(isRunning).length;
    if (running !== last) progress(`  ${running}/${want} pods Running`);
    last = running;
    if (pods.length === want && running === want) {
      progress(`  ${to} Deployments, ${want} pods Running after ${((now() - t0) / 1000).toFixed(1)} s`);
      return;
    }
    await sleep(1000);
  }
  throw new Error(`${want} pods were not Running in time (${last})`);
}

async function countObjects(c: ApiClient): Promise<number> {
  let n = 0;
  for (const kind of ['pods', 'replicasets', 'deployments', 'namespaces', 'nodes', 'services']) n += ((await c.request('get', { kind, allNamespaces: true })).items as any[]).length;
  return n;
}

async function restarts(label: string, repeat: number): Promise<{ objects: number; samples: number[]; cpu: number[]; rss_mb: number; data_mb: number }> {
  const c = await node.client();
  const objects = await countObjects(c);
  c.close();
  const samples: number[] = [];
  const cpu: number[] = [];
  let rss = 0;
  for (let r = 0; r < repeat; r++) {
    await node.kill('SIGTERM', 30_000);
    const t0 = await node.spawn();
    const at = await node.waitServing(60_000, 5);
    samples.push((at - t0) / 1000);
    // CPU the node spent until it served (less sensitive than wall time to a busy machine)
    cpu.push(node.cpuS());
    rss = node.rssMB();
    progress(`  ${label}: restart ${r + 1}/${repeat} with ${objects} objects: serving after ${samples.at(-1)!.toFixed(3)} s, ${cpu.at(-1)!.toFixed(2)} s of CPU (RSS ${rss.toFixed(0)} MB)`);
    await sleep(1500);
  }
  const dataMB = Number(execFileSync('du', ['-sk', node.dataDir]).toString().split('\t')[0]) / 1024;
  return { objects, samples, cpu, rss_mb: rss, data_mb: dataMB };
}

/** `starling --help`: the JavaScript runtime starting and loading every module, nothing else. */
function bootTime(): number {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = now();
    execFileSync(process.execPath, [STARLING, '--help'], { cwd: ROOT, stdio: 'ignore' });
    xs.push((now() - t0) / 1000);
  }
  return percentile(xs, 50);
}

async function main() {
  const total = Math.max(1, Math.round(OBJECTS / PER_DEPLOYMENT));
  const small = Math.max(1, Math.round(total / 5));
  progress(`restart: a sim node on ${HOST}; ${small} then ${total} Deployments of 10 pods (${small * PER_DEPLOYMENT} then ${total * PER_DEPLOYMENT} objects), ${REPEAT} restarts each`);
  const boot = bootTime();
  progress(`restart: \`starling --help\` (runtime + modules) takes ${boot.toFixed(3)} s`);
  await node.start();
  let c = await node.client();
  await grow(c, 0, small);
  c.close();
  const a = await restarts('small', quick ? 1 : REPEAT);
  c = await node.client();
  await grow(c, small, total);
  c.close();
  const b = await restarts('full', REPEAT);

  const p50 = percentile(b.samples, 50);
  const max = Math.max(...b.samples);
  const met = max <= 1;
  const perK = (percentile(b.samples, 50) - percentile(a.samples, 50)) / ((b.objects - a.objects) / 1000);
  emit({
    benchmark: 'restart',
    figure: `${b.objects} objects: serving after ${round(p50, 2)} s (max ${round(max, 2)} s); ${a.objects} objects: ${round(percentile(a.samples, 50), 2)} s`,
    target: '<= 1 s from start to serving with every actor resumed',
    met,
    anchor: '— (no anchor; `starling --help`, the runtime and modules alone, takes ' + round(boot, 2) + ' s here)',
    command: `node --import tsx scripts/bench/restart.ts${quick ? ' --quick' : ''}`,
    ...(met ? {} : {
      note: `${round(boot, 2)} s is the JavaScript runtime and modules (\`starling --help\`); the rest grows with the objects, about ${round(perK * 1000, 0)} ms per 1,000: every object and actor record is read from LevelDB and decoded, the sim engine's containers are read back and matched with their pods' actors, before the API answers (the actors stay dormant until their first event; the events are read after, in the background).`,
    }),
    objects: b.objects,
    p50_s: round(p50),
    max_s: round(max),
    samples_s: b.samples.map((x) => round(x)),
    cpu_s: round(percentile(b.cpu, 50)),
    small_objects: a.objects,
    small_p50_s: round(percentile(a.samples, 50)),
    small_samples_s: a.samples.map((x) => round(x)),
    small_cpu_s: round(percentile(a.cpu, 50)),
    ms_per_1000_objects: round(perK * 1000, 0),
    boot_s: round(boot),
    rss_mb: round(b.rss_mb, 0),
    small_rss_mb: round(a.rss_mb, 0),
    data_dir_mb: round(b.data_mb, 1),
  });
}

await runBenchmark('restart', main, () => node.stop());
