// Replica burst benchmark: on one node with the Docker runtime, `apply` of a Deployment of R
// replicas until R pods are Running with their containers ready (seen by a watch on the same
// node), held against Docker Swarm mode on the same engine: `docker service create --replicas R`
// of the same image and command until R tasks are running.
//
//   node --import tsx scripts/bench/burst.ts [--quick] [--replicas R]
//
// Default 30 replicas (--quick: 10). Starling runs first; its node and containers are removed
// before Swarm runs, so both start from the same engine state. Swarm: `docker swarm init
// --advertise-addr 127.0.0.1` when the engine is not in a swarm yet (then left again with
// `docker swarm leave --force`, and the docker_gwbridge network it made removed); the service is
// removed and its containers are gone before that. Swarm's tasks are counted through the Docker
// API (GET /tasks) every 100 ms, from the moment the `docker service create --detach` CLI starts.
// Target: Starling's time <= 0.5 × Swarm's.
// The last line on stdout is the JSON result (scripts/bench/lib.ts); progress goes to stderr.

import { docker } from '../../test/support/docker.ts';
import { emit, numberArg, progress, quick, round, untilQuiet } from './lib.ts';
import { BenchNode, benchDeployment, IMAGE, isRunning, now, POD_COMMAND, procCpuS, run, runBenchmark, sleep, withDeadline } from './single-node.ts';

const REPLICAS = numberArg('replicas', quick ? 10 : 30);
const HOST = '127.0.0.202';
const SERVICE = `starling-bench-burst-${process.pid}`;
const node = new BenchNode({ prefix: 'bench-burst', host: HOST, runtime: 'docker' });

const deployment = (replicas: number) => benchDeployment({ name: 'burst', replicas, graceSeconds: 1, command: POD_COMMAND });

let swarmInitedHere = false;
let gwbridgeBefore = true;
let serviceMade = false;

async function starling(): Promise<{ seconds: number; first_s: number; node_cpu_s: number }> {
  await node.start();
  const c = await node.client();
  const running = new Map<string, number>();
  let resolveAll!: (at: number) => void;
  const all = new Promise<number>((r) => (resolveAll = r));
  const watch = await c.stream('watch', { kind: 'pods', selector: 'app=burst' }, (ev: { type: string; object: any }) => {
    const at = now();
    if (ev.type !== 'DELETED' && isRunning(ev.object) && !running.has(ev.object.metadata.name)) {
      running.set(ev.object.metadata.name, at);
      if (running.size >= REPLICAS) resolveAll(at);
    }
  });
  watch.done.catch(() => {});
  progress(`burst: the machine quiet after ${await untilQuiet()} ms`);
  const cpu0 = procCpuS(node.pid!);
  const applied = now();
  await c.request('apply', { manifest: deployment(REPLICAS) });
  const done = await withDeadline(`${REPLICAS} Running pods`, 120_000, all);
  const first = Math.min(...running.values());
  return { seconds: (done - applied) / 1000, first_s: (first - applied) / 1000, node_cpu_s: procCpuS(node.pid!) - cpu0 };
}

async function swarmState(): Promise<string> {
  return (await run('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
}

async function swarm(): Promise<{ seconds: number; first_s: number }> {
  const state = await swarmState();
  gwbridgeBefore = (await docker.listNetworks({ filters: { name: ['docker_gwbridge'] } })).some((n) => n.Name === 'docker_gwbridge');
  if (state !== 'active') {
    progress('burst: docker swarm init --advertise-addr 127.0.0.1');
    swarmInitedHere = true;
    await run('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1'], 60_000);
  } else {
    progress('burst: the engine is already in a swarm; using it (it is left as it was)');
  }
  progress(`burst: the machine quiet after ${await untilQuiet()} ms`);
  const t0 = now();
  serviceMade = true;
  await run('docker', [
    'service', 'create', '--detach', '--replicas', String(REPLICAS), '--no-resolve-image', '--name', SERVICE,
    IMAGE, 'sh', '-c', POD_COMMAND,
  ], 60_000);
  let first: number | undefined;
  const deadline = Date.now() + 120_000;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const tasks = await docker.listTasks({ filters: { service: [SERVICE], 'desired-state': ['running'] } } as any);
    const at = now();
    const n = (tasks as unknown as any[]).filter((t) => t.Status?.State === 'running').length;
    if (n > 0) first ??= at;
    if (n >= REPLICAS) return { seconds: (at - t0) / 1000, first_s: ((first ?? at) - t0) / 1000 };
    await sleep(100);
  }
  throw new Error(`Swarm did not run ${REPLICAS} tasks within 120 s`);
}

