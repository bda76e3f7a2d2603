// A simulated cluster: many Memberships in one process on one MemoryNetwork and one
// SimulatedClock, all randomness from one seed. For tests and benchmarks of anything built on
// membership (placement, replication): deterministic, and minutes of cluster time run in
// milliseconds.
//
//   const sim = new SimCluster({ seed: 7 });
//   for (const n of ['n1', 'n2', 'n3']) sim.add(n);
//   await sim.joinAll();              // n1 first, the others through it
//   await sim.until(() => sim.converged(), 10_000);
//   sim.net.kill('n2');
//   await sim.run(3_000);

import { SimulatedClock } from '../clock.ts';
import { defaultGossip, type GossipConfig } from '../config.ts';
import { setImmediate as tick } from 'node:timers';
import { Membership } from './membership.ts';
import { seededRandom } from './swim-random.ts';
import { MemoryNetwork, type MemoryTransport } from './transport-memory.ts';
import type { MemberState, NodeMeta } from './types.ts';

export interface SimClusterOptions {
  /** the one seed every random choice derives from. Default 1 */
  seed?: number;
  /** gossip timing. Default defaultGossip */
  config?: GossipConfig;
  latencyMs?: number;
  jitterMs?: number;
  /** receives every member's log lines (prefixed with the member's name) */
  log?(m: string): void;
}

export interface SimMember {
  name: string;
  membership: Membership;
  transport: MemoryTransport;
}

/** Meta for a simulated member (4 CPUs, 8 GiB, sim runtime). */
export function simMeta(name: string, overrides: Partial<NodeMeta> = {}): NodeMeta {
  return {
    addr: `${name}:7000`,
    cpuMillis: 4000,
    memoryBytes: 8 * 1024 ** 3,
    runtime: 'sim',
    version: 'v0.1.0',
    labels: { 'kubernetes.io/hostname': name },
    unschedulable: false,
    joinedAt: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

/** Lets promise continuations run (push-pull answers) between clock steps. */
export const flush = () => new Promise<void>((resolve) => tick(resolve));

export class SimCluster {
  readonly clock = new SimulatedClock();
  readonly net: MemoryNetwork;
  readonly config: GossipConfig;
  readonly nodes = new Map<string, SimMember>();
  private readonly seeds: () => number;
  private readonly log?: (m: string) => void;
  /** members whose start() failed, with the error */
  readonly joinErrors = new Map<string, unknown>();

  constructor(options: SimClusterOptions = {}) {
    this.seeds = seededRandom(options.seed ?? 1);
    this.config = options.config ?? defaultGossip;
    this.log = options.log;
    this.net = new MemoryNetwork({
      clock: this.clock,
      random: this.childRandom(),
      latencyMs: options.latencyMs ?? 0,
      jitterMs: options.jitterMs ?? 0,
    });
  }

  /** A new member (its endpoint and Membership, not started yet). */
  add(name: string, meta: Partial<NodeMeta> = {}): Membership {
    const transport = this.net.transport(name);
    const membership = new Membership({
      transport,
      clock: this.clock,
      random: this.childRandom(),
      config: this.config,
      self: { name, meta: simMeta(name, meta) },
      log: this.log,
    });
    this.nodes.set(name, { name, membership, transport });
    return membership;
  }

  get(name: string): Membership {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`sim: no member ${name}`);
    return n.membership;
  }

  /** Starts a member with the given seeds, running the clock until its join completes. */
  async join(name: string, seeds: string[], maxMs = 10_000): Promise<void> {
    const m = this.get(name);
    const done = this.started(name, m, seeds);
    let finished = false;
    done.finally(() => (finished = true));
    await this.until(() => finished, maxMs);
    await done;
  }

  /** Starts every member not started yet: the first alone, the rest through `seed` (default the first), all at once. */
  async joinAll(seed?: string, maxMs = 10_000): Promise<void> {
    const names = [...this.nodes.keys()];
    const first = seed ?? names[0];
    const waits: Promise<void>[] = [];
    for (const name of names) {
      waits.push(this.started(name, this.get(name), name === first ? [] : [first]));
    }
    let finished = 0;
    for (const w of waits) w.finally(() => finished++);
    await this.until(() => finished === waits.length, maxMs);
    await Promise.all(waits);
  }

  /** Advances the clock by ms in steps, letting promise continuations run after each step. */
  async run(ms: number, stepMs = 10): Promise<void> {
    let left = ms;
    while (left > 0) {
      const step = Math.min(stepMs, left);
      this.clock.advance(step);
      left -= step;
      await flush();
    }
  }

  /** Runs until `done()` holds (checked every step); returns the time it took, or -1 after maxMs. */
  async until(done: () => boolean, maxMs: number, stepMs = 10): Promise<number> {
    const start = this.clock.now();
    await flush();
    while (!done()) {
      if (this.clock.now() - start >= maxMs) return -1;
      this.clock.advance(stepMs);
      await flush();
    }
    return this.clock.now() - start;
  }

  /** How `observer` sees `target` (undefined: unknown to it). */
  stateOf(observer: string, target: string): MemberState | undefined {
    return this.get(observer).member(target)?.state;
  }

  /** Whether every observer (default: every other running member) sees `target` in `state`. */
  allSee(target: string, state: MemberState, observers = this.running().filter((n) => n !== target)): boolean {
    return observers.every((o) => this.stateOf(o, target) === state);
  }

  /** Names of the members that are started, not stopped, and not killed on the network. */
  running(): string[] {
    return [...this.nodes.values()]
      .filter((n) => !n.transport.isClosed && !this.net.isDead(n.name) && n.membership.member(n.name)?.state === 'alive')
      .map((n) => n.name);
  }

  /** Every running member sees every running member alive. */
  converged(names = this.running()): boolean {
    return names.every((o) => names.every((t) => this.stateOf(o, t) === 'alive'));
  }

  /** Restarts a member: the old Membership stops, its endpoint closes, a new one starts with the same name and joins through `seeds`. */
  async restart(name: string, seeds: string[], meta: Partial<NodeMeta> = {}): Promise<Membership> {
    const old = this.nodes.get(name);
    if (old) {
      await old.membership.stop();
      await old.transport.close();
    }
    this.net.revive(name);
    const m = this.add(name, meta);
    await this.join(name, seeds);
    return m;
  }

  /** Stops every member and closes every endpoint. */
  async stop(): Promise<void> {
    for (const n of this.nodes.values()) {
      await n.membership.stop();
      await n.transport.close();
    }
  }

  private started(name: string, m: Membership, seeds: string[]): Promise<void> {
    return m.start(seeds.map((s) => ({ name: s, addr: simMeta(s).addr }))).catch((e) => {
      this.joinErrors.set(name, e);
    });
  }

  private childRandom(): () => number {
    return seededRandom(Math.floor(this.seeds() * 2 ** 32));
  }
}
