// Puts a node's cluster layer together: its credentials (bootstrapped, or obtained by joining
// through a seed with a join token, or already in the data dir after a restart), the WebSocket
// transport on /peer, SWIM membership, and the /peer endpoint that admits new nodes.

import type { WebSocket } from 'ws';
import type { Clock } from '../clock.ts';
import type { NodeConfig } from '../config.ts';
import { StarlingError } from '../errors.ts';
import { bootstrapCredentials, type ClusterCredentials, credentialsFromJoin, loadCredentials } from '../host/bootstrap.ts';
import { tokenRegistry } from '../host/join-tokens.ts';
import type { ClusterParts } from '../host/node.ts';
import type { Store } from '../store/store.ts';
import { joinCluster } from './join.ts';
import { Membership } from './membership.ts';
import { parseJoinToken } from './tokens.ts';
import { acceptPeerSocket, PEER_PATH, WsTransport } from './transport-ws.ts';
import type { MembershipLike, NodeMeta, Transport } from './types.ts';

export interface WiringOptions {
  name: string;
  config: NodeConfig;
  clock: Clock;
  random: () => number;
  /** --join HOST:PORT and --token */
  join?: string;
  token?: string;
  log(msg: string): void;
}

export interface Wiring {
  /** for StarlingNode's `cluster` option */
  parts(meta: NodeMeta, store: Store): Promise<ClusterParts>;
  /** the /peer WebSocket endpoint (valid once parts() ran) */
  peer: { path: string; accept(ws: WebSocket): void };
  /** after parts(): the credentials, and whether this node made the cluster */
  creds?: ClusterCredentials;
  bootstrapped: boolean;
}

export function clusterWiring(o: WiringOptions): Wiring {
  let accept: ((ws: WebSocket) => void) | undefined;
  const w: Wiring = {
    bootstrapped: false,
    peer: { path: PEER_PATH, accept: (ws) => (accept ? accept(ws) : ws.close(1013, 'starting')) },
    async parts(meta, store) {
      let creds = loadCredentials(store);
      let seeds = store.getMeta<{ name: string; addr: string }[]>('peers') ?? [];
      if (creds && o.join) o.log(`already a member of cluster ${creds.clusterId}: --join and --token are not needed`);
      if (!creds && o.join) {
        if (!o.token) throw new StarlingError('ConfigError', '--token: Required value: joining a cluster (--join) needs a join token');
        parseJoinToken(o.token);
        const payload = await joinCluster({ seedAddr: o.join, token: o.token, name: o.name, addr: meta.addr, timeoutMs: o.config.joinTimeoutMs });
        creds = await credentialsFromJoin(store, payload);
        seeds = payload.members.filter((m) => m.name !== o.name);
        o.log(`joined cluster ${creds.clusterId} through ${o.join}`);
      }
      if (!creds) {
        creds = await bootstrapCredentials(store);
        w.bootstrapped = true;
      }
      w.creds = creds;
      const secret = new Uint8Array(Buffer.from(creds.clusterSecret, 'hex'));
      const transport = new WsTransport({ self: o.name, clusterSecret: secret, log: o.log });
      let membership: Membership | undefined;
      const c = creds;
      accept = (ws) => {
        acceptPeerSocket(ws, {
          transport,
          join: {
            registry: tokenRegistry(store),
            now: () => o.clock.now(),
            payload: () => ({
              clusterId: c.clusterId,
              clusterSecret: secret,
              adminToken: c.adminToken,
              members: (membership?.members() ?? []).filter((m) => m.state === 'alive').map((m) => ({ name: m.name, addr: m.meta.addr })),
            }),
            onJoined: (name, addr) => o.log(`node ${name} (${addr}) joined with a join token`),
            log: o.log,
          },
          log: o.log,
        });
      };
      return {
        transport,
        seeds,
        membership: (shared: Transport): MembershipLike => {
          membership = new Membership({ transport: shared, clock: o.clock, random: o.random, config: o.config.gossip, self: { name: o.name, meta }, joinTimeoutMs: o.config.joinTimeoutMs, log: o.log });
          return membership;
        },
      };
    },
  };
  return w;
}
