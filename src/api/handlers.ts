// What each API operation does on a node. Reads come from the node's store; writes go through
// the ObjectService, so validation happens before anything changes.

import { STARLING_VERSION } from '../config.ts';
import { asStarlingError, StarlingError } from '../errors.ts';
import { createToken, deleteToken, listTokens } from '../host/join-tokens.ts';
import { PROTOCOL_VERSION } from './protocol.ts';
import type { StarlingNode } from '../host/node.ts';
import { decodeJsonDocuments, decodeManifests, matchesSelector, parseSelectorString, resolveKindName } from '../manifest/index.ts';
import type { KEvent, KObject, LabelSelector, ObjectKey, PodSpec } from '../objects/types.ts';
import { keyOf, objectKey, parseKey } from '../objects/types.ts';
import { SANDBOX_CONTAINER } from '../runtime/types.ts';
import { type Clock, isoTime } from '../clock.ts';
import { canonical, compareByNamespaceAndName, compareText } from '../../actors/canonical.ts';
import { REVISION_ANNOTATION, TEMPLATE_HASH_LABEL } from '../host/controllers.ts';
import type { DeploymentSpec, PodTemplateSpec } from '../objects/types.ts';

export interface Stream {
  item(x: unknown): void;
  end(): void;
  /** called when the client cancels or goes away */
  onCancel(fn: () => void): void;
}

type Args = Record<string, any>;

function str(args: Args, field: string, required = true): string | undefined {
  const v = args[field];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || v === '') throw new StarlingError('BadRequest', `args.${field}: must be a non-empty string`);
  return v;
}

/** Resolves what the user typed (`po`, `deploy`, `deployment.apps`) to a served kind. */
export function kindArg(args: Args) {
  const entry = resolveKindName(str(args, 'kind')!);
  if (!entry.served) throw new StarlingError('UnknownKind', `Starling does not serve ${entry.kind} yet`);
  return entry;
}

function selectorArg(args: Args): LabelSelector | undefined {
  const s = str(args, 'selector', false);
  return s ? parseSelectorString(s) : undefined;
}

/** Most objects whose events `describe` asks the members for by key (more: by namespace). */
const DESCRIBE_KEYS_ASKED = 100;

/** Output kept when logs are fetched from another node (without -f). */
const FORWARDED_LOG_BYTES = 8 * 1024 * 1024;

export class Handlers {
  constructor(private node: StarlingNode) {
    // exec and logs for pods on another node are forwarded there over the peer link
    node.transport?.onMessage((_from, msg, reply) => {
      if (msg.t !== 'api-fwd' || !reply) return;
      const args = (msg.args ?? {}) as Args;
      const run = msg.op === 'exec' ? this.exec(args) : msg.op === 'logs' ? this.collectLogs(args) : Promise.reject(new StarlingError('BadRequest', `cannot forward ${String(msg.op)}`));
      run.then((result) => reply({ t: 'api-fwd-ok', result }), (e) => reply({ t: 'api-fwd-err', error: asStarlingError(e).toJSON() }));
    });
  }

  /** The node a pod runs on, when it is not this one. */
  private remoteNode(args: Args): string | undefined {
    const pod = this.node.store.get(objectKey('Pod', str(args, 'namespace', false) ?? 'default', str(args, 'pod')!));
    const nodeName = (pod?.spec as PodSpec | undefined)?.nodeName;
    return nodeName && nodeName !== this.node.name ? nodeName : undefined;
  }

  private async forward(to: string, op: 'exec' | 'logs', args: Args): Promise<any> {
    const answer = await this.node.transport.request(to, { t: 'api-fwd', op, args }, 60_000);
    if (answer.t === 'api-fwd-ok') return answer.result;
    const e = answer.error as { code: string; message: string; details?: Record<string, unknown> } | undefined;
    throw new StarlingError((e?.code ?? 'Internal') as any, e?.message ?? `node ${to} did not answer`, e?.details);
  }

