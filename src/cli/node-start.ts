// `starling node start`: runs a node in the foreground until SIGINT or SIGTERM.

import { rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join as join_, resolve } from 'node:path';
import { ApiServer } from '../api/server.ts';
import { Handlers } from '../api/handlers.ts';
import { defaultConfig, makeConfig, testConfig } from '../config.ts';
import { StarlingError } from '../errors.ts';
import { writeClientConfigs } from '../host/bootstrap.ts';
import { createToken } from '../host/join-tokens.ts';
import { clusterWiring } from '../cluster/wiring.ts';
import { systemClock } from '../clock.ts';
import { StarlingNode } from '../host/node.ts';
import { isDNS1123Subdomain, toBytes, toMilli } from '../manifest/index.ts';
import { createRuntime } from '../runtime/index.ts';
import { flagStr, type Parsed } from './args.ts';

export const NODE_START_FLAGS = {
  'data-dir': { value: true },
  listen: { value: true },
  name: { value: true },
  runtime: { value: true },
  cpu: { value: true },
  memory: { value: true },
  preset: { value: true },
  join: { value: true },
  token: { value: true },
};

export function parseListen(s: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new StarlingError('ConfigError', `--listen: must be HOST:PORT with a port from 0 to 65535, got "${s}"`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export async function nodeStart(p: Parsed): Promise<number> {
  const dataDirFlag = flagStr(p, 'data-dir');
  if (!dataDirFlag) throw new StarlingError('ConfigError', '--data-dir: Required value: the directory the node keeps its state in');
  const dataDir = resolve(dataDirFlag);
  const { host, port } = parseListen(flagStr(p, 'listen') ?? '127.0.0.1:7400');
  const name = flagStr(p, 'name') ?? hostname().toLowerCase();
  const nameErrors = isDNS1123Subdomain(name);
  if (nameErrors.length) throw new StarlingError('ConfigError', `--name: Invalid value: "${name}": ${nameErrors.join('; ')}`);
  const runtimeKind = flagStr(p, 'runtime') ?? 'docker';
  if (runtimeKind !== 'docker' && runtimeKind !== 'sim') throw new StarlingError('ConfigError', `--runtime: Unsupported value: "${runtimeKind}": supported values: "docker", "sim"`);
  const quantity = (flag: string, f: (v: string) => number) => {
    const v = flagStr(p, flag);
    if (v === undefined) return undefined;
    try {
      const n = f(v);
      if (!(n > 0)) throw new Error('must be greater than 0');
      return n;
    } catch (e) {
      throw new StarlingError('ConfigError', `--${flag}: Invalid value: "${v}": ${(e as Error).message}`);
    }
  };
  const cpuMillis = quantity('cpu', (v) => Number(toMilli(v)));
  const memoryBytes = quantity('memory', (v) => Number(toBytes(v)));
  const preset = flagStr(p, 'preset') ?? 'default';
  if (preset !== 'default' && preset !== 'test') throw new StarlingError('ConfigError', `--preset: Unsupported value: "${preset}": supported values: "default", "test"`);
  const config = makeConfig({}, preset === 'test' ? testConfig : defaultConfig);

  await mkdir(dataDir, { recursive: true });
  const log = (m: string) => console.error(`${new Date().toISOString()} [${name}] ${m}`);
  const join = flagStr(p, 'join');
  if (join) parseListen(join);
  const wiring = clusterWiring({ name, config, clock: systemClock, random: Math.random, join, token: flagStr(p, 'token'), log });

  // The port listens first (a joining node's address must be known before it joins); requests
  // that arrive before the node is ready are refused as unavailable.
  let handlers: Handlers | undefined;
  const api = new ApiServer(() => handlers, {
    host,
    port,
    adminToken: () => wiring.creds?.adminToken,
    maxFrameBytes: config.maxFrameBytes,
    log,
    peer: wiring.peer,
  });
  let boundPort: number;
  try {
    boundPort = await api.start();
  } catch (e) {
    throw new StarlingError('ConfigError', `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  const server = `${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  const runtime = createRuntime(runtimeKind, {
    nodeName: name,
    sandboxImage: config.sandboxImage,
    pullTimeoutMs: config.pullTimeoutMs,
    // the simulated engine keeps its containers beside the node's data, so that they outlive the
    // node process as Docker's do
    stateFile: join_(dataDir, 'sim-engine'),
  });
  const node = new StarlingNode({
    name, dataDir, host, port: boundPort, runtime, config, cpuMillis, memoryBytes, log,
    cluster: (meta, store) => wiring.parts(meta, store),
  });
  try {
    await node.start();
  } catch (e) {
    await api.stop();
    await node.stop().catch(() => {});
    throw e;
  }
  handlers = new Handlers(node);
  const creds = wiring.creds!;
  await writeClientConfigs(dataDir, server, creds.adminToken);
  if (wiring.bootstrapped) {
    const t = await createToken(node.objects, systemClock.now(), config.joinTokenTtlMs, 'made when the cluster was bootstrapped');
    writeFileSync(join_(dataDir, 'join-token'), `${t.token}\n`, { mode: 0o600 });
    log(`bootstrapped cluster ${creds.clusterId}: admin config ${join_(dataDir, 'admin.conf')}, join token in ${join_(dataDir, 'join-token')}`);
  }
  const pidFile = join_(dataDir, 'node.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  log(`node ${name} ready: API on ws://${server}/api, runtime ${runtimeKind}, data in ${dataDir}`);

  return await new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      const timer = setTimeout(() => {
        log('graceful stop timed out');
        resolveExit(1);
      }, config.shutdownTimeoutMs);
      try {
        // the node first: its goodbye (Left) goes out over the peer links the API port carries
        handlers = undefined;
        await node.stop();
        await api.stop();
      } finally {
        clearTimeout(timer);
        rmSync(pidFile, { force: true });
        log('stopped');
        resolveExit(0);
      }
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}
