// Where the CLI finds its node and token: --config FILE, else $STARLING_CONFIG, else
// ~/.starling/config. `--server HOST:PORT` overrides the server with the same credentials.

import { readFile } from 'node:fs/promises';
import { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import { defaultClientConfigPath } from '../host/bootstrap.ts';
import { yaml } from '../manifest/yaml-lib.ts';

export interface ClientConfig {
  server: string;
  token: string;
  path: string;
}

export async function loadClientConfig(explicit?: string, env = process.env): Promise<ClientConfig> {
  const path = explicit ?? env.STARLING_CONFIG ?? defaultClientConfigPath();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new StarlingError('ConfigError', `cannot read the client config ${path}: start a node (starling node start) or pass --config FILE`);
  }
  let doc: any;
  try {
    doc = yaml().parse(text);
  } catch (e) {
    throw new StarlingError('ConfigError', `${path}: not valid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc.server !== 'string' || !doc.server) throw new StarlingError('ConfigError', `${path}: server: Required value`);
  if (typeof doc.token !== 'string' || !doc.token) throw new StarlingError('ConfigError', `${path}: token: Required value`);
  return { server: doc.server, token: doc.token, path };
}

export async function connect(flags: { config?: string; server?: string }): Promise<ApiClient> {
  const cfg = await loadClientConfig(flags.config);
  return new ApiClient(flags.server ?? cfg.server, cfg.token).connect();
}
