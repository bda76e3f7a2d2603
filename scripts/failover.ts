// Failover benchmark: how long a cluster takes to replace the pods of a node killed with SIGKILL.
// Run it as `scripts/failover [flags]` (which runs this file with `node --import tsx`).
//
//   --nodes N          nodes in the local cluster (default 5), each a `starling node start`
//                      process on its own loopback address 127.0.0.(B+1) .. 127.0.0.(B+N)
//   --pods P           replicas of the Deployment applied (default 50)
//   --repeat R         repetitions (default 1); between two, the killed node is restarted on its
//                      data dir (no token) and the script waits until it is Ready everywhere and
//                      the Deployment has exactly P Running pods again
//   --runtime RT       sim (default) or docker (busybox httpd pods; needs Docker and a local
//                      busybox:latest image)
//   --preset PRESET    node timing preset: default (default; what users get) or test
//   --timeout S        bound on each phase of a repetition, seconds (default 60): start-up,
//                      all pods Running, the failover itself, the restart
//   --host-base B      loopback addresses start after 127.0.0.B (default 50)
//
// Each repetition: wait until all P pods are Running; SIGKILL the node running the most pods;
// measure from just before the signal until every pod it ran is replaced and Running on the
// other nodes, polling the API every 50 ms from a client connected to a surviving node (the same
// loop notes when the surviving node first shows the victim NotReady: detect_s).
// Human-readable progress goes to stderr; the last line on stdout is one JSON object:
//   {"benchmark":"failover","nodes":5,"pods":50,"repeats":1,"runtime":"sim","preset":"default",
//    "p50_s":…,"max_s":…,"samples_s":[…],"detect_s":[…],"moved":[…]}
// Every process it started is killed (by pid) and every data dir (and, on docker, every container
// of its nodes) removed, also when it fails (exit 1, with the reason) or is interrupted.

import { pathToFileURL } from 'node:url';
import type { ApiClient } from '../src/api/client.ts';
import { sleep } from '../test/support/node-process.ts';
import { isRunning, ProcessCluster, spread } from '../test/support/process-cluster.ts';

export interface Options {
  nodes: number;
  pods: number;
  repeat: number;
  runtime: 'sim' | 'docker';
  preset: 'default' | 'test';
  timeoutS: number;
  hostBase: number;
}

function usage(msg: string): never {
  process.stderr.write(`failover: ${msg}\nusage: scripts/failover [--nodes N] [--pods P] [--repeat R] [--runtime sim|docker] [--preset default|test] [--timeout S] [--host-base B]\n`);
  process.exit(2);
}

export function parse(argv: string[]): Options {
  const o: Options = { nodes: 5, pods: 50, repeat: 1, runtime: 'sim', preset: 'default', timeoutS: 60, hostBase: 50 };
  const int = (flag: string, v: string | undefined, min: number, max: number) => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max) usage(`${flag} needs a whole number from ${min} to ${max}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--nodes': o.nodes = int(flag, value(), 2, 100); break;
      case '--pods': o.pods = int(flag, value(), 1, 100_000); break;
      case '--repeat': o.repeat = int(flag, value(), 1, 1000); break;
      case '--timeout': o.timeoutS = int(flag, value(), 1, 3600); break;
      case '--host-base': o.hostBase = int(flag, value(), 1, 253); break;
      case '--runtime': {
        const v = value();
        if (v !== 'sim' && v !== 'docker') usage(`--runtime must be sim or docker, got ${v}`);
        o.runtime = v;
        break;
      }
      case '--preset': {
        const v = value();
        if (v !== 'default' && v !== 'test') usage(`--preset must be default or test, got ${v}`);
        o.preset = v;
        break;
      }
      case '-h':
      case '--help':
        process.stdout.write(`scripts/failover [--nodes N] [--pods P] [--repeat R] [--runtime sim|docker] [--preset default|test] [--timeout S] [--host-base B]\n`);
        process.exit(0);
      default:
        usage(`unknown flag ${flag}`);
    }
  }
  if (o.hostBase + o.nodes > 254) usage(`--host-base ${o.hostBase} leaves no room for ${o.nodes} loopback addresses`);
  return o;
}

const APP = 'failover';
const manifest = (replicas: number, runtime: 'sim' | 'docker') => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${APP} }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${APP} }
  template:
    metadata:
      labels: { app: ${APP} }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
${runtime === 'docker' ? '          ports: [{ containerPort: 8080 }]\n' : ''}`;

const started = Date.now();
export const log = (m: string) => process.stderr.write(`[failover ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${m}\n`);
const short = (name: string) => name.replace(/^.*-(n\d+)$/, '$1');
const secs = (ms: number) => Math.round(ms) / 1000;

/** Polls `check` every `everyMs` until it returns a value; throws `what` after timeoutMs. */
async function poll<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last: ${last})` : ''}`);
    await sleep(everyMs);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface FailoverResult {
  benchmark: 'failover';
  nodes: number;
  pods: number;
  repeats: number;
  runtime: string;
  preset: string;
  p50_s: number;
  max_s: number;
  samples_s: number[];
  detect_s: number[];
  moved: number[];
}

