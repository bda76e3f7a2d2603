// `-o json`, `-o yaml` and `-o name`, shaped like kubectl's output.

import { yaml } from '../../manifest/yaml-lib.ts';
import type { KObject } from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';

export type OutputFormat = 'json' | 'yaml' | 'name';

export interface KList {
  apiVersion: 'v1';
  items: KObject[];
  kind: 'List';
  metadata: { resourceVersion: string };
}

/** The `v1` List kubectl prints for `get <kind> -o json|yaml` (key order as kubectl prints it). */
export function toList(items: KObject[]): KList {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (core). */
export function apiGroup(apiVersion: string | undefined): string {
  const v = apiVersion ?? '';
  const slash = v.indexOf('/');
  return slash < 0 ? '' : v.slice(0, slash);
}

/** `-o name`: `pod/web-abc`, `deployment.apps/web`, `namespace/dev`, `node/n1`, `event/x`. */
export function toName(obj: { apiVersion?: string; kind: string; metadata: { name: string } }): string {
  const group = apiGroup(obj.apiVersion);
  const kind = obj.kind.toLowerCase();
  return `${group ? `${kind}.${group}` : kind}/${obj.metadata.name}`;
}

/** `-o name` for a list: one name per line. */
export function formatNames(objs: KObject | KObject[]): string {
  const list = Array.isArray(objs) ? objs : [objs];
  return list.map((o) => toName(o) + '\n').join('');
}

function sortKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeysDeep);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(compareText)) {
      out[k] = sortKeysDeep((v as Record<string, unknown>)[k]);
    }
    return out;
  }
  return v;
}

export interface SerializeOptions {
  /**
   * Sort map keys (what kubectl does for objects read from a server, which it holds as
   * unstructured maps). Default: keep the objects' own key order.
   */
  sortKeys?: boolean;
}

/** The value printed for one object (as is) or for an array (wrapped in a List). */
function printable(objs: KObject | KObject[], opts: SerializeOptions): unknown {
  const v = Array.isArray(objs) ? toList(objs) : objs;
  return opts.sortKeys ? sortKeysDeep(v) : v;
}

/** `-o json`: the object, or a List for an array; 2-space indent by default (kubectl itself uses 4). */
export function formatJSON(
  objs: KObject | KObject[],
  opts: SerializeOptions & { indent?: number } = {},
): string {
  return JSON.stringify(printable(objs, opts), null, opts.indent ?? 2) + '\n';
}

// kubectl's YAML comes from go-yaml (YAML 1.1): a string that YAML 1.1 would read as another type
// (bool, null, number, timestamp, base-60 number) is double-quoted; a string that cannot be plain
// for syntax reasons is single-quoted; multi-line strings are literal blocks.
const YAML11_SPECIAL = new Set([
  '', '~', 'null', 'Null', 'NULL',
  'y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  'on', 'On', 'ON', 'off', 'Off', 'OFF',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF',
  '-.inf', '-.Inf', '-.INF', '<<',
]);
const GO_INT = /^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO]?[0-7]+|[0-9]+)$/;
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2}))|(?: [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?))?$/;

/** Would go-yaml (YAML 1.1) resolve this plain scalar to something other than a string? */
export function yaml11NonString(s: string): boolean {
  if (YAML11_SPECIAL.has(s)) return true;
  if (BASE60.test(s)) return true;
  if (!/^[-+.0-9]/.test(s)) return false;
  if (TIMESTAMP.test(s)) return true;
  const plain = s.replace(/_/g, '');
  return GO_INT.test(plain) || YAML_FLOAT.test(plain);
}

/** `-o yaml`: the object, or a List for an array, in kubectl's YAML style. */
export function formatYAML(objs: KObject | KObject[], opts: SerializeOptions = {}): string {
  const YAML = yaml();
  const doc = new YAML.Document(printable(objs, opts));
  YAML.visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && !node.value.includes('\n') && yaml11NonString(node.value)) {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ indentSeq: false, singleQuote: true, blockQuote: 'literal' });
}

/** One entry point for `-o json|yaml|name`: an object prints as itself, an array as a List. */
export function formatOutput(
  objs: KObject | KObject[],
  format: OutputFormat,
  opts: SerializeOptions = {},
): string {
  switch (format) {
    case 'json':
      return formatJSON(objs, opts);
    case 'yaml':
      return formatYAML(objs, opts);
    case 'name':
      return formatNames(objs);
  }
}
