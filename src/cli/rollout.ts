// `starling rollout status|history|undo|restart|pause|resume deployment/NAME` and
// `starling scale deployment/NAME|rs/NAME --replicas N`, with kubectl's messages.
// `rollout status` follows a Deployment until its rollout is complete: exit 0 when done, 1 on
// timeout or when the Deployment exceeded its progress deadline.

import type { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import type { KObject, PodTemplateSpec } from '../objects/types.ts';
import { flagStr, type Parsed } from './args.ts';
import type { Out } from './commands.ts';
import { describePodTemplate } from './format/describe-containers.ts';
import { PrefixWriter } from './format/describe-writer.ts';

/** kubectl's message for a Deployment's rollout, whether it is done, and its error if it failed. */
export function rolloutMessage(d: KObject): { done: boolean; message: string; error?: string } {
  const name = d.metadata.name;
  const s = d.status ?? {};
  const want = d.spec?.replicas ?? 1;
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 1)) {
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = (s.conditions as { type: string; reason?: string }[] | undefined)?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { done: false, message: '', error: `deployment "${name}" exceeded its progress deadline` };
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

const SUBCOMMANDS = ['status', 'history', 'undo', 'restart', 'pause', 'resume'];

/** `deployment/NAME` or `deployment NAME` */
function deploymentName(refs: string[], sub: string): string {
  const [kind, name] = refs.join('/').split('/');
  if (!name || !/^(deployment|deployments|deploy)(\.apps)?$/.test(kind)) {
    throw new StarlingError('BadRequest', `expected deployment/NAME: starling rollout ${sub} deployment/NAME`);
  }
  return name;
}

/** A non-negative integer flag, or undefined when absent. */
function count(p: Parsed, flag: string): number | undefined {
  const v = flagStr(p, flag);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new StarlingError('BadRequest', `invalid argument "${v}" for "--${flag}" flag: must be a non-negative integer`);
  return Number(v);
}

export async function rollout(c: ApiClient, p: Parsed, o: Out): Promise<number> {
  const [sub, ...refs] = p.positional;
  if (!SUBCOMMANDS.includes(sub)) {
    throw new StarlingError('BadRequest', `unknown command "rollout ${sub ?? ''}": use one of ${SUBCOMMANDS.join(', ')}`);
  }
  const name = deploymentName(refs, sub);
  const namespace = flagStr(p, 'namespace');
  const shown = `deployment.apps/${name}`;
  switch (sub) {
    case 'status':
      return await status(c, name, namespace, parseDuration(flagStr(p, 'timeout') ?? '10m'), o);
    case 'history':
      return await history(c, name, namespace, count(p, 'revision'), o);
    case 'undo': {
      const r = await c.request('rollout-undo', { name, namespace, toRevision: count(p, 'to-revision') ?? 0 });
      o.out(`${shown} ${r.result}`);
      return 0;
    }
    case 'restart':
      await c.request('rollout-restart', { name, namespace });
      o.out(`${shown} restarted`);
      return 0;
    default:
      await c.request('rollout-pause', { name, namespace, paused: sub === 'pause' });
      o.out(`${shown} ${sub === 'pause' ? 'paused' : 'resumed'}`);
      return 0;
  }
}

async function status(c: ApiClient, name: string, namespace: string | undefined, timeoutMs: number, o: Out): Promise<number> {
  await c.request('get', { kind: 'deployment', name, namespace });
  let last = '';
  return await new Promise<number>((resolve, reject) => {
    let stream: { cancel(): void } | undefined;
    let finished = false;
    const finish = (code: number) => {
      finished = true;
      clearTimeout(timer);
      stream?.cancel();
      resolve(code);
    };
    const timer = setTimeout(() => {
      o.err(`error: timed out waiting for the condition`);
      finish(1);
    }, timeoutMs);
    c.stream('watch', { kind: 'deployment', name, namespace }, (ev: { type: string; object: KObject }) => {
      if (finished) return;
      if (ev.type === 'DELETED') {
        finished = true;
        clearTimeout(timer);
        stream?.cancel();
        reject(new StarlingError('NotFound', `deployment "${name}" was deleted`));
        return;
      }
      const { done, message, error } = rolloutMessage(ev.object);
      if (error) {
        o.err(`error: ${error}`);
        return finish(1);
      }
      if (message !== last) o.out(message);
      last = message;
      if (done) finish(0);
    }).then((s) => {
      stream = s;
      if (finished) s.cancel();
    }, reject);
  });
}

async function history(c: ApiClient, name: string, namespace: string | undefined, revision: number | undefined, o: Out): Promise<number> {
  const h = await c.request<{ revisions: { revision: number; changeCause?: string; template: PodTemplateSpec }[] }>('rollout-history', { name, namespace });
  if (revision) {
    const r = h.revisions.find((x) => x.revision === revision);
    if (!r) throw new StarlingError('NotFound', 'unable to find the specified revision');
    const w = new PrefixWriter();
    describePodTemplate(w, r.template);
    o.out(`deployment.apps/${name} with revision #${revision}`);
    o.out(w.toString().replace(/\n$/, ''));
    return 0;
  }
  if (h.revisions.length === 0) {
    o.out('No rollout history found.');
    return 0;
  }
  const width = Math.max('REVISION'.length, ...h.revisions.map((r) => String(r.revision).length)) + 2;
  o.out(`deployment.apps/${name}`);
  o.out(`${'REVISION'.padEnd(width)}CHANGE-CAUSE`);
  for (const r of h.revisions) o.out(`${String(r.revision).padEnd(width)}${r.changeCause ?? '<none>'}`);
  return 0;
}

/** `scale deployment/NAME --replicas N`, `scale rs NAME --replicas N` */
export async function scale(c: ApiClient, p: Parsed, o: Out): Promise<number> {
  const [first, ...rest] = p.positional;
  const [kind, name] = first?.includes('/') ? first.split('/', 2) : [first, rest[0]];
  if (!kind || !name) throw new StarlingError('BadRequest', 'expected KIND/NAME: starling scale deployment/NAME --replicas N');
  const replicas = count(p, 'replicas');
  if (replicas === undefined) throw new StarlingError('BadRequest', 'The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  const r = await c.request('scale', { kind, name, namespace: flagStr(p, 'namespace'), replicas });
  o.out(`${r.kind.toLowerCase()}.apps/${r.name} scaled`);
  return 0;
}
