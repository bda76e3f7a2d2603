// Cluster credentials of a node's data dir. The first start bootstraps a cluster: an admin token
// for the CLI (DIR/admin.conf, copied to ~/.starling/config when that does not exist) and a join
// token in kubeadm's form (DIR/join-token) for the nodes that join later.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store.ts';

export interface ClusterCredentials {
  clusterId: string;
  adminToken: string;
  joinToken: string;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
function randomAlnum(n: number): string {
  let s = '';
  while (s.length < n) {
    for (const b of randomBytes(n)) {
      if (b < 252 && s.length < n) s += ALNUM[b % 36]; // 252 = 7 × 36: no modulo bias
    }
  }
  return s;
}

/** kubeadm's bootstrap token form: `[a-z0-9]{6}.[a-z0-9]{16}` */
export const newJoinToken = () => `${randomAlnum(6)}.${randomAlnum(16)}`;
export const JOIN_TOKEN_RE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;

export function clientConfigText(server: string, token: string) {
  return `# Starling client configuration (starling --config FILE, STARLING_CONFIG, or ~/.starling/config)\nserver: ${server}\ntoken: ${token}\n`;
}

export const defaultClientConfigPath = () => join(homedir(), '.starling', 'config');

/** Loads the node's credentials, making them (and DIR/join-token) on the first start. */
export async function ensureCredentials(store: Store, dataDir: string): Promise<{ creds: ClusterCredentials; bootstrapped: boolean }> {
  let creds = store.getMeta<ClusterCredentials>('cluster');
  const bootstrapped = !creds;
  if (!creds) {
    creds = { clusterId: randomBytes(8).toString('hex'), adminToken: randomBytes(32).toString('hex'), joinToken: newJoinToken() };
    await store.setMeta('cluster', creds);
    await writeFile(join(dataDir, 'join-token'), creds.joinToken + '\n', { mode: 0o600 });
  }
  return { creds, bootstrapped };
}

/** Writes DIR/admin.conf (always naming the address the node listens on now), and
 * ~/.starling/config when none exists. */
export async function writeClientConfigs(dataDir: string, server: string, token: string) {
  const text = clientConfigText(server, token);
  await writeFile(join(dataDir, 'admin.conf'), text, { mode: 0o600 });
  const home = defaultClientConfigPath();
  if (!existsSync(home)) {
    await mkdir(dirname(home), { recursive: true, mode: 0o700 });
    await writeFile(home, text, { mode: 0o600 });
  } else if (readFileSync(home, 'utf8').includes(`token: ${token}\n`)) {
    // the same cluster's config: keep its server address current
    await writeFile(home, text, { mode: 0o600 });
  }
}
