// `starling node start`: runs a node in the foreground until SIGINT or SIGTERM.

import { rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiServer } from '../api/server.ts';
import { Handlers } from '../api/handlers.ts';
import { defaultConfig, makeConfig, testConfig } from '../config.ts';
import { StarlingError } from '../errors.ts';
import { ensureCredentials, writeClientConfigs } from '../host/bootstrap.ts';
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
  const runtime = createRuntime(runtimeKind, { nodeName: name, sandboxImage: config.sandboxImage, pullTimeoutMs: config.pullTimeoutMs });
  const node = new StarlingNode({ name, dataDir, host, port, runtime, config, cpuMillis, memoryBytes, log });
  await node.start();
  const { creds, bootstrapped } = await ensureCredentials(node.store, dataDir);
  const api = new ApiServer(new Handlers(node), { host, port, adminToken: creds.adminToken, maxFrameBytes: config.maxFrameBytes, log });
  let boundPort: number;
  try {
    boundPort = await api.start();
  } catch (e) {
    await node.stop();
    throw new StarlingError('ConfigError', `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  const server = `${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
  await writeClientConfigs(dataDir, server, creds.adminToken);
  const pidFile = join(dataDir, 'node.pid');
  writeFileSync(pidFile, `${process.pid}\n`);
  if (bootstrapped) log(`bootstrapped a new cluster: admin config ${join(dataDir, 'admin.conf')}, join token in ${join(dataDir, 'join-token')}`);
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
        await api.stop();
        await node.stop();
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
