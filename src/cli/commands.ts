// The client commands: apply, get, describe, delete, logs, exec, actors, version.
// Output follows kubectl's conventions; errors are thrown and printed by main.ts.

import type { ApiClient } from '../api/client.ts';
import { StarlingError } from '../errors.ts';
import type { KObject } from '../objects/types.ts';
import { flagStr, type Parsed } from './args.ts';
import { actorDetail, actorsTable, describe, formatOutput, getTable, tableCells, toName } from './format/index.ts';
import { readManifests } from './manifests.ts';
import { documentsJson, parseDocuments } from '../manifest/index.ts';
import { compareByNamespaceAndName } from '../../actors/canonical.ts';

export interface Out {
  out(s: string): void;
  err(s: string): void;
}

const nsArgs = (p: Parsed) => ({
  namespace: flagStr(p, 'namespace'),
  allNamespaces: p.flags['all-namespaces'] === true,
  selector: flagStr(p, 'selector'),
});

/** `KIND NAME`, `KIND/NAME` or `KIND` */
export function target(p: Parsed): { kind: string; names: string[] } {
  const [first, ...rest] = p.positional;
  if (!first) throw new StarlingError('BadRequest', 'You must specify the type of resource to get.');
  if (first.includes('/')) {
    const [kind, name] = first.split('/', 2);
    return { kind, names: [name, ...rest.map((r) => r.split('/').pop()!)] };
  }
  return { kind: first, names: rest };
}

const outcomeLine = (r: { kind: string; apiVersion: string; name: string; outcome: string }) =>
  `${toName({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name } })} ${r.outcome}`;

export async function apply(c: ApiClient, p: Parsed, o: Out) {
  const files = (p.flags.filename as string[] | undefined) ?? [];
  // parsed here, as kubectl does: the node validates objects instead of parsing text
  const json = documentsJson(parseDocuments(await readManifests(files)));
  const res = await c.request('apply', { json, namespace: flagStr(p, 'namespace') });
  for (const w of res.warnings ?? []) o.err(`Warning: ${w}`);
  for (const r of res.results) o.out(outcomeLine(r));
}

function printObjects(objs: KObject[], kindForTable: string, p: Parsed, o: Out, now: number, single: boolean, noHeaders = false) {
  const fmt = flagStr(p, 'output');
  if (fmt === 'json' || fmt === 'yaml' || fmt === 'name') {
    o.out(formatOutput(single ? objs[0] : objs, fmt).replace(/\n$/, ''));
    return;
  }
  if (fmt && fmt !== 'wide') throw new StarlingError('BadRequest', `unable to match a printer suitable for the output format "${fmt}", allowed formats are: json,name,wide,yaml`);
  if (objs.length === 0) {
    const ns = p.flags['all-namespaces'] ? undefined : (flagStr(p, 'namespace') ?? 'default');
    o.err(ns && kindForTable !== 'Node' && kindForTable !== 'Namespace' ? `No resources found in ${ns} namespace.` : 'No resources found');
    return;
  }
  o.out(getTable(kindForTable, objs, { wide: fmt === 'wide', allNamespaces: p.flags['all-namespaces'] === true, now, noHeaders }).replace(/\n$/, ''));
}

export async function get(c: ApiClient, p: Parsed, o: Out) {
  const { kind, names } = target(p);
  if (kind.includes(',')) return getMany(c, p, o, kind.split(',').filter(Boolean), names);
  const base = { kind, ...nsArgs(p) };
  let objs: KObject[];
  const single = names.length === 1;
  if (names.length) objs = await Promise.all(names.map((name) => c.request<KObject>('get', { ...base, name })));
  else objs = (await c.request<{ items: KObject[] }>('get', base)).items;
  const tableKind = objs[0]?.kind ?? kind;
  if (!p.flags.watch) {
    printObjects(objs, tableKind, p, o, Date.now(), single);
    return;
  }
  // -w: the current list, then one line per change, until interrupted. Rows keep the column
  // widths of the first table (as kubectl's printer does); a row that did not change is not repeated.
  const fmt = flagStr(p, 'output');
  const tableOpts = { wide: fmt === 'wide', allNamespaces: p.flags['all-namespaces'] === true };
  let widths: number[] | undefined;
  const lastRow = new Map<string, string>();
  const printRows = (objects: KObject[], withHeader: boolean) => {
    const t = tableCells(objects[0].kind, objects, { ...tableOpts, now: Date.now() });
    widths ??= t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths![i] ?? c.length) : c)).join('   ').trimEnd();
    if (withHeader) o.out(line(t.headers));
    t.rows.forEach((r, i) => {
      const key = `${objects[i].metadata.namespace}/${objects[i].metadata.name}`;
      const text = line(r);
      if (lastRow.get(key) === text) return;
      lastRow.set(key, text);
      o.out(text);
    });
  };
  const sorted = (l: KObject[]) => [...l].sort(compareByNamespaceAndName);
  if (objs.length && fmt !== 'json' && fmt !== 'yaml' && fmt !== 'name') printRows(sorted(objs), true);
  else if (objs.length) printObjects(objs, tableKind, p, o, Date.now(), false);
  let headerShown = objs.length > 0;
  const s = await c.stream('watch', { ...base, name: names[0], noInitial: true }, (ev: { type: string; object: KObject }) => {
    if (fmt === 'json' || fmt === 'yaml' || fmt === 'name') o.out(formatOutput(ev.object, fmt).replace(/\n$/, ''));
    else {
      printRows([ev.object], !headerShown);
      headerShown = true;
    }
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      s.cancel();
      resolve();
    });
    s.done.then(resolve, resolve);
  });
}

