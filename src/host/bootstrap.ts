// Cluster credentials of a node's data dir. The first node bootstraps a cluster: a cluster
// secret for the peer links, an admin token for the CLI (DIR/admin.conf, copied to
// ~/.starling/config when that does not exist) and a first join token (DIR/join-token). A node
// that joins gets the cluster secret and admin token from the seed, sealed with its join token.

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { JoinPayload } from '../cluster/join.ts';
import type { Store } from '../store/store.ts';

export interface ClusterCredentials {
  clusterId: string;
  adminToken: string;
  /** hex */
  clusterSecret: string;
}

export const loadCredentials = (store: Store) => store.getMeta<ClusterCredentials>('cluster');

export async function bootstrapCredentials(store: Store): Promise<ClusterCredentials> {
  const creds = {
    clusterId: randomBytes(8).toString('hex'),
    adminToken: randomBytes(32).toString('hex'),
    clusterSecret: randomBytes(32).toString('hex'),
  };
  await store.setMeta('cluster', creds);
  return creds;
}

export async function credentialsFromJoin(store: Store, p: JoinPayload): Promise<ClusterCredentials> {
  const creds = { clusterId: p.clusterId, adminToken: p.adminToken, clusterSecret: Buffer.from(p.clusterSecret).toString('hex') };
  await store.setMeta('cluster', creds);
  return creds;
}

export function clientConfigText(server: string, token: string) {
  return `# Starling client configuration (starling --config FILE, STARLING_CONFIG, or ~/.starling/config)\nserver: ${server}\ntoken: ${token}\n`;
}

export const defaultClientConfigPath = () => join(homedir(), '.starling', 'config');

/** Writes DIR/admin.conf (always naming the address the node listens on now), and
 * ~/.starling/config when none exists (or it is this cluster's: then its address is updated). */
export async function writeClientConfigs(dataDir: string, server: string, token: string) {
  const text = clientConfigText(server, token);
  await writeFile(join(dataDir, 'admin.conf'), text, { mode: 0o600 });
  const home = defaultClientConfigPath();
  if (!existsSync(home)) {
    await mkdir(dirname(home), { recursive: true, mode: 0o700 });
    await writeFile(home, text, { mode: 0o600 });
  } else if (readFileSync(home, 'utf8').includes(`token: ${token}\n`)) {
    await writeFile(home, text, { mode: 0o600 });
  }
}
