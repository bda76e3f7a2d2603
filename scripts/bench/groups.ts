// A cluster of Starling nodes run as several nodes per process (scripts/bench/node-group.ts), for
// the cluster benchmarks that need tens or hundreds of nodes on one machine. Node i (1-based) is
// named PREFIX-nI and listens on HOSTPREFIX.I:0 (its own loopback address, a port the OS picks).
// The first node bootstraps the cluster; every other node joins it with a join token. Every
// child is killed by pid when the benchmark ends (stop(), or the exit hook if it dies first).

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/client.ts';
import type { NodeConfig } from '../../src/config.ts';
import { killOnExit, progress } from './lib.ts';

const ROOT = new URL('../..', import.meta.url).pathname;
const CHILD = new URL('./node-group.ts', import.meta.url).pathname;

export interface GroupClusterOptions {
  nodes: number;
  /** nodes per child process */
  perProcess: number;
  /** name prefix: nodes are PREFIX-n1 .. PREFIX-nN */
  prefix: string;
  /** first three bytes of the loopback addresses, e.g. '127.31.0' (node i on 127.31.0.i) */
  hostPrefix: string;
  preset?: 'default' | 'test';
  /** overrides of the preset */
  config?: Partial<NodeConfig>;
  cpuMillis?: number;
  memoryBytes?: number;
  /** bound on starting every node, ms */
  startTimeoutMs?: number;
}

export interface GroupStats {
  cpuS: number;
  rss: number;
  heapUsed: number;
  lagMaxMs: number;
  lagP99Ms: number;
  nodes: { name: string; objects: number; pods: number; actors: number; replicator: Record<string, number>; mergedBy: Record<string, number>; transport?: Record<string, number>; members: number; memberTransitions: Record<string, number> }[];
}

type Listener = (m: any) => void;

