// A cluster of Starling nodes in one process, started the way `starling node start` starts
// them (src/cli/node-start.ts): an ApiServer on the node's own loopback address (127.0.0.x:0)
// serving /api and the /peer route of clusterWiring, a StarlingNode whose cluster layer is the
// wiring, then Handlers. The first node bootstraps the cluster and makes a join token with
// createToken (as node-start does); the others join through a live member with it. Every node
// runs on the sim runtime with a real LevelDB in its own temp data dir, over real WebSockets.
//
// Faults:
//   kill(name)      an abrupt stop, as close to SIGKILL as one process allows: the node's
//                   transport drops every frame at once (nothing more leaves or arrives, not
//                   even a replication flush), its sockets are torn down, its timers stopped,
//                   and it never says goodbye (no SWIM `left`). Its SimRuntime keeps its
//                   containers, as Docker keeps them when the node's process is killed.
//   stop(name)      the graceful stop node-start does on SIGTERM (node.stop(), then api.stop()).
//   restart(name)   starts the node again on the same data dir, address, port and runtime:
//                   it rejoins by itself from its data dir, without a token.
//   partition(a, b) drops every frame between the groups on every WsTransport (block()).
//   heal()          unblocks every pair.
//
// Example:
//   const c = await startCluster({ size: 5, prefix: 'repl', firstHost: 21 });
//   const api = await c.client('n1');
//   await api.request('apply', { manifest });
//   await c.kill('n3');
//   ...
//   await c.stopAll();  // in `after`: stops every node, closes every server, removes temp dirs

import { ApiClient } from '../../src/api/client.ts';
import { Handlers } from '../../src/api/handlers.ts';
import { ApiServer } from '../../src/api/server.ts';
import { systemClock } from '../../src/clock.ts';
import type { WsTransport } from '../../src/cluster/transport-ws.ts';
import { clusterWiring, type Wiring } from '../../src/cluster/wiring.ts';
import { defaultGossip, type NodeConfig, testConfig } from '../../src/config.ts';
import { createToken } from '../../src/host/join-tokens.ts';
import { StarlingNode } from '../../src/host/node.ts';
import type { KObject } from '../../src/objects/types.ts';
import { SimRuntime } from '../../src/runtime/sim.ts';
import { removeDir, tempDir, TestClient, waitFor } from './sim-node.ts';

export { sleep, TestClient, waitFor } from './sim-node.ts';

/** testConfig with gossip and anti-entropy fast enough for in-process cluster tests. */
export const clusterTestConfig: NodeConfig = {
  ...testConfig,
  gossip: { ...defaultGossip, probeIntervalMs: 200, probeTimeoutMs: 80, pushPullIntervalMs: 1_000 },
  replication: { ...testConfig.replication, antiEntropyIntervalMs: 500 },
  joinTimeoutMs: 3_000,
  bindTimeoutMs: 1_000,
};

export interface NodeSpec {
  name: string;
  /** loopback address, e.g. 127.0.0.21 */
  host: string;
  cpuMillis?: number;
  memoryBytes?: number;
  labels?: Record<string, string>;
  config?: NodeConfig;
}

export interface ClusterNode {
  readonly name: string;
  readonly host: string;
  /** the port the node listens on (kept across restarts) */
  port: number;
  /** HOST:PORT */
  addr: string;
  readonly dataDir: string;
  /** survives kill and restart, as Docker's containers survive the node's process */
  readonly runtime: SimRuntime;
  node: StarlingNode;
  api: ApiServer;
  wiring: Wiring;
  /** the node's WebSocket transport (under node.transport's SharedTransport) */
  ws: WsTransport;
  /** running: started and neither killed nor stopped */
  up: boolean;
  /** log lines of every incarnation of the node */
  readonly logs: string[];
  readonly spec: NodeSpec;
}

