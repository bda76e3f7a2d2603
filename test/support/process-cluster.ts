// A local cluster of `starling node start` processes on loopback, for the cluster-process suites
// and scripts/failover. The first node bootstraps the cluster; the others join it with
// `--join FIRST --token <FIRST/join-token>`. Each node listens on its own 127.0.0.x address; a
// port chosen by the OS at the first start is kept for restarts, so a restarted node comes back
// on the same address. A node is restarted on its data dir without --join/--token (it rejoins
// by itself). Node names are unique per run, so Docker labels (io.starling.node=NAME) of two runs
// never mix. stop() kills every process (by pid), removes the nodes' containers and their dirs.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ApiClient } from '../../src/api/client.ts';
import { removeContainersOf, uniqueNodeName } from './docker.ts';
import { NodeProcess, sleep, until } from './node-process.ts';

export interface ProcessClusterOptions {
  /** how many nodes */
  nodes: number;
  /** name prefix; each node is PREFIX-PID-RANDOM-nI */
  prefix: string;
  runtime?: 'sim' | 'docker';
  /** loopback addresses 127.0.0.(hostBase + i), i = 1..nodes. Default 30 */
  hostBase?: number;
  /** extra flags for every node (e.g. ['--cpu', '4']) */
  extra?: string[];
  /** start the joining nodes one after another instead of all at once */
  sequential?: boolean;
  /** bound on one node's start, ms. Default 60000 */
  startTimeoutMs?: number;
}

export interface ClusterNode {
  index: number;
  name: string;
  host: string;
  proc: NodeProcess;
}

// every child of every cluster in this process, SIGKILLed if the process exits without stop()
const live = new Set<NodeProcess>();
let exitHook = false;
function registerExitHook() {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const p of live) {
      const c = p.child;
      if (c && c.exitCode === null && c.signalCode === null && c.pid) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch { /* gone */ }
      }
    }
  });
}

export const isAlive = (p: NodeProcess) => !!p.child && p.child.exitCode === null && p.child.signalCode === null;

export class ProcessCluster {
  readonly nodes: ClusterNode[];
  readonly runtime: 'sim' | 'docker';
  private clients: ApiClient[] = [];
  private stopped = false;

  constructor(readonly opts: ProcessClusterOptions) {
    if (!(opts.nodes >= 1)) throw new Error('a cluster needs at least one node');
    const base = opts.hostBase ?? 30;
    if (base + opts.nodes > 254) throw new Error(`127.0.0.${base + opts.nodes} is not a usable loopback address`);
    this.runtime = opts.runtime ?? 'sim';
    const run = uniqueNodeName(opts.prefix);
    this.nodes = Array.from({ length: opts.nodes }, (_, i) => {
      const name = `${run}-n${i + 1}`;
      const host = `127.0.0.${base + i + 1}`;
      return { index: i, name, host, proc: new NodeProcess({ name, host, port: 0, runtime: this.runtime, extra: [...(opts.extra ?? [])] }) };
    });
    registerExitHook();
  }

  get names(): string[] {
    return this.nodes.map((n) => n.name);
  }
  get first(): ClusterNode {
    return this.nodes[0];
  }
  node(nameOrIndex: string | number): ClusterNode {
    const n = typeof nameOrIndex === 'number' ? this.nodes[nameOrIndex] : this.nodes.find((x) => x.name === nameOrIndex);
    if (!n) throw new Error(`no node ${nameOrIndex} in this cluster`);
    return n;
  }

  /** The cluster's admin token (from the first node's admin.conf). */
  adminToken(): string {
    return parse(readFileSync(join(this.first.proc.dataDir, 'admin.conf'), 'utf8')).token;
  }
  /** The join token the first node wrote when it bootstrapped. */
  joinToken(): string {
    return readFileSync(join(this.first.proc.dataDir, 'join-token'), 'utf8').trim();
  }
  /** HOST:PORT of a node's API (and peer endpoint). */
  addr(n: string | number): string {
    return this.node(n).proc.server;
  }

  /** Starts every node: the first bootstraps, the others join through it. */
  async start(): Promise<void> {
    const timeout = this.opts.startTimeoutMs ?? 60_000;
    await this.startNode(this.first, timeout);
    const joinFlags = ['--join', this.addr(0), '--token', this.joinToken()];
    const rest = this.nodes.slice(1);
    if (this.opts.sequential) {
      for (const n of rest) await this.startNode(n, timeout, joinFlags);
    } else {
      await Promise.all(rest.map((n) => this.startNode(n, timeout, joinFlags)));
    }
  }