class Group {
  child: ChildProcess;
  log = '';
  private nextId = 1;
  private pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  private up: Promise<void>;
  constructor(readonly index: number, readonly names: string[], readonly hosts: string[], onEvent: Listener) {
    // BENCH_NODE_FLAGS: extra flags for the group processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
    const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    this.child = killOnExit(spawn(process.execPath, [...flags, '--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] }));
    const keep = (d: Buffer) => {
      this.log += d.toString();
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000);
      if (process.env.STARLING_BENCH_LOGS) process.stderr.write(d);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    let upResolve!: () => void;
    this.up = new Promise((r) => (upResolve = r));
    this.child.on('message', (m: any) => {
      if (m?.ev === 'up') upResolve();
      else if (m?.ev) onEvent(m);
      else if (m?.id) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.ok) p?.resolve(m);
        else p?.reject(new Error(`group ${this.index}: ${m.error}`));
      }
    });
    this.child.on('exit', (code, sig) => {
      for (const p of this.pending.values()) p.reject(new Error(`group ${this.index} exited (${code ?? sig})\n${this.log.slice(-3000)}`));
      this.pending.clear();
    });
  }
  async call(msg: Record<string, unknown>, timeoutMs = 120_000): Promise<any> {
    await this.up;
    const id = this.nextId++;
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`group ${this.index}: ${msg.op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ ...msg, id });
    });
  }
  alive() {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** SIGKILL, after up to graceMs for the process to exit by itself (e.g. after a stop). */
  async kill(graceMs = 0) {
    if (!this.alive() || !this.child.pid) return;
    const done = new Promise((r) => this.child.once('exit', r));
    if (graceMs > 0) await Promise.race([done, new Promise((r) => setTimeout(r, graceMs))]);
    if (!this.alive()) return;
    process.kill(this.child.pid, 'SIGKILL');
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
  }
}

export class GroupCluster {
  readonly groups: Group[] = [];
  readonly names: string[];
  readonly addrs = new Map<string, string>();
  adminToken = '';
  joinToken = '';
  private listeners = new Set<Listener>();
  private clients: ApiClient[] = [];
  private stopping?: Promise<void>;

  constructor(readonly opts: GroupClusterOptions) {
    if (opts.nodes < 1 || opts.nodes > 250) throw new Error('1 to 250 nodes');
    this.names = Array.from({ length: opts.nodes }, (_, i) => `${opts.prefix}-n${i + 1}`);
  }

  /** The process-wide event stream of every group (seen objects, membership changes). */
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Starts every node: group 0's first node bootstraps, the rest join it. */
  async start(): Promise<void> {
    const o = this.opts;
    const host = (i: number) => `${o.hostPrefix}.${i + 1}`;
    for (let g = 0; g * o.perProcess < o.nodes; g++) {
      const idx = Array.from({ length: Math.min(o.perProcess, o.nodes - g * o.perProcess) }, (_, k) => g * o.perProcess + k);
      this.groups.push(new Group(g, idx.map((i) => this.names[i]), idx.map(host), (m) => this.listeners.forEach((l) => l(m))));
    }
    const timeout = o.startTimeoutMs ?? 300_000;
    const common = { op: 'start', preset: o.preset ?? 'default', config: o.config, cpuMillis: o.cpuMillis ?? 4000, memoryBytes: o.memoryBytes ?? 8 * 1024 ** 3 };
    const spec = (g: Group) => g.names.map((name, k) => ({ name, host: g.hosts[k] }));
    const t0 = Date.now();
    const first = await this.groups[0].call({ ...common, nodes: spec(this.groups[0]), bootstrap: true }, timeout);
    this.adminToken = first.adminToken;
    this.joinToken = first.joinToken;
    for (const n of first.nodes) this.addrs.set(n.name, n.addr);
    const seed = first.nodes[0].addr;
    const rest = await Promise.all(this.groups.slice(1).map((g) => g.call({ ...common, nodes: spec(g), join: { addr: seed, token: this.joinToken } }, timeout)));
    for (const r of rest) for (const n of r.nodes) this.addrs.set(n.name, n.addr);
    progress(`${o.nodes} nodes started in ${this.groups.length} processes (${o.perProcess} per process) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Waits until every node sees every node alive (bounded). */
  async waitConverged(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 100_000; i++) {
      const s = await this.stats();
      const behind = s.flatMap((g) => g.nodes).filter((n) => n.members < this.opts.nodes);
      if (!behind.length) return;
      if (Date.now() > deadline) throw new Error(`membership did not converge in ${timeoutMs} ms: ${behind.length} nodes see fewer than ${this.opts.nodes} alive (e.g. ${behind[0].name}: ${behind[0].members})`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Every group reports objects of `kind` named PREFIX* the first time each node sees one. */
  async watch(kind: string, prefix: string) {
    await Promise.all(this.groups.map((g) => g.call({ op: 'watch', kind, prefix })));
  }
  /** Every group reports every membership change its nodes see. */
  async watchMembers() {
    await Promise.all(this.groups.map((g) => g.call({ op: 'members' })));
  }

  /** CPU profiles of every node process: start, then stop(DIR) writes DIR/group-G.cpuprofile. */
  async profile(action: 'start' | 'stop', dir?: string) {
    await Promise.all(this.groups.map((g) => g.call({ op: 'profile', action, file: dir && `${dir}/group-${g.index}.cpuprofile` }, 300_000)));
  }

  async stats(): Promise<GroupStats[]> {
    return (await Promise.all(this.groups.map((g) => g.call({ op: 'stats' }, 60_000)))).map((r) => r.stats);
  }

  async client(name = this.names[0]): Promise<ApiClient> {
    const c = await new ApiClient(this.addrs.get(name)!, this.adminToken).connect();
    this.clients.push(c);
    return c;
  }

  /** pids of the node processes (for CPU accounting by the caller) */
  pids(): number[] {
    return this.groups.map((g) => g.child.pid!).filter(Boolean);
  }

  /** Stops every node and process; kills (by pid) what does not stop in time. */
  /** Stops every group and removes the data dirs; a second call (a second signal) waits for the first. */
  stop(): Promise<void> {
    return this.stopping ??= this.stopGroups();
  }

  private async stopGroups(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all(this.groups.map(async (g) => {
      if (!g.alive()) return;
      const stopped = await g.call({ op: 'stop', graceful: false }, 20_000).then(() => true, () => false);
      await g.kill(stopped ? 5000 : 0); // a stopped group exits by itself (and writes its --cpu-prof)
    }));
    // the data dirs of a process that had to be killed (node-group.ts: starling-bench-NAME-*)
    const mine = new Set(this.names.map((n) => `starling-bench-${n}-`));
    for (const d of readdirSync(tmpdir())) {
      if (mine.has(d.slice(0, d.lastIndexOf('-') + 1))) rmSync(join(tmpdir(), d), { recursive: true, force: true });
    }
  }

  /** The last log lines of every group, for failures. */
  logs(lines = 20): string {
    return this.groups.map((g) => `--- group ${g.index}\n${g.log.trim().split('\n').slice(-lines).join('\n')}`).join('\n');
  }
}
