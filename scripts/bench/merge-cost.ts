// What one replicated pod record costs the node that merges it, alone: decoding it from a peer
// frame, merging it into the store, and writing it to LevelDB — no sockets, no actors, no other
// nodes. It is the floor under the throughput benchmark's "CPU per pod per node" while every
// node keeps every pod object (docs/benchmarks-cluster.md, "Why the target is missed").
//
//   node --import tsx scripts/bench/merge-cost.ts [--records 5000] [--memory]
//
// R Running pods (the throughput benchmark's Deployment, bound, as its pods' nodes push them) are
// committed on one store; their records go into 'rep' frames of 10 records, encoded as the peer
// links encode them; a second store (LevelDB in a temporary directory, or memory with
// --memory) merges the frames, one event-loop turn per 10 frames, until everything is on disk.
// Prints one JSON line: wall time and process CPU (LevelDB's own threads and the GC included)
// per record, and the synchronous decode and merge parts.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerPackr } from '../../src/cluster/peer-auth.ts';
import type { KObject } from '../../src/objects/types.ts';
import { MemoryKV } from '../../src/store/kv.ts';
import { LevelKV } from '../../src/store/level.ts';
import { type Rec, Store } from '../../src/store/store.ts';
import { numberArg } from './lib.ts';

const RECORDS = numberArg('records', 5000);
const MEMORY = process.argv.includes('--memory');
const PER_FRAME = 10;

const at = '2026-11-26T14:00:01Z';
const pod = (i: number): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `tp-7d9f8c6b5-${i.toString(36).padStart(5, 'x')}`,
    namespace: 'default',
    uid: `0b7c1e2a-5d4f-4c3b-9a8e-${i.toString(16).padStart(12, '0')}`,
    labels: { app: 'tp', 'pod-template-hash': '7d9f8c6b5' },
    annotations: {},
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'tp-7d9f8c6b5', uid: '4e1f6a0c-2b3d-4e5f-8a9b-0c1d2e3f4a5b', controller: true, blockOwnerDeletion: true }],
    creationTimestamp: at,
  },
  spec: {
    nodeName: `tp100-n${i % 100}`,
    terminationGracePeriodSeconds: 1,
    restartPolicy: 'Always',
    containers: [{ name: 'app', image: 'busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec httpd -f -p 8080'], resources: { requests: { cpu: '10m', memory: '8Mi' } } }],
  },
  status: {
    phase: 'Running',
    hostIP: `127.33.0.${i % 100}`,
    startTime: at,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: at })),
    containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: 'busybox:latest', imageID: 'sim://busybox:latest', containerID: `sim://${i.toString(16).padStart(16, '0')}`, state: { running: { startedAt: at } } }],
  },
});

const dirs: string[] = [];
async function store(node: string, memory: boolean) {
  let kv;
  if (memory) kv = new MemoryKV();
  else {
    const dir = mkdtempSync(join(tmpdir(), 'starling-merge-cost-'));
    dirs.push(dir);
    kv = new LevelKV(dir);
  }
  const s = new Store(kv, { eventsPerObject: 50, node });
  await s.open();
  return s;
}

try {
  const writer = await store('writer', true);
  const recs: Rec[] = [];
  writer.onReplicate((r) => recs.push(...r));
  for (let i = 0; i < RECORDS; i++) await writer.commit({ put: [pod(i)] });
  await writer.close();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < recs.length; i += PER_FRAME) frames.push(peerPackr.pack({ msg: { t: 'rep', recs: recs.slice(i, i + PER_FRAME) } }));

  const merger = await store('merger', MEMORY);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let decodeMs = 0;
  let mergeMs = 0;
  const durable: Promise<void>[] = [];
  for (const [i, f] of frames.entries()) {
    const a = performance.now();
    const { msg } = peerPackr.unpack(f) as { msg: { recs: Rec[] } };
    const b = performance.now();
    durable.push(merger.merge(msg.recs));
    mergeMs += performance.now() - b;
    decodeMs += b - a;
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(durable);
  await merger.flush();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await merger.close();
  const us = (ms: number) => Math.round((ms * 1000 * 10) / recs.length) / 10;
  console.log(JSON.stringify({
    measure: 'merge-cost',
    kv: MEMORY ? 'memory' : 'leveldb',
    records: recs.length,
    bytes_per_record: Math.round(frames.reduce((s, f) => s + f.length, 0) / recs.length),
    wall_us_per_record: us(wallMs),
    cpu_us_per_record: us((cpu.user + cpu.system) / 1000),
    decode_us_per_record: us(decodeMs),
    merge_us_per_record: us(mergeMs),
  }));
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
