// Reads of events and Pods' actor records, which are on a few nodes each: every member is asked,
// its answer comes in pages (so no frame grows past the peer link's limit with what a member
// holds), each event is shown once at its highest count and each record at its newest version,
// and a member that does not answer is left out.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { systemClock } from '../../src/clock.ts';
import { GatheredReads } from '../../src/cluster/gathered-reads.ts';
import { MemoryNetwork } from '../../src/cluster/transport-memory.ts';
import type { KEvent, KObject } from '../../src/objects/types.ts';
import { keyOf } from '../../src/objects/types.ts';
import { MemoryKV } from '../../src/store/kv.ts';
import { type ActorRecord, Store } from '../../src/store/store.ts';

const test = suite('cluster: gathered reads');

const pod = (name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { containers: [{ name: 'main', image: 'busybox:latest' }] },
});
let t = Date.UTC(2026, 0, 1);
const event = (obj: KObject, reason: string): KEvent => {
  const at = new Date(t += 1000).toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${obj.metadata.name}.${t.toString(16)}`, namespace: 'default', creationTimestamp: at },
    involvedObject: { kind: 'Pod', namespace: 'default', name: obj.metadata.name, uid: obj.metadata.uid },
    reason,
    message: reason,
    type: 'Normal',
    source: { component: 'kubelet', host: 'n1' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
  };
};
const record = (key: string, state: string, node: string): ActorRecord => ({
  key,
  node,
  state,
  since: '2026-01-01T00:00:00Z',
  snapshot: { status: 'active', value: state, context: {} },
  schema: 1,
  transitions: [],
});

async function cluster(names: string[]) {
  const net = new MemoryNetwork({ clock: systemClock });
  const nodes = new Map<string, { store: Store; reads: GatheredReads }>();
  for (const name of names) {
    const store = new Store(new MemoryKV(), { eventsPerObject: 50, node: name });
    await store.open();
    const transport = net.transport(name);
    const reads = new GatheredReads({ store, transport, peers: () => net.names().filter((n) => n !== name), pageSize: { events: 3, actors: 2 } });
    nodes.set(name, { store, reads });
  }
  return { net, nodes };
}

test('events and pod actor records held by different members: every one gathered, in pages, each once', async () => {
  const { nodes } = await cluster(['a', 'b', 'c']);
  const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`));
  for (const { store } of nodes.values()) await store.commit({ put: pods });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => nodes.get(n)!.store);
  // b holds 8 events (three pages of 3), c 4; one event is on both, with a higher count on c
  const evs = pods.flatMap((p) => [event(p, 'Scheduled'), event(p, 'Started')]);
  await b.commit({ events: evs.slice(0, 8) });
  const shared = b.eventEntries([keyOf(pods[3])]).find(([, e]) => e.reason === 'Started')!;
  await c.merge([{ k: 'e', key: shared[0], ev: { ...shared[1], count: 3 }, v: c.hlc.tick() }]);
  await c.commit({ events: evs.slice(8) });
  const got = await nodes.get('a')!.reads.events({});
  assert.is(got.length, 10, 'every event once');
  assert.is(got.find((e) => e.involvedObject.name === 'p3' && e.reason === 'Started')?.count, 3, 'the highest count');
  assert.equal(got.map((e) => e.lastTimestamp), [...got.map((e) => e.lastTimestamp)].sort(), 'oldest first');
  const aboutP4 = await nodes.get('a')!.reads.events({ keys: [keyOf(pods[4])] });
  assert.equal(aboutP4.map((e) => e.reason), ['Scheduled', 'Started']);
  // pod actor records: 5 on b (three pages of 2), one of them newer on c; a Namespace's record is a's own
  await b.commit({ actors: pods.map((p) => record(keyOf(p), 'Running', 'b')) });
  await c.commit({ actors: [record(keyOf(pods[0]), 'Terminating', 'c')] });
  await a.commit({ actors: [record('Namespace//default', 'Active', 'a')] });
  const actors = await nodes.get('a')!.reads.actors();
  assert.equal(actors.map((r) => `${r.key} ${r.state}`).sort(), [
    'Namespace//default Active',
    'Pod/default/p0 Terminating',
    'Pod/default/p1 Running',
    'Pod/default/p2 Running',
    'Pod/default/p3 Running',
    'Pod/default/p4 Running',
  ]);
  assert.equal((await nodes.get('a')!.reads.actors(keyOf(pods[2]))).map((r) => r.node), ['b']);
});

test('a member that does not answer is left out; the read still answers', async () => {
  const { net, nodes } = await cluster(['x', 'y', 'z']);
  const p = pod('lone');
  for (const { store } of nodes.values()) await store.commit({ put: [p] });
  await nodes.get('y')!.store.commit({ events: [event(p, 'Scheduled')] });
  await nodes.get('z')!.store.commit({ events: [event(p, 'Started')] });
  net.kill('z');
  const started = Date.now();
  const got = await nodes.get('x')!.reads.events({ keys: [keyOf(p)] });
  assert.equal(got.map((e) => e.reason), ['Scheduled']);
  assert.ok(Date.now() - started < 3000, 'within the answer timeout');
});

test.run();
