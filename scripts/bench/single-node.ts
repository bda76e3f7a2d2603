// Shared by the one-node benchmarks (startup, burst, api-latency, footprint, restart): a Starling
// node run the way users run it — `node bin/starling.js node start ...` as its own process, the
// default preset, its own data dir and HOME — on a fixed loopback address, with its RSS and CPU
// read from /proc, and every process and container it made removed again (also on SIGINT/SIGTERM).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiClient } from '../../src/api/client.ts';
import { containersOf, docker, uniqueNodeName } from '../../test/support/docker.ts';
import { killOnExit, progress } from './lib.ts';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const STARLING = join(ROOT, 'bin/starling.js');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** wall time in ms with sub-ms precision */
export const now = () => performance.timeOrigin + performance.now();
const CLK_TCK = 100; // Linux USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

/** A TCP port free on `host` right now (the OS picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface BenchNodeOptions {
  /** name prefix; the node's name is unique to the run (Docker labels of two runs never mix) */
  prefix: string;
  /** loopback address, e.g. 127.0.0.201 */
  host: string;
  runtime: 'docker' | 'sim';
  preset?: 'default' | 'test';
  extra?: string[];
}

export class BenchNode {
  readonly name: string;
  readonly dataDir: string;
  readonly home: string;
  port = 0;
  child?: ChildProcess;
  log = '';
  private clients: ApiClient[] = [];

  constructor(readonly opts: BenchNodeOptions) {
    this.name = uniqueNodeName(opts.prefix);
    this.dataDir = mkdtempSync(join(tmpdir(), `starling-nodebench-${opts.prefix}-`));
    this.home = mkdtempSync(join(tmpdir(), 'starling-nodebench-home-'));
  }

  get pid() {
    return this.child?.pid;
  }
  get running() {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }
  get server() {
    return `${this.opts.host}:${this.port}`;
  }
  token(): string {
    return parse(readFileSync(join(this.dataDir, 'admin.conf'), 'utf8')).token;
  }

  /** Spawns the node process (on the same address and data dir every time); returns at once. */
  async spawn(): Promise<number> {
    if (this.running) throw new Error(`node ${this.name} is already running`);
    if (!this.port) this.port = await freePort(this.opts.host);
    const args = [
      // extra flags for the node's JavaScript runtime, e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p" to profile it
      ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      STARLING, 'node', 'start', '--data-dir', this.dataDir, '--listen', this.server, '--name', this.name,
      '--runtime', this.opts.runtime, '--preset', this.opts.preset ?? 'default', ...(this.opts.extra ?? []),
    ];
    const t0 = now();
    const child = killOnExit(spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, HOME: this.home }, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    child.stdout!.on('data', (d) => (this.log += d));
    child.stderr!.on('data', (d) => (this.log += d));
    return t0;
  }

  /**
   * Polls the API every `everyMs` until a `get` succeeds (the node answers requests only once
   * its store is loaded and every actor it hosts is restored); returns the wall time it did.
   */
  async waitServing(timeoutMs = 60_000, everyMs = 10): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (let i = 0; Date.now() < deadline && i < 1_000_000; i++) {
      if (!this.running) throw new Error(`node ${this.name} exited (${this.child?.exitCode ?? this.child?.signalCode}):\n${this.tail()}`);
      let c: ApiClient | undefined;
      try {
        c = await new ApiClient(this.server, this.token()).connect(2000);
        await c.request('get', { kind: 'nodes', name: this.name });
        const at = now();
        c.close();
        return at;
      } catch (e) {
        last = (e as Error).message;
        c?.close();
      }
      await sleep(everyMs);
    }
    throw new Error(`node ${this.name} did not answer within ${timeoutMs / 1000} s (last: ${last}):\n${this.tail()}`);
  }

  async start(timeoutMs = 60_000): Promise<void> {
    await this.spawn();
    await this.waitServing(timeoutMs, 50);
  }

  /** A client with the node's admin token (closed by stop()). */
  async client(): Promise<ApiClient> {
    const c = await new ApiClient(this.server, this.token()).connect();
    this.clients.push(c);
    return c;
  }

  /** Sends a signal and waits (bounded) for the process to end; SIGKILL after the bound. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    for (const c of this.clients) c.close();
    this.clients = [];
    const child = this.child;
    if (!child || !this.running) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid!, signal);
    const timer = setTimeout(() => this.running && process.kill(child.pid!, 'SIGKILL'), timeoutMs);
    await done;
    clearTimeout(timer);
  }

  /** Stops the process (SIGTERM, SIGKILL after 5 s), removes its containers (docker runtime) and its dirs. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM', 5000).catch(() => {});
    if (this.opts.runtime === 'docker') await removeContainers(() => containersOf(this.name).catch(() => []));
    rmSync(this.dataDir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }

  /** VmRSS of the process, MB. */
  rssMB(): number {
    return procRssMB(this.pid!);
  }
  /** CPU time of the process so far, s. */
  cpuS(): number {
    return procCpuS(this.pid!);
  }

  tail(lines = 15) {
    return this.log.trim().split('\n').slice(-lines).join('\n');
  }
}