  private async collectLogs(args: Args): Promise<Uint8Array[]> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    await this.logs({ ...args, follow: false }, {
      item: (c) => {
        const b = c as Uint8Array;
        if (size + b.length <= FORWARDED_LOG_BYTES) chunks.push(b);
        size += b.length;
      },
      end: () => {},
      onCancel: () => {},
    });
    return chunks;
  }

  async tokenCreate(args: Args) {
    const ttlMs = args.ttlMs === undefined ? this.node.opts.config.joinTokenTtlMs : Number(args.ttlMs);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new StarlingError('Invalid', '--ttl: must be a positive duration such as 24h or 30m');
    return await createToken(this.node.objects, this.node.clock.now(), ttlMs, typeof args.description === 'string' ? args.description : '');
  }
  tokenList() {
    return { items: listTokens(this.node.store) };
  }
  tokenDelete(args: Args) {
    return { id: deleteToken(this.node.objects, str(args, 'id')!) };
  }

  /** CPU and memory of every pod and node, gathered from every member. */
  top() {
    return this.node.metrics.cluster();
  }

  /** cordon (unschedulable: true) or uncordon a node. */
  async cordon(args: Args) {
    const name = str(args, 'node')!;
    const node = this.node.store.get(objectKey('Node', '', name));
    if (!node) throw new StarlingError('NotFound', `nodes "${name}" not found`);
    const want = args.unschedulable !== false;
    if (!!node.spec?.unschedulable === want) return { name, changed: false };
    const spec = { ...(node.spec ?? {}) };
    if (want) spec.unschedulable = true;
    else delete spec.unschedulable;
    await this.node.store.commit({ put: [{ ...node, spec }] });
    return { name, changed: true };
  }

  // ---- rollouts and scaling (kubectl rollout ..., kubectl scale) --------------------------------

  private deploymentArg(args: Args): KObject {
    const name = str(args, 'name')!;
    const d = this.node.store.get(objectKey('Deployment', str(args, 'namespace', false) ?? 'default', name));
    if (!d) throw new StarlingError('NotFound', `deployments.apps "${name}" not found`);
    return d;
  }

  /** Commits a changed spec, the generation one up (as apply does). */
  private async putSpec(o: KObject, spec: unknown) {
    await this.node.store.commit({ put: [{ ...o, metadata: { ...o.metadata, generation: (o.metadata.generation ?? 1) + 1 }, spec }] });
  }

  /** The Deployment's ReplicaSets with their revisions, oldest first. */
  private revisions(d: KObject): { revision: number; rs: KObject }[] {
    return this.node.store.list('ReplicaSet', d.metadata.namespace)
      .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid))
      .map((rs) => ({ revision: Number(rs.metadata.annotations?.[REVISION_ANNOTATION]) || 0, rs }))
      .filter((r) => r.revision > 0)
      .sort((a, b) => a.revision - b.revision);
  }

  /** scale deployment/NAME or rs/NAME --replicas N */
  async scale(args: Args) {
    const entry = kindArg(args);
    if (entry.kind !== 'Deployment' && entry.kind !== 'ReplicaSet') throw new StarlingError('BadRequest', `${entry.plural} cannot be scaled: only deployments and replicasets`);
    const replicas = Number(args.replicas);
    if (!Number.isInteger(replicas) || replicas < 0) throw new StarlingError('Invalid', 'The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    const name = str(args, 'name')!;
    const o = this.node.store.get(objectKey(entry.kind, str(args, 'namespace', false) ?? 'default', name));
    if (!o) throw new StarlingError('NotFound', `${entry.plural}.apps "${name}" not found`);
    if ((o.spec?.replicas ?? 1) !== replicas) await this.putSpec(o, { ...o.spec, replicas });
    return { kind: o.kind, apiVersion: o.apiVersion, name };
  }

  /** rollout pause (paused: true) or resume (paused: false). */
  async rolloutPause(args: Args) {
    const d = this.deploymentArg(args);
    const want = args.paused !== false;
    if (!!d.spec?.paused === want) throw new StarlingError('BadRequest', `deployments.apps "${d.metadata.name}" is ${want ? 'already' : 'not'} paused`);
    const spec = { ...(d.spec as DeploymentSpec) };
    if (want) spec.paused = true;
    else delete spec.paused;
    await this.putSpec(d, spec);
    return { name: d.metadata.name };
  }

  /** rollout restart: a new template annotation, so a new ReplicaSet replaces every pod. */
  async rolloutRestart(args: Args) {
    const d = this.deploymentArg(args);
    const spec = d.spec as DeploymentSpec;
    if (spec.paused) throw new StarlingError('BadRequest', `deployments.apps "${d.metadata.name}" can't restart paused deployment (run rollout resume first)`);
    const template = structuredClone(spec.template);
    template.metadata = { ...(template.metadata ?? {}), annotations: { ...(template.metadata?.annotations ?? {}), 'kubectl.kubernetes.io/restartedAt': isoTime(this.node.clock.now()) } };
    await this.putSpec(d, { ...spec, template });
    return { name: d.metadata.name };
  }

  /** rollout undo [--to-revision N]: the template of that revision (default: the previous one). */
  async rolloutUndo(args: Args) {
    const d = this.deploymentArg(args);
    const name = d.metadata.name;
    const spec = d.spec as DeploymentSpec;
    if (spec.paused) throw new StarlingError('BadRequest', `you cannot rollback a paused deployment; resume it first with 'starling rollout resume deployment/${name}' and try again`);
    const to = Number(args.toRevision ?? 0);
    if (!Number.isInteger(to) || to < 0) throw new StarlingError('Invalid', `--to-revision: must be a non-negative integer`);
    const history = this.revisions(d);
    const target = to > 0 ? history.find((r) => r.revision === to) : history[history.length - 2];
    if (!target) {
      throw new StarlingError('NotFound', to > 0 ? `unable to find specified revision ${to} in history` : `no rollout history found for deployment "${name}"`);
    }
    const template = structuredClone((target.rs.spec as DeploymentSpec).template) as PodTemplateSpec;
    const labels = { ...(template.metadata?.labels ?? {}) };
    delete labels[TEMPLATE_HASH_LABEL];
    template.metadata = { ...(template.metadata ?? {}), labels };
    if (canonical(template) === canonical(spec.template)) {
      return { name, result: `skipped rollback (current template already matches revision ${target.revision})` };
    }
    await this.putSpec(d, { ...spec, template });
    return { name, result: 'rolled back' };
  }

  /** rollout history: each revision's change cause and pod template. */
  rolloutHistory(args: Args) {
    const d = this.deploymentArg(args);
    return {
      name: d.metadata.name,
      revisions: this.revisions(d).map(({ revision, rs }) => ({
        revision,
        changeCause: rs.metadata.annotations?.['kubernetes.io/change-cause'],
        template: (rs.spec as DeploymentSpec).template,
      })),
    };
  }

  version() {
    return { version: STARLING_VERSION, node: this.node.name, protocol: PROTOCOL_VERSION };
  }

  /** `json` (the documents parsed by the client, as the CLI sends them) or `manifest` (YAML or JSON text). */
  async apply(args: Args) {
    const namespace = str(args, 'namespace', false);
    const { objects, warnings } = args.json !== undefined
      ? decodeJsonDocuments(args.json, { namespace })
      : decodeManifests(str(args, 'manifest')!, { namespace });
    if (objects.length === 0) throw new StarlingError('Invalid', 'no objects passed to apply');
    const results = await this.node.objects.apply(objects);
    return {
      warnings,
      results: results.map(({ obj, outcome }) => ({ kind: obj.kind, apiVersion: obj.apiVersion, name: obj.metadata.name, namespace: obj.metadata.namespace, outcome })),
    };
  }

  /** One object (name given) or a list. */
  async get(args: Args) {
    const entry = kindArg(args);
    const name = str(args, 'name', false);
    const ns = entry.namespaced ? (args.allNamespaces ? undefined : (str(args, 'namespace', false) ?? 'default')) : '';
    if (name) {
      const obj = entry.kind === 'Event' ? (await this.events({ namespace: ns })).find((e) => e.metadata.name === name) : this.node.store.get(objectKey(entry.kind, ns, name));
      if (!obj) throw new StarlingError('NotFound', `${entry.plural}${entry.group ? '.' + entry.group : ''} "${name}" not found`);
      return obj;
    }
    return { items: await this.list(entry.kind, ns, selectorArg(args)) };
  }

  /** Objects of a kind from this node's store; Events from the whole cluster (each node keeps a few). */
  async list(kind: string, namespace: string | undefined, selector?: LabelSelector): Promise<KObject[]> {
    if (kind !== 'Event') return this.select(this.node.store.list(kind, namespace || undefined), selector);
    return this.select(await this.events({ namespace }) as unknown as KObject[], selector);
  }

  private select(items: KObject[], selector?: LabelSelector): KObject[] {
    return items
      .filter((o) => !selector || matchesSelector(o.metadata.labels ?? {}, selector))
      .sort(compareByNamespaceAndName);
  }

  /** Events of the cluster (of one namespace), oldest first; they wait until a node that just started has read its own. */
  events(args: Args): Promise<KEvent[]> {
    const ns = args.namespace as string | undefined;
    return this.node.reads.events({ namespace: ns || undefined });
  }

  async delete(args: Args) {
    let targets: { kind: string; namespace?: string; name: string; group?: string; plural?: string }[];
    if (typeof args.manifest === 'string') {
      targets = decodeManifests(args.manifest, { namespace: str(args, 'namespace', false) }).objects.map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
    } else {
      const entry = kindArg(args);
      if (!entry.appliable) throw new StarlingError('Invalid', `${entry.plural} cannot be deleted by users`);
      const ns = entry.namespaced ? (str(args, 'namespace', false) ?? 'default') : undefined;
      const names: string[] = Array.isArray(args.names) ? args.names : [str(args, 'name')!];
      targets = names.map((name) => ({ kind: entry.kind, namespace: ns, name }));
    }
    const deleted: { kind: string; name: string; namespace?: string }[] = [];
    const missing: string[] = [];
    for (const t of targets) {
      if (t.kind === 'Namespace' && t.name === 'default') {
        throw new StarlingError('Invalid', 'namespaces "default" is forbidden: this namespace may not be deleted');
      }
      const o = this.node.objects.delete(objectKey(t.kind, t.namespace, t.name));
      if (o) deleted.push({ kind: t.kind, name: t.name, namespace: t.namespace });
      else missing.push(`${t.kind} "${t.name}" not found`);
    }
    if (deleted.length === 0 && missing.length) throw new StarlingError('NotFound', missing.join('; '));
    if (args.wait) await this.waitGone(deleted.map((d) => objectKey(d.kind, d.namespace, d.name)), Number(args.timeoutMs) || 60_000);
    return { deleted, missing };
  }

  private waitGone(keys: string[], timeoutMs: number) {
    return new Promise<void>((resolve) => {
      const check = () => keys.every((k) => !this.node.store.get(k));
      if (check()) return resolve();
      const timer = setTimeout(done, timeoutMs);
      const off = this.node.store.watch(() => check() && done());
      function done() {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }

  watch(args: Args, stream: Stream) {
    const entry = kindArg(args);
    const ns = entry.namespaced && !args.allNamespaces ? (str(args, 'namespace', false) ?? 'default') : undefined;
    const name = str(args, 'name', false);
    const selector = selectorArg(args);
    const wants = (o: KObject) =>
      o.kind === entry.kind && (ns === undefined || o.metadata.namespace === ns) && (!name || o.metadata.name === name) &&
      (!selector || matchesSelector(o.metadata.labels ?? {}, selector));
    if (entry.kind === 'Event') return this.watchEvents(ns, selector, wants, !args.noInitial, stream);
    const off = this.node.store.watch((type, o) => {
      if (wants(o)) stream.item({ type, object: o });
    });
    stream.onCancel(off);
    if (args.noInitial) return;
    for (const o of this.select(this.node.store.list(entry.kind, ns), selector)) if (wants(o)) stream.item({ type: 'ADDED', object: o });
  }

  /**
   * `get events -w`: events are on a few nodes each, not in this node's store, so the members
   * are asked again every eventsWatchPollMs and what is new is streamed — ADDED for an event not
   * seen yet, MODIFIED for one whose count went up (kubectl shows both as lines).
   */
  private watchEvents(ns: string | undefined, selector: LabelSelector | undefined, wants: (o: KObject) => boolean, initial: boolean, stream: Stream) {
    let seen = new Map<string, number>(); // event → its count, as last streamed
    let cancelled = false;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const poll = (emit: boolean) =>
      this.list('Event', ns, selector).then((items) => {
        if (cancelled) return;
        const now = new Map<string, number>();
        for (const o of items) {
          if (!wants(o)) continue;
          const id = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
          const count = (o as unknown as KEvent).count ?? 1;
          now.set(id, count);
          const before = seen.get(id);
          if (emit && (before === undefined || count > before)) stream.item({ type: before === undefined ? 'ADDED' : 'MODIFIED', object: o });
        }
        seen = now;
      }, () => {}).finally(() => {
        if (!cancelled) timer = this.node.clock.setTimeout(() => poll(true), this.node.opts.config.eventsWatchPollMs);
      });
    stream.onCancel(() => {
      cancelled = true;
      if (timer) this.node.clock.clearTimeout(timer);
    });
    poll(initial);
  }

  async describe(args: Args) {
    const entry = kindArg(args);
    const ns = entry.namespaced ? (str(args, 'namespace', false) ?? 'default') : '';
    const name = str(args, 'name', false);
    const objects = name ? [this.node.store.get(objectKey(entry.kind, ns, name))] : await this.list(entry.kind, ns || undefined, selectorArg(args));
    if (name && !objects[0]) throw new StarlingError('NotFound', `${entry.plural}${entry.group ? '.' + entry.group : ''} "${name}" not found`);
    // the members are asked for these objects' events; for many objects, for the namespace's
    // (a list of thousands of keys to every member would cost more than it saves)
    const query = objects.length > DESCRIBE_KEYS_ASKED ? { namespace: ns || undefined } : { keys: objects.map((o) => keyOf(o!)) };
    const events = new Map<ObjectKey, KEvent[]>();
    for (const ev of await this.node.reads.events(query)) {
      const about = objectKey(ev.involvedObject.kind, ev.involvedObject.namespace ?? '', ev.involvedObject.name);
      const list = events.get(about);
      if (list) list.push(ev);
      else events.set(about, [ev]);
    }
    return objects.map((o) => {
      const obj = o!;
      const related: Record<string, KObject[]> = {};
      if (obj.kind === 'ReplicaSet' || obj.kind === 'Deployment') {
        const childKind = obj.kind === 'ReplicaSet' ? 'Pod' : 'ReplicaSet';
        const children = this.node.store.list(childKind, obj.metadata.namespace)
          .filter((c) => c.metadata.ownerReferences?.some((r) => r.uid === obj.metadata.uid));
        if (obj.kind === 'ReplicaSet') related.pods = children;
        else related.replicaSets = children;
      }
      if (obj.kind === 'Namespace') {
        related.resourceQuotas = this.node.store.list('ResourceQuota', obj.metadata.name);
        related.limitRanges = this.node.store.list('LimitRange', obj.metadata.name);
      }
      return { object: obj, events: events.get(keyOf(obj)) ?? [], related };
    });
  }

  /** Actor records: Pods' gathered from the members that hold them (a few each), the others from this node. */
  async actors(args: Args) {
    const entry = args.kind ? kindArg(args) : undefined;
    const name = entry && str(args, 'name', false);
    const ns = entry?.namespaced ? (str(args, 'namespace', false) ?? 'default') : '';
    const key = entry && name ? objectKey(entry.kind, ns, name) : undefined;
    let records = !entry || entry.kind === 'Pod'
      ? await this.node.reads.actors(entry?.kind === 'Pod' ? key : undefined)
      : this.node.store.actors();
    if (entry) {
      records = records.filter((r) => parseKey(r.key).kind === entry.kind);
      if (key) {
        records = records.filter((r) => r.key === key);
        if (records.length === 0) throw new StarlingError('NotFound', `no actor for ${entry.kind} "${name}"`);
      } else if (entry.namespaced && !args.allNamespaces && args.namespace) {
        records = records.filter((r) => parseKey(r.key).namespace === args.namespace);
      }
    }
    return {
      items: records.map((r) => {
        const { kind, namespace, name } = parseKey(r.key);
        return { kind, namespace, name, node: r.node, state: r.state, since: r.since, transitions: r.transitions };
      }).sort((a, b) => compareText(a.kind, b.kind) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name)),
    };
  }

  /** The runtime id of a pod's container (the first one when none is named). */
  private containerOf(args: Args): { id: string; name: string } {
    const ns = str(args, 'namespace', false) ?? 'default';
    const podName = str(args, 'pod')!;
    const pod = this.node.store.get(objectKey('Pod', ns, podName));
    if (!pod) throw new StarlingError('NotFound', `pods "${podName}" not found`);
    const spec = pod.spec as PodSpec;
    const want = str(args, 'container', false) ?? spec.containers[0].name;
    const all = [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name);
    if (!all.includes(want) || want === SANDBOX_CONTAINER) {
      throw new StarlingError('BadRequest', `container ${want} is not valid for pod ${podName}; choose one of: [${spec.containers.map((c) => c.name).join(' ')}]`);
    }
    const ctx = this.node.host.context<{ containers: { name: string; id?: string }[] }>(keyOf(pod));
    const id = ctx?.containers.find((c) => c.name === want)?.id;
    if (!id) throw new StarlingError('BadRequest', `container "${want}" in pod "${podName}" has not started yet`);
    return { id, name: want };
  }

  async logs(args: Args, stream: Stream) {
    const remote = this.remoteNode(args);
    if (remote) {
      if (args.follow) throw new StarlingError('BadRequest', `pod runs on node ${remote}: follow its logs there (--server ${this.memberAddr(remote)})`);
      for (const chunk of await this.forward(remote, 'logs', args)) stream.item(chunk);
      stream.end();
      return;
    }
    const { id } = this.containerOf(args);
    let cancelled = false;
    stream.onCancel(() => (cancelled = true));
    const tail = args.tail === undefined ? undefined : Number(args.tail);
    for await (const chunk of this.node.opts.runtime.logs(id, { follow: !!args.follow, tail: tail !== undefined && tail >= 0 ? tail : undefined })) {
      if (cancelled) break;
      stream.item(chunk);
    }
    stream.end();
  }

  private memberAddr(name: string) {
    return this.node.membership.members().find((m) => m.name === name)?.meta.addr ?? name;
  }

  async exec(args: Args) {
    const remote = this.remoteNode(args);
    if (remote) return await this.forward(remote, 'exec', args);
    const { id } = this.containerOf(args);
    const command = args.command;
    if (!Array.isArray(command) || command.length === 0 || command.some((c) => typeof c !== 'string')) {
      throw new StarlingError('BadRequest', 'args.command: must be a non-empty list of strings');
    }
    return await this.node.opts.runtime.exec(id, command);
  }
}
