// Throughput benchmark: one Deployment of R replicas applied to a cluster of N nodes on the sim
// runtime, until every pod is Running on its node and that status is visible on the node where it
// was applied. Pods per second end to end, and what it cost each node.
//
//   node --import tsx scripts/bench/throughput.ts [--quick] [--sizes 20x1000,50x5000,100x1000,100x10000]
//                                                  [--gossip lan|default] [--processes P] [--profile DIR]
//
// The nodes run several per process (scripts/bench/groups.ts, 4 processes) over real WebSockets
// on 127.33.0.x, with the default preset. The Deployment goes to node 1 through the API; a watch
// on node 1 (the same API) follows the pods: done when R pods are Running with every container
// ready, bound to a node, none being deleted. Per size: pods/s = R / (last Running − apply), the
// times at which 10 / 50 / 90 % were Running, and per node: CPU (all node processes' CPU time ÷
// N ÷ R: the CPU one node spends per pod of the cluster), RSS, objects held, records merged,
// bytes sent, records merged by kind, suspicions seen; the progress lines also say how many
// nodes node 1 sees not Ready and which pods stopped counting (deleted, not ready). The headline
// is the last size run (full: the issue's 100 nodes, 10,000 replicas, about 7 GiB of memory;
// --quick: 20 nodes, 1,000 replicas). Anchors (not run here): kube-scheduler's CI minimum of
// 680–810 pods/s at 5,000 nodes (scheduler only, no kubelets), kwok about 20 pods/s, Nomad's C2M
// about 1,500/s.

import { mkdirSync } from 'node:fs';
import { freemem } from 'node:os';
import type { ApiClient } from '../../src/api/client.ts';
import { defaultGossip } from '../../src/config.ts';
import { emit, numberArg, progress, quick, round } from './lib.ts';
import { GroupCluster } from './groups.ts';