  private async startNode(n: ClusterNode, timeoutMs: number, extraOnce: string[] = []) {
    if (this.stopped) throw new Error(`the cluster was stopped; not starting ${n.name}`);
    const p = n.proc;
    p.opts.extra = [...(this.opts.extra ?? []), ...extraOnce];
    live.add(p);
    try {
      await p.start(timeoutMs);
    } catch (e) {
      // a process that did not come up is not left running
      await p.kill('SIGKILL').catch(() => {});
      throw e;
    } finally {
      p.opts.extra = [...(this.opts.extra ?? [])];
    }
    // keep the port the OS chose, so a restart comes back on the same address
    if (!p.opts.port) p.opts.port = Number(/:(\d+)$/.exec(p.server)![1]);
  }

  /** SIGKILLs (or signals) one node and waits for its process to end. */
  async kill(n: string | number, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    return await this.node(n).proc.kill(signal);
  }

  /** Starts a stopped node again on its data dir and address, with no --join and no --token. */
  async restart(n: string | number, timeoutMs = this.opts.startTimeoutMs ?? 60_000): Promise<void> {
    const node = this.node(n);
    if (isAlive(node.proc)) throw new Error(`node ${node.name} is still running`);
    await this.startNode(node, timeoutMs);
  }

  /** A client connected to a node, with the cluster's admin token (closed by stop()). */
  async client(n: string | number = 0): Promise<ApiClient> {
    const c = await new ApiClient(this.addr(n), this.adminToken()).connect();
    this.clients.push(c);
    return c;
  }

  /** The nodes as one node sees them: name → Ready condition status ('True', 'False', 'Unknown'). */
  static async readiness(c: ApiClient): Promise<Map<string, string>> {
    const l = await c.request('get', { kind: 'nodes' });
    return new Map((l.items as any[]).map((o) => [o.metadata.name, o.status?.conditions?.find((x: any) => x.type === 'Ready')?.status ?? 'Unknown']));
  }

  /** Waits until every running node shows each of `expect` (default: every node) Ready, and each of `notReady` present and not Ready. */
  async waitReady(expect: string[] = this.names, timeoutMs = 30_000, notReady: string[] = []): Promise<void> {
    const observers = this.nodes.filter((n) => isAlive(n.proc));
    const clients = await Promise.all(observers.map((n) => this.client(n.index)));
    try {
      await until(`${expect.length} nodes Ready${notReady.length ? ` and ${notReady.join(', ')} NotReady` : ''} on ${observers.length} nodes`, async () => {
        const views = await Promise.all(clients.map((c) => ProcessCluster.readiness(c)));
        const bad: string[] = [];
        views.forEach((v, i) => {
          for (const name of expect) if (v.get(name) !== 'True') bad.push(`${observers[i].name} sees ${name} ${v.get(name) ?? 'missing'}`);
          for (const name of notReady) if (v.get(name) === 'True' || !v.has(name)) bad.push(`${observers[i].name} sees ${name} ${v.get(name) ?? 'missing'}`);
        });
        if (bad.length) throw new Error(bad.join('; '));
        return true;
      }, timeoutMs, 200);
    } finally {
      for (const c of clients) this.closeClient(c);
    }
  }

  closeClient(c: ApiClient) {
    c.close();
    this.clients = this.clients.filter((x) => x !== c);
  }

  /** Kills every node (SIGKILL, by pid), removes their containers (docker) and their dirs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const c of this.clients) c.close();
    this.clients = [];
    await Promise.all(this.nodes.map((n) => n.proc.kill('SIGKILL').catch(() => null)));
    for (const n of this.nodes) live.delete(n.proc);
    if (this.runtime === 'docker') {
      // twice: a create the daemon was still doing when its node died may land after the first pass
      for (let pass = 0; pass < 2; pass++) {
        for (const n of this.nodes) await removeContainersOf(n.name).catch(() => {});
        if (pass === 0) await sleep(500);
      }
    }
    for (const n of this.nodes) n.proc.removeDirs();
  }
}

/** A Deployment for the cluster suites (sim and docker): `replicas` pods labelled app=NAME. */
export const deployment = (name: string, replicas: number, opts: { httpd?: boolean } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: busybox:latest
          imagePullPolicy: IfNotPresent
          command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
${opts.httpd === false ? '' : '          ports: [{ containerPort: 8080 }]\n'}          resources:
            requests: { cpu: 10m, memory: 8Mi }
            limits: { cpu: 250m, memory: 64Mi }
`;

/** A pod that is Running with every container ready. */
export const isRunning = (p: any) =>
  p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status.containerStatuses ?? []).length > 0 &&
  p.status.containerStatuses.every((s: any) => s.ready);

/** The pods of app=NAME, as a node sees them. */
export async function podsOf(c: ApiClient, app: string): Promise<any[]> {
  return (await c.request('get', { kind: 'pods', selector: `app=${app}` })).items;
}

/** name → pod count on that node. */
export function spread(pods: any[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of pods) {
    const n = p.spec?.nodeName ?? '(unbound)';
    m.set(n, (m.get(n) ?? 0) + 1);
  }
  return m;
}
