// Footprint benchmark: the memory (RSS) and CPU of a node process, run as users run it
// (`starling node start`, default preset), read from /proc/PID/status (VmRSS) and /proc/PID/stat
// (utime + stime) over a window once it has settled:
//   1. idle, Docker runtime (what a user's node runs)      — the "idle" target
//   2. idle, sim runtime
//   3. the sim node with a Deployment of 100 running pods   — the "100 pods" target
//   4. (full run only) the sim node with 1,000 pods, for how the cost grows
//
//   node --import tsx scripts/bench/footprint.ts [--quick] [--window S] [--settle S]
//
// Window 30 s after 20 s to settle (--quick: 9 s after 10 s; 6 s after pods were made); the two
// idle nodes are measured side by side. RSS is the mean of one sample per second over
// the window (and its max); CPU is CPU time over the window ÷ its length, in % of one core.
// Targets: idle <= 60 MB and <= 1 % of a core; with 100 pods <= 100 MB. Anchors: the k3s agent
// (about 275 MB and 3 % of a core idle, its documented figures); the kubelet's
// system-reserved guidance of 200–300 MiB.
// The last line on stdout is the JSON result (scripts/bench/lib.ts); progress goes to stderr.

import type { ApiClient } from '../../src/api/client.ts';
import { emit, numberArg, progress, quick, round } from './lib.ts';
import { BenchNode, benchDeployment, isRunning, measureWindow, runBenchmark, sleep } from './single-node.ts';

const WINDOW_S = numberArg('window', quick ? 9 : 30);
/** after a start: the first seconds are module compilation, the first GCs, the first timers */
const SETTLE_S = numberArg('settle', quick ? 10 : 20);
/** after pods were made */
const POD_SETTLE_S = quick ? 6 : 20;
const docker = new BenchNode({ prefix: 'bench-fp-docker', host: '127.0.0.204', runtime: 'docker' });
const sim = new BenchNode({ prefix: 'bench-fp-sim', host: '127.0.0.205', runtime: 'sim' });

const deployment = (replicas: number) => benchDeployment({ name: 'fp', replicas, requests: '{ cpu: 1m, memory: 1Mi }' });

async function scaleTo(c: ApiClient, replicas: number) {
  await c.request('apply', { manifest: deployment(replicas) });
  const deadline = Date.now() + 120_000;
  for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
    const pods = (await c.request('get', { kind: 'pods', selector: 'app=fp' })).items as any[];
    if (pods.length === replicas && pods.every(isRunning)) return;
    await sleep(250);
  }
  throw new Error(`${replicas} pods were not Running within 120 s`);
}

type Sample = Awaited<ReturnType<typeof measureWindow>>;
const fmt = (s: Sample) => `RSS ${s.rss_mb.toFixed(1)} MB (max ${s.rss_max_mb.toFixed(1)}), CPU ${s.cpu_pct.toFixed(2)} %`;
const out = (s: Sample) => ({ rss_mb: round(s.rss_mb, 1), rss_max_mb: round(s.rss_max_mb, 1), cpu_pct: round(s.cpu_pct, 2) });

async function main() {
  progress(`footprint: windows of ${WINDOW_S} s after ${SETTLE_S} s to settle (${POD_SETTLE_S} s after pods were made)`);
  // the two idle nodes side by side (idle, they do not disturb each other)
  await Promise.all([docker.start(), sim.start()]);
  await sleep(SETTLE_S * 1000);
  const [idleDocker, idleSim] = await Promise.all([measureWindow(docker.pid!, WINDOW_S * 1000), measureWindow(sim.pid!, WINDOW_S * 1000)]);
  progress(`footprint: idle node, docker runtime: ${fmt(idleDocker)}`);
  progress(`footprint: idle node, sim runtime: ${fmt(idleSim)}`);
  await docker.stop();

  const c = await sim.client();
  await scaleTo(c, 100);
  await sleep(POD_SETTLE_S * 1000);
  const pods100 = await measureWindow(sim.pid!, WINDOW_S * 1000);
  progress(`footprint: 100 pods (sim): ${fmt(pods100)}`);

  let pods1000: Sample | undefined;
  if (!quick) {
    await scaleTo(c, 1000);
    await sleep(POD_SETTLE_S * 1000);
    pods1000 = await measureWindow(sim.pid!, WINDOW_S * 1000);
    progress(`footprint: 1,000 pods (sim): ${fmt(pods1000)}`);
  }
  await sim.stop();

  const perPodKB = ((pods100.rss_mb - idleSim.rss_mb) / 100) * 1024;
  const perPodKB1000 = pods1000 ? ((pods1000.rss_mb - idleSim.rss_mb) / 1000) * 1024 : undefined;
  const missed: string[] = [];
  if (idleDocker.rss_mb > 60) missed.push(`idle RSS ${round(idleDocker.rss_mb, 1)} MB > 60 MB`);
  if (idleDocker.cpu_pct > 1) missed.push(`idle CPU ${round(idleDocker.cpu_pct, 2)} % > 1 %`);
  if (pods100.rss_mb > 100) missed.push(`RSS with 100 pods ${round(pods100.rss_mb, 1)} MB > 100 MB`);
  const met = missed.length === 0;
  emit({
    benchmark: 'footprint',
    figure: `idle ${round(idleDocker.rss_mb, 0)} MB, ${round(idleDocker.cpu_pct, 2)} % CPU; 100 pods ${round(pods100.rss_mb, 0)} MB, ${round(pods100.cpu_pct, 2)} % CPU`,
    target: 'idle <= 60 MB RSS and <= 1 % of a core; <= 100 MB RSS with 100 pods',
    met,
    anchor: 'k3s agent ≈ 275 MB RSS and 3 % of a core idle (k3s docs); kubelet system-reserved guidance 200–300 MiB (not run here)',
    command: `node --import tsx scripts/bench/footprint.ts${quick ? ' --quick' : ''}`,
    ...(met ? {} : {
      note: `${missed.join('; ')}: Node.js 20 alone is about 41 MB RSS (35 MB of it its own binary's pages) before any module; its dependencies (xstate, ws with Node's http stack, msgpackr, level, yaml) bring a bare process with nothing running to about 58 MB; the Docker client (dockerode and docker-modem, without ssh2 and BuildKit's gRPC) adds 1–3 MB, the node's own modules and heap the rest; about 3 MB varies from run to run with glibc's malloc arenas of the node's threads.`,
    }),
    window_s: WINDOW_S,
    idle_docker: out(idleDocker),
    idle_sim: out(idleSim),
    pods_100_sim: out(pods100),
    ...(pods1000 ? { pods_1000_sim: out(pods1000) } : {}),
    rss_per_pod_kb: round(perPodKB, 0),
    ...(perPodKB1000 !== undefined ? { rss_per_pod_kb_1000: round(perPodKB1000, 0) } : {}),
  });
}

await runBenchmark('footprint', main, async () => {
  await docker.stop();
  await sim.stop();
});
