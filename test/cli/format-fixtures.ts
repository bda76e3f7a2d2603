// Objects shared by the CLI formatting suites. Times are fixed relative to NOW.

import type { ContainerStatus, KEvent, KObject } from '../../src/objects/types.ts';

export const NOW = Date.parse('2024-01-15T12:00:00Z');
/** An RFC 3339 time `ms` before NOW. */
export const ago = (ms: number): string => new Date(NOW - ms).toISOString().replace('.000Z', 'Z');
export const S = 1000;
export const M = 60 * S;
export const H = 60 * M;

export function pod(over: {
  name?: string;
  namespace?: string;
  phase?: string;
  reason?: string;
  containers?: string[];
  initContainers?: { name: string; restartPolicy?: string }[];
  statuses?: Partial<ContainerStatus>[];
  initStatuses?: Partial<ContainerStatus>[];
  conditions?: { type: string; status: 'True' | 'False' }[];
  deletionTimestamp?: string;
  created?: string;
} = {}): KObject {
  const containers = (over.containers ?? ['web']).map((name) => ({ name, image: 'busybox:latest' }));
  const status = (s: Partial<ContainerStatus>): ContainerStatus => ({
    name: 'web',
    image: 'busybox:latest',
    ready: false,
    restartCount: 0,
    state: { waiting: { reason: 'ContainerCreating' } },
    ...s,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: over.name ?? 'web-abc',
      namespace: over.namespace ?? 'default',
      creationTimestamp: over.created ?? ago(5 * M),
      ...(over.deletionTimestamp ? { deletionTimestamp: over.deletionTimestamp } : {}),
    },
    spec: {
      containers,
      ...(over.initContainers
        ? { initContainers: over.initContainers.map((c) => ({ image: 'busybox:latest', ...c })) }
        : {}),
    },
    status: {
      phase: over.phase ?? 'Running',
      ...(over.reason ? { reason: over.reason } : {}),
      conditions: over.conditions ?? [],
      containerStatuses: (over.statuses ?? []).map(status),
      ...(over.initStatuses ? { initContainerStatuses: over.initStatuses.map(status) } : {}),
    },
  };
}

export const running = (startedMsAgo = M) => ({ running: { startedAt: ago(startedMsAgo) } });

export function event(
  reason: string,
  message: string,
  over: Partial<KEvent> & { firstAgo?: number; lastAgo?: number } = {},
): KEvent {
  const { firstAgo = 10 * S, lastAgo = firstAgo, ...rest } = over;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `web-abc.${reason.toLowerCase()}`, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-abc' },
    reason,
    message,
    type: 'Normal',
    source: { component: 'starling-node', host: 'n1' },
    firstTimestamp: ago(firstAgo),
    lastTimestamp: ago(lastAgo),
    count: 1,
    ...rest,
  };
}
