// Resource metrics, as metrics-server gathers them: every node samples the containers it runs
// (CPU as the rate between two samples, memory as in use) and answers `metrics` requests from the
// other members; `starling top` and the autoscaler read the cluster's metrics through any node.

import type { PodContext } from '../../actors/pod.ts';
import { type Clock, type TimerHandle, Turns } from '../clock.ts';
import type { Transport } from '../cluster/types.ts';
import type { ObjectKey } from '../objects/types.ts';
import { parseKey } from '../objects/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import type { ActorHost } from './actor-host.ts';

export interface ContainerMetrics {
  name: string;
  /** CPU in use, millicores */
  cpuMillis: number;
  memoryBytes: number;
}
export interface PodMetrics {
  namespace: string;
  name: string;
  node: string;
  containers: ContainerMetrics[];
  /** ISO time of the sample */
  timestamp: string;
}
export interface NodeMetrics {
  name: string;
  cpuMillis: number;
  memoryBytes: number;
  /** allocatable, for percentages */
  cpuCapacityMillis: number;
  memoryCapacityBytes: number;
}

export interface MetricsDeps {
  self: string;
  runtime: ContainerRuntime;
  host: ActorHost;
  transport: Transport;
  clock: Clock;
  intervalMs: number;
  capacity(): { cpuMillis: number; memoryBytes: number };
  members(): string[];
}

export class Metrics {
  private last = new Map<string, { cpuNanos: number; at: number }>();
  private pods = new Map<ObjectKey, PodMetrics>();
  private timer?: TimerHandle;
  private stopped = false;

  constructor(private d: MetricsDeps) {
    d.transport.onMessage((_from, msg, reply) => {
      if (msg.t === 'metrics' && reply) reply({ t: 'metrics-ok', pods: this.localPods(), node: this.localNode() });
    });
  }

  start() {
    const tick = async () => {
      if (this.stopped) return;
      await this.sample().catch(() => {});
      if (!this.stopped) this.timer = this.d.clock.setTimeout(tick, this.d.intervalMs);
    };
    this.timer = this.d.clock.setTimeout(tick, 0);
  }

  stop() {
    this.stopped = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
  }

  /** One sample of every running container of the pods this node runs. */
  async sample() {
    const seen = new Set<string>();
    const fresh = new Map<ObjectKey, PodMetrics>();
    // in turns: a runtime that answers at once (sim) would otherwise hold the event loop for
    // every container of the node
    const turns = new Turns();
    for (const key of this.d.host.keys()) {
      if (turns.due) await turns.pause();
      const ref = parseKey(key);
      if (ref.kind !== 'Pod') continue;
      const ctx = this.d.host.context<PodContext>(key);
      if (ctx?.node !== this.d.self) continue;
      const containers: ContainerMetrics[] = [];
      for (const c of ctx.containers) {
        if (c.init || c.activity !== 'running' || !c.id) continue;
        const st = await this.d.runtime.stats(c.id).catch(() => undefined);
        if (!st) continue;
        seen.add(c.id);
        const prev = this.last.get(c.id);
        this.last.set(c.id, { cpuNanos: st.cpuNanos, at: st.at });
        const dt = prev ? st.at - prev.at : 0;
        const cpuMillis = prev && dt > 0 ? Math.max(0, Math.round((st.cpuNanos - prev.cpuNanos) / 1e6 / dt * 1000)) : 0;
        containers.push({ name: c.name, cpuMillis, memoryBytes: st.memoryBytes });
      }
      if (containers.length) {
        fresh.set(key, { namespace: ref.namespace, name: ref.name, node: this.d.self, containers, timestamp: new Date(this.d.clock.now()).toISOString() });
      }
    }
    for (const id of [...this.last.keys()]) if (!seen.has(id)) this.last.delete(id);
    this.pods = fresh;
  }

  localPods(): PodMetrics[] {
    return [...this.pods.values()];
  }

  localNode(): NodeMetrics {
    const cap = this.d.capacity();
    let cpu = 0;
    let mem = 0;
    for (const p of this.pods.values()) for (const c of p.containers) {
      cpu += c.cpuMillis;
      mem += c.memoryBytes;
    }
    return { name: this.d.self, cpuMillis: cpu, memoryBytes: mem, cpuCapacityMillis: cap.cpuMillis, memoryCapacityBytes: cap.memoryBytes };
  }

  /** Every member's metrics (members that do not answer in time are left out). */
  async cluster(timeoutMs = 2000): Promise<{ pods: PodMetrics[]; nodes: NodeMetrics[] }> {
    const answers = await Promise.all(this.d.members().map((m) =>
      m === this.d.self
        ? Promise.resolve({ pods: this.localPods(), node: this.localNode() })
        : this.d.transport.request(m, { t: 'metrics' }, timeoutMs).then((r) => r as unknown as { pods: PodMetrics[]; node: NodeMetrics }).catch(() => undefined)
    ));
    const ok = answers.filter((a): a is { pods: PodMetrics[]; node: NodeMetrics } => !!a);
    return { pods: ok.flatMap((a) => a.pods), nodes: ok.map((a) => a.node) };
  }
}
