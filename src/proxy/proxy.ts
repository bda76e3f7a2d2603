// The per-node Service proxy (kube-proxy's job, done in user space): one TCP listener per
// address:port the table asks for, each forwarding every connection it accepts to one ready
// endpoint of its Service port, chosen round robin, or the client's last endpoint with ClientIP
// affinity. Endpoints are looked up when a connection arrives, so a change of endpoints only
// affects new connections; established ones keep their endpoint until they close.
//
// Failures never throw: an address:port that cannot be bound is reported once (`report`) and
// tried again every `retryMs`; an endpoint that refuses or does not answer within
// `connectTimeoutMs` is skipped for the next one (each endpoint at most once per connection);
// with no endpoint left the client's connection is closed.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock.ts';
import { type Conflict, type ListenAddress, listenerKey, type ListenerSpec, planListeners, type ProxyEndpoint, type ProxyService, routeKey } from './table.ts';

export interface ProxyOptions {
  /** the addresses to listen on (the node's own, perhaps the container gateway) */
  addresses: ListenAddress[];
  clock: Clock;
  /**
   * A problem to tell the Service's users about (a Warning event on the Service): a port that
   * cannot be bound (`PortInUse`, `FailedToListen`). Called once per problem, not per retry.
   */
  report(serviceKey: string, reason: string, message: string): void;
  log(msg: string): void;
  /** how often a port that could not be bound is tried again, ms. Default 5000 */
  retryMs?: number;
  /** how long a connection to an endpoint may take before the next endpoint is tried, ms. Default 3000 */
  connectTimeoutMs?: number;
}

interface RouteState {
  endpoints: ProxyEndpoint[];
  /** round-robin position */
  next: number;
  affinityMs?: number;
  /** client address → endpoint ("host:port") and when the affinity expires */
  affinity: Map<string, { endpoint: string; expires: number }>;
}

interface Listener {
  spec: ListenerSpec;
  server?: Server;
  state: 'binding' | 'listening' | 'failed' | 'closed';
  retry?: TimerHandle;
  /** the failure already reported (so a retry that fails the same way says nothing) */
  reported?: string;
}

/** Affinity entries kept per Service port before expired ones are swept. */
const AFFINITY_SWEEP_AT = 10_000;

