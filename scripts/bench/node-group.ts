// A child process that runs several Starling nodes in one process (over real WebSockets on
// their own loopback addresses), started the way `starling node start` starts them: an ApiServer
// serving /api and /peer, a StarlingNode on the sim runtime with a real LevelDB in its own temp
// data dir, then Handlers. Driven by its parent (scripts/bench/groups.ts) over the IPC channel:
//
//   parent → { id, op: 'start', nodes: [{ name, host }], bootstrap?, join?: { addr, token },
//              preset, cpuMillis, memoryBytes }
//            → { id, ok, nodes: [{ name, addr }], adminToken?, joinToken? }
//   parent → { id, op: 'watch', kind, prefix }   then { ev: 'seen', node, name, at } each time
//            an object of that kind whose name starts with prefix is first seen by a node here
//   parent → { id, op: 'members' }    then { ev: 'member', observer, member, state, prev, at }
//            on every membership change (suspect / dead / alive / left) seen by a node here
//   parent → { id, op: 'profile', action: 'start' | 'stop', file }   a CPU profile of this process
//   parent → { id, op: 'stats' }      → { id, ok, stats: { cpu, rss, heap, nodes: [...] } }
//   parent → { id, op: 'stop' }       → { id, ok }, then the process exits
//
// `at` is wall time in ms with sub-ms precision (performance.timeOrigin + performance.now()), the
// same clock in every process of the machine. The process exits by itself when its parent goes.

import { rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Handlers } from '../../src/api/handlers.ts';
import { ApiServer } from '../../src/api/server.ts';
import { systemClock } from '../../src/clock.ts';
import type { WsTransport } from '../../src/cluster/transport-ws.ts';
import { clusterWiring } from '../../src/cluster/wiring.ts';
import { defaultConfig, makeConfig, type NodeConfig, testConfig } from '../../src/config.ts';
import { createToken } from '../../src/host/join-tokens.ts';
import { StarlingNode } from '../../src/host/node.ts';
import { SimRuntime } from '../../src/runtime/sim.ts';
import { tempDir } from '../../test/support/sim-node.ts';

interface Started {
  name: string;
  addr: string;
  node: StarlingNode;
  api: ApiServer;
  ws?: WsTransport;
  dir: string;
}

const nodes: Started[] = [];
// how late this process's event loop runs timers (its nodes' probes and acks among them)
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const now = () => performance.timeOrigin + performance.now();
const send = (m: unknown) => process.send?.(m);
const verbose = !!process.env.STARLING_BENCH_LOGS;

