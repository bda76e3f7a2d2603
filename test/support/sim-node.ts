// Helpers for in-process nodes on the sim runtime: a temp data dir, a node with a real LevelDB
// (or in memory), and an API server on 127.0.0.1 with a random admin token.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../src/api/client.ts';
import { Handlers } from '../../src/api/handlers.ts';
import { ApiServer } from '../../src/api/server.ts';
import { type NodeConfig, testConfig } from '../../src/config.ts';
import { StarlingError } from '../../src/errors.ts';
import { StarlingNode } from '../../src/host/node.ts';
import { SimRuntime } from '../../src/runtime/sim.ts';

/** A fresh temp dir; remove it with `rmSync(dir, { recursive: true, force: true })`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `starling-${prefix}-`));
}

export function removeDir(dir: string | undefined) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export interface SimNodeOptions {
  name?: string;
  /** the node's data dir (the caller removes it); with inMemory only emptyDir volumes go here */
  dataDir: string;
  runtime?: SimRuntime;
  inMemory?: boolean;
  config?: NodeConfig;
  /** node log lines go here (default: dropped) */
  log?: (msg: string) => void;
}

/** A StarlingNode on the sim runtime, started. */
export async function startSimNode(opts: SimNodeOptions): Promise<StarlingNode> {
  const name = opts.name ?? 'sim-node';
  const node = new StarlingNode({
    name,
    dataDir: opts.dataDir,
    host: '127.0.0.1',
    port: 0,
    runtime: opts.runtime ?? new SimRuntime({ nodeName: name }),
    config: opts.config ?? testConfig,
    cpuMillis: 4000,
    memoryBytes: 8 * 1024 ** 3,
    inMemory: opts.inMemory,
    log: opts.log ?? (() => {}),
  });
  await node.start();
  return node;
}

export interface ApiFixture {
  node: StarlingNode;
  server: ApiServer;
  port: number;
  address: string;
  token: string;
  dataDir: string;
  /** a connected client with the right token (or the one given) */
  client(token?: string): Promise<TestClient>;
  stop(): Promise<void>;
}

/** A sim node with a real LevelDB in a temp dir and an API server on 127.0.0.1:0. */
export async function startApiFixture(opts: { name?: string; maxFrameBytes?: number } = {}): Promise<ApiFixture> {
  const dataDir = tempDir(opts.name ?? 'api');
  const node = await startSimNode({ name: opts.name ?? 'api-node', dataDir });
  const token = randomBytes(32).toString('hex');
  const server = new ApiServer(new Handlers(node), {
    host: '127.0.0.1',
    port: 0,
    adminToken: token,
    maxFrameBytes: opts.maxFrameBytes ?? testConfig.maxFrameBytes,
    log: () => {},
  });
  const port = await server.start();
  const address = `127.0.0.1:${port}`;
  const clients: TestClient[] = [];
  return {
    node,
    server,
    port,
    address,
    token,
    dataDir,
    async client(t = token) {
      const c = new TestClient(await new ApiClient(address, t).connect());
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await server.stop();
      await node.stop();
      removeDir(dataDir);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` (bounded in time) until it returns a truthy value. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 25): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; Date.now() < deadline && i < 100_000; i++) {
    try {
      last = await check();
      if (last) return last as Truthy<T>;
    } catch (e) {
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500)}`);
}

/** An ApiClient with `refused`, for requests that must fail. */
export class TestClient {
  constructor(readonly raw: ApiClient) {}
  request<T = any>(op: Parameters<ApiClient['request']>[0], args: Record<string, unknown> = {}): Promise<T> {
    return this.raw.request<T>(op, args);
  }
  /** The error a request that must fail gets (the test fails when it succeeds). */
  async refused(op: Parameters<ApiClient['request']>[0], args: Record<string, unknown> = {}): Promise<StarlingError> {
    let result: unknown;
    try {
      result = await this.raw.request(op, args);
    } catch (e) {
      if (e instanceof StarlingError) return e;
      throw e;
    }
    throw new Error(`expected ${op} to be refused, got ${JSON.stringify(result)?.slice(0, 300)}`);
  }
  stream(...a: Parameters<ApiClient['stream']>) {
    return this.raw.stream(...a);
  }
  close() {
    this.raw.close();
  }
}