const endpointId = (e: ProxyEndpoint) => (e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`);

export class ServiceProxy {
  private listeners = new Map<string, Listener>();
  private routes = new Map<string, RouteState>();
  private sockets = new Set<Socket>();
  private conflictsReported = new Set<string>();
  private stopped = false;
  private readonly retryMs: number;
  private readonly connectTimeoutMs: number;

  constructor(private opts: ProxyOptions) {
    this.retryMs = opts.retryMs ?? 5000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
  }

  /** Makes the listeners and routes match the table. */
  update(services: ProxyService[]) {
    if (this.stopped) return;
    const routes = new Map<string, RouteState>();
    for (const svc of services) {
      for (const p of svc.ports) {
        const key = routeKey({ service: svc.key, port: p.name });
        const old = this.routes.get(key);
        const state: RouteState = old ?? { endpoints: [], next: 0, affinity: new Map() };
        state.endpoints = p.endpoints.map((e) => ({ ...e }));
        state.affinityMs = svc.affinityMs;
        if (state.affinityMs === undefined) state.affinity.clear();
        routes.set(key, state);
      }
    }
    this.routes = routes;

    const { listeners, conflicts } = planListeners(services, this.opts.addresses);
    for (const [key, l] of this.listeners) {
      if (!listeners.has(key)) this.close(key, l);
    }
    for (const [key, spec] of listeners) {
      const l = this.listeners.get(key);
      if (l) {
        if (l.spec.route.service !== spec.route.service) l.reported = undefined;
        l.spec = spec;
      } else {
        const fresh: Listener = { spec, state: 'binding' };
        this.listeners.set(key, fresh);
        this.bind(key, fresh);
      }
    }
    this.reportConflicts(conflicts);
  }

  /** address:port of every listener that is bound, sorted (for tests and diagnostics). */
  listening(): string[] {
    return [...this.listeners.entries()].filter(([, l]) => l.state === 'listening').map(([k]) => k).sort();
  }

  /** Closes every listener and every proxied connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing = [...this.listeners.entries()].map(([key, l]) => this.close(key, l));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(closing);
  }

  // ---- listeners ------------------------------------------------------------------------------

  private bind(key: string, l: Listener) {
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(l, client));
    l.server = server;
    l.state = 'binding';
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (l.state === 'closed') return;
      l.state = 'failed';
      l.server = undefined;
      server.close();
      this.failed(key, l, e);
    });
    server.listen({ host: l.spec.host, port: l.spec.port }, () => {
      if (l.state === 'closed') {
        server.close();
        return;
      }
      l.state = 'listening';
      if (l.reported) this.opts.log(`proxy: listening on ${key} for ${l.spec.route.service} after all`);
      l.reported = undefined;
    });
  }

  private failed(key: string, l: Listener, e: NodeJS.ErrnoException) {
    const inUse = e.code === 'EADDRINUSE';
    const message = `listen tcp ${key}: bind: ${inUse ? 'address already in use' : e.message}`;
    if (l.reported !== message) {
      l.reported = message;
      if (l.spec.secondary) this.opts.log(`proxy: ${message} (for ${l.spec.route.service}; retrying every ${this.retryMs} ms)`);
      else this.opts.report(l.spec.route.service, inUse ? 'PortInUse' : 'FailedToListen', message);
    }
    l.retry = this.opts.clock.setTimeout(() => {
      l.retry = undefined;
      if (this.stopped || l.state !== 'failed' || this.listeners.get(key) !== l) return;
      this.bind(key, l);
    }, this.retryMs);
  }

  private close(key: string, l: Listener): Promise<void> {
    this.listeners.delete(key);
    l.state = 'closed';
    if (l.retry) this.opts.clock.clearTimeout(l.retry);
    const server = l.server;
    l.server = undefined;
    if (!server) return Promise.resolve();
    // stops accepting at once; connections already proxied keep going (as conntrack keeps them)
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private reportConflicts(conflicts: Conflict[]) {
    const now = new Set<string>();
    for (const c of conflicts) {
      const id = `${c.service}|${listenerKey(c.host, c.port)}|${c.holder}`;
      now.add(id);
      if (this.conflictsReported.has(id)) continue;
      const [, ns, name] = c.holder.split('/');
      this.opts.report(c.service, 'PortInUse', `listen tcp ${listenerKey(c.host, c.port)}: port ${c.port} is already used by Service ${ns}/${name}`);
    }
    this.conflictsReported = now;
  }

  // ---- connections ----------------------------------------------------------------------------

  private accept(l: Listener, client: Socket) {
    if (this.stopped) {
      client.destroy();
      return;
    }
    this.track(client);
    client.on('error', () => client.destroy());
    const route = this.routes.get(routeKey(l.spec.route));
    const candidates = route ? this.candidates(route, client.remoteAddress ?? '') : [];
    if (!route || candidates.length === 0) {
      client.destroy();
      return;
    }
    this.connect(route, client, candidates, 0);
  }

  /** Endpoints to try, in order: the affine one (if still an endpoint), then round robin. */
  private candidates(route: RouteState, clientIP: string): ProxyEndpoint[] {
    const n = route.endpoints.length;
    if (n === 0) return [];
    const start = route.next % n;
    route.next = (start + 1) % n;
    const order = Array.from({ length: n }, (_, i) => route.endpoints[(start + i) % n]);
    if (route.affinityMs !== undefined) {
      const sticky = route.affinity.get(clientIP);
      if (sticky && sticky.expires > this.opts.clock.now()) {
        const e = order.find((x) => endpointId(x) === sticky.endpoint);
        if (e) {
          // the affine endpoint did not use up a round-robin turn
          route.next = start;
          return [e, ...order.filter((x) => x !== e)];
        }
      }
    }
    return order;
  }

  private connect(route: RouteState, client: Socket, candidates: ProxyEndpoint[], i: number) {
    if (client.destroyed || this.stopped) return;
    if (i >= candidates.length) {
      client.destroy();
      return;
    }
    const target = candidates[i];
    const upstream = createConnection({ host: target.host, port: target.port, allowHalfOpen: true });
    this.track(upstream);
    let connected = false;
    const timer = this.opts.clock.setTimeout(() => {
      if (!connected) upstream.destroy(new Error('connect timeout'));
    }, this.connectTimeoutMs);
    const onClientGone = () => upstream.destroy();
    client.once('close', onClientGone);
    upstream.once('error', () => {
      this.opts.clock.clearTimeout(timer);
      if (connected) {
        client.destroy();
        return;
      }
      client.off('close', onClientGone);
      upstream.destroy();
      this.connect(route, client, candidates, i + 1);
    });
    upstream.once('connect', () => {
      connected = true;
      this.opts.clock.clearTimeout(timer);
      if (route.affinityMs !== undefined && client.remoteAddress) {
        route.affinity.set(client.remoteAddress, { endpoint: endpointId(target), expires: this.opts.clock.now() + route.affinityMs });
        if (route.affinity.size > AFFINITY_SWEEP_AT) this.sweep(route);
      }
      // the endpoint is done: let the client have what is still buffered for it, then close
      upstream.on('close', () => {
        if (client.destroyed || client.writableFinished) client.destroy();
        else {
          client.once('finish', () => client.destroy());
          client.end();
        }
      });
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  private sweep(route: RouteState) {
    const now = this.opts.clock.now();
    for (const [ip, a] of route.affinity) if (a.expires <= now) route.affinity.delete(ip);
  }

  private track(s: Socket) {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
