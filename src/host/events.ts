// Kubernetes-style Events: what happened to an object, recorded with the object's key.

import { isoTime } from '../clock.ts';
import type { KEvent, KObject } from '../objects/types.ts';

let seq = 0;

export function makeEvent(
  obj: KObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
  host: string,
  now: number,
): KEvent {
  const t = isoTime(now);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${obj.metadata.name}.${(now * 1000 + (seq++ % 1000)).toString(16)}`,
      namespace: obj.metadata.namespace ?? 'default',
      creationTimestamp: t,
    },
    involvedObject: {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
    },
    reason,
    message,
    type,
    source: { component, host },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}