const sizesArg = (() => {
  const i = process.argv.indexOf('--sizes');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
/** --profile DIR: CPU profiles of the node processes over the timed phase, DIR/group-G.cpuprofile */
const PROFILE_DIR = (() => {
  const i = process.argv.indexOf('--profile');
  return i >= 0 ? process.argv[i + 1] : undefined;
})();
/** how many processes the nodes share (--processes, default 4) */
const PROCESSES = numberArg('processes', 4);
const SIZES: { n: number; r: number }[] = (sizesArg ?? (quick ? '20x1000' : '20x1000,50x5000,100x1000,100x10000'))
  .split(',').map((s) => {
    const [n, r] = s.split('x').map(Number);
    if (!(n >= 1 && r >= 1)) throw new Error(`--sizes: expected NODESxREPLICAS[,...], got ${s}`);
    return { n, r };
  });
/**
 * Failure detection timing: `lan` (default here) is memberlist's LAN profile, as Serf uses it —
 * probe every 1 s, 500 ms ack timeout, gossip every 200 ms — instead of Starling's own 300 ms
 * probes: N nodes share this machine's cores, so a node's event loop can be late by seconds while
 * thousands of pods come up, and with 300 ms probes that reads as a failure (each false death
 * evicts the node's pods and the run measures the churn instead). `--gossip default` keeps
 * Starling's defaults.
 */
const GOSSIP = (() => {
  const i = process.argv.indexOf('--gossip');
  return i >= 0 ? process.argv[i + 1] : 'lan';
})();
const LAN_GOSSIP = { ...defaultGossip, probeIntervalMs: 1000, probeTimeoutMs: 500, gossipIntervalMs: 200 };
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let current: GroupCluster | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    progress(`${sig}: stopping`);
    (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

const manifest = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: tp }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: tp }
  template:
    metadata:
      labels: { app: tp }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: busybox:latest
          command: ["sh", "-c", "exec httpd -f -p 8080"]
          resources:
            requests: { cpu: 10m, memory: 8Mi }
`;

const isRunning = (p: any) =>
  p.status?.phase === 'Running' && !!p.spec?.nodeName && !p.metadata?.deletionTimestamp &&
  (p.status.containerStatuses ?? []).length > 0 && p.status.containerStatuses.every((s: any) => s.ready);

/** records merged per node during the run, by what they are (replicator.mergedBy), largest first */
function mergedBy(before: { mergedBy: Record<string, number> }[], after: { mergedBy: Record<string, number> }[]) {
  const sum = new Map<string, number>();
  for (const [list, sign] of [[after, 1], [before, -1]] as const) {
    for (const x of list) for (const [k, v] of Object.entries(x.mergedBy)) sum.set(k, (sum.get(k) ?? 0) + sign * v);
  }
  return Object.fromEntries([...sum].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v / after.length, 1)]));
}

async function run(n: number, r: number) {
  const cluster = new GroupCluster({ nodes: n, perProcess: Math.ceil(n / PROCESSES), prefix: `tp${n}`, hostPrefix: '127.33.0', config: GOSSIP === 'lan' ? { gossip: LAN_GOSSIP } : undefined });
  current = cluster;
  try {
    await cluster.start();
    await cluster.waitConverged();
    await sleep(2000);
    const api: ApiClient = await cluster.client();
    const running = new Set<string>();
    const nodesOf = new Map<string, string>();
    // pods that stopped counting after they had: deleted, or no longer Running and ready — the
    // churn (evictions, replacements) a long run can show
    const lost = { deleted: 0, notRunning: 0, why: new Map<string, number>() };
    const watch = await api.stream('watch', { kind: 'pods', selector: 'app=tp', noInitial: true }, (ev: any) => {
      const name = ev.object?.metadata?.name;
      if (!name) return;
      if (ev.type !== 'DELETED' && isRunning(ev.object)) {
        running.add(name);
        nodesOf.set(name, ev.object.spec.nodeName);
      } else if (running.delete(name)) {
        if (ev.type === 'DELETED' || ev.object.metadata?.deletionTimestamp) lost.deleted++;
        else {
          lost.notRunning++;
          const why = `${ev.object.status?.phase}/${ev.object.status?.conditions?.find((c: any) => c.type === 'Ready')?.reason ?? ''}`;
          lost.why.set(why, (lost.why.get(why) ?? 0) + 1);
        }
      }
    });
    watch.done.catch(() => {}); // ends when the cluster is stopped (also on a signal)
    const before = await cluster.stats();
    if (PROFILE_DIR) await cluster.profile('start');
    const t0 = now();
    await api.request('apply', { manifest: manifest(r) });
    const marks: Record<string, number> = {};
    const timeoutMs = Math.max(120_000, r * 200);
    const deadline = Date.now() + timeoutMs;
    let lastLog = Date.now();
    for (let i = 0; running.size < r; i++) {
      const done = running.size / r;
      for (const q of [10, 50, 90]) if (marks[`t${q}_s`] === undefined && done >= q / 100) marks[`t${q}_s`] = round((now() - t0) / 1000);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s with ${running.size}/${r} pods Running`);
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        // the applying node's view of the nodes: members suspected or declared dead show here
        const listed = await api.request('get', { kind: 'nodes' }).catch(() => undefined) as { items?: any[] } | undefined;
        const notReady = (listed?.items ?? []).filter((o) => o.status?.conditions?.find((c: any) => c.type === 'Ready')?.status !== 'True').length;
        const lostText = lost.deleted + lost.notRunning
          ? `; left Running: ${lost.deleted} deleted, ${lost.notRunning} not Running or not ready (${[...lost.why].map(([k, v]) => `${k} ${v}`).join(', ')})`
          : '';
        progress(`  ${running.size}/${r} Running after ${((now() - t0) / 1000).toFixed(1)} s; ${notReady} of ${n} nodes not Ready on node 1${lostText}`);
      }
      await sleep(5);
    }
    const t1 = now();
    for (const q of [10, 50, 90]) marks[`t${q}_s`] ??= round((t1 - t0) / 1000);
    const seconds = (t1 - t0) / 1000;
    watch.cancel();
    if (PROFILE_DIR) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      await cluster.profile('stop', PROFILE_DIR);
    }
    const after = await cluster.stats();
    const cpu = after.reduce((s, g) => s + g.cpuS, 0) - before.reduce((s, g) => s + g.cpuS, 0);
    const rss = after.reduce((s, g) => s + g.rss, 0);
    const nodes = after.flatMap((g) => g.nodes);
    const mean = (f: (x: (typeof nodes)[number]) => number) => nodes.reduce((s, x) => s + f(x), 0) / nodes.length;
    const perNode = new Map<string, number>();
    for (const node of nodesOf.values()) perNode.set(node, (perNode.get(node) ?? 0) + 1);
    const counts = [...perNode.values()];
    // membership transitions the nodes observed during the run (one member suspected by 99
    // observers counts 99): the churn that event-loop delays cause in this simulation
    const observed = (state: string) => nodes.reduce((s, x) => s + (x.memberTransitions[state] ?? 0), 0)
      - before.flatMap((g) => g.nodes).reduce((s, x) => s + (x.memberTransitions[state] ?? 0), 0);
    return {
      nodes: n,
      replicas: r,
      pods_per_s: round(r / seconds, 1),
      seconds: round(seconds),
      ...marks,
      pods_per_node_min: Math.min(...counts),
      pods_per_node_max: Math.max(...counts),
      nodes_used: perNode.size,
      cpu_core_s: round(cpu, 1),
      cpu_ms_per_pod_per_node: round((cpu * 1000) / r / n, 3),
      cpu_cores_busy: round(cpu / seconds, 2),
      rss_per_node_mib: round(rss / n / 2 ** 20, 1),
      objects_per_node: Math.round(mean((x) => x.objects)),
      merged_per_node: Math.round(mean((x) => x.replicator.merged ?? 0)),
      pushed_per_node: Math.round(mean((x) => x.replicator.pushed ?? 0)),
      sent_mib_per_node: round(mean((x) => x.transport?.sentBytes ?? 0) / 2 ** 20, 2),
      processes: cluster.groups.length,
      gossip: GOSSIP,
      lag_max_ms: Math.round(Math.max(...after.map((g) => g.lagMaxMs))),
      left_running_deleted: lost.deleted,
      left_running_other: lost.notRunning,
      merged_per_node_by: mergedBy(before.flatMap((g) => g.nodes), nodes),
      suspected_seen: observed('suspect'),
      dead_seen: observed('dead'),
    };
  } finally {
    await cluster.stop();
    current = undefined;
  }
}