async function startOne(name: string, host: string, config: NodeConfig, opts: { join?: { addr: string; token: string }; cpuMillis: number; memoryBytes: number }) {
  const dir = tempDir(`bench-${name}`);
  const log = (m: string) => {
    if (verbose) process.stderr.write(`${new Date().toISOString()} [${name}] ${m}\n`);
  };
  const wiring = clusterWiring({ name, config, clock: systemClock, random: Math.random, join: opts.join?.addr, token: opts.join?.token, log });
  let handlers: Handlers | undefined;
  const api = new ApiServer(() => handlers, { host, port: 0, adminToken: () => wiring.creds?.adminToken, maxFrameBytes: config.maxFrameBytes, log, peer: wiring.peer });
  const port = await api.start();
  let ws: WsTransport | undefined;
  const node = new StarlingNode({
    name,
    dataDir: dir,
    host,
    port,
    runtime: new SimRuntime({ nodeName: name }),
    config,
    cpuMillis: opts.cpuMillis,
    memoryBytes: opts.memoryBytes,
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
    await api.stop().catch(() => {});
    await node.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  handlers = new Handlers(node);
  const s: Started = { name, addr: `${host}:${port}`, node, api, ws, dir };
  nodes.push(s);
  return { s, wiring };
}

let profiler: Session | undefined;
let watching: { kind: string; prefix: string } | undefined;
let watchingMembers = false;
const seen = new Set<string>();
/** membership transitions each node observed, by the state entered (suspect, dead, alive, …) */
const transitions = new Map<string, Record<string, number>>();

function hook(s: Started) {
  s.node.store.watch((type, obj) => {
    if (!watching || type === 'DELETED' || obj.kind !== watching.kind || !obj.metadata.name.startsWith(watching.prefix)) return;
    const k = `${s.name}/${obj.metadata.name}`;
    if (seen.has(k)) return;
    seen.add(k);
    send({ ev: 'seen', node: s.name, name: obj.metadata.name, at: now() });
  });
  s.node.membership.onChange((m, prev) => {
    if (m.state !== prev && prev !== undefined) {
      const t = transitions.get(s.name) ?? {};
      t[m.state] = (t[m.state] ?? 0) + 1;
      transitions.set(s.name, t);
    }
    if (watchingMembers && m.state !== prev) send({ ev: 'member', observer: s.name, member: m.name, state: m.state, prev, at: now() });
  });
}

async function stopAll() {
  await Promise.all(nodes.map(async (s) => {
    await s.api.stop().catch(() => {});
    await s.node.stop().catch(() => {});
    rmSync(s.dir, { recursive: true, force: true });
  }));
  nodes.length = 0;
}

process.on('message', async (msg: any) => {
  const { id, op } = msg;
  try {
    if (op === 'start') {
      const config = makeConfig(msg.config ?? {}, msg.preset === 'test' ? testConfig : defaultConfig);
      const out: { name: string; addr: string }[] = [];
      let adminToken: string | undefined;
      let joinToken: string | undefined;
      let join = msg.join as { addr: string; token: string } | undefined;
      for (const [i, spec] of (msg.nodes as { name: string; host: string }[]).entries()) {
        const first = i === 0 && msg.bootstrap;
        const { s, wiring } = await startOne(spec.name, spec.host, config, { join: first ? undefined : join, cpuMillis: msg.cpuMillis, memoryBytes: msg.memoryBytes });
        hook(s);
        out.push({ name: s.name, addr: s.addr });
        if (first) {
          adminToken = wiring.creds!.adminToken;
          const t = await createToken(s.node.objects, systemClock.now(), config.joinTokenTtlMs, 'benchmark');
          joinToken = t.token!;
          join = { addr: s.addr, token: joinToken };
        }
      }
      send({ id, ok: true, nodes: out, adminToken, joinToken });
    } else if (op === 'watch') {
      watching = { kind: msg.kind, prefix: msg.prefix };
      send({ id, ok: true });
    } else if (op === 'members') {
      watchingMembers = true;
      send({ id, ok: true });
    } else if (op === 'profile') {
      // a CPU profile of this process: { action: 'start' }, then { action: 'stop', file }
      profiler ??= new Session();
      const post = (method: string, params?: object) =>
        new Promise<any>((res, rej) => profiler!.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
      if (msg.action === 'start') {
        profiler.connect();
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 500 });
        await post('Profiler.start');
      } else {
        const { profile } = await post('Profiler.stop');
        writeFileSync(msg.file, JSON.stringify(profile));
        profiler.disconnect();
        profiler = undefined;
      }
      send({ id, ok: true });
    } else if (op === 'stats') {
      const cpu = process.cpuUsage();
      const mem = process.memoryUsage();
      const reply = {
        id,
        ok: true,
        stats: {
          cpuS: (cpu.user + cpu.system) / 1e6,
          rss: mem.rss,
          heapUsed: mem.heapUsed,
          // event-loop delay since the last stats, ms
          lagMaxMs: lag.max / 1e6,
          lagP99Ms: lag.percentile(99) / 1e6,
          nodes: nodes.map((s) => {
            const st = s.node.store;
            return {
              name: s.name,
              objects: st.kinds().reduce((a, k) => a + st.list(k).length, 0),
              pods: st.list('Pod').length,
              actors: s.node.host.keys().length,
              replicator: { ...s.node.replicator.stats },
              mergedBy: { ...s.node.replicator.mergedBy },
              transport: s.ws ? { ...s.ws.counters } : undefined,
              members: s.node.membership.members().filter((m) => m.state === 'alive').length,
              memberTransitions: { ...transitions.get(s.name) },
            };
          }),
        },
      };
      lag.reset();
      send(reply);
    } else if (op === 'stop') {
      // graceful: every node stops as on SIGTERM; otherwise the process just goes (as a SIGKILL
      // would) once the data dirs are removed
      if (msg.graceful) await stopAll();
      else for (const s of nodes) rmSync(s.dir, { recursive: true, force: true });
      send({ id, ok: true });
      setTimeout(() => process.exit(0), 20);
    } else {
      send({ id, ok: false, error: `unknown op ${op}` });
    }
  } catch (e) {
    send({ id, ok: false, error: (e as Error).stack ?? String(e) });
  }
});

// the parent went away (killed, crashed): remove the data dirs and go, as a non-graceful stop
// (stopping 25 busy nodes one by one can take longer than anyone waits)
process.on('disconnect', () => {
  for (const s of nodes) rmSync(s.dir, { recursive: true, force: true });
  process.exit(0);
});
send({ ev: 'up' });
