// Cluster commands: join tokens (kubeadm's `token create|list|delete`), and kubectl's `cordon`,
// `uncordon` and `drain`.

import type { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import type { KObject, PodSpec } from '../objects/types.ts';
import { flagStr, type Parsed } from './args.ts';
import type { Out } from './commands.ts';
import { formatAge, renderTable } from './format/index.ts';
import { parseDuration } from './rollout.ts';

export async function token(c: ApiClient, p: Parsed, o: Out) {
  const [sub, arg] = p.positional;
  if (sub === 'create') {
    const ttl = flagStr(p, 'ttl');
    const t = await c.request('token-create', { ttlMs: ttl ? parseDuration(ttl) : undefined, description: flagStr(p, 'description') });
    o.out(t.token);
    return;
  }
  if (sub === 'list') {
    const { items } = await c.request('token-list');
    if (items.length === 0) {
      o.err('No join tokens found');
      return;
    }
    const now = Date.now();
    o.out(renderTable(['TOKEN ID', 'TTL', 'EXPIRES', 'DESCRIPTION'], items.map((t: any) => {
      const left = Date.parse(t.expires) - now;
      return [t.id, left > 0 ? formatAge(new Date(now - left).toISOString(), now) : '<expired>', t.expires, t.description || '<none>'];
    })).replace(/\n$/, ''));
    return;
  }
  if (sub === 'delete') {
    if (!arg) throw new StarlingError('BadRequest', 'expected: starling token delete TOKEN_ID');
    const r = await c.request('token-delete', { id: arg });
    o.out(`bootstrap token "${r.id}" deleted`);
    return;
  }
  throw new StarlingError('BadRequest', `unknown command "token ${sub ?? ''}": use token create [--ttl 24h] [--description TEXT], token list, token delete ID`);
}

const nodeArg = (p: Parsed) => {
  const n = p.positional[0]?.replace(/^(node|nodes|no)\//, '');
  if (!n) throw new StarlingError('BadRequest', 'expected a node name');
  return n;
};

export async function cordon(c: ApiClient, p: Parsed, o: Out, unschedulable: boolean) {
  const node = nodeArg(p);
  const r = await c.request('cordon', { node, unschedulable });
  o.out(`node/${node} ${r.changed ? (unschedulable ? 'cordoned' : 'uncordoned') : 'already ' + (unschedulable ? 'cordoned' : 'uncordoned')}`);
}

const controller = (p: KObject) => p.metadata.ownerReferences?.find((r) => r.controller);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Cordons the node, then moves its pods off it one at a time: a pod is evicted only while its
 * ReplicaSet has all its replicas ready, and the next waits until the replacement is ready, so
 * the replicas stay available throughout. Pods with no controller need --force (they are not
 * replaced).
 */
export async function drain(c: ApiClient, p: Parsed, o: Out): Promise<number> {
  const node = nodeArg(p);
  const deadline = Date.now() + parseDuration(flagStr(p, 'timeout') ?? '5m');
  await cordon(c, p, o, true);
  const pods = ((await c.request('get', { kind: 'pods', allNamespaces: true })).items as KObject[])
    .filter((x) => (x.spec as PodSpec).nodeName === node && !x.metadata.deletionTimestamp);
  const orphans = pods.filter((x) => !controller(x));
  if (orphans.length && p.flags.force !== true) {
    throw new StarlingError('BadRequest', `cannot delete Pods that declare no controller (use --force to override): ${orphans.map((x) => `${x.metadata.namespace}/${x.metadata.name}`).join(', ')}`);
  }
  const ready = async (ns: string, rsName: string) => {
    const rs = await c.request('get', { kind: 'rs', name: rsName, namespace: ns }).catch(() => undefined);
    return !rs || (rs.status?.readyReplicas ?? 0) >= (rs.spec?.replicas ?? 1);
  };
  for (const pod of pods) {
    const ns = pod.metadata.namespace ?? 'default';
    const owner = controller(pod);
    while (owner?.kind === 'ReplicaSet' && !(await ready(ns, owner.name))) {
      if (Date.now() > deadline) throw new StarlingError('Conflict', `timed out waiting for replicaset ${ns}/${owner.name} to be available before evicting ${pod.metadata.name}`);
      await sleep(250);
    }
    o.out(`evicting pod ${ns}/${pod.metadata.name}`);
    await c.request('delete', { kind: 'pod', names: [pod.metadata.name], namespace: ns, wait: true, timeoutMs: Math.max(1000, deadline - Date.now()) });
    while (owner?.kind === 'ReplicaSet' && !(await ready(ns, owner.name))) {
      if (Date.now() > deadline) throw new StarlingError('Conflict', `timed out waiting for the replacement of ${ns}/${pod.metadata.name}`);
      await sleep(250);
    }
    o.out(`pod/${pod.metadata.name} evicted`);
  }
  o.out(`node/${node} drained`);
  return 0;
}