/**
 * Every node holds every pod: about 6 KiB per pod per node (measured at 100 × 10,000: 67 MiB per
 * node, docs/benchmarks-cluster.md; 12 assumed) on top of about 12 MiB per node. A size that would
 * not fit in 80 % of the free memory is skipped (100 nodes × 10,000 pods is assumed to need about
 * 13 GiB), not run into the OOM killer.
 */
const needBytes = (n: number, r: number) => n * (12 * 2 ** 20 + r * 12 * 2 ** 10);
const skipped: string[] = [];

const results: Awaited<ReturnType<typeof run>>[] = [];
try {
  for (const { n, r } of SIZES) {
    if (needBytes(n, r) > 0.8 * freemem()) {
      const why = `${n}x${r}: needs about ${(needBytes(n, r) / 2 ** 30).toFixed(1)} GiB of memory (every node holds every pod), ${(freemem() / 2 ** 30).toFixed(1)} GiB free`;
      progress(`skipping ${why}`);
      skipped.push(why);
      continue;
    }
    progress(`${n} nodes, a Deployment of ${r} replicas`);
    const res = await run(n, r);
    progress(`${n} nodes × ${r} pods: ${JSON.stringify(res)}`);
    results.push(res);
  }
} catch (e) {
  progress(`FAILED: ${(e as Error).stack}`);
  await current?.stop();
  process.exit(1);
}
if (!results.length) {
  progress(`FAILED: no size could run (${skipped.join('; ')})`);
  process.exit(1);
}
const head = results[results.length - 1];
const met = head.pods_per_s >= 1000;
emit({
  benchmark: 'throughput',
  target: '>= 1,000 pods/s end to end (apply → every pod Running, visible on the applying node)',
  met,
  anchor: 'kube-scheduler CI minimum 680–810 pods/s at 5,000 nodes (scheduler only, no kubelets); kwok ≈ 20 pods/s; Nomad C2M ≈ 1,500/s (not run here)',
  command: `node --import tsx scripts/bench/throughput.ts${quick ? ' --quick' : ''}`,
  ...(met ? {} : {
    note: `${skipped.length ? `skipped ${skipped.join('; ')}. ` : ''}${head.pods_per_s} pods/s with ${head.nodes} nodes on ${head.processes} processes sharing this machine's cores: every node keeps every object, so the cluster's CPU is N × (CPU per node per pod = ${head.cpu_ms_per_pod_per_node} ms); on one core per node that is ${round(1000 / head.cpu_ms_per_pod_per_node, 0)} pods/s per node's budget. See docs/benchmarks-cluster.md`,
  }),
  nodes: head.nodes,
  replicas: head.replicas,
  pods_per_s: head.pods_per_s,
  seconds: head.seconds,
  sizes: results,
  ...(skipped.length ? { skipped } : {}),
});
process.exit(0);
