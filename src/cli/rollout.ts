// `starling rollout status deployment/NAME`: follows a Deployment until its rollout is complete,
// printing kubectl's progress messages. Exits 0 when done, 1 on timeout.

import type { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import type { KObject } from '../objects/types.ts';
import { flagStr, type Parsed } from './args.ts';
import type { Out } from './commands.ts';

/** kubectl's message for a Deployment's rollout, and whether it is done. */
export function rolloutMessage(d: KObject): { done: boolean; message: string } {
  const name = d.metadata.name;
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const updated = s.updatedReplicas ?? 0;
  const total = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  if (updated < want) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  if (total > updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...` };
  if (available < updated) return { done: false, message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw new StarlingError('BadRequest', `invalid duration "${s}": use e.g. 30s, 5m`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

export async function rollout(c: ApiClient, p: Parsed, o: Out): Promise<number> {
  const [sub, ...refs] = p.positional;
  if (sub !== 'status') throw new StarlingError('BadRequest', `unknown command "rollout ${sub ?? ''}": Starling supports "rollout status" (history, undo, restart, pause and resume come with rolling updates)`);
  const ref = refs.join('/');
  const [kind, name] = ref.split('/');
  if (!name || !/^(deployment|deployments|deploy)(\.apps)?$/.test(kind)) {
    throw new StarlingError('BadRequest', 'expected deployment/NAME: starling rollout status deployment/NAME');
  }
  const timeoutMs = parseDuration(flagStr(p, 'timeout') ?? '10m');
  await c.request('get', { kind: 'deployment', name, namespace: flagStr(p, 'namespace') });
  let last = '';
  return await new Promise<number>((resolve, reject) => {
    let stream: { cancel(): void } | undefined;
    const timer = setTimeout(() => {
      stream?.cancel();
      o.err(`error: timed out waiting for the condition`);
      resolve(1);
    }, timeoutMs);
    c.stream('watch', { kind: 'deployment', name, namespace: flagStr(p, 'namespace') }, (ev: { type: string; object: KObject }) => {
      if (ev.type === 'DELETED') {
        clearTimeout(timer);
        stream?.cancel();
        reject(new StarlingError('NotFound', `deployment "${name}" was deleted`));
        return;
      }
      const { done, message } = rolloutMessage(ev.object);
      if (message !== last) o.out(message);
      last = message;
      if (done) {
        clearTimeout(timer);
        stream?.cancel();
        resolve(0);
      }
    }).then((s) => {
      stream = s;
      if (last.startsWith('deployment "')) s.cancel();
    }, reject);
  });
}
