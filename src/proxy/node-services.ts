// Services on one node: the proxy kept equal to the replicated Services and Endpoints (every
// change to either refreshes its table), where containers reach the proxy, and the service
// environment variables of the node's containers.
//
// Where the proxy listens: on the node's own address (its --listen host) at every Service port
// and node port. A container in Docker's bridge network cannot reach a loopback address of the
// host, so when the node's address is loopback and the runtime is Docker, the proxy also listens
// on the bridge's gateway address (docker0, usually 172.17.0.1), and containers get that address
// in their service variables. On any other address containers reach the node's address itself.
// The gateway is asked of Docker (the `bridge` network's IPAM gateway) when the node starts.

import { networkInterfaces } from 'node:os';
import type { Clock } from '../clock.ts';
import type { KObject, ObjectKey } from '../objects/types.ts';
import { keyOf, objectKey } from '../objects/types.ts';
import type { ContainerRuntime } from '../runtime/types.ts';
import type { Change, WatchListener } from '../store/store.ts';
import { selects } from '../../actors/service-logic.ts';
import { isHeadless, serviceSummary } from '../host/service-binding.ts';
import { type EnvVar, serviceEnvVars } from './env.ts';
import { ServiceProxy } from './proxy.ts';
import { endpointsKey, type ListenAddress, proxyTable } from './table.ts';

export interface ServiceStore {
  get(key: ObjectKey): KObject | undefined;
  list(kind: string, namespace?: string): KObject[];
  watch(listener: WatchListener): () => void;
  versions(key: ObjectKey): { deleted: boolean } | undefined;
  commit(change: Change): Promise<void>;
}

export interface NodeServicesOptions {
  store: ServiceStore;
  /** the node's address (its --listen host) */
  host: string;
  runtime: ContainerRuntime;
  clock: Clock;
  /** a Warning event on a Service */
  warn(service: KObject, reason: string, message: string): void;
  log(msg: string): void;
  /** where containers reach the proxy; default: see containerHostFor() */
  containerHost?: string;
  /** how often a port that could not be bound is tried again, ms. Default 5000 */
  retryMs?: number;
}

const isLoopback = (h: string) => h === 'localhost' || h === '::1' || /^127\./.test(h);
const isWildcard = (h: string) => h === '0.0.0.0' || h === '::' || h === '';

/**
 * The IPv4 address of Docker's default bridge (docker0) on this machine, from its interfaces.
 * An interface with no carrier (no container attached yet) is not listed: ask Docker first
 * (dockerBridgeGateway).
 */
export function dockerBridgeAddress(): string | undefined {
  try {
    return networkInterfaces().docker0?.find((a) => a.family === 'IPv4' || (a.family as unknown) === 4)?.address;
  } catch {
    return undefined;
  }
}

interface DockerLike {
  getNetwork(id: string): { inspect(): Promise<{ IPAM?: { Config?: { Gateway?: string }[] } }> };
}

/** The gateway of Docker's `bridge` network, asked of the runtime's Docker client (bounded: 3 s). */
export async function dockerBridgeGateway(runtime: ContainerRuntime): Promise<string | undefined> {
  const docker = (runtime as { docker?: DockerLike }).docker;
  if (runtime.kind !== 'docker' || !docker) return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const net = await Promise.race([
      docker.getNetwork('bridge').inspect(),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), 3000))),
    ]);
    return net.IPAM?.Config?.map((c) => c.Gateway).find((g) => g && !g.includes(':'));
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Where containers of a node reach its proxy, and the extra address the proxy listens on for them. */
export function containerHostFor(host: string, runtime: 'docker' | 'sim', bridge: string | undefined): { containerHost: string; extra?: string } {
  if (runtime === 'docker' && bridge && (isLoopback(host) || isWildcard(host))) {
    return { containerHost: bridge, extra: isWildcard(host) ? undefined : bridge };
  }
  return { containerHost: isWildcard(host) ? '127.0.0.1' : host };
}

export class NodeServices {
  /** the proxy (made by start()) */
  proxy!: ServiceProxy;
  /** the address service variables name (where containers reach this node's proxy) */
  containerHost: string;
  addresses: ListenAddress[];
  private off?: () => void;
  private scheduled = false;
  private stopped = false;

  constructor(private opts: NodeServicesOptions) {
    this.containerHost = opts.containerHost ?? opts.host;
    this.addresses = [{ host: opts.host }];
  }

  /** Finds where containers reach the proxy, then starts it on the Services there are. */
  async start() {
    const { opts } = this;
    const where = opts.containerHost !== undefined
      ? { containerHost: opts.containerHost, extra: opts.containerHost !== opts.host ? opts.containerHost : undefined }
      : containerHostFor(opts.host, opts.runtime.kind, opts.runtime.kind === 'docker' ? (await dockerBridgeGateway(opts.runtime)) ?? dockerBridgeAddress() : undefined);
    if (this.stopped) return;
    this.containerHost = where.containerHost;
    this.addresses = [{ host: opts.host }, ...(where.extra ? [{ host: where.extra, secondary: true }] : [])];
    this.proxy = new ServiceProxy({
      addresses: this.addresses,
      clock: opts.clock,
      retryMs: opts.retryMs,
      report: (key, reason, message) => {
        const svc = opts.store.get(key);
        if (svc) opts.warn(svc, reason, message);
      },
      log: opts.log,
    });
    this.off = opts.store.watch((_type, obj) => {
      if (obj.kind === 'Service' || obj.kind === 'Endpoints') this.schedule();
    });
    this.refresh();
  }

  async stop() {
    this.stopped = true;
    this.off?.();
    await this.proxy?.stop();
  }

  /** Service variables for a container of `pod` (none with `enableServiceLinks: false`). */
  envFor(pod: KObject): EnvVar[] {
    if ((pod.spec as { enableServiceLinks?: boolean } | undefined)?.enableServiceLinks === false) return [];
    return serviceEnvVars(this.opts.store.list('Service', pod.metadata.namespace ?? 'default'), this.containerHost);
  }

  /** Whether a Service of the pod's namespace that the proxy serves (not headless) selects the pod. */
  selects(pod: KObject): boolean {
    return this.opts.store.list('Service', pod.metadata.namespace ?? 'default')
      .some((s) => !isHeadless(s) && selects(serviceSummary(s).selector, pod.metadata.labels));
  }

  /** Several changes in one tick make one refresh. */
  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.refresh();
    });
  }

  private refresh() {
    if (this.stopped || !this.proxy) return;
    const { store } = this.opts;
    this.proxy.update(proxyTable(store.list('Service'), (ns, name) => store.get(endpointsKey(ns, name))));
    this.removeOrphans();
  }

  /**
   * Endpoints whose Service was deleted (a write that crossed the deletion on another node) go
   * too. Any node may do it: deletes of one object by several nodes merge into one tombstone.
   */
  private removeOrphans() {
    const { store } = this.opts;
    const orphans = store.list('Endpoints').filter((ep) => {
      const ref = ep.metadata.ownerReferences?.find((r) => r.kind === 'Service');
      if (!ref) return false;
      const key = objectKey('Service', ep.metadata.namespace, ref.name);
      const svc = store.get(key);
      return svc ? svc.metadata.uid !== ref.uid : store.versions(key)?.deleted === true;
    });
    if (orphans.length) store.commit({ del: orphans.map(keyOf) }).catch((e) => this.opts.log(`endpoints: ${(e as Error).message}`));
  }
}
