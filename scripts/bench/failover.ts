// Failover benchmark: 5 `starling node start` processes (sim runtime, default preset) on
// loopback, a Deployment of 50 pods; SIGKILL the node running the most pods and time until all
// its pods are Running on the others; the killed node is restarted between repetitions. The
// repetitions are scripts/failover.ts's (this file runs them with its own settings and prints
// the result line through lib.emit).
//
//   node --import tsx scripts/bench/failover.ts [--quick] [--repeat R]
//
// In the same run, as the anchor: 5 Serf agents (Debian's serf, LAN profile defaults) on
// 127.35.0.x; SIGKILL one, time until every other agent has logged it failed ("serf:
// EventMemberFailed"), restart it, again R times (a different agent each time). Serf's figure
// is detection alone; Starling's includes detection, eviction, rescheduling and the new pods
// starting. --quick: 3 repetitions (10 otherwise).

import { clusterFor, nodeLogTails, type Options, runFailover } from '../failover.ts';
import { emit, numberArg, percentile, progress, quick, round } from './lib.ts';
import { SerfCluster, serfVersion } from './serf.ts';

const REPEAT = numberArg('repeat', quick ? 3 : 10);
const opts: Options = { nodes: 5, pods: 50, repeat: REPEAT, runtime: 'sim', preset: 'default', timeoutS: 60, hostBase: 200 };
const now = () => performance.timeOrigin + performance.now();

const cluster = clusterFor(opts);
const serf = new SerfCluster({ n: 5, prefix: `fo${process.pid}`, hostPrefix: '127.35.0' });
let cleaning: Promise<void> | undefined;
const cleanup = () => (cleaning ??= Promise.all([cluster.stop(), serf.stop()]).then(() => {}));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    progress(`${sig}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

/** Serf: kill agent v, time until all the others log it failed; restart it. */
async function serfRuns(): Promise<{ all: number[]; first: number[] }> {
  await serf.start();
  const all: number[] = [];
  const first: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const v = 1 + (r % 4);
    const others = [0, 1, 2, 3, 4].filter((k) => k !== v);
    const failed = serf.expect(new RegExp(`serf: EventMemberFailed: ${serf.names[v]} `), others, 60_000);
    const t0 = now();
    await serf.kill(v);
    const times = [...(await failed).values()];
    all.push((Math.max(...times) - t0) / 1000);
    first.push((Math.min(...times) - t0) / 1000);
    progress(`serf repetition ${r + 1}/${REPEAT}: ${serf.names[v]} marked failed by all others after ${all[r].toFixed(2)} s (first ${first[r].toFixed(2)} s)`);
    await serf.restart(v);
  }
  return { all, first };
}

let code = 0;
try {
  const version = serfVersion();
  const [st, sf] = await Promise.all([runFailover(opts, cluster), serfRuns()]);
  const serfP50 = percentile(sf.all, 50);
  const met = st.p50_s <= 2 && st.max_s <= 4 && st.p50_s < serfP50;
  emit({
    benchmark: 'failover',
    target: 'p50 <= 2 s, max <= 4 s — faster than Serf’s detection alone',
    met,
    anchor: `Serf (${version}, memberlist LAN defaults), 5 agents on loopback, same run: SIGKILL of one → marked failed at all the others; Kubernetes default ≈ 350 s (node-monitor-grace-period + pod eviction)`,
    command: `node --import tsx scripts/bench/failover.ts${quick ? ' --quick' : ''}`,
    ...(met ? {} : { note: `p50 ${st.p50_s} s, max ${st.max_s} s (Serf detection p50 ${round(serfP50)} s)` }),
    nodes: st.nodes,
    pods: st.pods,
    repeats: st.repeats,
    p50_s: st.p50_s,
    max_s: st.max_s,
    samples_s: st.samples_s,
    detect_s: st.detect_s,
    moved: st.moved,
    serf_p50_s: round(serfP50),
    serf_max_s: round(Math.max(...sf.all)),
    serf_samples_s: sf.all.map((x) => round(x)),
    serf_first_s: sf.first.map((x) => round(x)),
    ratio_p50_starling_to_serf: round(st.p50_s / serfP50),
  });
} catch (e) {
  progress(`FAILED: ${(e as Error).stack}`);
  process.stderr.write(`${nodeLogTails(cluster)}\n`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
