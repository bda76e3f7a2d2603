// An in-memory network of Transport endpoints for tests and simulations (memberlist's
// mock_transport.go, js-libp2p's transport-memory): latency, drops, partitions, dead nodes.
// Always an explicit instance — never a module global — driven by an injected Clock, so a
// SimulatedClock makes a whole cluster deterministic.
//
// Semantics:
// - Delivery is always asynchronous: a message is handed to the receiver by a clock timer after
//   latencyMs (+ a random jitter in [0, jitterMs)), never inside send(). With latency 0 it is
//   delivered at the next timer turn (SimulatedClock: within the current or next advance()).
// - Every message is structured-cloned at send time: sender and receiver never share an object.
// - A message is lost when the link is cut (partition, isolate), either end is killed or closed,
//   or the drop probability says so (network-wide and per node; the seeded random decides).
//   Reachability is checked when the message is sent and again when it arrives.
// - request() sends the message with a reply function and rejects with a TransportError
//   ('timeout') when no reply arrives within timeoutMs of the Clock; the reply itself travels
//   over the network (latency, drops, cuts apply). A request to a name that has no endpoint
//   rejects with 'unreachable'; to a killed or cut-off one it times out, as packets would.
// - Names are the addresses: setAddress() is recorded (addressOf) but routing is by name.

import type { Clock } from '../clock.ts';
import { StarlingError } from '../errors.ts';
import type { MessageHandler, PeerMessage, Transport } from './types.ts';
import { seededRandom } from './swim-random.ts';

export type TransportFailure = 'timeout' | 'unreachable' | 'closed';

/**
 * A request that failed: no reply in time, no such peer, or the endpoint closed. (The Transport
 * contract names this class; it belongs in errors.ts with its own code once that file gains one.)
 */
export class TransportError extends StarlingError {
  constructor(readonly reason: TransportFailure, message: string, readonly peer?: string) {
    super('RuntimeUnavailable', message, { reason, peer });
    this.name = 'TransportError';
  }
}

export interface MemoryNetworkOptions {
  clock: Clock;
  /** the seeded source for drops and jitter. Default: seededRandom(1) */
  random?: () => number;
  /** one-way delay of every message, ms. Default 0 */
  latencyMs?: number;
  /** extra random delay in [0, jitterMs), ms (messages may then be reordered). Default 0 */
  jitterMs?: number;
  /** probability that any message is lost, 0..1. Default 0 */
  dropRate?: number;
  /** called when a receiver's handler throws (the message is lost). Default: console.error */
  onHandlerError?(error: unknown, at: string, from: string, msg: PeerMessage): void;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
}

type Envelope =
  | { kind: 'send'; msg: PeerMessage }
  | { kind: 'request'; id: number; msg: PeerMessage }
  | { kind: 'reply'; id: number; msg: PeerMessage };

export class MemoryNetwork {
  readonly clock: Clock;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0 };
  private readonly random: () => number;
  private latencyMs: number;
  private jitterMs: number;
  private dropRate: number;
  private readonly nodeDrop = new Map<string, number>();
  private readonly endpoints = new Map<string, MemoryTransport>();
  private readonly dead = new Set<string>();
  private readonly isolated = new Set<string>();
  private readonly cuts = new Set<string>();
  private readonly onHandlerError?: MemoryNetworkOptions['onHandlerError'];

  constructor(options: MemoryNetworkOptions) {
    this.onHandlerError = options.onHandlerError;
    this.clock = options.clock;
    this.random = options.random ?? seededRandom(1);
    this.latencyMs = options.latencyMs ?? 0;
    this.jitterMs = options.jitterMs ?? 0;
    this.dropRate = options.dropRate ?? 0;
  }

  /** A new endpoint named `name`. A name can have one open endpoint at a time. */
  transport(name: string): MemoryTransport {
    if (this.endpoints.has(name)) {
      throw new StarlingError('AlreadyExists', `memory network: endpoint ${name} is already open`);
    }
    const t = new MemoryTransport(this, name);
    this.endpoints.set(name, t);
    return t;
  }

  /** Names of the open endpoints. */
  names(): string[] {
    return [...this.endpoints.keys()];
  }

  /** Sets the one-way latency and jitter of every message, ms. */
  setLatency(latencyMs: number, jitterMs = 0): void {
    this.latencyMs = latencyMs;
    this.jitterMs = jitterMs;
  }

  /** Probability (0..1) that any message is lost. */
  setDropRate(rate: number): void {
    this.dropRate = rate;
  }

  /** Probability (0..1) that a message from or to `name` is lost (0 clears it). */
  setNodeDropRate(name: string, rate: number): void {
    if (rate > 0) this.nodeDrop.set(name, rate);
    else this.nodeDrop.delete(name);
  }

  /** Cuts every link between a member of groupA and a member of groupB (both directions). */
  partition(groupA: string[], groupB: string[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        if (a === b) continue;
        this.cuts.add(linkKey(a, b));
      }
    }
  }

  /** Cuts `name` off from everyone (it stays alive and can be healed). */
  isolate(name: string): void {
    this.isolated.add(name);
  }

  /** Removes every partition and isolation, and every per-node drop rate (kills stay). */
  heal(): void {
    this.cuts.clear();
    this.isolated.clear();
    this.nodeDrop.clear();
  }

  /** The endpoint named `name` neither sends nor receives until revive(name). */
  kill(name: string): void {
    this.dead.add(name);
  }

  revive(name: string): void {
    this.dead.delete(name);
  }

  isDead(name: string): boolean {
    return this.dead.has(name);
  }

  /** Whether a message from `from` to `to` can currently get through (ignoring random drops). */
  reachable(from: string, to: string): boolean {
    if (this.dead.has(from) || this.dead.has(to)) return false;
    if (this.isolated.has(from) || this.isolated.has(to)) return false;
    return !this.cuts.has(linkKey(from, to));
  }

  /** @internal carries one envelope from `from` to `to`, asynchronously. */
  transmit(from: string, to: string, env: Envelope): void {
    this.stats.sent++;
    if (!this.reachable(from, to) || this.lost(from, to)) {
      this.stats.dropped++;
      return;
    }
    const copy = { ...env, msg: structuredClone(env.msg) } as Envelope;
    const delay = this.latencyMs + (this.jitterMs > 0 ? this.random() * this.jitterMs : 0);
    this.clock.setTimeout(() => {
      const target = this.endpoints.get(to);
      if (!target || !this.reachable(from, to)) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      target.receive(from, copy);
    }, delay);
  }

  /** @internal */
  handlerFailed(at: string, from: string, msg: PeerMessage, error: unknown): void {
    if (this.onHandlerError) this.onHandlerError(error, at, from, msg);
    else console.error(`memory network: handler of ${at} threw on ${msg.t} from ${from}:`, error);
  }

  /** @internal */
  hasEndpoint(name: string): boolean {
    return this.endpoints.has(name);
  }

  /** @internal */
  release(t: MemoryTransport): void {
    if (this.endpoints.get(t.self) === t) this.endpoints.delete(t.self);
  }

  private lost(from: string, to: string): boolean {
    const p = Math.max(this.dropRate, this.nodeDrop.get(from) ?? 0, this.nodeDrop.get(to) ?? 0);
    return p > 0 && this.random() < p;
  }
}

const linkKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

interface Pending {
  to: string;
  resolve: (m: PeerMessage) => void;
  reject: (e: Error) => void;
  timer: ReturnType<Clock['setTimeout']>;
}

/** One endpoint of a MemoryNetwork. */
export class MemoryTransport implements Transport {
  private handler?: MessageHandler;
  private readonly pending = new Map<number, Pending>();
  private readonly addresses = new Map<string, string>();
  private nextRequest = 1;
  private closed = false;

  constructor(private readonly network: MemoryNetwork, readonly self: string) {}

  send(to: string, msg: PeerMessage): void {
    if (this.closed) return;
    this.network.transmit(this.self, to, { kind: 'send', msg });
  }

  request(to: string, msg: PeerMessage, timeoutMs: number): Promise<PeerMessage> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new TransportError('closed', `${this.self}: transport closed`, to));
        return;
      }
      if (!this.network.hasEndpoint(to)) {
        reject(new TransportError('unreachable', `${this.self}: no peer named ${to}`, to));
        return;
      }
      const id = this.nextRequest++;
      const timer = this.network.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new TransportError('timeout', `${this.self}: no reply from ${to} within ${timeoutMs} ms`, to));
      }, timeoutMs);
      this.pending.set(id, { to, resolve, reject, timer });
      this.network.transmit(this.self, to, { kind: 'request', id, msg });
    });
  }

  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  setAddress(name: string, addr: string): void {
    this.addresses.set(name, addr);
  }

  /** The address recorded for a member (routing itself is by name). */
  addressOf(name: string): string | undefined {
    return this.addresses.get(name);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the endpoint: pending requests reject ('closed') and the name is free again. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const [id, p] of this.pending) {
        this.network.clock.clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new TransportError('closed', `${this.self}: transport closed`, p.to));
      }
      this.handler = undefined;
      this.network.release(this);
    }
    return Promise.resolve();
  }

  /** @internal called by the network when an envelope arrives */
  receive(from: string, env: Envelope): void {
    if (this.closed) return;
    if (env.kind === 'reply') {
      const p = this.pending.get(env.id);
      if (!p || p.to !== from) return; // late (already timed out) or not ours
      this.pending.delete(env.id);
      this.network.clock.clearTimeout(p.timer);
      p.resolve(env.msg);
      return;
    }
    const handler = this.handler;
    if (!handler) return;
    let reply: ((m: PeerMessage) => void) | undefined;
    if (env.kind === 'request') {
      let replied = false;
      reply = (m) => {
        if (replied || this.closed) return;
        replied = true;
        this.network.transmit(this.self, from, { kind: 'reply', id: env.id, msg: m });
      };
    }
    try {
      handler(from, env.msg, reply);
    } catch (e) {
      // the message is lost, as with a crashing peer; the network reports it
      this.network.handlerFailed(this.self, from, env.msg, e);
    }
  }
}