/** Runs the repetitions on a cluster made with `clusterFor(o)`; the caller stops the cluster. */
export async function runFailover(o: Options, cluster: ProcessCluster): Promise<FailoverResult> {
  const timeoutMs = o.timeoutS * 1000;
  const clients = new Map<string, ApiClient>();
  const clientOf = async (name: string) => {
    let c = clients.get(name);
    if (!c) {
      c = await cluster.client(name);
      clients.set(name, c);
    }
    return c;
  };
  const pods = async (c: ApiClient) => (await c.request('get', { kind: 'pods', selector: `app=${APP}` })).items as any[];

  log(`starting ${o.nodes} nodes (${o.runtime} runtime, ${o.preset} preset) on 127.0.0.${o.hostBase + 1}-${o.hostBase + o.nodes}`);
  await withDeadline('the cluster to start', timeoutMs, cluster.start());
  await cluster.waitReady(cluster.names, timeoutMs);
  log(`all ${o.nodes} nodes Ready: ${cluster.nodes.map((n) => `${short(n.name)}=${n.proc.server}`).join(' ')}`);

  await (await clientOf(cluster.first.name)).request('apply', { manifest: manifest(o.pods, o.runtime) });
  log(`applied a Deployment of ${o.pods} pods`);

  const samples: number[] = [];
  const detect: number[] = [];
  const moved: number[] = [];
  for (let r = 1; r <= o.repeat; r++) {
    // everything Running (and, after a restart, exactly P pods) before the kill; every node is
    // up here, the first one included
    const c0 = await clientOf(cluster.first.name);
    const running = await poll(`${o.pods} Running pods (repetition ${r})`, timeoutMs, 100, async () => {
      const l = await pods(c0);
      return l.length === o.pods && l.every(isRunning) ? l : undefined;
    });
    const s = spread(running);
    const [victim, count] = [...s].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    const survivor = cluster.names.find((n) => n !== victim)!;
    const c = await clientOf(survivor);
    // the survivor must see the same before the kill, or the measurement would start late
    await poll(`${survivor} to see ${o.pods} Running pods`, timeoutMs, 50, async () => {
      const l = await pods(c);
      return l.length === o.pods && l.every(isRunning) ? true : undefined;
    });
    log(`repetition ${r}/${o.repeat}: pods per node ${[...s].map(([n, k]) => `${short(n)}:${k}`).sort().join(' ')}; SIGKILL ${short(victim)} (${count} pods), watching from ${short(survivor)}`);
    const old = new Set(running.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.uid));
    clients.get(victim)?.close();
    clients.delete(victim);

    const t0 = performance.now();
    const killed = cluster.kill(victim, 'SIGKILL');
    let detectedAt: number | undefined;
    const doneAt = await poll(`the ${count} pods of ${short(victim)} to be replaced Running elsewhere (repetition ${r})`, timeoutMs, 50, async () => {
      const now = performance.now();
      const [l, nodes] = await Promise.all([pods(c), detectedAt === undefined ? ProcessCluster.readiness(c) : undefined]);
      if (detectedAt === undefined && nodes && nodes.get(victim) !== 'True') {
        detectedAt = now;
        log(`  ${short(survivor)} shows ${short(victim)} NotReady after ${secs(now - t0).toFixed(2)} s`);
      }
      const elsewhere = l.filter((p) => p.spec.nodeName !== victim && isRunning(p)).length;
      const stale = l.some((p) => old.has(p.metadata.uid) && isRunning(p));
      return elsewhere >= o.pods && !stale ? now : undefined;
    });
    await killed;
    const took = secs(doneAt - t0);
    samples.push(took);
    detect.push(detectedAt === undefined ? took : secs(detectedAt - t0));
    moved.push(count);
    log(`  all ${count} pods of ${short(victim)} replaced and Running after ${took.toFixed(2)} s`);

    if (r < o.repeat) {
      // bring the node back (it rejoins from its data dir, no token) and let the cluster settle
      await withDeadline(`${short(victim)} to restart`, timeoutMs, cluster.restart(victim));
      await cluster.waitReady(cluster.names, timeoutMs);
      log(`  ${short(victim)} restarted and Ready on every node`);
      await poll(`exactly ${o.pods} Running pods after the restart`, timeoutMs, 100, async () => {
        const l = await pods(c);
        return l.length === o.pods && l.every(isRunning) && !l.some((p) => old.has(p.metadata.uid)) ? true : undefined;
      });
    }
  }

  for (const c of clients.values()) c.close();
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const result: FailoverResult = {
    benchmark: 'failover',
    nodes: o.nodes,
    pods: o.pods,
    repeats: o.repeat,
    runtime: o.runtime,
    preset: o.preset,
    p50_s: round(median(samples)),
    max_s: round(Math.max(...samples)),
    samples_s: samples.map(round),
    detect_s: detect.map(round),
    moved,
  };
  log(`failover p50 ${result.p50_s} s, max ${result.max_s} s over ${samples.length} repetition(s)`);
  return result;
}

function withDeadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The cluster the options describe (not started). */
export function clusterFor(o: Options): ProcessCluster {
  return new ProcessCluster({
    nodes: o.nodes,
    prefix: 'failover',
    runtime: o.runtime,
    hostBase: o.hostBase,
    extra: ['--preset', o.preset],
    startTimeoutMs: o.timeoutS * 1000,
  });
}

/** The last lines of every node's log, for failures. */
export function nodeLogTails(cluster: ProcessCluster): string {
  return cluster.nodes.map((n) => `--- ${n.name} (last lines)\n${n.proc.log.trim().split('\n').slice(-8).join('\n')}`).join('\n');
}

// run as a script (scripts/failover), not when imported (scripts/bench/failover.ts)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parse(process.argv.slice(2));
  const cluster = clusterFor(opts);
  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= (async () => {
    log(`stopping ${opts.nodes} nodes and removing their data dirs${opts.runtime === 'docker' ? ' and containers' : ''}`);
    await cluster.stop();
  })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      log(`${sig}: cleaning up`);
      cleanup().finally(() => process.exit(130));
    });
  }

  let code = 1;
  try {
    const result = await runFailover(opts, cluster);
    process.stdout.write(JSON.stringify(result) + '\n');
    code = 0;
  } catch (e) {
    log(`FAILED: ${(e as Error).message}`);
    process.stderr.write(`${nodeLogTails(cluster)}\n`);
    code = 1;
  } finally {
    await cleanup();
  }
  process.exit(code);
}
