// Where the replicator pushes a local commit. Most records go to every alive member at once; a
// pod its controller's node is placing goes only to the members ranked first for its
// controller's key, and to the other members when it is still unbound after unboundPodPushMs —
// the node that binds it pushes it, bound, to every member, so the others merge it once instead
// of twice.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock } from '../../src/clock.ts';
import { rendezvousTop } from '../../src/cluster/placement.ts';
import { Replicator } from '../../src/cluster/replicator.ts';
import { MemoryNetwork } from '../../src/cluster/transport-memory.ts';
import { defaultConfig } from '../../src/config.ts';
import type { KObject } from '../../src/objects/types.ts';
import { keyOf, objectKey } from '../../src/objects/types.ts';
import { MemoryKV } from '../../src/store/kv.ts';
import { Store } from '../../src/store/store.ts';

const test = suite('cluster: where local commits are pushed');

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const HOLD_MS = defaultConfig.replication.unboundPodPushMs;

const pod = (name: string, extra: { nodeName?: string; owned?: boolean; unschedulable?: boolean } = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    ...(extra.owned === false ? {} : { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'rs-uid', controller: true }] }),
  },
  spec: { containers: [{ name: 'main', image: 'busybox:latest' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
  status: {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', ...(extra.unschedulable ? { message: '0/5 nodes are available' } : {}) }],
  },
});

async function cluster() {
  const clock = new SimulatedClock();
  const net = new MemoryNetwork({ clock });
  const stores = new Map<string, Store>();
  const replicators: Replicator[] = [];
  for (const name of NAMES) {
    const store = new Store(new MemoryKV(), { eventsPerObject: 50, node: name, now: () => clock.now() });
    await store.open();
    const r = new Replicator({
      store,
      transport: net.transport(name),
      peers: () => NAMES.filter((n) => n !== name),
      clock,
      random: Math.random,
      // no anti-entropy within these tests: only pushes move records
      config: { ...defaultConfig.replication, antiEntropyIntervalMs: 3_600_000 },
      log: () => {},
    });
    r.start();
    stores.set(name, store);
    replicators.push(r);
  }
  /** lets time pass: timers fire, messages arrive and are merged */
  const pass = async (ms: number) => {
    for (let i = 0; i < 5; i++) {
      clock.advance(ms / 5);
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  const holding = (o: KObject) => NAMES.filter((n) => !!stores.get(n)!.get(keyOf(o)));
  const stop = () => replicators.forEach((r) => r.stop());
  return { stores, pass, holding, stop, net };
}

test("a pod its controller is placing goes at once to the members ranked first for the controller's key, and to no one else once another node has bound it", async () => {
  const c = await cluster();
  try {
    const p = pod('web-1-a');
    await c.stores.get('n1')!.commit({ put: [p] });
    await c.pass(50);
    // the ReplicaSet's host and the members that take it over if it goes
    const holders = rendezvousTop(objectKey('ReplicaSet', 'default', 'web-1'), NAMES, defaultConfig.replication.partialCopies);
    assert.equal(c.holding(p).sort(), [...new Set(['n1', ...holders])].sort(), "the writer and the controller's first members only");
    // the node it is bound to writes the binding and pushes it to every member
    const binder = NAMES.find((n) => n !== 'n1' && holders.includes(n))!;
    const bound = { ...c.stores.get(binder)!.get(keyOf(p))!, spec: { ...p.spec, nodeName: binder } };
    await c.stores.get(binder)!.commit({ put: [bound] });
    await c.pass(50);
    assert.equal(c.holding(p), NAMES, 'bound: on every node');
    for (const n of NAMES) assert.is((c.stores.get(n)!.get(keyOf(p))!.spec as { nodeName?: string }).nodeName, binder, n);
    // the held-back unbound version is not sent once it is due (it would lose every merge)
    const sent = c.net.stats.sent;
    await c.pass(HOLD_MS + 100);
    assert.is(c.net.stats.sent, sent, 'nothing more sent');
    for (const n of NAMES) assert.is((c.stores.get(n)!.get(keyOf(p))!.spec as { nodeName?: string }).nodeName, binder, `${n} after the hold`);
  } finally {
    c.stop();
  }
});

test('a pod still unbound after unboundPodPushMs reaches every member then; one found unschedulable at once', async () => {
  const c = await cluster();
  try {
    const slow = pod('web-1-slow');
    await c.stores.get('n1')!.commit({ put: [slow] });
    await c.pass(HOLD_MS - 200);
    assert.ok(c.holding(slow).length < NAMES.length, `held back: ${c.holding(slow)}`);
    await c.pass(400);
    assert.equal(c.holding(slow), NAMES, 'pushed to every member when due');

    const stuck = pod('web-1-stuck');
    await c.stores.get('n1')!.commit({ put: [stuck] });
    await c.pass(50);
    assert.ok(c.holding(stuck).length < NAMES.length);
    await c.stores.get('n1')!.commit({ put: [pod('web-1-stuck', { unschedulable: true })] });
    await c.pass(50);
    assert.equal(c.holding(stuck), NAMES, 'found unschedulable: on every node at once');
  } finally {
    c.stop();
  }
});

test('a pod without a controller, and a bound one, go to every member at once', async () => {
  const c = await cluster();
  try {
    const bare = pod('bare', { owned: false });
    const bound = pod('web-1-b', { nodeName: 'n3' });
    await c.stores.get('n1')!.commit({ put: [bare, bound] });
    await c.pass(50);
    assert.equal(c.holding(bare), NAMES);
    assert.equal(c.holding(bound), NAMES);
  } finally {
    c.stop();
  }
});

test.run();
