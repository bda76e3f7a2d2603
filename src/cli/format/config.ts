// `get` rows and `describe` for ConfigMaps and Secrets, as kubectl prints them. A Secret's values
// are never printed: describe shows each key with its size (`password:  12 bytes`).

import type { KEvent, KObject } from '../../objects/types.ts';
import { decodedLength } from '../../manifest/base64.ts';
import { compareText } from '../../../actors/canonical.ts';
import { formatAge } from './age.ts';
import { describeEvents, LEVEL_0, PrefixWriter, printAnnotationsMultiline, printLabelsMultiline } from './describe-writer.ts';

const keysOf = (m: unknown): string[] =>
  m && typeof m === 'object' ? Object.keys(m as object).sort(compareText) : [];

export const CONFIGMAP_HEADERS = ['NAME', 'DATA', 'AGE'];

/** DATA counts the keys of data and binaryData. */
export function configMapRow(cm: KObject, now: number): string[] {
  const n = keysOf(cm.data).length + keysOf(cm.binaryData).length;
  return [cm.metadata.name, String(n), formatAge(cm.metadata.creationTimestamp, now)];
}

export const SECRET_HEADERS = ['NAME', 'TYPE', 'DATA', 'AGE'];

export function secretRow(secret: KObject, now: number): string[] {
  return [
    secret.metadata.name,
    String(secret.type ?? 'Opaque'),
    String(keysOf(secret.data).length),
    formatAge(secret.metadata.creationTimestamp, now),
  ];
}

/** kubectl's describeConfigMap: each data key with its value, binaryData keys with their size. */
export function describeConfigMap(cm: KObject, events: KEvent[], now: number): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${cm.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${cm.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', cm.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', cm.metadata.annotations);
  w.write(LEVEL_0, '\nData\n====\n');
  const data = (cm.data ?? {}) as Record<string, string>;
  for (const k of keysOf(data)) {
    w.write(LEVEL_0, `${k}:\n----\n`);
    w.write(LEVEL_0, `${data[k]}\n`);
  }
  w.write(LEVEL_0, '\nBinaryData\n====\n');
  const binary = (cm.binaryData ?? {}) as Record<string, string>;
  for (const k of keysOf(binary)) w.write(LEVEL_0, `${k}: ${decodedLength(binary[k])} bytes\n`);
  w.write(LEVEL_0, '\n');
  describeEvents(w, events, now);
  return w.toString();
}

/** kubectl's describeSecret: the type and each key with its size in bytes, never a value. */
export function describeSecret(secret: KObject): string {
  const w = new PrefixWriter();
  w.write(LEVEL_0, `Name:\t${secret.metadata.name}\n`);
  w.write(LEVEL_0, `Namespace:\t${secret.metadata.namespace ?? ''}\n`);
  printLabelsMultiline(w, 'Labels', secret.metadata.labels);
  printAnnotationsMultiline(w, 'Annotations', secret.metadata.annotations);
  w.write(LEVEL_0, `\nType:\t${secret.type ?? 'Opaque'}\n`);
  w.write(LEVEL_0, '\nData\n====\n');
  const data = (secret.data ?? {}) as Record<string, string>;
  for (const k of keysOf(data)) w.write(LEVEL_0, `${k}:\t${decodedLength(String(data[k]))} bytes\n`);
  return w.toString();
}
