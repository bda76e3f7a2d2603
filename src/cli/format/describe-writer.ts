// The building blocks of kubectl's describe output: a prefix writer (two spaces per level) whose
// text goes through the tabwriter at the end, the multi-line Labels/Annotations blocks, and the
// Events table.

import type { KEvent, KObject } from '../../objects/types.ts';
import { compareText } from '../../../actors/canonical.ts';
import { formatAge, parseTime } from './age.ts';
import { DESCRIBE_TABWRITER, tabwrite } from './tabwriter.ts';

export const LEVEL_0 = 0;
export const LEVEL_1 = 1;
export const LEVEL_2 = 2;
export const LEVEL_3 = 3;
export const LEVEL_4 = 4;

/** Like kubectl's PrefixWriter: `write(level, text)` indents the start of `text` by 2×level. */
export class PrefixWriter {
  private parts: string[] = [];

  write(level: number, text: string): void {
    this.parts.push('  '.repeat(level) + text);
  }

  /** fmt.Sprintln: the text plus a newline, no indentation. */
  writeLine(text = ''): void {
    this.parts.push(text + '\n');
  }

  /** The aligned output (describe's tabbedString). */
  toString(): string {
    return tabwrite(this.parts.join(''), DESCRIBE_TABWRITER);
  }
}

/** kubectl skips this annotation in describe. */
const SKIP_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration']);
const MAX_ANNOTATION_LEN = 140;

/** printLabelsMultiline: `Title:\tk=v` then `\tk2=v2` per further key, or `<none>`. */
export function printLabelsMultiline(
  w: PrefixWriter,
  title: string,
  labels: Record<string, string> | undefined | null,
  initialIndent = '',
  innerIndent = '\t',
): void {
  w.write(LEVEL_0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort(compareText);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  keys.forEach((key, i) => {
    if (i !== 0) w.write(LEVEL_0, initialIndent + innerIndent);
    w.write(LEVEL_0, `${key}=${labels![key]}\n`);
  });
}

/** printAnnotationsMultiline: `key: value`, long or multi-line values on their own lines. */
export function printAnnotationsMultiline(
  w: PrefixWriter,
  title: string,
  annotations: Record<string, string> | undefined | null,
): void {
  w.write(LEVEL_0, `${title}:\t`);
  const keys = Object.keys(annotations ?? {}).filter((k) => !SKIP_ANNOTATIONS.has(k)).sort(compareText);
  if (keys.length === 0) {
    w.writeLine('<none>');
    return;
  }
  const indent = '\t';
  keys.forEach((key, i) => {
    if (i !== 0) w.write(LEVEL_0, indent);
    const value = String(annotations![key]).replace(/\n$/, '');
    if (value.length + key.length + 2 > MAX_ANNOTATION_LEN || value.includes('\n')) {
      w.write(LEVEL_0, `${key}:\n`);
      for (const s of value.split('\n')) {
        const short = s.length > MAX_ANNOTATION_LEN - 2 ? s.slice(0, MAX_ANNOTATION_LEN - 2) + '...' : s;
        w.write(LEVEL_0, `${indent}  ${short}\n`);
      }
    } else {
      w.write(LEVEL_0, `${key}: ${value}\n`);
    }
  });
}

/** The controller owner as `Kind/name` (describe's `Controlled By:`), or ''. */
export function controllerOf(obj: KObject): string {
  const ref = (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : '';
}

/** Whether an event is about `obj` (kubectl searches by involvedObject name, namespace, kind, uid). */
export function eventInvolves(e: KEvent, obj: KObject): boolean {
  const io = e.involvedObject;
  if (!io || io.name !== obj.metadata.name) return false;
  if ((io.namespace ?? '') !== (obj.metadata.namespace ?? '')) return false;
  if (io.kind && io.kind !== obj.kind) return false;
  if (io.uid && obj.metadata.uid && io.uid !== obj.metadata.uid) return false;
  return true;
}

/**
 * DescribeEvents: `Events:\t<none>`, or a Type/Reason/Age/From/Message table sorted by last
 * timestamp, with `10s (x3 over 2m)` ages for repeated events.
 */
export function describeEvents(w: PrefixWriter, events: KEvent[], now: number): void {
  if (events.length === 0) {
    w.write(LEVEL_0, 'Events:\t<none>\n');
    return;
  }
  const sorted = [...events].sort((a, b) =>
    (parseTime(a.lastTimestamp) ?? parseTime(a.firstTimestamp) ?? 0) -
    (parseTime(b.lastTimestamp) ?? parseTime(b.firstTimestamp) ?? 0)
  );
  w.write(LEVEL_0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(LEVEL_1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const first = formatAge(e.firstTimestamp || e.lastTimestamp, now);
    const interval = (e.count ?? 0) > 1
      ? `${formatAge(e.lastTimestamp, now)} (x${e.count} over ${first})`
      : first;
    const source = e.source?.component ?? '';
    const message = String(e.message ?? '').trim().replace(/\t/g, ' ');
    w.write(LEVEL_1, `${e.type}\t${e.reason}\t${interval}\t${source}\t${message}\n`);
  }
}