async function cleanupSwarm() {
  if (serviceMade) {
    serviceMade = false;
    await run('docker', ['service', 'rm', SERVICE]).catch((e) => progress(`burst: ${e.message}`));
    // the tasks' containers go asynchronously; leaving the swarm before they are gone can fail
    const deadline = Date.now() + 60_000;
    for (let i = 0; Date.now() < deadline && i < 600; i++) {
      const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${SERVICE}`] } });
      if (left.length === 0) break;
      await sleep(250);
    }
  }
  if (swarmInitedHere) {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await run('docker', ['swarm', 'leave', '--force'], 60_000);
      } catch (e) {
        progress(`burst: ${(e as Error).message}`);
      }
      if (await swarmState().catch(() => 'unknown') === 'inactive') {
        swarmInitedHere = false;
        break;
      }
      await sleep(2000);
    }
    if (swarmInitedHere) progress('burst: WARNING: the engine is still in the swarm this benchmark made; run `docker swarm leave --force`');
    else if (!gwbridgeBefore) await run('docker', ['network', 'rm', 'docker_gwbridge']).catch(() => {});
  }
}

async function main() {
  progress(`burst: a Deployment of ${REPLICAS} replicas on a docker-runtime node (${HOST}), then Swarm with ${REPLICAS} replicas`);
  const s = await starling();
  progress(`burst: Starling ${REPLICAS}/${REPLICAS} Running after ${s.seconds.toFixed(2)} s (first after ${s.first_s.toFixed(2)} s; the node used ${s.node_cpu_s.toFixed(2)} s of CPU)`);
  await node.stop();
  await sleep(1000);
  const w = await swarm();
  progress(`burst: Swarm ${REPLICAS}/${REPLICAS} running after ${w.seconds.toFixed(2)} s (first after ${w.first_s.toFixed(2)} s)`);
  await cleanupSwarm();
  const ratio = s.seconds / w.seconds;
  const met = ratio <= 0.5;
  emit({
    benchmark: 'burst',
    figure: `${REPLICAS} pods in ${round(s.seconds, 2)} s = ${round(ratio, 2)} × Swarm (${round(w.seconds, 2)} s)`,
    target: '<= 0.5 × Docker Swarm\'s time to the same number of running replicas',
    met,
    anchor: `Docker Swarm mode on the same engine (docker service create --replicas ${REPLICAS} --no-resolve-image): ${round(w.seconds, 2)} s in this run`,
    command: `node --import tsx scripts/bench/burst.ts${quick ? ' --quick' : ''}`,
    ...(met ? {} : {
      note: `${REPLICAS} pods are ${REPLICAS} container starts, as Swarm's ${REPLICAS} tasks (a pod of one container has no sandbox); the node binds them all within milliseconds and used ${round(s.node_cpu_s, 2)} s of CPU, and the engine's starts (runc, containerd, the kernel's network namespaces and cgroups) keep both cores busy until the last one.`,
    }),
    replicas: REPLICAS,
    seconds: round(s.seconds),
    first_s: round(s.first_s),
    node_cpu_s: round(s.node_cpu_s),
    pods_per_s: round(REPLICAS / s.seconds, 2),
    swarm_seconds: round(w.seconds),
    swarm_first_s: round(w.first_s),
    ratio: round(ratio),
  });
}

await runBenchmark('burst', main, async () => {
  await node.stop();
  await cleanupSwarm();
});