/** `get deploy,rs`: one table per kind, or one List for -o json|yaml|name. */
async function getMany(c: ApiClient, p: Parsed, o: Out, kinds: string[], names: string[]) {
  if (names.length || p.flags.watch) throw new StarlingError('BadRequest', 'several kinds at once work only without names and without --watch');
  const lists = await Promise.all(kinds.map((kind) => c.request<{ items: KObject[] }>('get', { kind, ...nsArgs(p) })));
  const fmt = flagStr(p, 'output');
  if (fmt === 'json' || fmt === 'yaml' || fmt === 'name') {
    o.out(formatOutput(lists.flatMap((l) => l.items), fmt).replace(/\n$/, ''));
    return;
  }
  const tables = lists.filter((l) => l.items.length).map((l) =>
    getTable(l.items[0].kind, l.items, { wide: fmt === 'wide', allNamespaces: p.flags['all-namespaces'] === true, now: Date.now() }).replace(/\n$/, '')
  );
  if (tables.length === 0) printObjects([], kinds[0], p, o, Date.now(), false);
  else o.out(tables.join('\n\n'));
}

export async function describeCmd(c: ApiClient, p: Parsed, o: Out) {
  const { kind, names } = target(p);
  const results: { object: KObject; events: any[]; related: any }[] = [];
  if (names.length === 0) results.push(...await c.request('describe', { kind, ...nsArgs(p) }));
  for (const name of names) results.push(...await c.request('describe', { kind, name, ...nsArgs(p) }));
  if (results.length === 0) {
    o.err(`No resources found in ${flagStr(p, 'namespace') ?? 'default'} namespace.`);
    return;
  }
  o.out(results.map((r) => describe(r.object, r.events, Date.now(), r.related).replace(/\n$/, '')).join('\n\n\n'));
}

export async function deleteCmd(c: ApiClient, p: Parsed, o: Out) {
  const files = (p.flags.filename as string[] | undefined) ?? [];
  const wait = p.flags.wait !== false;
  let res;
  if (files.length) res = await c.request('delete', { manifest: await readManifests(files), namespace: flagStr(p, 'namespace'), wait });
  else {
    const { kind, names } = target(p);
    if (names.length === 0) throw new StarlingError('BadRequest', 'resource(s) were provided, but no name was specified');
    res = await c.request('delete', { kind, names, namespace: flagStr(p, 'namespace'), wait });
  }
  for (const d of res.deleted) {
    const apiVersion = d.kind === 'Deployment' || d.kind === 'ReplicaSet' ? 'apps/v1' : 'v1';
    o.out(`${toName({ apiVersion, kind: d.kind, metadata: { name: d.name } })} deleted`);
  }
  for (const m of res.missing) o.err(`Error from server (NotFound): ${m}`);
  if (res.missing.length) return 1;
}

export async function logs(c: ApiClient, p: Parsed, o: Out & { raw(b: Uint8Array): void }) {
  const pod = p.positional[0]?.replace(/^(pod|pods|po)\//, '');
  if (!pod) throw new StarlingError('BadRequest', 'expected POD_NAME: starling logs POD [-c CONTAINER] [-f] [--tail N]');
  const s = await c.stream('logs', {
    pod,
    namespace: flagStr(p, 'namespace'),
    container: flagStr(p, 'container'),
    follow: p.flags.follow === true,
    tail: flagStr(p, 'tail') !== undefined ? Number(flagStr(p, 'tail')) : undefined,
  }, (chunk: Uint8Array) => o.raw(chunk));
  const onInt = () => s.cancel();
  process.once('SIGINT', onInt);
  await s.done;
  process.off('SIGINT', onInt);
}

export async function exec(c: ApiClient, p: Parsed, o: Out & { raw(b: Uint8Array): void; rawErr(b: Uint8Array): void }) {
  const pod = p.positional[0]?.replace(/^(pod|pods|po)\//, '');
  if (!pod || p.rest.length === 0) throw new StarlingError('BadRequest', 'expected: starling exec POD [-c CONTAINER] -- COMMAND [args...]');
  const r = await c.request('exec', { pod, namespace: flagStr(p, 'namespace'), container: flagStr(p, 'container'), command: p.rest });
  o.raw(r.stdout);
  o.rawErr(r.stderr);
  return r.exitCode as number;
}

export async function actors(c: ApiClient, p: Parsed, o: Out) {
  const t = p.positional[0];
  const [kind, name] = t ? (t.includes('/') ? t.split('/', 2) : [t, p.positional[1]]) : [undefined, undefined];
  const res = await c.request('actors', { kind, name, ...nsArgs(p) });
  if (flagStr(p, 'output') === 'json') {
    o.out(JSON.stringify(res, null, 2));
    return;
  }
  if (name) o.out(actorDetail(res.items[0], Date.now()).replace(/\n$/, ''));
  else o.out(actorsTable(res.items, Date.now()).replace(/\n$/, ''));
}

export async function version(c: ApiClient | undefined, o: Out) {
  o.out(`Client Version: v0.1.0`);
  if (c) {
    const v = await c.request('version');
    o.out(`Server Version: ${v.version} (node ${v.node})`);
  }
}