export interface ClusterOptions {
  /** number of nodes, named n1..nN (default 3) */
  size?: number;
  /** temp dir prefix */
  prefix?: string;
  /** the last byte of the first node's loopback address; the others follow (default 21) */
  firstHost?: number;
  config?: NodeConfig;
  /** per node (by index) overrides of capacity and labels */
  nodes?: Partial<Omit<NodeSpec, 'name' | 'host'>>[];
  /** default capacity of every node */
  cpuMillis?: number;
  memoryBytes?: number;
  /** print node logs as they happen (default: when STARLING_TEST_LOGS is set) */
  verbose?: boolean;
}

const env = (k: string) =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[k];

export class TestCluster {
  readonly nodes = new Map<string, ClusterNode>();
  /** the join token made when the cluster was bootstrapped */
  joinToken = '';
  adminToken = '';
  private clients: TestClient[] = [];
  private clientOf = new Map<string, TestClient>();
  private dirs: string[] = [];
  private partitions: [string, string][] = [];
  /** incarnations of each node (a client is per incarnation) */
  private generation = new Map<string, number>();

  constructor(readonly opts: ClusterOptions = {}) {}

  get config(): NodeConfig {
    return this.opts.config ?? clusterTestConfig;
  }

  /** Names of every node, in start order. */
  names(): string[] {
    return [...this.nodes.keys()];
  }
  /** Names of the nodes that are up. */
  upNames(): string[] {
    return this.names().filter((n) => this.get(n).up);
  }
  get(name: string): ClusterNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name} in this cluster`);
    return n;
  }
  node(name: string): StarlingNode {
    return this.get(name).node;
  }

  /** Starts a node: the first bootstraps the cluster, the others join with `token` (default: the bootstrap token) through `seed`. */
  async add(spec: NodeSpec, join?: { seed?: string; token?: string }): Promise<ClusterNode> {
    if (this.nodes.has(spec.name)) throw new Error(`node ${spec.name} exists`);
    const dataDir = tempDir(`${this.opts.prefix ?? 'cluster'}-${spec.name}`);
    this.dirs.push(dataDir);
    const runtime = new SimRuntime({ nodeName: spec.name });
    const logs: string[] = [];
    const bootstrap = this.nodes.size === 0 && !join;
    let joinAt: { addr: string; token: string } | undefined;
    if (!bootstrap) {
      const seedName = join?.seed ?? this.upNames()[0];
      joinAt = { addr: this.get(seedName).addr, token: join?.token ?? this.joinToken };
    }
    const started = await this.launch(spec, dataDir, runtime, logs, 0, joinAt);
    const cn: ClusterNode = {
      ...started,
      name: spec.name,
      host: spec.host,
      dataDir,
      runtime,
      logs,
      spec,
      up: true,
    };
    this.nodes.set(spec.name, cn);
    if (bootstrap) {
      this.adminToken = started.wiring.creds!.adminToken;
      const t = await createToken(
        started.node.objects,
        systemClock.now(),
        this.config.joinTokenTtlMs,
        'made when the cluster was bootstrapped',
      );
      this.joinToken = t.token!;
    }
    return cn;
  }

  /**
   * Tries to start a node that joins with `token`; it must fail. Returns the error, having
   * stopped whatever was started and removed its data dir.
   */
  async refusedJoin(spec: NodeSpec, token: string, seed?: string): Promise<Error> {
    const dataDir = tempDir(`${this.opts.prefix ?? 'cluster'}-${spec.name}-refused`);
    this.dirs.push(dataDir);
    try {
      const s = await this.launch(spec, dataDir, new SimRuntime({ nodeName: spec.name }), [], 0, {
        addr: this.get(seed ?? this.upNames()[0]).addr,
        token,
      });
      await s.api.stop();
      await s.node.stop().catch(() => {});
      throw new Error(`node ${spec.name} joined with token ${token}: it should have been refused`);
    } catch (e) {
      if ((e as Error).message.includes('should have been refused')) throw e;
      return e as Error;
    } finally {
      removeDir(dataDir);
    }
  }

  /** Starts one incarnation of a node, as node-start does. */
  private async launch(
    spec: NodeSpec,
    dataDir: string,
    runtime: SimRuntime,
    logs: string[],
    port: number,
    join?: { addr: string; token: string },
  ) {
    const config = spec.config ?? this.config;
    const verbose = this.opts.verbose ?? !!env('STARLING_TEST_LOGS');
    const log = (m: string) => {
      const line = `${new Date().toISOString()} [${spec.name}] ${m}`;
      logs.push(line);
      if (logs.length > 5000) logs.splice(0, 1000);
      if (verbose) console.error(line);
    };
    const wiring = clusterWiring({
      name: spec.name,
      config,
      clock: systemClock,
      random: Math.random,
      join: join?.addr,
      token: join?.token,
      log,
    });
    let handlers: Handlers | undefined;
    const api = new ApiServer(() => handlers, {
      host: spec.host,
      port,
      adminToken: () => wiring.creds?.adminToken,
      maxFrameBytes: config.maxFrameBytes,
      log,
      peer: wiring.peer,
    });
    const boundPort = await api.start();
    let ws: WsTransport | undefined;
    const node = new StarlingNode({
      name: spec.name,
      dataDir,
      host: spec.host,
      port: boundPort,
      runtime,
      config,
      cpuMillis: spec.cpuMillis ?? this.opts.cpuMillis ?? 4000,
      memoryBytes: spec.memoryBytes ?? this.opts.memoryBytes ?? 8 * 1024 ** 3,
      labels: spec.labels,
      log,
      cluster: async (meta, store) => {
        const parts = await wiring.parts(meta, store);
        ws = parts.transport as WsTransport;
        return parts;
      },
    });
    try {
      await node.start();
    } catch (e) {
      await api.stop();
      await node.stop().catch(() => {});
      throw e;
    }
    handlers = new Handlers(node);
    const addr = `${spec.host}:${boundPort}`;
    // a partition in force applies to a node that comes back too
    for (const [a, b] of this.partitions) {
      if (a === spec.name) ws!.block(b);
      if (b === spec.name) ws!.block(a);
    }
    return { node, api, wiring, ws: ws!, port: boundPort, addr };
  }

  /** An API client connected to the node (one per node incarnation, closed by stopAll). */
  async client(name: string): Promise<TestClient> {
    const n = this.get(name);
    const key = `${name}@${n.addr}@${this.generation.get(name) ?? 0}`;
    const have = this.clientOf.get(key);
    if (have) return have;
    const c = new TestClient(await new ApiClient(n.addr, this.adminToken).connect());
    this.clients.push(c);
    this.clientOf.set(key, c);
    return c;
  }
  /** A fresh client with any token (for refusals). */
  async rawClient(name: string, token = this.adminToken): Promise<TestClient> {
    const c = new TestClient(await new ApiClient(this.get(name).addr, token).connect());
    this.clients.push(c);
    return c;
  }

  /**
   * Kills a node abruptly (see the file comment): from this moment it sends and receives
   * nothing, and the others are not told it is going.
   */
  async kill(name: string): Promise<void> {
    const n = this.get(name);
    if (!n.up) return;
    n.up = false;
    n.logs.push(`${new Date().toISOString()} [${name}] ---- killed ----`);
    // 1. the process is gone: no frame leaves or arrives any more, not even the replicator's flush
    for (const other of this.names()) if (other !== name) n.ws.block(other);
    // 2. no goodbye: a killed process does not leave the membership gracefully
    n.node.membership.leave = () => Promise.resolve();
    // 3. its sockets drop and its timers stop; the store is closed so the data dir can be reopened
    await n.api.stop();
    await n.node.stop();
    this.bumpGeneration(name);
  }

  /**
   * The graceful stop, in node-start's order on SIGTERM (src/cli/node-start.ts: node.stop(), then
   * api.stop()): the others should mark the node Left. Keep the order in step with node-start.
   */
  async stop(name: string): Promise<void> {
    const n = this.get(name);
    if (!n.up) return;
    n.up = false;
    n.logs.push(`${new Date().toISOString()} [${name}] ---- stopped ----`);
    await n.node.stop();
    await n.api.stop();
    this.bumpGeneration(name);
  }

  /** Starts a killed or stopped node again on its data dir, address and port: it rejoins without a token. */
  async restart(name: string): Promise<ClusterNode> {
    const n = this.get(name);
    if (n.up) throw new Error(`node ${name} is up`);
    n.logs.push(`${new Date().toISOString()} [${name}] ---- restarting ----`);
    let started;
    try {
      started = await this.launch(n.spec, n.dataDir, n.runtime, n.logs, n.port);
    } catch (e) {
      // the old port may still be held: any port will do, the others learn the new address by gossip
      if (!/EADDRINUSE/.test(String((e as Error).message))) throw e;
      started = await this.launch(n.spec, n.dataDir, n.runtime, n.logs, 0);
    }
    Object.assign(n, started, { up: true });
    this.bumpGeneration(name);
    return n;
  }

  private bumpGeneration(name: string) {
    this.generation.set(name, (this.generation.get(name) ?? 0) + 1);
  }

  /** Drops every frame between the two groups, both ways, on every node's transport. */
  partition(a: string[], b: string[]) {
    for (const x of a) {
      for (const y of b) {
        this.partitions.push([x, y]);
        const nx = this.get(x);
        const ny = this.get(y);
        if (nx.up) nx.ws.block(y);
        if (ny.up) ny.ws.block(x);
      }
    }
  }

  /** Ends every partition. */
  heal() {
    for (const [x, y] of this.partitions) {
      const nx = this.get(x);
      const ny = this.get(y);
      if (nx.up) nx.ws.unblock(y);
      if (ny.up) ny.ws.unblock(x);
    }
    this.partitions = [];
  }

  // ---- views -----------------------------------------------------------------------------

  /** The membership state of `member` as `observer` sees it. */
  memberState(observer: string, member: string): string | undefined {
    return this.node(observer).membership.members().find((m) => m.name === member)?.state;
  }

  /**
   * Waits until every up node (other than `member`) holds `member` in `state`; on a timeout the
   * error shows each node's view and the log lines about the member.
   */
  async waitMemberState(member: string, state: string, timeoutMs = 10_000): Promise<void> {
    const observers = () => this.upNames().filter((o) => o !== member);
    await waitFor(
      `${member} ${state} on every other node`,
      () => observers().every((o) => this.memberState(o, member) === state),
      timeoutMs,
      20,
    )
      .catch((e) => {
        const views = observers().map((o) => `${o} sees ${member} ${this.memberState(o, member)}`)
          .join('; ');
        const lines = this.names().flatMap((n) =>
          this.get(n).logs.filter((l) => l.includes(member)).slice(-15)
        );
        throw new Error(`${(e as Error).message}\n${views}\n${lines.join('\n')}`);
      });
  }

  /** Whether every up node sees exactly `expected` as alive members. */
  agreeAlive(expected: string[] = this.upNames()): boolean {
    const want = [...expected].sort().join(',');
    return this.upNames().every((o) =>
      this.node(o).membership.members().filter((m) => m.state === 'alive').map((m) => m.name).sort()
        .join(',') === want
    );
  }

  /** The Ready condition's status of a Node object in an observer's store. */
  readyOf(observer: string, nodeName: string): string | undefined {
    const o = this.node(observer).store.get(`Node//${nodeName}`);
    return (o?.status?.conditions as { type: string; status: string }[] | undefined)?.find((c) =>
      c.type === 'Ready'
    )?.status;
  }

  /** The up nodes whose ActorHost runs the actor of `key` right now. */
  hostsOf(key: string): string[] {
    return this.upNames().filter((n) => this.node(n).host.has(key));
  }

  /**
   * Objects with an actor (Namespace, Node, Deployment, ReplicaSet, Pod) in `observer`'s store
   * whose actor does not run on exactly one up node, as `kind/ns/name: [hosts]` (empty: all
   * good). Pods bound to a node that is down are left out: they rightly have no host until evicted.
   */
  actorsNotHostedOnce(observer = this.upNames()[0]): string[] {
    const out: string[] = [];
    for (const kind of ['Namespace', 'Node', 'Deployment', 'ReplicaSet', 'Pod']) {
      for (const o of this.node(observer).store.list(kind)) {
        // a pod bound to a node that is down has no host until it is evicted
        const boundTo = kind === 'Pod' ? (o.spec as { nodeName?: string }).nodeName : undefined;
        if (boundTo && !this.upNames().includes(boundTo)) continue;
        const key = `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        const hosts = this.hostsOf(key);
        if (hosts.length !== 1) out.push(`${key}: [${hosts.join(', ')}]`);
      }
    }
    return out;
  }

  /** Objects of a kind in a node's store (namespace default unless given; '' for cluster-scoped). */
  list(observer: string, kind: string, namespace?: string): KObject[] {
    return this.node(observer).store.list(kind, namespace);
  }

  /** Waits until every up node has formed one cluster of the up nodes. */
  async waitConverged(what = 'membership to converge', timeoutMs = 15_000) {
    await waitFor(what, () => this.agreeAlive(), timeoutMs, 50);
  }

  /** Node logs, for failure messages. */
  dumpLogs(names = this.names(), lastLines = 60): string {
    return names.map((n) => `---- ${n} ----\n${this.get(n).logs.slice(-lastLines).join('\n')}`)
      .join('\n');
  }

  /** Stops every node (abruptly: no need to wait for goodbyes), closes every client, removes every temp dir. */
  async stopAll(): Promise<void> {
    for (const c of this.clients) c.close();
    this.clients = [];
    this.clientOf.clear();
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      try {
        await this.kill(n.name);
      } catch (e) {
        console.error(`stopping ${n.name}: ${(e as Error).message}`);
      }
    }
    for (const d of this.dirs) removeDir(d);
    this.dirs = [];
  }
}

/**
 * Starts `size` nodes n1..nN on 127.0.0.<firstHost>.. (port 0): n1 bootstraps, the others join
 * one after another with n1's join token through a random node already up; resolves once every
 * node sees every other alive.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const c = new TestCluster(opts);
  const size = opts.size ?? 3;
  const first = opts.firstHost ?? 21;
  try {
    for (let i = 0; i < size; i++) {
      const over = opts.nodes?.[i] ?? {};
      const spec: NodeSpec = { name: `n${i + 1}`, host: `127.0.0.${first + i}`, ...over };
      const up = c.upNames();
      await c.add(spec, i === 0 ? undefined : { seed: up[Math.floor(Math.random() * up.length)] });
    }
    await c.waitConverged();
  } catch (e) {
    const logs = c.nodes.size ? c.dumpLogs() : '';
    await c.stopAll();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return c;
}

/** A Deployment manifest (YAML) of sim containers that run until stopped. */
export function deployment(
  name: string,
  replicas: number,
  opts: {
    cpu?: string;
    memory?: string;
    image?: string;
    env?: string;
    nodeSelector?: Record<string, string>;
  } = {},
): string {
  const requests = opts.cpu || opts.memory
    ? `
          resources:
            requests: {${
      [opts.cpu && `cpu: ${opts.cpu}`, opts.memory && `memory: ${opts.memory}`].filter(Boolean)
        .join(', ')
    }}`
    : '';
  const selector = opts.nodeSelector
    ? `
      nodeSelector: {${
      Object.entries(opts.nodeSelector).map(([k, v]) =>
        `${JSON.stringify(k)}: ${JSON.stringify(v)}`
      ).join(', ')
    }}`
    : '';
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:${selector}
      containers:
        - name: main
          image: ${opts.image ?? 'busybox:latest'}
          command: ["sh", "-c", "echo started ${opts.env ?? ''}; exec httpd -f -p 8080"]${requests}
`;
}

/** The pods of a ReplicaSet or Deployment (by label app=NAME) in a node's store. */
export function podsOf(node: StarlingNode, app: string): KObject[] {
  return node.store.list('Pod', 'default').filter((p) => p.metadata.labels?.app === app);
}

/** Pods that count toward a ReplicaSet's replicas: not being deleted. */
export const activePods = (pods: KObject[]) => pods.filter((p) => !p.metadata.deletionTimestamp);

export const isRunning = (p: KObject) =>
  p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;