export function procRssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function procCpuS(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the fields after the command (which may hold spaces) start after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14 and 15)
}

/** RSS (mean and max, MB) and CPU (% of one core) of a process over a window, sampled every second. */
export async function measureWindow(pid: number, windowMs: number): Promise<{ rss_mb: number; rss_max_mb: number; cpu_pct: number }> {
  const c0 = procCpuS(pid);
  const t0 = now();
  const rss: number[] = [procRssMB(pid)];
  while (now() - t0 < windowMs) {
    await sleep(Math.min(1000, windowMs - (now() - t0)));
    rss.push(procRssMB(pid));
  }
  const cpu = procCpuS(pid) - c0;
  const secs = (now() - t0) / 1000;
  return {
    rss_mb: rss.reduce((a, b) => a + b, 0) / rss.length,
    rss_max_mb: Math.max(...rss),
    cpu_pct: (cpu / secs) * 100,
  };
}

/** Removes containers (listed by `list`) with a few removals at once, twice (late creates). */
export async function removeContainers(list: () => Promise<{ Id: string }[]>) {
  for (let pass = 0; pass < 2; pass++) {
    const all = await list();
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const c = all[next++];
        await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, all.length) }, worker));
    if (pass === 0 && all.length) await sleep(300);
  }
}

/** Runs a command; resolves with its stdout (rejects with its stderr on a non-zero exit or after timeoutMs). */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

/** Rejects after ms. */
export function withDeadline<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s waiting for ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A pod that is Running with every container ready and not being deleted. */
export const isRunning = (p: any) =>
  p?.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status.containerStatuses ?? []).length > 0 &&
  p.status.containerStatuses.every((s: any) => s.ready);

/** The busybox command every benchmark pod (and its plain-Docker anchor) runs. */
export const POD_COMMAND = 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www';
export const IMAGE = 'busybox:latest';

/**
 * A Deployment of `replicas` busybox pods labelled `app: NAME`, as the benchmarks apply it.
 * `metadata`: more lines of the Deployment's metadata (indented by two); `requests`: each
 * container's resource requests as a YAML flow mapping; `command`: the container's `sh -c`
 * script (default: an httpd in the foreground).
 */
export function benchDeployment(d: { name: string; replicas: number; metadata?: string; graceSeconds?: number; command?: string; requests?: string }): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${d.name}
${d.metadata ?? ''}spec:
  replicas: ${d.replicas}
  selector:
    matchLabels: { app: ${d.name} }
  template:
    metadata:
      labels: { app: ${d.name} }
    spec:
${d.graceSeconds === undefined ? '' : `      terminationGracePeriodSeconds: ${d.graceSeconds}\n`}      containers:
        - name: app
          image: ${IMAGE}
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", ${JSON.stringify(d.command ?? 'exec httpd -f -p 8080')}]
${d.requests === undefined ? '' : `          resources:\n            requests: ${d.requests}\n`}`;
}

/**
 * Runs `main`, then `cleanup` (also on SIGINT/SIGTERM and on failure: exit 1 with the reason).
 * The benchmark's result line is printed by main.
 */
export async function runBenchmark(name: string, main: () => Promise<void>, cleanup: () => Promise<void>) {
  let cleaning: Promise<void> | undefined;
  const clean = () => (cleaning ??= cleanup().catch((e) => progress(`cleanup: ${(e as Error).message}`)));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      progress(`${name}: ${sig}, cleaning up`);
      clean().finally(() => process.exit(130));
    });
  }
  let code = 0;
  try {
    await main();
  } catch (e) {
    progress(`${name} FAILED: ${(e as Error).stack ?? e}`);
    code = 1;
  }
  await clean();
  process.exit(code);
}
